require 'spec_helper'

describe 'ipv6_openstack_api::default' do
  platform 'debian', '12'

  SECRET_DIR = Dir.mktmpdir('api-secrets')
  at_exit { FileUtils.rm_rf(SECRET_DIR) }

  def self.site_with_secrets
    data = SiteFiles.lab
    { 'keystone' => 'admin_password', 'placement' => 'password' }.each do |service, key|
      path = File.join(SECRET_DIR, service)
      File.write(path, "#{service}-secret\n")
      data['services'][service][key] = { 'file' => path }
    end
    data
  end

  let(:identity) { instance_double(Ipv6OpenstackApi::Identity) }
  before do
    allow(Ipv6OpenstackApi::Plan).to receive(:keystone_ready?).and_return(true)
    allow(Ipv6OpenstackApi::Identity).to receive(:new).and_return(identity)
    allow(identity).to receive(:service).and_return(nil)
    allow(identity).to receive(:endpoints).and_return([])
    stub_command('keystone-manage --config-file /etc/keystone/keystone.conf db_sync --check').and_return(false)
    stub_command('test -s /var/lib/placement/placement.db').and_return(false)
  end

  context 'on the lab controller' do
    let(:site_file) { SiteFiles.write(self.class.site_with_secrets) }
    cached(:chef_run) { nil }
    subject(:run) do
      ChefSpec::SoloRunner.new(platform: 'debian', version: '12', step_into: %w(ipv6_openstack_api_bind)) do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end.converge(described_recipe)
    end

    it 'runs memcached on ::1 only, without UDP' do
      lines = rendered_lines('/etc/memcached.conf', run)
      expect(lines).to include('-l ::1', '-p 11211', '-U 0')
      expect(lines.grep(/127\.0\.0\.1/)).to be_empty
    end

    it 'binds Keystone and Placement to [::1] on their backend ports' do
      expect(rendered_lines('/etc/default/keystone', run)).to include(
        'DAEMON_ARGS="--http-socket [::1]:5000 --ini /etc/keystone/ipv6-uwsgi.ini"'
      )
      expect(rendered_lines('/etc/default/placement-api', run)).to include(
        'DAEMON_ARGS="--http-socket [::1]:8778 --ini /etc/placement/ipv6-uwsgi.ini"'
      )
    end

    it 'gives both services memcached in the form of the site\'s backend' do
      expect(rendered_lines('/etc/keystone/keystone.conf', run)).to include('memcache_servers = inet6:[::1]:11211')
      expect(rendered_lines('/etc/placement/placement.conf', run)).to include('memcached_servers = inet6:[::1]:11211')
    end

    it 'points Placement\'s authtoken at Keystone\'s https name' do
      expect(rendered_lines('/etc/placement/placement.conf', run)).to include(
        'www_authenticate_uri = https://keystone.lab.example.net:5000', 'auth_url = https://keystone.lab.example.net:5000'
      )
    end

    it 'bootstraps with the admin password in the environment only, never in argv or the log' do
      bootstrap = run.execute('keystone-manage bootstrap')
      expect(bootstrap.environment).to eq('OS_BOOTSTRAP_PASSWORD' => 'keystone-secret')
      expect(bootstrap.command).not_to include('keystone-secret')
      expect(bootstrap.command).to include('--bootstrap-public-url https://keystone.lab.example.net:5000/v3')
      expect(bootstrap.sensitive).to be(true)
    end

    it 'registers every site endpoint under its https name on all three interfaces' do
      url = 'https://nova.lab.example.net:8774/v2.1'
      expect(run).to create_ipv6_openstack_api_catalog_endpoint('nova').with(
        service_type: 'compute', urls: { 'public' => url, 'internal' => url, 'admin' => url }
      )
      %w(keystone glance neutron placement cinder).each do |name|
        expect(run).to create_ipv6_openstack_api_catalog_endpoint(name)
      end
    end

    it 'creates Placement\'s service user with the site\'s password' do
      expect(run).to create_ipv6_openstack_api_service_user('placement').with(password: 'placement-secret')
    end
  end

  context 'with Glance, Nova, Neutron and the Cinder API on the controller' do
    let(:site_file) do
      data = self.class.site_with_secrets
      %w(rabbitmq glance nova neutron cinder).each { |name| File.write(File.join(SECRET_DIR, "#{name}-config"), "#{name}-secret\n") }
      data['services']['rabbitmq']['users']['openstack']['password'] = { 'file' => File.join(SECRET_DIR, 'rabbitmq-config') }
      { 'glance' => 'glance', 'nova' => 'nova', 'neutron' => 'neutron', 'cinder_api' => 'cinder' }.each do |key, name|
        data['services'][key] = { 'host' => 'ctl1', 'password' => { 'file' => File.join(SECRET_DIR, "#{name}-config") } }
      end
      SiteFiles.write(data)
    end
    cached(:chef_run) { nil }
    subject(:run) do
      ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end.converge(described_recipe)
    end

    it 'writes each service\'s settings on ::1 and its endpoint\'s backend port, Keystone by name' do
      { 'glance' => 9292, 'nova' => 8774, 'neutron' => 9696, 'cinder' => 8776 }.each do |service, port|
        expect(run).to create_ipv6_openstack_api_config(service).with(
          bind_address: '::1', backend_port: port, auth_url: 'https://keystone.lab.example.net:5000',
          memcache_servers: ['inet6:[::1]:11211'], ca_file: '/var/lib/v6lab/pki/ca.pem',
          service_password: "#{service}-secret"
        )
      end
    end

    it 'gives the broker bracketed from services.rabbitmq, and my_ip bare where the service has it' do
      expect(run).to create_ipv6_openstack_api_config('nova').with(
        transport_url: 'rabbit://openstack:rabbitmq-secret@[2001:db8:10::11]:5672/%2Fopenstack',
        my_ip: '2001:db8:10::11',
        service_urls: { 'placement' => 'https://placement.lab.example.net:8778',
                        'glance' => 'https://glance.lab.example.net:9292',
                        'neutron' => 'https://neutron.lab.example.net:9696' }
      )
      expect(run).to create_ipv6_openstack_api_config('glance').with(my_ip: nil)
    end
  end

  context 'on the lab controller as the lab describes it' do
    let(:site_file) { SiteFiles.write(self.class.site_with_secrets) }

    it 'writes no settings of the stand-in services' do
      run = ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end.converge(described_recipe)
      expect(run.find_resources(:ipv6_openstack_api_config)).to be_empty
    end
  end

  context 'with memcached described on another host' do
    let(:site_file) do
      data = self.class.site_with_secrets
      data['services']['memcached']['host'] = 'cmp1'
      SiteFiles.write(data)
    end

    it 'is refused: memcached listens on ::1 of its own host' do
      runner = ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end
      expect { runner.converge(described_recipe) }.to raise_error(Ipv6Common::ConfigError,
                                                                  /services.memcached.host: cmp1 is not ctl1/)
    end
  end

  context 'with the admin password file missing' do
    let(:site_file) do
      data = self.class.site_with_secrets
      data['services']['keystone']['admin_password'] = { 'file' => File.join(SECRET_DIR, 'absent') }
      SiteFiles.write(data)
    end

    it 'is refused, naming the reference' do
      runner = ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end
      expect { runner.converge(described_recipe) }.to raise_error(Ipv6Common::ConfigError,
                                                                  /services.keystone.admin_password: the secret file .*absent is missing/)
    end
  end

  context "with the broker's management UI published as a site endpoint" do
    let(:site_file) do
      data = self.class.site_with_secrets
      data['endpoints']['rabbitmq-management'] = {
        'host' => 'ctl1', 'fqdn' => 'rabbitmq.lab.example.net', 'port' => 15_671, 'backend_port' => 15_672,
        'cert' => '/var/lib/v6lab/pki/rabbitmq-management.crt', 'key' => '/var/lib/v6lab/pki/rabbitmq-management.key'
      }
      data['services']['rabbitmq']['management_endpoint'] = 'rabbitmq-management'
      SiteFiles.write(data)
    end

    it 'keeps it out of the catalog (it is no OpenStack API) and registers the APIs' do
      run = ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('ctl1')
        node.override['ipv6_edge']['site_file'] = site_file
      end.converge(described_recipe)
      expect(run).not_to create_ipv6_openstack_api_catalog_endpoint('rabbitmq-management')
      expect(run).to create_ipv6_openstack_api_catalog_endpoint('keystone')
    end
  end

  context 'on a compute host' do
    let(:site_file) { SiteFiles.write(self.class.site_with_secrets) }

    it 'deploys nothing' do
      run = ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
        node.name('cmp1')
        node.override['ipv6_edge']['site_file'] = site_file
      end.converge(described_recipe)
      expect(run.resource_collection.to_a).to be_empty
    end
  end
end
