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

    # The oslo.messaging settings of a client, as INI data (section => key =>
    # value): [DEFAULT] transport_url, and with TLS on (ca_file: the CA bundle
    # that verifies the broker) [oslo_messaging_rabbit] ssl and ssl_ca_file.
    # The brokers' port is then their AMQPS port.
    #
    #   TransportUrl.settings([{ 'host' => 'ctl1.example.net', 'port' => 5671, 'user' => 'u', 'password' => 'p' }],
    #                         vhost: '/openstack', ca_file: '/etc/ssl/org-ca.pem')
    #   # => { 'DEFAULT' => { 'transport_url' => 'rabbit://u:p@ctl1.example.net:5671/%2Fopenstack' },
    #   #      'oslo_messaging_rabbit' => { 'ssl' => 'true', 'ssl_ca_file' => '/etc/ssl/org-ca.pem' } }
    def self.settings(brokers, vhost:, ca_file: nil, scheme: 'rabbit', path: 'transport_url')
      sections = { 'DEFAULT' => { 'transport_url' => render(brokers, vhost: vhost, scheme: scheme, path: path) } }
      return sections if ca_file.nil?

      sections.merge('oslo_messaging_rabbit' => { 'ssl' => 'true', 'ssl_ca_file' => Site.absolute_path(ca_file, path: "#{path}.ssl_ca_file") })
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
