unified_mode true
provides :ipv6_openstack_api_config

description 'The settings file of one OpenStack API service that this cookbook does not run (Glance, Nova, ' \
            'Neutron, the Cinder API): bound to a bare IPv6 address and the endpoint\'s backend port, URLs ' \
            'bracketed or by name, written only after the staged file passed the service\'s own option ' \
            'definitions (python3-<service>, which holds no daemon). No service is installed or started.'

property :service, String,
         name_property: true,
         equal_to: Ipv6OpenstackApi::Settings::CONFIGS.keys,
         description: 'The service (Debian Zed packaging): glance, nova, neutron or cinder (its API).'

property :path, String,
         default: lazy { Ipv6OpenstackApi::Settings::CONFIGS.fetch(service)['conf'] },
         description: 'The settings file (glance-api.conf, nova.conf, neutron.conf, cinder-api.conf).',
         callbacks: { 'is not an absolute path; write /etc/SERVICE/FILE' => ->(v) { Ipv6OpenstackApi::Validate.absolute_path?(v) } }

property :bind_address, String,
         default: '::1',
         description: 'Bare IPv6 literal the API binds (bind_host, osapi_compute_listen, osapi_volume_listen); ::1 ' \
                      'behind the edge. IPv4 and the wildcard are refused.',
         coerce: proc { |v| v.is_a?(String) ? Ipv6Common::Address.parse(v, path: "bind_address #{v}", allow: [:loopback]).to_s : v }

property :backend_port, Integer,
         required: true,
         description: 'Port of the API on bind_address (the site endpoint\'s backend_port).',
         callbacks: { 'is not a port; use 1..65535 (endpoints.NAME.backend_port)' => ->(v) { Ipv6OpenstackApi::Validate.port?(v) } }

property :my_ip, String,
         description: 'oslo my_ip (Nova, Cinder): the bare IPv6 literal of the host (my_ip rejects brackets).',
         callbacks: {
           'is not a bare IPv6 literal; write the host\'s first address in hosts.HOST.addresses, without brackets' =>
             ->(v) { Ipv6OpenstackApi::Validate.bare_ipv6?(v) },
         }

property :transport_url, String,
         sensitive: true,
         description: 'oslo.messaging URL from Ipv6Common::TransportUrl (services.rabbitmq); an IPv6 host must be ' \
                      'bracketed. Checked in the action, where the message can leave the password out.'

property :database_connections, Hash,
         default: {},
         sensitive: true,
         description: 'oslo.db URL per database section (database, and api_database for Nova); an IPv6 host must be ' \
                      'bracketed. Checked in the action, like transport_url.'

property :cache_backend, String,
         default: 'oslo_cache.memcache_pool',
         equal_to: Ipv6OpenstackApi::CACHE_BACKENDS.keys,
         description: 'oslo.cache backend (site services.memcached.backend); it decides the form of memcache_servers.'

property :memcache_servers, Array,
         default: [],
         description: 'memcached servers for keystone_authtoken (and [cache] where the service has it), in the form ' \
                      'cache_backend parses; a mismatch fails quietly in the service, so it is refused.'

property :auth_url, String,
         description: 'Keystone\'s https URL by name: [keystone_authtoken] www_authenticate_uri and auth_url, and the ' \
                      'auth_url of the client sections.',
         callbacks: {
           'is not an https URL with a DNS name; use the identity endpoint (endpoints.keystone), e.g. https://keystone.example.net:5000' =>
             ->(v) { Ipv6OpenstackApi::Validate.https_name_url?(v) },
         }

property :service_user, String,
         description: 'The service\'s Keystone user (project service); default: the service name.'

property :service_password, String,
         sensitive: true,
         description: 'Password of service_user, from the site\'s secret reference (services.NAME.password).'

property :service_urls, Hash,
         default: {},
         description: 'Client sections (Nova: placement, glance, neutron) => the https endpoint URL by name, written as ' \
                      'endpoint_override with the service user\'s credentials.',
         callbacks: {
           'holds a URL that is not https on a DNS name; use the site endpoint\'s https://FQDN:PORT' =>
             ->(v) { v.values.all? { |url| Ipv6OpenstackApi::Validate.https_name_url?(url) } },
         }

property :ca_file, String,
         description: 'CA bundle the service trusts for the edge\'s certificates (site pki.ca_bundle).',
         callbacks: { 'is not an absolute path; write pki.ca_bundle as /path/ca.pem' => ->(v) { Ipv6OpenstackApi::Validate.absolute_path?(v) } }

property :region, String,
         default: 'RegionOne',
         description: 'Region of the client sections (site services.keystone.region).'

property :options, Hash,
         default: {},
         description: 'Further settings, section => { option => value }, merged over what the properties set.'

property :package_version, [String, nil],
         description: 'Debian version of the python3-<service> package to pin (site packages.PACKAGE).'

action_class do
  include Ipv6OpenstackApi::OsloCheckInstall

  def spec
    Ipv6OpenstackApi::Settings::CONFIGS.fetch(new_resource.service)
  end

  def where
    "ipv6_openstack_api_config[#{new_resource.service}]"
  end

  def check!
    r = new_resource
    if r.my_ip && spec['my_ip'].nil?
      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        "#{where} my_ip", 'unknown_option', "#{where} my_ip: #{r.service} has no my_ip option; leave my_ip out"
      )
    end
    urls = { 'transport_url' => r.transport_url }
    r.database_connections.each { |section, url| urls["database_connections[#{section}]"] = url }
    Ipv6OpenstackApi::Settings.check!(where, backend: r.cache_backend, servers: r.memcache_servers, urls: urls)
  end

  def sections
    r = new_resource
    Ipv6OpenstackApi::Settings.config_sections(
      r.service,
      bind_address: r.bind_address, backend_port: r.backend_port, my_ip: r.my_ip, transport_url: r.transport_url,
      database_connections: r.database_connections, cache_backend: r.cache_backend, memcache_servers: r.memcache_servers,
      auth_url: r.auth_url, service_user: r.service_user, service_password: r.service_password,
      service_urls: r.service_urls, ca_file: r.ca_file, region: r.region, options: r.options
    )
  end
end

action :create do
  description 'Install the option definitions, write the settings file once the staged copy passed them.'

  check!
  settings = Ipv6OpenstackApi::Settings

  pinned = new_resource.package_version
  package spec['package'] do
    version pinned if pinned
    not_if { Ipv6Common::Packages.installed?(spec['package'], pinned) }
  end

  install_oslo_check

  directory ::File.dirname(new_resource.path) do
    mode '0755'
  end

  # Root's only: the service's user exists once its daemon package is installed, which this resource leaves out.
  template new_resource.path do
    cookbook 'ipv6_openstack_api'
    source 'service.conf.erb'
    owner 'root'
    group 'root'
    mode '0640'
    sensitive true
    variables(sections: sections, service: new_resource.service)
    verify settings.checker(spec['namespaces'], settings.address_options(new_resource.service))
  end
end
