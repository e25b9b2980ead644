require 'spec_helper'

describe 'ipv6_rabbitmq::client' do
  let(:secrets) { Dir.mktmpdir('secrets') }
  after { FileUtils.rm_rf(secrets) }

  let(:site_data) { SiteFiles.lab }

  subject(:chef_run) do
    data = site_data
    File.write(File.join(secrets, 'openstack'), "p@ss/w:rd\n")
    data['services']['rabbitmq']['users']['openstack']['password'] = { 'file' => File.join(secrets, 'openstack') }
    path = SiteFiles.write(data)
    allow(Ipv6Common::Preflight).to receive_messages(hosts_file_problems: [], dns_problems: [], interface_problems: [])
    ChefSpec::SoloRunner.new(platform: 'debian', version: '12') do |node|
      node.name('cmp1')
      node.override['ipv6_edge']['site_file'] = path
    end.converge(described_recipe)
  end

  context 'with AMQPS in the site (the lab)' do
    it "renders transport_url with the broker's AAAA-only name, the AMQPS port, the encoded password and vhost, mode 0600" do
      expect(chef_run).to create_template('/etc/ipv6_edge/oslo_messaging.conf').with(mode: '0600', sensitive: true)
      expect(rendered_lines('/etc/ipv6_edge/oslo_messaging.conf')).to include(
        '[DEFAULT]', 'transport_url = rabbit://openstack:p%40ss%2Fw%3Ard@ctl1.lab.example.net:5671/%2Fopenstack'
      )
    end

    it 'turns ssl on, verifying the broker against the site CA bundle' do
      lines = rendered_lines('/etc/ipv6_edge/oslo_messaging.conf')
      expect(lines).to include('[oslo_messaging_rabbit]', 'ssl = true', 'ssl_ca_file = /var/lib/v6lab/pki/ca.pem')
      expect(lines.index('[oslo_messaging_rabbit]')).to be > lines.index('transport_url = rabbit://openstack:p%40ss%2Fw%3Ard@ctl1.lab.example.net:5671/%2Fopenstack')
    end
  end

  context 'without services.rabbitmq.tls' do
    let(:site_data) { SiteFiles.lab.tap { |data| data['services']['rabbitmq'].delete('tls') } }

    it 'renders the AMQP port and no ssl section' do
      lines = rendered_lines('/etc/ipv6_edge/oslo_messaging.conf')
      expect(lines).to include('transport_url = rabbit://openstack:p%40ss%2Fw%3Ard@ctl1.lab.example.net:5672/%2Fopenstack')
      expect(lines.grep(/ssl|oslo_messaging_rabbit/)).to be_empty
    end
  end
end
