# frozen_string_literal: true

require 'erb'
require 'uri'

module Ipv6Cinder
  # URLs and option values for cinder.conf, built from parts: an IPv6 literal
  # host is bracketed by Ipv6Common::Address, a DNS name is kept, IPv4 is refused.
  module Conf
    module_function

    # "[2001:db8::11]" for a literal, the name for a DNS name.
    def url_host(host, path:)
      return Ipv6Common::Address.parse(host, path: path).url_host if host.to_s.include?(':') || ipv4?(host)
      return host if Ipv6Common::Validate::DNS_NAME.match?(host.to_s)

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        path, 'not_an_address', "#{path}: #{host.inspect} is neither an IPv6 literal nor a DNS name; write e.g. 2001:db8::11"
      )
    end

    def ipv4?(host)
      Ipv6Common::Validate::IPV4.match?(host.to_s)
    end

    # scheme://user:password@host:port/path with user and password percent-encoded.
    def url(scheme, host:, port: nil, user: nil, password: nil, path: '', key: 'url')
      userinfo = user && [user, password].compact.map { |part| ERB::Util.url_encode(part) }.join(':')
      URI::Generic.build(scheme: scheme, userinfo: userinfo, host: url_host(host, path: "#{key}.host"),
                         port: port && Integer(port), path: path).to_s
    end

    def database_url(host:, user:, password:, name:, port: nil)
      url('mysql+pymysql', host: host, port: port, user: user, password: password, path: "/#{name}", key: 'database')
    end

    def glance_url(fqdn, port)
      url('https', host: fqdn, port: port, key: 'glance_api_servers')
    end
  end
end
