# frozen_string_literal: true

require 'uri'

# Plain Ruby, no Chef: how each consumer writes an address, the memcached
# form each oslo.cache backend needs, the uwsgi command line, the settings
# of one service as INI data. Predicates behind the resource properties live
# here so plain RSpec tests them.
module Ipv6OpenstackApi
  # Debian (Zed) packaging of each service: the package, the init script's
  # name, the WSGI script uwsgi loads, the service user, the oslo.config
  # namespaces of its option definitions, the catalog type and path.
  SERVICES = {
    'keystone' => {
      'package' => 'keystone', 'daemon' => 'keystone', 'user' => 'keystone', 'conf' => '/etc/keystone/keystone.conf', 'log_dir' => '/var/log/keystone',
      'wsgi' => '/usr/bin/keystone-wsgi-public', 'type' => 'identity', 'path' => '/v3', 'cache_section' => true,
      'namespaces' => %w(keystone oslo.cache oslo.log oslo.middleware oslo.policy oslo.db osprofiler)
    },
    'placement' => {
      'package' => 'placement-api', 'daemon' => 'placement-api', 'user' => 'placement',
      'conf' => '/etc/placement/placement.conf', 'log_dir' => '/var/log/placement',
      'wsgi' => '/usr/bin/placement-api', 'type' => 'placement',
      'path' => '', 'cache_section' => false, 'namespaces' => %w(placement.conf keystonemiddleware.auth_token oslo.log oslo.middleware oslo.policy)
    },
  }.freeze

  # Catalog type and path of the endpoints that are not deployed here (stand-ins or other cookbooks).
  CATALOG = {
    'keystone' => %w(identity /v3), 'placement' => ['placement', ''], 'glance' => ['image', ''],
    'nova' => %w(compute /v2.1), 'neutron' => ['network', ''], 'cinder' => ['block-storage', '/v3']
  }.freeze

  INTERFACES = %w(public internal admin).freeze

  # The form of a memcached server each backend parses, and what the other
  # form does there (measured): a mismatch fails quietly, so it is refused.
  CACHE_BACKENDS = {
    'oslo_cache.memcache_pool' => { form: ->(a, port) { "inet6:[#{a}]:#{port}" },
                                    pattern: /\Ainet6:\[[0-9a-f:]+\]:\d+\z/,
                                    wrong: 'every token request fails with HTTP 500 while GET /v3 still answers' },
    'dogpile.cache.pymemcache' => { form: ->(a, port) { "[#{a}]:#{port}" },
                                    pattern: /\A\[[0-9a-f:]+\]:\d+\z/,
                                    wrong: 'the inet6: prefix makes every token request fail with HTTP 500' },
  }.freeze

  module_function

  def url_host(address)
    "[#{Ipv6Common::Address.parse(address, allow: [:loopback])}]"
  end

  # https URL of an endpoint name (never an address): URI builds it, the
  # port is left out when it is the scheme's own.
  def https_url(fqdn, port, path = '')
    URI::HTTPS.build(host: fqdn, port: port, path: path).to_s
  end

  def memcache_servers(backend, servers)
    spec = CACHE_BACKENDS.fetch(backend)
    servers.map { |address, port| spec[:form].call(Ipv6Common::Address.parse(address, allow: [:loopback]).to_s, port) }
  end

  # The host[:port] part of a URL, without its user and password.
  def url_host_part(url)
    url.to_s.sub(%r{\A[^:/]*://}, '').sub(/\A[^@]*@/, '').split('/').first.to_s
  end

  # uwsgi's command line: only the bracketed --http-socket form is IPv6 only.
  def daemon_args(address, port, ini)
    "--http-socket #{url_host(address)}:#{Integer(port)} --ini #{ini}"
  end

  # What the schema stamp holds: the package version and a digest of the
  # database URL (which may carry a password), never the URL itself.
  def schema_stamp(package_version, database_connection)
    require 'digest'
    "#{package_version || 'not-installed'} #{Digest::SHA256.hexdigest(database_connection.to_s)}"
  end

  # Predicates used by the resources' callbacks.
  module Validate
    module_function

    def port?(value)
      value.is_a?(Integer) && value.between?(1, 65_535)
    end

    def absolute_path?(value)
      value.is_a?(String) && value.start_with?('/') && !value.include?(' ')
    end

    # An https URL whose host is a DNS name (not a literal, not an IPv4 address).
    def https_name_url?(value)
      uri = URI.parse(value.to_s)
      uri.is_a?(URI::HTTPS) && !uri.host.to_s.empty? && !literal_host?(uri.host)
    rescue URI::InvalidURIError
      false
    end

    def literal_host?(host)
      bare = host.to_s.delete('[]')
      Resolv::IPv4::Regex.match?(bare) || Resolv::IPv6::Regex.match?(bare)
    end

    # Each server in the form the backend parses.
    def memcache_form?(backend, servers)
      spec = CACHE_BACKENDS[backend]
      !spec.nil? && servers.is_a?(Array) && !servers.empty? && servers.all? { |s| spec[:pattern].match?(s.to_s) }
    end

    # A URL with a host: an IPv6 literal must be bracketed (an unbracketed
    # one cannot even be parsed: "Port could not be cast to integer").
    def bracketed_url?(value)
      return true if value.nil?

      uri = URI.parse(value.to_s)
      return false if uri.scheme.nil?
      return true if uri.host.nil? || uri.host.empty? # sqlite:////path

      host = uri.host
      return false if Resolv::IPv4::Regex.match?(host)

      !host.include?(':') || (host.start_with?('[') && host.end_with?(']'))
    rescue URI::InvalidURIError
      false
    end

    def catalog_problems(name, urls)
      where = "ipv6_openstack_api_catalog_endpoint[#{name}] urls"
      urls.filter_map do |interface, url|
        if !INTERFACES.include?(interface)
          Ipv6Common::Problem.new(where, 'bad_interface', "#{where}: #{interface} is not public, internal or admin")
        elsif !https_name_url?(url)
          Ipv6Common::Problem.new(where, 'catalog_url', "#{where}: #{interface} #{url} is not https on a DNS name; " \
                                                        'write https://FQDN:PORT/PATH from the site')
        end
      end
    end

    def bare_ipv6?(value)
      Ipv6Common::Address.problem(value.to_s, allow: [:loopback]).nil?
    end
  end

  # The catalog URL of one site endpoint (the same for every interface).
  def catalog_url(name, endpoint)
    _type, path = CATALOG.fetch(name, ['', ''])
    https_url(endpoint['fqdn'], endpoint['port'], path)
  end

  def catalog_type(name)
    CATALOG.fetch(name, [name, '']).first
  end

  # The value of a site secret reference ({file: PATH} or {env: NAME}).
  # Messages name the reference, never the value.
  def secret(ref, path:)
    kind, target = ref.to_h.first
    value = case kind.to_s
            when 'file' then File.file?(target) ? File.read(target).strip : nil
            when 'env' then ENV[target]&.strip
            end
    return value unless value.nil? || value.empty?

    raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
      path, 'unreadable', "#{path}: the secret #{kind} #{target} is missing or empty; create it (mode 0600) before the run"
    )
  end
end

module Ipv6OpenstackApi
  # The checker each settings template's `verify` runs (ipv6_openstack_api_bind and _config).
  OSLO_CHECK = '/usr/local/lib/ipv6_openstack_api/oslo_check.py'

  # Mixed into the action classes of the resources whose templates are verified with OSLO_CHECK:
  # one place declares how the checker is installed.
  module OsloCheckInstall
    def install_oslo_check
      directory ::File.dirname(OSLO_CHECK) do
        mode '0755'
      end

      cookbook_file OSLO_CHECK do
        cookbook 'ipv6_openstack_api'
        source 'oslo_check.py'
        mode '0755'
      end
    end
  end
end
