require 'spec_helper'
require 'yaml'

describe 'ipv6_haproxy::default' do
  ctl1_endpoints = %w(cinder glance keystone neutron nova placement)

  let(:site_data) { YAML.safe_load(File.read(File.expand_path('../../../../../site/lab.yml', __dir__))) }
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
    site = site_data
    ChefSpec::SoloRunner.new(platform: platform.first, version: platform.last, step_into: %w(ipv6_haproxy_config)) do |node|
      node.name(name)
      node.default['ipv6_edge']['site'] = site unless site.nil?
    end.converge(described_recipe)
  end

  PLATFORMS.each do |platform|
    context "on #{platform.join(' ')}, on ctl1, with good certificates" do
      subject(:chef_run) { converge_as('ctl1', platform: platform) }

      it 'writes one 0600 root-only PEM per endpoint of the host and reloads HAProxy when one changes' do
        ctl1_endpoints.each do |name|
          pem = "/etc/haproxy/certs/#{name}.pem"
          expect(chef_run).to create_ipv6_common_tls_bundle(pem).with(
            cert: "/var/lib/v6lab/pki/#{name}.crt", key: "/var/lib/v6lab/pki/#{name}.key",
            ca_bundle: '/var/lib/v6lab/pki/ca.pem', fqdn: "#{name}.lab.example.net", window_days: 30,
            owner: 'root', group: 'root', mode: '0600'
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

  context 'without a site in the node attributes' do
    let(:site_data) { nil }

    it 'tells how to pass the site' do
      expect { converge_as('ctl1') }.to raise_error(Ipv6Common::ConfigError, /\Aipv6_edge\.site: no site description .*-N ctl1/)
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
      expect(Ipv6Common::Pki).to have_received(:problems).exactly(ctl1_endpoints.size).times
      expect(declared).to be_empty
    end
  end
end
