# frozen_string_literal: true

module Ipv6Common
  # One thing wrong with the input: where (a key path or a file), a stable
  # code (see site/SCHEMA.md) and a message shaped "<path>: <found>; <fix>".
  Problem = Struct.new(:path, :code, :message) do
    def to_s
      message
    end
  end

  # Raised before anything changes when the site, a property or the host is
  # not fit for an IPv6-only deployment. Carries every problem found.
  class ConfigError < StandardError
    attr_reader :problems

    # Takes a Problem, an Array of them, or a plain message (kept as a
    # single problem with code 'error').
    def initialize(problems = [])
      @problems = case problems
                  when Problem then [problems]
                  when String then [Problem.new('.', 'error', problems)]
                  else Array(problems)
                  end
      super(@problems.map(&:message).join("\n"))
    end
  end
end
