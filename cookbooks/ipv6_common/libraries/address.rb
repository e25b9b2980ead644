# frozen_string_literal: true

require 'ipaddr'
require_relative 'errors'
require_relative 'validate'

module Ipv6Common
  # A global unicast IPv6 address held in one canonical form: the compressed
  # lower-case literal of RFC 5952, without brackets. Each consumer gets its
  # own rendering, so brackets appear exactly where that consumer needs them.
  class Address
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

    # Returns the Problem with value, or nil when it is an acceptable address
    # (the classes and messages of site/schema.json, see Validate).
    def self.problem(value, path: 'address', allow: [])
      Validate.address_problem(value, path: path, allow: allow)
    end
    private_class_method :new

    def initialize(ip)
      @ip = ip
      @text = Validate.canonical_address(ip.to_s).freeze
    end

    def to_s
      @text
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

    # Cinder target_ip_address: the iSCSI portal must be bracketed.
    def cinder_target
      url_host
    end

    # oslo my_ip: rejects brackets.
    def my_ip
      to_s
    end
  end
end
