# frozen_string_literal: true

require 'erb'
require_relative 'address'
require_relative 'errors'
require_relative 'site'

module Ipv6Common
  # oslo.messaging's transport_url, built from data: one user:password@host:port
  # per broker, the virtual host percent-encoded in the path. A broker host is
  # an IPv6 literal (bracketed here) or a DNS name (the broker host's site
  # fqdn, which its preflight proves resolves to AAAA only); IPv4 is refused.
  #
  #   TransportUrl.render([{ 'host' => '2001:db8::11', 'port' => 5672, 'user' => 'openstack',
  #                          'password' => 'p' }], vhost: '/openstack')
  #   # => "rabbit://openstack:p@[2001:db8::11]:5672/%2Fopenstack"
  module TransportUrl
    SCHEMES = %w(rabbit amqp).freeze

    def self.render(brokers, vhost:, scheme: 'rabbit', path: 'transport_url')
      unless SCHEMES.include?(scheme)
        raise ConfigError, Problem.new(path, 'bad_choice', "#{path}: scheme #{scheme.inspect} is not one of #{SCHEMES.join(', ')}")
      end
      if Array(brokers).empty?
        raise ConfigError, Problem.new(path, 'empty', "#{path}: no broker given; name at least one broker host")
      end

      hosts = Array(brokers).each_with_index.map { |broker, i| authority(broker, "#{path}.brokers[#{i}]") }
      "#{scheme}://#{hosts.join(',')}/#{escape(vhost)}"
    end

    # [host] for a literal, the name itself for a DNS name.
    def self.url_host(host, path:)
      text = host.to_s
      return Address.parse(text, path: path).url_host if text.include?(':') || Resolv::IPv4::Regex.match?(text)

      Site.dns_name(text, path: path)
    end

    def self.authority(broker, path)
      host = url_host(broker['host'], path: "#{path}.host")
      port = Integer(broker['port'] || 5672)
      "#{escape(broker.fetch('user'))}:#{escape(broker.fetch('password'))}@#{host}:#{port}"
    end

    # Every byte outside RFC 3986's unreserved set is percent-encoded.
    def self.escape(text)
      ERB::Util.url_encode(text.to_s)
    end
    private_class_method :authority, :escape
  end
end
