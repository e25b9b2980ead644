# frozen_string_literal: true

require_relative 'errors'

module Ipv6Common
  # Reads a secret the site references ({file: /path} or {env: NAME}). The
  # value is returned, never logged; messages name the key path and the
  # reference only.
  module Secret
    # ref: the reference as the site holds it; path: its key path, for messages.
    def self.read(ref, path:)
      kind, target = ref.is_a?(Hash) && ref.size == 1 ? ref.first : []
      value = case kind.to_s
              when 'file' then read_file(target, path)
              when 'env' then ENV.fetch(target.to_s) { raise ConfigError, problem(path, "environment variable #{target} is not set", "export #{target}") }
              else raise ConfigError, problem(path, 'is not a secret reference', 'write {file: /absolute/path} or {env: NAME}')
              end
      value = value.chomp
      raise ConfigError, problem(path, "the secret in #{kind} #{target} is empty", 'store a non-empty secret there') if value.empty?

      value
    end

    def self.read_file(target, path)
      File.read(target.to_s)
    rescue SystemCallError => e
      raise ConfigError, problem(path, "cannot read the secret file #{target} (#{e.class.name.split('::').last})",
                                 'create it (mode 0600) or fix the path')
    end

    def self.problem(path, found, fix)
      Problem.new(path, 'unreadable', "#{path}: #{found}; #{fix}")
    end
    private_class_method :read_file, :problem
  end
end
