unified_mode true
provides :ipv6_openstack_api_bind

description 'One OpenStack API service under uwsgi on a loopback or site IPv6 address: its configuration file ' \
            '(checked against the service\'s own option definitions before it replaces the live one), our own ' \
            'uwsgi ini (no AppArmor plugin, templated processes), DAEMON_ARGS in /etc/default (the init script ' \
            'hard-codes a wildcard `:PORT`), and the service enabled and started; a change restarts it.'

property :service, String,
         name_property: true,
         equal_to: Ipv6OpenstackApi::SERVICES.keys,
         description: 'The service (Debian Zed packaging): keystone or placement.'

property :bind_address, String,
         default: '::1',
         description: 'IPv6 address uwsgi binds, bare (brackets are added on the command line); ::1 behind the edge.',
         coerce: proc { |v| v.is_a?(String) ? Ipv6Common::Address.parse(v, path: "bind_address #{v}", allow: [:loopback]).to_s : v }

property :backend_port, Integer,
         required: true,
         description: 'Port of the service on bind_address (the site endpoint\'s backend_port).',
         callbacks: { 'is not a port; use 1..65535' => ->(v) { Ipv6OpenstackApi::Validate.port?(v) } }

property :processes, Integer,
         default: 1,
         description: 'uwsgi worker processes (site services.NAME.workers); the edge limits each backend to processes x threads.',
         callbacks: { 'must be 1..64' => ->(v) { v.between?(1, 64) } }

property :threads, Integer,
         default: 1,
         description: 'Threads per uwsgi worker.',
         callbacks: { 'must be 1..16' => ->(v) { v.between?(1, 16) } }

property :database_connection, String,
         sensitive: true,
         description: 'oslo.db URL of the service\'s database; an IPv6 host must be bracketed ' \
                      '(mysql+pymysql://USER:PASSWORD@[2001:db8::5]/keystone). Checked in the action, where the ' \
                      'message can leave the password out.'

property :transport_url, String,
         sensitive: true,
         description: 'oslo.messaging URL (rabbit://USER:PASSWORD@[2001:db8::11]:5672/VHOST); an IPv6 host must be ' \
                      'bracketed. Checked in the action, like database_connection.'

property :my_ip, String,
         description: 'oslo my_ip: the bare IPv6 literal (my_ip rejects brackets).',
         callbacks: {
           'is not a bare IPv6 literal; write it without brackets, e.g. 2001:db8::11' =>
             ->(v) { Ipv6OpenstackApi::Validate.bare_ipv6?(v) },
         }

property :cache_backend, String,
         default: 'oslo_cache.memcache_pool',
         equal_to: Ipv6OpenstackApi::CACHE_BACKENDS.keys,
         description: 'oslo.cache backend ([cache] backend); it decides the form of memcache_servers.'

property :memcache_servers, Array,
         default: [],
         description: 'memcached servers for [cache] (and keystonemiddleware\'s memcached_servers), in the form ' \
                      'cache_backend parses: inet6:[::1]:11211 for oslo_cache.memcache_pool, [::1]:11211 for ' \
                      'dogpile.cache.pymemcache. A mismatch fails quietly in the service, so it is refused.'

property :auth_url, String,
         description: '[keystone_authtoken] auth_url and www_authenticate_uri: the https URL of the identity ' \
                      'endpoint\'s name (never an address).',
         callbacks: {
           'is not an https URL with a DNS name; use the identity endpoint, e.g. https://keystone.example.net:5000' =>
             ->(v) { Ipv6OpenstackApi::Validate.https_name_url?(v) },
         }

property :ca_file, String,
         callbacks: { 'is not an absolute path; use the site\'s pki.ca_bundle' => ->(v) { v.start_with?('/') } },
         description: 'The site\'s CA bundle (pki.ca_bundle): copied beside the service\'s settings as ca-bundle.pem, ' \
                      'readable by the service, and named in [keystone_authtoken] cafile, so that the middleware ' \
                      'verifies the identity endpoint with the organisation\'s CA (the system trust store need not hold it).'

property :service_user, String,
         description: '[keystone_authtoken] username of the service\'s Keystone user (project service).'

property :service_password, String,
         sensitive: true,
         description: 'Password of service_user, from the site\'s secret reference.'

property :options, Hash,
         default: {},
         description: 'Further settings, section => { option => value }, merged over what the properties set.'

property :db_sync, [String, nil],
         description: 'Command that creates or upgrades the service\'s database schema, run as the service user ' \
                      'after the configuration is written and before the service starts.'

property :db_synced_if, [String, nil],
         description: 'Command whose success shows the schema is current (the db_sync step is skipped then).'

property :package_version, [String, nil],
         description: 'Debian version to pin (site packages.PACKAGE); nil installs the candidate.'

