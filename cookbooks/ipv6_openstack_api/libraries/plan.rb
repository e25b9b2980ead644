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
