# frozen_string_literal: true

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
      userinfo = user && [user, password].compact.map { |part| URI.encode_www_form_component(part).gsub('+', '%20') }.join(':')
      URI::Generic.build(scheme: scheme, userinfo: userinfo, host: url_host(host, path: "#{key}.host"),
                         port: port && Integer(port), path: path).to_s
    end

    # oslo.messaging transport_url; the vhost is one path segment (/openstack -> %2Fopenstack).
    def transport_url(hosts:, port:, user:, password:, vhost:)
      servers = hosts.each_with_index.map do |host, i|
        userinfo = [user, password].map { |part| URI.encode_www_form_component(part).gsub('+', '%20') }.join(':')
        "#{userinfo}@#{url_host(host, path: "transport.hosts[#{i}]")}:#{Integer(port)}"
      end
      "rabbit://#{servers.join(',')}/#{URI.encode_www_form_component(vhost.to_s)}"
    end

    def database_url(host:, user:, password:, name:, port: nil)
      url('mysql+pymysql', host: host, port: port, user: user, password: password, path: "/#{name}", key: 'database')
    end

    def glance_url(fqdn, port)
      url('https', host: fqdn, port: port, key: 'glance_api_servers')
    end
  end
end

module Ipv6Cinder
  # A site secret reference ({file: PATH} or {env: NAME}) read at converge time;
  # messages name the key, never the value.
  module Secret
    module_function

    def read(ref, path:)
      kind, target = ref.to_h.first
      value = case kind.to_s
              when 'file' then ::File.exist?(target) ? ::File.read(target).strip : nil
              when 'env' then ENV[target]
              end
      return value if value && !value.empty?

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        path, 'unreadable', "#{path}: the secret #{kind} #{target} is missing or empty; create it before the converge"
      )
    end
  end
end
