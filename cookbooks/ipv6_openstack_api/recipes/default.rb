#
# Cookbook:: ipv6_openstack_api
# Recipe:: default
#
# Site in, API services out, on the host the site names for each: memcached
# on ::1, Keystone and Placement under uwsgi on [::1]:<backend_port> behind
# the TLS edge, and every site endpoint in Keystone's catalog under its https
# name. Secrets come from the site's references and stay out of logs and argv.
# Glance, Nova, Neutron and the Cinder API (services.glance|nova|neutron|
# cinder_api): their settings only, written once their option definitions
# passed them; those services are neither installed nor started here.

site = Ipv6Common::Site.for_node(node)
plan = Ipv6OpenstackApi::Plan.new(site, node.name)

if plan.memcached
  memcached_version = Ipv6Common::SiteDelivery.package_version(site, 'memcached')
  package 'memcached' do
    version memcached_version
    not_if { Ipv6Common::Packages.installed?('memcached', memcached_version) }
  end

  template '/etc/memcached.conf' do
    cookbook 'ipv6_openstack_api'
    source 'memcached.conf.erb'
    mode '0644'
    variables(plan.memcached)
    # Written in place: in a container or network namespace /etc/memcached.conf is often a file
    # bind mount, which a rename cannot replace (EBUSY).
    atomic_update false
    notifies :restart, 'service[memcached]', :delayed
  end

  service 'memcached' do
    supports status: true, restart: true
    action [:enable, :start]
  end
end

if (keystone = plan.keystone)
  manage = 'keystone-manage --config-file /etc/keystone/keystone.conf'
  ipv6_openstack_api_bind 'keystone' do
    db_sync "#{manage} db_sync"
    db_synced_if "#{manage} db_sync --check"
    backend_port keystone[:backend_port]
    processes keystone[:workers]
    database_connection 'sqlite:////var/lib/keystone/keystone.db'
    cache_backend plan.cache_backend
    memcache_servers plan.memcache_servers
    options('token' => { 'provider' => 'fernet' },
            'DEFAULT' => { 'log_file' => '/var/log/keystone/keystone.log' })
    package_version Ipv6Common::SiteDelivery.package_version(site, 'keystone')
  end

  { 'fernet_setup' => 'fernet-keys', 'credential_setup' => 'credential-keys' }.each do |step, dir|
    execute "keystone-manage #{step}" do
      command "#{manage} #{step} --keystone-user keystone --keystone-group keystone"
      creates "/etc/keystone/#{dir}/0"
    end
  end

  # The admin's password reaches keystone-manage in its environment only;
  # the stamp (a digest of what was bootstrapped, 0600) makes the step run
  # again only when the password or the URLs change.
  stamp = '/etc/keystone/.bootstrapped'
  execute 'keystone-manage bootstrap' do
    command "#{manage} bootstrap --bootstrap-admin-url #{keystone[:url]} --bootstrap-public-url #{keystone[:url]} " \
            "--bootstrap-internal-url #{keystone[:url]} --bootstrap-region-id #{keystone[:region]}"
    environment('OS_BOOTSTRAP_PASSWORD' => keystone[:admin_password])
    sensitive true
    not_if { ::File.exist?(stamp) && ::File.read(stamp).strip == keystone[:stamp] }
    notifies :create, "file[#{stamp}]", :immediately
  end

  file stamp do
    content "#{keystone[:stamp]}\n"
    mode '0600'
    sensitive true
    action :nothing
  end

  ruby_block 'Keystone answers on its backend' do
    block { Ipv6OpenstackApi::Plan.wait_for_keystone(keystone[:backend_port], keystone[:admin_password]) }
    not_if { Ipv6OpenstackApi::Plan.keystone_ready?(keystone[:backend_port], keystone[:admin_password]) }
  end

  plan.catalog.each do |name, entry|
    ipv6_openstack_api_catalog_endpoint name do
      service_type entry[:type]
      urls entry[:urls]
      region keystone[:region]
      keystone_port keystone[:backend_port]
      admin_password keystone[:admin_password]
    end
  end

  plan.service_users.each do |user, password|
    ipv6_openstack_api_service_user user do
      password password
      keystone_port keystone[:backend_port]
      admin_password keystone[:admin_password]
    end
  end
end

if (placement = plan.placement)
  ipv6_openstack_api_bind 'placement' do
    db_sync 'placement-manage --config-file /etc/placement/placement.conf db sync'
    db_synced_if 'test -s /var/lib/placement/placement.db'
    backend_port placement[:backend_port]
    processes placement[:workers]
    database_connection 'sqlite:////var/lib/placement/placement.db'
    auth_url placement[:auth_url]
    ca_file site.ca_bundle
    service_user 'placement'
    service_password placement[:password]
    cache_backend plan.cache_backend
    memcache_servers plan.memcache_servers
    options('DEFAULT' => { 'log_file' => '/var/log/placement/placement.log' })
    package_version Ipv6Common::SiteDelivery.package_version(site, 'placement-api')
  end
end

plan.configs.each do |service, config|
  ipv6_openstack_api_config service do
    bind_address config[:bind_address]
    backend_port config[:backend_port]
    my_ip config[:my_ip] if config[:my_ip]
    transport_url config[:transport_url] if config[:transport_url]
    database_connections config[:database_connections]
    cache_backend config[:cache_backend]
    memcache_servers config[:memcache_servers]
    auth_url config[:auth_url]
    service_password config[:service_password]
    service_urls config[:service_urls] if config[:service_urls]
    ca_file config[:ca_file]
    region config[:region]
    package_version Ipv6Common::SiteDelivery.package_version(site, Ipv6OpenstackApi::Settings::CONFIGS[service]['package'])
  end
end
