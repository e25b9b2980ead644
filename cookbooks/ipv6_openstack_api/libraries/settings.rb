# frozen_string_literal: true

module Ipv6OpenstackApi
  # One service's settings file as data (section => { option => value }),
  # shared by ipv6_openstack_api_bind (the services run here under uwsgi) and
  # ipv6_openstack_api_config (the services whose settings are only written
  # and checked): the memcached form, the URL rule, keystone_authtoken, the
  # checker's command line. Plain Ruby, so the unit tests render a file the
  # way a converge does (test/unit/render_api_config.rb).
  module Settings
    # Debian (Zed) packaging of the services whose settings are written and
    # checked against their option definitions without the service running:
    # the package holding the definitions (python3-<service>, no daemon), the
    # file, the options that bind and their port, my_ip where the service has
    # it, its database sections, whether it has oslo.cache options, and the
    # oslo.config namespaces of its config-generator file.
    CONFIGS = {
      'glance' => {
        'package' => 'python3-glance', 'conf' => '/etc/glance/glance-api.conf', 'state_dir' => '/var/lib/glance',
        'listen' => %w(DEFAULT bind_host), 'port' => %w(DEFAULT bind_port), 'my_ip' => nil,
        'databases' => %w(database), 'cache_section' => false,
        'namespaces' => %w(glance.api glance.store glance.multi_store oslo.concurrency oslo.messaging oslo.db
                           oslo.db.concurrency oslo.policy keystonemiddleware.auth_token oslo.limit oslo.log
                           oslo.middleware.cors oslo.middleware.healthcheck oslo.middleware.http_proxy_to_wsgi),
        'options' => {
          'DEFAULT' => { 'workers' => 1 }, 'paste_deploy' => { 'flavor' => 'keystone' },
          'glance_store' => { 'stores' => 'file,http', 'default_store' => 'file',
                              'filesystem_store_datadir' => '/var/lib/glance/images/' }
        }
      },
      'nova' => {
        'package' => 'python3-nova', 'conf' => '/etc/nova/nova.conf', 'state_dir' => '/var/lib/nova',
        'listen' => %w(DEFAULT osapi_compute_listen), 'port' => %w(DEFAULT osapi_compute_listen_port),
        'my_ip' => %w(DEFAULT my_ip), 'databases' => %w(database api_database), 'cache_section' => true,
        'namespaces' => %w(nova.conf keystonemiddleware.auth_token oslo.log oslo.messaging oslo.policy oslo.privsep
                           oslo.service.periodic_task oslo.service.service oslo.db oslo.db.concurrency oslo.middleware
                           oslo.concurrency oslo.reports oslo.versionedobjects os_vif osprofiler),
        'options' => { 'DEFAULT' => { 'enabled_apis' => 'osapi_compute', 'osapi_compute_workers' => 1 },
                       'oslo_concurrency' => { 'lock_path' => '/var/lib/nova/tmp' } }
      },
      'neutron' => {
        'package' => 'python3-neutron', 'conf' => '/etc/neutron/neutron.conf', 'state_dir' => '/var/lib/neutron',
        'listen' => %w(DEFAULT bind_host), 'port' => %w(DEFAULT bind_port), 'my_ip' => nil,
        'databases' => %w(database), 'cache_section' => false,
        'namespaces' => %w(neutron neutron.agent neutron.db neutron.extensions nova.auth oslo.log oslo.db oslo.policy
                           oslo.concurrency oslo.messaging oslo.middleware.cors oslo.middleware.http_proxy_to_wsgi
                           oslo.service.sslutils oslo.service.wsgi keystonemiddleware.auth_token),
        # Debian's neutron-api init script exits 0 without starting unless core_plugin is set.
        'options' => { 'DEFAULT' => { 'core_plugin' => 'ml2', 'api_workers' => 1, 'auth_strategy' => 'keystone' },
                       'oslo_concurrency' => { 'lock_path' => '/var/lib/neutron/lock' } }
      },
      # cinder.conf belongs to ipv6_cinder (cinder-volume and its target);
      # the API's settings are a second file, read after it
      # (--config-file /etc/cinder/cinder.conf --config-file /etc/cinder/cinder-api.conf).
      'cinder' => {
        'package' => 'python3-cinder', 'conf' => '/etc/cinder/cinder-api.conf', 'state_dir' => '/var/lib/cinder',
        'listen' => %w(DEFAULT osapi_volume_listen), 'port' => %w(DEFAULT osapi_volume_listen_port),
        'my_ip' => %w(DEFAULT my_ip), 'databases' => %w(database), 'cache_section' => false,
        'namespaces' => %w(cinder castellan.config keystonemiddleware.auth_token osprofiler oslo.config oslo.concurrency
                           oslo.db oslo.log oslo.messaging oslo.middleware oslo.policy oslo.privsep oslo.reports
                           oslo.service.periodic_task oslo.service.service oslo.service.sslutils oslo.service.wsgi
                           oslo.versionedobjects os_brick),
        'options' => { 'DEFAULT' => { 'osapi_volume_workers' => 1, 'auth_strategy' => 'keystone' },
                       'oslo_concurrency' => { 'lock_path' => '/var/lib/cinder/tmp' } }
      },
    }.freeze

    # Sections of nova.conf that reach another service through keystoneauth;
    # [glance] passes on the user's token and has no credentials of its own.
    CLIENT_SECTIONS = %w(placement glance neutron).freeze
    AUTH_CLIENT_SECTIONS = %w(placement neutron).freeze

    module_function

    # The memcache_servers problem, or nil: each server in the form the backend parses.
    def memcache_problem(where, backend, servers)
      return if servers.empty? || Validate.memcache_form?(backend, servers)

      example = Ipv6OpenstackApi.memcache_servers(backend, [['::1', 11_211]]).first
      Ipv6Common::Problem.new(
        "#{where} memcache_servers", 'memcache_form',
        "#{where} memcache_servers: #{servers.join(',')} is not the form #{backend} parses " \
        "(there #{CACHE_BACKENDS[backend][:wrong]}); write #{example}"
      )
    end

    # Problems of URLs that carry a password: the message names the property and the host part only.
    def url_problems(where, urls)
      urls.filter_map do |name, url|
        next if url.nil? || Validate.bracketed_url?(url)

        Ipv6Common::Problem.new("#{where} #{name}", 'unbracketed_url',
                                "#{where} #{name}: the host #{Ipv6OpenstackApi.url_host_part(url).inspect} is not a DNS name " \
                                'or a bracketed IPv6 literal (an IPv4 address, or an unbracketed IPv6 one, which ' \
                                'oslo cannot parse); write SCHEME://USER:PASSWORD@[2001:db8::11]:PORT/PATH')
      end
    end

    def check!(where, backend:, servers:, urls:)
      problems = [memcache_problem(where, backend, servers), *url_problems(where, urls)].compact
      raise Ipv6Common::ConfigError, problems unless problems.empty?
    end

    # keystoneauth's password plugin as a service user of project service.
    def service_auth(auth_url:, user:, password:, ca_file: nil, region: nil)
      { 'auth_url' => auth_url, 'auth_type' => 'password', 'project_domain_name' => 'Default',
        'user_domain_name' => 'Default', 'project_name' => 'service', 'username' => user, 'password' => password,
        'cafile' => ca_file, 'region_name' => region }
    end

    # [keystone_authtoken]: the https name of Keystone for users and for the middleware, the token cache.
    def authtoken(auth_url:, user:, password:, memcache_servers:, ca_file: nil)
      auth = service_auth(auth_url: auth_url, user: user, password: password, ca_file: ca_file)
      auth.delete('region_name')
      auth['www_authenticate_uri'] = auth_url
      auth['memcached_servers'] = memcache_servers.join(',') unless memcache_servers.empty?
      auth
    end

    # [cache] for services with oslo.cache options.
    def cache(backend, servers)
      { 'enabled' => 'true', 'backend' => backend, 'memcache_servers' => servers.join(',') }
    end

    # Sections sorted, nil values dropped, values as strings: the file only changes when the data does.
    def render(data)
      data.sort.to_h { |name, values| [name.to_s, values.compact.transform_keys(&:to_s).sort.to_h { |k, v| [k, v.to_s] }] }
          .reject { |_name, values| values.empty? }
    end

    def merge(data, options)
      options.each { |section, values| (data[section.to_s] ||= {}).merge!(values.transform_keys(&:to_s)) }
      data
    end

    # The settings of one CONFIGS service, from the properties of its resource (a Hash of symbols).
    def config_sections(service, props)
      spec = CONFIGS.fetch(service)
      data = Hash.new { |h, k| h[k] = {} }
      merge(data, spec['options'])
      listen_section, listen = spec['listen']
      port_section, port = spec['port']
      data[listen_section][listen] = props.fetch(:bind_address)
      data[port_section][port] = Integer(props.fetch(:backend_port))
      if spec['my_ip'] && props[:my_ip]
        ip_section, ip_option = spec['my_ip']
        data[ip_section][ip_option] = props[:my_ip]
      end
      data['DEFAULT']['transport_url'] = props[:transport_url]
      connections = props[:database_connections] || {}
      spec['databases'].each { |db| data[db]['connection'] = connections[db] }
      servers = props[:memcache_servers] || []
      data['cache'].merge!(cache(props[:cache_backend], servers)) if spec['cache_section'] && !servers.empty?
      user = props[:service_user] || service
      if props[:auth_url]
        data['keystone_authtoken'].merge!(authtoken(auth_url: props[:auth_url], user: user, password: props[:service_password],
                                                    memcache_servers: servers, ca_file: props[:ca_file]))
      end
      (props[:service_urls] || {}).each do |client, url|
        if AUTH_CLIENT_SECTIONS.include?(client)
          data[client].merge!(service_auth(auth_url: props[:auth_url], user: user, password: props[:service_password]))
        end
        data[client].merge!('cafile' => props[:ca_file], 'region_name' => props[:region], 'endpoint_override' => url)
      end
      merge(data, props[:options] || {})
      render(data)
    end

    # The checker the template's verify runs: the service's namespaces and
    # the options that must hold a bare IPv6 literal.
    def checker(namespaces, ipv6_addresses = [])
      args = namespaces.map { |n| "--namespace #{n}" } + ipv6_addresses.map { |o| "--ipv6-address #{o}" }
      "/usr/bin/python3 #{OSLO_CHECK} #{args.join(' ')} %{path}"
    end

    def address_options(service)
      spec = CONFIGS.fetch(service)
      [spec['listen'], spec['my_ip']].compact.map { |section, option| "#{section}.#{option}" }
    end
  end
end
