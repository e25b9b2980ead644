# frozen_string_literal: true

require 'ipaddr'
require 'resolv'
require_relative 'errors'

module Ipv6Common
  # A global unicast IPv6 address held in one canonical form: the compressed
  # lower-case literal of RFC 5952, without brackets. Each consumer gets its
  # own rendering, so brackets appear exactly where that consumer needs them.
  class Address
    FIX = "use the host's global IPv6 address"

    # [code, range, what the value is] checked in this order; the first match wins.
    CLASSES = [
      ['unspecified', IPAddr.new('::/128'), 'is the unspecified address (every address of the host)'],
      ['loopback', IPAddr.new('::1/128'), 'is loopback, unreachable from other hosts'],
      ['ipv4_mapped', IPAddr.new('::ffff:0:0/96'), 'is an IPv4-mapped address (IPv4 traffic)'],
      ['link_local', IPAddr.new('fe80::/10'), 'is link-local, valid on one link only'],
      ['multicast', IPAddr.new('ff00::/8'), 'is multicast'],
    ].freeze

    attr_reader :ip

    # Returns an Address or raises ConfigError with the one problem found.
    # allow: [:loopback] accepts ::1 (a service listening on [::1] only).
    def self.parse(value, path: 'address', allow: [])
      problem = problem(value, path: path, allow: allow)
      raise ConfigError, problem if problem

      new(IPAddr.new(value, Socket::AF_INET6))
    end

    # Canonical strings of a list of literals, or ConfigError with every
    # problem (paths "#{path}[i]").
    def self.canonical_list(values, path:, allow: [])
      problems = Array(values).each_with_index.filter_map { |v, i| problem(v, path: "#{path}[#{i}]", allow: allow) }
      raise ConfigError, problems unless problems.empty?

      Array(values).map { |v| parse(v, allow: allow).to_s }
    end

    # Returns the Problem with value, or nil when it is an acceptable address.
    def self.problem(value, path: 'address', allow: [])
      return Problem.new(path, 'type', "#{path}: #{value.inspect} is not a string; write an IPv6 literal such as 2001:db8::11") unless value.is_a?(String)

      code, found, fix = classify(value, allow)
      code && Problem.new(path, code, "#{path}: #{found}; #{fix}")
    end

    def self.classify(value, allow)
      if value.start_with?('[') || value.end_with?(']')
        ['bracketed', "#{value} is bracketed", "write the bare literal #{value.delete('[]')}, brackets are added for each consumer"]
      elsif Resolv::IPv4::Regex.match?(value)
        ['ipv4', "#{value} is IPv4", "this site is IPv6-only, #{FIX}"]
      elsif (ip = literal(value))
        special(ip, value, allow)
      else
        ['not_an_address', "#{value.inspect} is not an IPv6 literal", 'write a bare address such as 2001:db8::11 (no zone id, no prefix length)']
      end
    end

    # The IPAddr of a plain IPv6 literal (no zone id, no prefix), else nil.
    def self.literal(value)
      return if value.include?('%') || value.include?('/') || !Resolv::IPv6::Regex.match?(value)

      IPAddr.new(value, Socket::AF_INET6)
    rescue IPAddr::Error
      nil
    end

    def self.special(ip, value, allow)
      code, _range, what = CLASSES.find { |_code, range, _what| range.include?(ip) }
      return if code.nil? || allow.include?(code.to_sym)

      [code, "#{value} #{what}", FIX]
    end
    private_class_method :classify, :literal, :special, :new

    def initialize(ip)
      @ip = ip
    end

    def to_s
      ip.to_s
    end

    def ==(other)
      other.is_a?(Address) && other.to_s == to_s
    end
    alias eql? ==

    def hash
      to_s.hash
    end

    def url_host
      "[#{self}]"
    end

    def host_port(port)
      "#{url_host}:#{Integer(port)}"
    end

    # HAProxy `bind`; the template adds the v6only keyword.
    def haproxy_bind(port)
      host_port(port)
    end

    # RabbitMQ listeners.tcp.N: RabbitMQ rejects the bracketed form.
    def rabbitmq_listener(port)
      "#{self}:#{Integer(port)}"
    end

    # oslo_cache.memcache_pool / keystonemiddleware memcached_servers.
    def memcached(port)
      "inet6:#{host_port(port)}"
    end

    # Cinder target helpers whose portal Cinder builds as "ADDRESS:PORT"
    # (Cinder <= 14.0.1 never adds brackets; later ones pass a bracketed
    # value unchanged), so an IPv6 address must be written bracketed.
    CINDER_BRACKETED_HELPERS = %w(tgtadm lioadm ietadm scstadmin).freeze
    # Helpers that take the bare address: the Chelsio target (Cinder's
    # `iscsictl`, class CxtAdm, also called cxtadm) brackets it again in its
    # own configuration, and NVMe-oF (nvmet) writes it as traddr.
    CINDER_BARE_HELPERS = %w(iscsictl cxtadm nvmet).freeze

    # Cinder target_ip_address (iscsi_ip_address up to Pike) for a target helper.
    def cinder_target(helper)
      return url_host if CINDER_BRACKETED_HELPERS.include?(helper)
      return to_s if CINDER_BARE_HELPERS.include?(helper)

      raise ConfigError, Problem.new('target_helper', 'bad_choice',
                                     "target_helper: #{helper.inspect} is not a Cinder target helper; use one of " \
                                     "#{(CINDER_BRACKETED_HELPERS + CINDER_BARE_HELPERS).join(', ')}")
    end

    # oslo my_ip: rejects brackets.
    def my_ip
      to_s
    end
  end
end
