require 'spec_helper'

describe 'ipv6_rabbitmq::default' do
  let(:secrets) { Dir.mktmpdir('secrets') }
  let(:site_data) do
    data = SiteFiles.lab
    File.write(File.join(secrets, 'cookie'), "#{'c00kie' * 5}\n")
    File.write(File.join(secrets, 'openstack'), "s3cret-pass\n")
    data['services']['rabbitmq']['erlang_cookie'] = { 'file' => File.join(secrets, 'cookie') }
    data['services']['rabbitmq']['users']['openstack']['password'] = { 'file' => File.join(secrets, 'openstack') }
    data
  end
  let(:preflight_problems) { [] }
  let(:declared) { [] }

  before do
    allow(Ipv6Common::Preflight).to receive(:hosts_file_problems).and_return(preflight_problems)
    allow(Ipv6Common::Preflight).to receive(:dns_problems).and_return([])
    allow(Ipv6Common::Preflight).to receive(:interface_problems).and_return([])
    allow_any_instance_of(Chef::ResourceCollection).to receive(:insert).and_wrap_original do |original, resource, **opts|
      declared << resource.to_s
      original.call(resource, **opts)
    end
  end
  after { FileUtils.rm_rf(secrets) }

  def converge_as(name, data = site_data, step_into: %w(ipv6_common_preflight))
    path = SiteFiles.write(data)
    ChefSpec::SoloRunner.new(platform: 'debian', version: '12', step_into: step_into) do |node|
      node.name(name)
      node.override['ipv6_edge']['site_file'] = path
    end.converge(described_recipe)
  end

  context 'on ctl1, the broker host of the lab site' do
    subject(:chef_run) { converge_as('ctl1') }

    it 'checks the host before anything of the broker' do
      chef_run
      expect(declared.first).to eq('ipv6_common_preflight[ctl1]')
      expect(declared.index('ipv6_common_preflight[ctl1]')).to be < declared.index('apt_package[rabbitmq-server]')
    end

    it 'configures the broker on the site address with the cookie from the secret' do
      expect(chef_run).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(addresses: ['2001:db8:10::11'], port: 5672,
                                                                          cookie: 'c00kie' * 5, cluster_peers: [])
    end

    it 'creates the site vhost and user with the password from the secret, and removes guest' do
      expect(chef_run).to create_ipv6_rabbitmq_vhost('/openstack')
      expect(chef_run).to create_ipv6_rabbitmq_user('openstack').with(password: 's3cret-pass')
      expect(chef_run).to set_ipv6_rabbitmq_permissions('openstack on /openstack').with(user: 'openstack', vhost: '/openstack')
      expect(chef_run).to delete_ipv6_rabbitmq_user('guest')
    end
  end

  context 'on ctl1 with a 127.0.1.1 line for its name' do
    let(:preflight_problems) do
      [Ipv6Common::Problem.new('/etc/hosts:2', 'hosts_ipv4', '/etc/hosts:2: "127.0.1.1 ctl1.lab.example.net ctl1" maps ctl1.lab.example.net to IPv4')]
    end

    it 'stops the run in the preflight, before the package resource runs' do
      expect { converge_as('ctl1') }.to raise_error(Ipv6Common::ConfigError, /ctl1: .*127\.0\.1\.1/)
      expect(declared.first).to eq('ipv6_common_preflight[ctl1]')
    end

    context 'and policy.preflight false' do
      it 'runs no preflight (only to show what the broker itself does)' do
        data = site_data.merge('policy' => site_data['policy'].merge('preflight' => false))
        expect { converge_as('ctl1', data) }.not_to raise_error
        expect(declared).not_to include('ipv6_common_preflight[ctl1]')
      end
    end
  end

  context 'on cmp1, not the broker host' do
    it 'refuses to make cmp1 a broker, naming services.rabbitmq.host' do
      expect { converge_as('cmp1') }.to raise_error(Ipv6Common::ConfigError, /services\.rabbitmq\.host: the broker is ctl1, not cmp1/)
    end
  end

  context 'with no erlang_cookie in the site' do
    it 'refuses to run with the default cookie' do
      data = site_data
      data['services']['rabbitmq'].delete('erlang_cookie')
      expect { converge_as('ctl1', data) }.to raise_error(Ipv6Common::ConfigError, /services\.rabbitmq\.erlang_cookie: not set/)
    end
  end
end
