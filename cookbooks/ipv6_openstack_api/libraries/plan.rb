# frozen_string_literal: true

require 'digest'

module Ipv6OpenstackApi
  # What the site asks of one host, as plain data for the recipe: which of
  # memcached, Keystone and Placement run here, their ports, workers, the
  # memcached form of the configured backend, the catalog and the service
  # users. Refuses a site this cookbook cannot deploy, naming the key.
  class Plan
    attr_reader :site, :host

    def initialize(site, host)
      @site = site
      @host = host.to_s
    end

    def services
      site.services || {}
    end

    def here?(name)
      services[name] && services[name]['host'] == host
    end

    def memcached
      return unless here?('memcached')

      { listen: '::1', port: services['memcached']['port'], memory_mb: 64, max_connections: 1024 }
    end

    def cache_backend
      (services['memcached'] || {})['backend'] || 'oslo_cache.memcache_pool'
    end

    # memcached listens on ::1 of its host, so the API services must share it.
    def memcache_servers
      memcached_service = services['memcached']
      return [] unless memcached_service

      unless memcached_service['host'] == host
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          'services.memcached.host', 'memcached_elsewhere',
          "services.memcached.host: #{memcached_service['host']} is not #{host}, where the API services run; " \
          'memcached listens on ::1 only, so put it on the same host'
        )
      end
      Ipv6OpenstackApi.memcache_servers(cache_backend, [['::1', memcached_service['port']]])
    end

    def endpoint(name)
      site.endpoints.fetch(name) do
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          "endpoints.#{name}", 'missing', "endpoints.#{name}: services.#{name} is described but its endpoint is not; " \
                                          "add endpoints.#{name} (host, fqdn, port, backend_port, cert, key)"
        )
      end
    end

    def keystone
      return unless here?('keystone')

      service = services['keystone']
      ep = endpoint('keystone')
      url = Ipv6OpenstackApi.catalog_url('keystone', ep)
      password = Ipv6OpenstackApi.secret(service['admin_password'], path: 'services.keystone.admin_password')
      { backend_port: ep['backend_port'], workers: service['workers'] || 1, region: service['region'] || 'RegionOne',
        url: url, admin_password: password,
        stamp: Digest::SHA256.hexdigest([password, url, service['region']].join("\0")) }
    end

    def placement
      return unless here?('placement')

      service = services['placement']
      ep = endpoint('placement')
      { backend_port: ep['backend_port'], workers: service['workers'] || 1,
        auth_url: Ipv6OpenstackApi.https_url(endpoint('keystone')['fqdn'], endpoint('keystone')['port']),
        password: Ipv6OpenstackApi.secret(service['password'], path: 'services.placement.password') }
    end

    # Site key of each service whose settings are written and checked only (never started).
    CONFIG_KEYS = { 'glance' => 'glance', 'nova' => 'nova', 'neutron' => 'neutron', 'cinder' => 'cinder_api' }.freeze

    # The properties of ipv6_openstack_api_config for every such service the
    # site puts on this host: bare ::1 and the endpoint's backend port,
    # Keystone and the other endpoints by their https names, the broker
    # bracketed, memcached in the backend's form, my_ip bare.
    def configs
      CONFIG_KEYS.each_with_object({}) do |(service, key), found|
        next unless here?(key)

        spec = Settings::CONFIGS.fetch(service)
        props = { bind_address: '::1', backend_port: endpoint(service)['backend_port'], transport_url: transport_url,
                  database_connections: databases(service, spec), cache_backend: cache_backend,
                  memcache_servers: memcache_servers, auth_url: keystone_url, ca_file: site.ca_bundle,
                  region: (services['keystone'] || {})['region'] || 'RegionOne',
                  service_password: Ipv6Common::Secret.read(services[key]['password'], path: "services.#{key}.password") }
        props[:my_ip] = site.addresses(host).first.to_s if spec['my_ip']
        props[:service_urls] = client_urls if service == 'nova'
        found[service] = props
      end
    end

    def keystone_url
      ep = endpoint('keystone')
      Ipv6OpenstackApi.https_url(ep['fqdn'], ep['port'])
    end

    # Nova's client sections: every one whose endpoint the site describes.
    def client_urls
      Settings::CLIENT_SECTIONS.each_with_object({}) do |name, urls|
        ep = site.endpoints[name]
        urls[name] = Ipv6OpenstackApi.https_url(ep['fqdn'], ep['port']) if ep
      end
    end

    # One sqlite file per database section in the service's state directory (no network database in the site).
    def databases(service, spec)
      spec['databases'].to_h do |section|
        file = section == 'database' ? service : "#{service}_#{section.delete_suffix('_database')}"
        [section, "sqlite:///#{spec['state_dir']}/#{file}.sqlite"]
      end
    end

    # oslo.messaging's URL: the broker host's first site address (bracketed by
    # TransportUrl), the first user and vhost of services.rabbitmq.
    def transport_url
      rabbitmq = services['rabbitmq']
      user, entry = (rabbitmq && rabbitmq['users'] || {}).first
      return unless user

      Ipv6Common::TransportUrl.render(
        [{ 'host' => site.addresses(rabbitmq['host']).first.to_s, 'port' => rabbitmq['port'], 'user' => user,
           'password' => Ipv6Common::Secret.read(entry['password'], path: "services.rabbitmq.users.#{user}.password") }],
        vhost: Array(rabbitmq['vhosts']).first || '/openstack', path: 'services.rabbitmq'
      )
    end

    # Every site endpoint, on every interface, under its https name; not the broker's management UI
    # (services.rabbitmq.management_endpoint), which is no OpenStack API.
    def catalog
      management = (services['rabbitmq'] || {})['management_endpoint']
      site.endpoints.reject { |name, _ep| name == management }.sort.to_h do |name, ep|
        url = Ipv6OpenstackApi.catalog_url(name, ep)
        [name, { type: Ipv6OpenstackApi.catalog_type(name), urls: INTERFACES.to_h { |i| [i, url] } }]
      end
    end

    def service_users
      return {} unless services['placement']

      { 'placement' => Ipv6OpenstackApi.secret(services['placement']['password'], path: 'services.placement.password') }
    end

    def self.keystone_ready?(port, password)
      Identity.new(port: port, password: password, timeout: 5).token
      true
    rescue Identity::Error
      false
    end

    # Keystone's first token comes ~2.6 s after start; poll with a deadline.
    def self.wait_for_keystone(port, password, timeout: 90, interval: 0.5)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      until keystone_ready?(port, password)
        if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
          raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
            'keystone', 'not_answering', "keystone: no token from [::1]:#{port} within #{timeout} s; " \
                                         'see /var/log/keystone/uwsgi.log and keystone.log'
          )
        end
        sleep interval
      end
    end
  end
end
