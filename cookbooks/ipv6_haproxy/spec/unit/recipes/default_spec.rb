require 'spec_helper'
require 'yaml'

describe 'ipv6_haproxy::default' do
  ctl1_endpoints = %w(cinder glance keystone neutron nova placement)

  let(:site_data) { SiteFiles.lab }
  let(:site_file) { SiteFiles.write(site_data) }
  let(:pki_problems) { {} }
  let(:declared) { [] }

  before do
    allow(Ipv6Common::Pki).to receive(:problems) { |cert:, **| pki_problems.fetch(cert, []) }
    allow_any_instance_of(Chef::ResourceCollection).to receive(:insert).and_wrap_original do |original, resource, **opts|
      declared << resource.to_s
      original.call(resource, **opts)
    end
  end

  def converge_as(name, platform: %w(debian 12))
    path = site_file
    ChefSpec::SoloRunner.new(platform: platform.first, version: platform.last, step_into: %w(ipv6_haproxy_config ipv6_haproxy_endpoint)) do |node|
      node.name(name)
      node.override['ipv6_edge']['site_file'] = path
    end.converge(described_recipe)
  end

  PLATFORMS.each do |platform|
    context "on #{platform.join(' ')}, on ctl1, with good certificates" do
      subject(:chef_run) { converge_as('ctl1', platform: platform) }

      it 'installs HAProxy from the archive (no pin in the site) and enables it' do
        expect(chef_run).to install_package('haproxy').with(version: nil)
        expect(chef_run).to enable_service('haproxy')
      end

      context 'with an init system that is not systemd (the lab, containers)' do
        before { pretend_init_system(:sysvinit, 'haproxy') }

        it "manages HAProxy through Debian's init script" do
          provider = chef_run.service('haproxy').provider_for_action(:start)
          expect(provider).to be_an_instance_of(Chef::Provider::Service::Debian)
          expect(provider.instance_variable_get(:@init_command)).to eq('/etc/init.d/haproxy')
        end
      end

      context 'under systemd (bare metal)' do
        before { pretend_init_system(:systemd, 'haproxy') }

        it 'manages HAProxy through systemd' do
          expect(chef_run.service('haproxy').provider_for_action(:start)).to be_an_instance_of(Chef::Provider::Service::Systemd)
        end
      end

      context 'with a version pinned in the site' do
        let(:site_data) { SiteFiles.lab.merge('packages' => { 'haproxy' => '2.6.12-1+deb12u1' }) }

        before do
          allow_any_instance_of(Ipv6Common::Site).to receive(:packages).and_return('haproxy' => '2.6.12-1+deb12u1')
          allow(Ipv6Common::Site).to receive(:load_file).and_wrap_original { |load, _path| load.call(SiteFiles.write(SiteFiles.lab)) }
        end

        it 'installs that version' do
          expect(chef_run).to install_package('haproxy').with(version: '2.6.12-1+deb12u1')
        end
      end

      it 'renders the TLS policy and HSTS from the site defaults' do
        expect(config_lines).to include(
          'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
          'http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"'
        )
      end

      it 'writes one 0600 root-only PEM per endpoint of the host and reloads HAProxy when one changes' do
        ctl1_endpoints.each do |name|
          pem = "/etc/haproxy/certs/#{name}.pem"
          expect(chef_run).to create_ipv6_common_tls_bundle(pem).with(
            cert: "/var/lib/v6lab/pki/#{name}.crt", key: "/var/lib/v6lab/pki/#{name}.key",
            ca_bundle: '/var/lib/v6lab/pki/ca.pem', fqdn: "#{name}.lab.example.net", window_days: 30,
            endpoint: name, pki_policy: Ipv6Common::Pki::POLICY, check: true, owner: 'root', group: 'root', mode: '0600'
          )
          expect(chef_run.ipv6_common_tls_bundle(pem)).to notify('service[haproxy]').to(:reload).delayed
        end
        expect(chef_run).to create_directory('/etc/haproxy/certs').with(owner: 'root', mode: '0700')
      end

      it 'declares each endpoint on the host site addresses with its ports' do
        expect(chef_run).to create_ipv6_haproxy_endpoint('keystone').with(
          bind_addresses: ['2001:db8:10::11'], port: 5000, backend_port: 5000,
          fqdn: 'keystone.lab.example.net', pem: '/etc/haproxy/certs/keystone.pem'
        )
        expect(chef_run).to create_ipv6_haproxy_endpoint('nova').with(port: 8774, backend_port: 8774)
      end

      it 'writes the configuration, then starts HAProxy, at the end of the run' do
        expect(chef_run).to create_ipv6_haproxy_config('/etc/haproxy/haproxy.cfg')
        delayed = chef_run.run_context.delayed_actions.map { |n| "#{n.resource}:#{n.action}" }
        expect(delayed).to eq(['template[/etc/haproxy/haproxy.cfg]:create', 'service[haproxy]:start'])
      end
    end
  end

  context 'on cmp1, which carries no endpoint' do
    subject(:chef_run) { converge_as('cmp1') }

    it 'declares no endpoint and no certificate' do
      expect(chef_run.find_resources(:ipv6_haproxy_endpoint)).to be_empty
      expect(chef_run.find_resources(:ipv6_common_tls_bundle)).to be_empty
    end
  end

  context 'with policy.preflight false and a self-signed keystone certificate' do
    let(:pki_problems) do
      { '/var/lib/v6lab/pki/keystone.crt' => [Ipv6Common::Problem.new('/var/lib/v6lab/pki/keystone.crt', 'self_signed', 'x')] }
    end

    before { allow_any_instance_of(Ipv6Common::Site).to receive(:policy).and_return('preflight' => false) }

    subject(:chef_run) { converge_as('ctl1') }

    it 'deploys it unchecked (to show what the verifier catches)' do
      expect(chef_run).to create_ipv6_common_tls_bundle('/etc/haproxy/certs/keystone.pem').with(check: false)
      expect(Ipv6Common::Pki).not_to have_received(:problems)
    end
  end

  context 'with a site TLS policy of TLS 1.3 only and HSTS off' do
    before do
      allow_any_instance_of(Ipv6Common::Site).to receive(:tls).and_return('min_version' => 'TLSv1.3', 'hsts' => false)
    end

    subject(:chef_run) { converge_as('ctl1') }

    it 'renders them into the configuration' do
      expect(config_lines).to include('ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets')
      expect(config_lines.grep(/Strict-Transport-Security/)).to be_empty
    end
  end

  context "with the broker's management UI named as an endpoint" do
    let(:site_data) do
      data = SiteFiles.lab
      data['endpoints']['rabbitmq-management'] = {
        'host' => 'ctl1', 'fqdn' => 'rabbitmq.lab.example.net', 'port' => 15_671, 'backend_port' => 15_672,
        'cert' => '/var/lib/v6lab/pki/rabbitmq-management.crt', 'key' => '/var/lib/v6lab/pki/rabbitmq-management.key'
      }
      data['services']['rabbitmq']['management_endpoint'] = 'rabbitmq-management'
      data
    end

    subject(:chef_run) { converge_as('ctl1') }

    it 'terminates TLS on the site address and forwards to management on [::1]:15672, with no limit of its own' do
      lines = config_lines
      expect(lines).to include('frontend rabbitmq-management', 'bind [2001:db8:10::11]:15671 v6only ssl crt /etc/haproxy/certs/rabbitmq-management.pem alpn http/1.1')
      expect(lines.grep(/\Aserver rabbitmq-management /)).to eq(['server rabbitmq-management [::1]:15672 check inter 2s fall 3 rise 2'])
    end
  end

  context 'with glance removed from the site after a converge' do
    it 'renders no glance frontend or backend on the next converge' do
      expect(config_lines(converge_as('ctl1'))).to include('frontend glance')
      data = SiteFiles.lab
      data['endpoints'].delete('glance')
      File.write(site_file, YAML.dump(data))
      lines = config_lines(converge_as('ctl1'))
      expect(lines.grep(/glance/)).to be_empty
      expect(lines).to include('frontend keystone')
    end
  end

  context 'with only the bundles of the site endpoints on disk' do
    before do
      allow(Dir).to receive(:glob).and_call_original
      allow(Dir).to receive(:glob).with('/etc/haproxy/certs/*.pem').and_return(ctl1_endpoints.map { |n| "/etc/haproxy/certs/#{n}.pem" })
    end

    subject(:chef_run) { converge_as('ctl1') }

    it 'deletes nothing (a second converge changes nothing)' do
      expect(chef_run.find_resources(:notify_group)).to be_empty
    end
  end

  context 'with the bundle of an endpoint that is no longer in the site' do
    before do
      allow(Dir).to receive(:glob).and_call_original
      allow(Dir).to receive(:glob).with('/etc/haproxy/certs/*.pem')
                                  .and_return(%w(/etc/haproxy/certs/keystone.pem /etc/haproxy/certs/swift.pem))
    end

    subject(:chef_run) { converge_as('ctl1') }

    it 'deletes it at the end of the run, after the configuration stops naming it, and keeps the others' do
      expect(chef_run.file('/etc/haproxy/certs/swift.pem').action).to eq([:nothing])
      expect(chef_run.notify_group('bundles of endpoints no longer in the site'))
        .to notify('file[/etc/haproxy/certs/swift.pem]').to(:delete).delayed
      queued = chef_run.resource_collection.map(&:to_s)
      expect(queued.index('notify_group[bundles of endpoints no longer in the site]'))
        .to be > queued.index('ipv6_haproxy_config[/etc/haproxy/haproxy.cfg]')
      expect(chef_run.find_resource(:file, '/etc/haproxy/certs/keystone.pem')).to be_nil
    end
  end

  context 'without the site file' do
    let(:site_file) { '/nonexistent/site.yml' }

    it 'names the attribute and the file' do
      expect { converge_as('ctl1') }.to raise_error(Ipv6Common::ConfigError, %r{\Aipv6_edge\.site_file: /nonexistent/site\.yml is not a file})
    end
  end

  context 'on a node the site does not describe' do
    it 'is refused naming the node' do
      expect { converge_as('web9') }.to raise_error(Ipv6Common::ConfigError, /hosts\.web9: no host web9/)
    end
  end

  context 'with a self-signed keystone certificate and a nova key that does not match' do
    let(:pki_problems) do
      {
        '/var/lib/v6lab/pki/keystone.crt' => [Ipv6Common::Problem.new(
          '/var/lib/v6lab/pki/keystone.crt', 'self_signed',
          '/var/lib/v6lab/pki/keystone.crt: CN=keystone is self-signed; use a certificate issued by the organisation CA'
        )],
        '/var/lib/v6lab/pki/nova.crt' => [Ipv6Common::Problem.new(
          '/var/lib/v6lab/pki/nova.key', 'key_mismatch',
          '/var/lib/v6lab/pki/nova.key: this key does not belong to the certificate; install the key the certificate was issued for'
        )],
      }
    end

    it 'refuses the run, reporting both endpoints with the file, the problem and the fix' do
      expect { converge_as('ctl1') }.to raise_error(Ipv6Common::ConfigError) { |error|
        expect(error.problems.map { |p| [p.path, p.code] }).to eq(
          [%w(endpoints.keystone.cert self_signed), %w(endpoints.nova.key key_mismatch)]
        )
        expect(error.message).to include(
          'endpoint keystone (endpoints.keystone.cert): /var/lib/v6lab/pki/keystone.crt: CN=keystone is self-signed; ' \
          'use a certificate issued by the organisation CA',
          'endpoint nova (endpoints.nova.key): /var/lib/v6lab/pki/nova.key: this key does not belong'
        )
      }
    end

    it 'checks every endpoint before declaring any resource' do
      expect { converge_as('ctl1') }.to raise_error(Ipv6Common::ConfigError)
      expect(Ipv6Common::Pki).to have_received(:problems).exactly(SiteFiles.lab['endpoints'].size).times
      expect(declared).to be_empty
    end
  end
end
