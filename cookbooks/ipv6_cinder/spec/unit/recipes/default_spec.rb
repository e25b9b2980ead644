require 'spec_helper'

describe 'ipv6_cinder::default' do
  let(:site_data) { SiteFiles.lab }

  before do
    allow(Ipv6Common::Secret).to receive(:read).and_return('rabbit-pw')
    stub_command('systemctl daemon-reload')
  end

  def converge_as(name, data, platform: %w(debian 12))
    path = SiteFiles.write(data)
    ChefSpec::SoloRunner.new(platform: platform.first, version: platform.last, step_into: %w(ipv6_cinder_iscsi_target)) do |node|
      node.name(name)
      node.override['ipv6_edge']['site_file'] = path
    end.converge(described_recipe)
  end

  PLATFORMS.each do |platform|
    context "on #{platform.join(' ')}, on ctl1 (services.cinder.host), with the lab site" do
      subject(:chef_run) { converge_as('ctl1', site_data, platform: platform) }

      it 'installs cinder-volume and the helper\'s package, and enables both services' do
        %w(cinder-volume python3-cinder tgt).each { |name| expect(chef_run).to install_package(name).with(version: nil) }
        expect(chef_run).to enable_service('cinder-volume')
        expect(chef_run).to enable_service('tgt')
      end

      it 'declares the backend on the host\'s site address for the site\'s release and helper' do
        expect(chef_run).to create_ipv6_cinder_iscsi_target('lvm').with(
          release: 'zed', target_helper: 'tgtadm', target_address: '2001:db8:10::11', secondary_addresses: [],
          target_port: 3260, my_ip: '2001:db8:10::11', glance_api_servers: ['https://glance.lab.example.net:9292']
        )
      end

      # test/unit/test_cinder_portal.py builds the portal from this file with Cinder's and
      # os-brick's own code; it must be what the cookbook renders.
      it 'renders what the Python tests of the portal read (test/unit/data/cinder-lab-zed.conf)' do
        recorded = File.expand_path('../../../../../test/unit/data/cinder-lab-zed.conf', __dir__)
        content = ChefSpec::Renderer.new(chef_run, chef_run.template('/etc/cinder/cinder.conf')).content
        File.write(recorded, content) if ENV['RECORD_CINDER_CONF'] == '1'
        expect(content).to eq(File.read(recorded))
      end

      it 'writes the broker URL with the bracketed address of the RabbitMQ host' do
        expect(rendered_lines('/etc/cinder/cinder.conf'))
          .to include('transport_url = rabbit://openstack:rabbit-pw@[2001:db8:10::11]:5672/%2Fopenstack')
      end
    end
  end

  context 'on a host that is not services.cinder.host' do
    subject(:chef_run) { converge_as('cmp1', site_data) }

    it { expect(chef_run).not_to install_package('cinder-volume') }
  end

  context 'with nvmet on zed in the site' do
    subject(:chef_run) { converge_as('ctl1', site_data.tap { |d| d['services']['cinder']['target_helper'] = 'nvmet' }) }

    it 'stops the converge before any resource, naming the site key' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /services\.cinder\.target_helper: nvmet on zed/)
    end
  end

  context 'with the Chelsio target on pike in the site' do
    subject(:chef_run) do
      converge_as('ctl1', site_data.tap { |d| d['services']['cinder'].update('release' => 'pike', 'target_helper' => 'cxtadm') })
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /services\.cinder\.target_helper: cxtadm on pike/) }
  end
end

describe 'ipv6_cinder::default with a probe target' do
  before do
    allow(Ipv6Common::Secret).to receive(:read).and_return('rabbit-pw')
    stub_command('systemctl daemon-reload')
  end

  subject(:chef_run) do
    path = SiteFiles.write(SiteFiles.lab)
    ChefSpec::SoloRunner.new(platform: 'debian', version: '12', step_into: %w(ipv6_cinder_probe_target)) do |node|
      node.name('ctl1')
      node.override['ipv6_edge']['site_file'] = path
      node.override['ipv6_cinder']['probe_target'] = { 'iqn' => 'iqn.2010-10.org.openstack:probe', 'size_mb' => 16 }
    end.converge('ipv6_cinder::default')
  end

  it 'creates a sparse backing file once and a tgt target for it, reloading tgt on change' do
    expect(chef_run).to run_execute('create sparse /var/lib/cinder/probe.img')
      .with(command: ['truncate', '-s', '16M', '/var/lib/cinder/probe.img'], creates: '/var/lib/cinder/probe.img')
    expect(chef_run).to render_file('/etc/tgt/conf.d/ipv6_cinder_probe.conf')
      .with_content { |text| expect(text.lines.map(&:strip)).to include('<target iqn.2010-10.org.openstack:probe>', 'backing-store /var/lib/cinder/probe.img') }
    expect(chef_run.template('/etc/tgt/conf.d/ipv6_cinder_probe.conf')).to notify('service[tgt]').to(:reload).delayed
  end
end