action_class do
  include Ipv6OpenstackApi::OsloCheckInstall

  def spec
    Ipv6OpenstackApi::SERVICES.fetch(new_resource.service)
  end

  def where
    "ipv6_openstack_api_bind[#{new_resource.service}]"
  end

  def check!
    Ipv6OpenstackApi::Settings.check!(where, backend: new_resource.cache_backend, servers: new_resource.memcache_servers,
                                             urls: { 'database_connection' => new_resource.database_connection,
                                                     'transport_url' => new_resource.transport_url })
  end

  def sections
    r = new_resource
    settings = Ipv6OpenstackApi::Settings
    data = Hash.new { |h, k| h[k] = {} }
    data['DEFAULT']['my_ip'] = r.my_ip
    data['DEFAULT']['transport_url'] = r.transport_url
    db_section = r.service == 'placement' ? 'placement_database' : 'database'
    data[db_section]['connection'] = r.database_connection
    # Only Keystone has oslo.cache options; the others cache tokens through keystone_authtoken.
    data['cache'].merge!(settings.cache(r.cache_backend, r.memcache_servers)) if spec['cache_section'] && !r.memcache_servers.empty?
    if r.auth_url
      data['keystone_authtoken'].merge!(settings.authtoken(auth_url: r.auth_url, user: r.service_user || r.service,
                                                           password: r.service_password, memcache_servers: r.memcache_servers,
                                                           ca_file: r.ca_file && ca_copy))
      data['api']['auth_strategy'] = 'keystone'
    end
    settings.render(settings.merge(data, r.options))
  end

  # Where the service reads the site's CA bundle.
  def ca_copy
    ::File.join(::File.dirname(spec['conf']), 'ca-bundle.pem')
  end

  def checker
    Ipv6OpenstackApi::Settings.checker(spec['namespaces'])
  end
end

action :create do
  description 'Install the service, write its configuration, uwsgi ini and DAEMON_ARGS, start it.'

  check!
  svc = spec
  conf_dir = ::File.dirname(svc['conf'])
  ini = ::File.join(conf_dir, 'ipv6-uwsgi.ini')

  pinned = new_resource.package_version
  package svc['package'] do
    version pinned if pinned
    not_if { Ipv6Common::Packages.installed?(svc['package'], pinned) }
  end

  install_oslo_check

  # The service reads its configuration as its own user: the directory is
  # the service's, as Debian's packaging makes it (a copy made by root, in a
  # container or namespace, would lock the service out of its own files).
  directory conf_dir do
    owner svc['user']
    group svc['user']
    mode '0750'
  end

  directory svc['log_dir'] do
    owner svc['user']
    group 'adm'
    mode '0750'
  end

  if new_resource.ca_file
    file ca_copy do
      content lazy { ::File.read(new_resource.ca_file) }
      owner 'root'
      group svc['user']
      mode '0644'
      notifies :restart, "service[#{svc['daemon']}]", :delayed
    end
  end

  template svc['conf'] do
    cookbook 'ipv6_openstack_api'
    source 'service.conf.erb'
    owner 'root'
    group svc['user']
    mode '0640'
    sensitive true
    variables(sections: sections, service: new_resource.service)
    verify checker
    notifies :restart, "service[#{svc['daemon']}]", :delayed
  end

  template ini do
    cookbook 'ipv6_openstack_api'
    source 'uwsgi.ini.erb'
    owner 'root'
    group svc['user']
    mode '0644'
    variables(settings: {
                'wsgi-file' => svc['wsgi'], 'processes' => new_resource.processes,
                'threads' => new_resource.threads, 'log' => ::File.join(svc['log_dir'], 'uwsgi.log')
              })
    notifies :restart, "service[#{svc['daemon']}]", :delayed
  end

  template "/etc/default/#{svc['daemon']}" do
    cookbook 'ipv6_openstack_api'
    source 'default.erb'
    mode '0644'
    variables(daemon_args: Ipv6OpenstackApi.daemon_args(new_resource.bind_address, new_resource.backend_port, ini))
    notifies :restart, "service[#{svc['daemon']}]", :delayed
  end

  if new_resource.db_sync
    # The stamp records the package version and the database the schema was
    # last found current for: a run with neither changed skips the schema
    # check (several seconds of the service's own start-up); an upgrade or
    # another database runs the check, and db_sync when it fails.
    schema_stamp = ::File.join(conf_dir, '.schema-current')
    schema_key = lambda do
      Ipv6OpenstackApi.schema_stamp(Ipv6Common::Packages.version(svc['package']), new_resource.database_connection)
    end
    execute "#{new_resource.service} database schema" do
      command new_resource.db_sync
      user svc['user']
      group svc['user']
      not_if { ::File.exist?(schema_stamp) && ::File.read(schema_stamp).strip == schema_key.call }
      not_if new_resource.db_synced_if, user: svc['user'], group: svc['user'] if new_resource.db_synced_if
      notifies :restart, "service[#{svc['daemon']}]", :delayed
    end

    file schema_stamp do
      content lazy { "#{schema_key.call}\n" }
      mode '0600'
    end
  end

  service svc['daemon'] do
    supports status: true, restart: true
    action [:enable, :start]
  end
end
