require 'spec_helper'

describe 'ipv6_rabbitmq::default' do
  let(:secrets) { Dir.mktmpdir('secrets') }
  let(:pki) { TestPki.new(secrets) }
  let(:broker_key) { pki.new_key }
  # The broker's pair as the lab PKI issues it: SAN = the broker host's fqdn, leaf + intermediate.
  let(:broker_cert) { pki.write_certs('rabbitmq.crt', pki.leaf(broker_key, sans: ['ctl1.lab.example.net']), pki.inter) }
  let(:broker_key_file) { pki.write_key('rabbitmq.key', broker_key) }
  let(:site_data) do
    data = SiteFiles.lab
    File.write(File.join(secrets, 'cookie'), "#{'c00kie' * 5}\n")
    File.write(File.join(secrets, 'openstack'), "s3cret-pass\n")
    data['services']['rabbitmq']['erlang_cookie'] = { 'file' => File.join(secrets, 'cookie') }
    data['services']['rabbitmq']['users']['openstack']['password'] = { 'file' => File.join(secrets, 'openstack') }
    data['pki']['ca_bundle'] = pki.write_certs('ca.pem', pki.root)
    data['services']['rabbitmq']['tls'] = { 'port' => 5671, 'cert' => broker_cert, 'key' => broker_key_file }
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

  def write_certs(name, *certs)
    pki.write_certs(name, *certs)
  end

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

    it 'writes the broker files before any service status check could start epmd with other addresses' do
      chef_run
      expect(declared.index('ipv6_rabbitmq_broker[rabbit@ctl1]')).to be < declared.index('service[rabbitmq-server]')
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

  PLATFORMS.each do |platform_name, version|
    context "on #{platform_name} #{version}, on ctl1 with AMQPS in the site" do
      subject(:chef_run) do
        path = SiteFiles.write(site_data)
        ChefSpec::SoloRunner.new(platform: platform_name, version: version) do |node|
          node.name('ctl1')
          node.override['ipv6_edge']['site_file'] = path
        end.converge(described_recipe)
      end

      it "gives the broker the site's port, pair, CA bundle, the host's fqdn and the versions of tls.min_version" do
        expect(chef_run).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(
          tls_port: 5671, tls_cert: broker_cert, tls_key: broker_key_file, tls_ca_bundle: site_data['pki']['ca_bundle'],
          tls_fqdn: 'ctl1.lab.example.net', tls_versions: %w(tlsv1.3 tlsv1.2), tls_window_days: 30, tls_check: true
        )
      end

      context 'with an init system that is not systemd (the lab, containers)' do
        before { pretend_init_system(:sysvinit, 'rabbitmq-server') }

        it "manages the broker through Debian's init script" do
          expect(chef_run.service('rabbitmq-server').provider_for_action(:start)).to be_an_instance_of(Chef::Provider::Service::Debian)
        end
      end

      context 'under systemd (bare metal)' do
        before { pretend_init_system(:systemd, 'rabbitmq-server') }

        it 'manages the broker through systemd' do
          expect(chef_run.service('rabbitmq-server').provider_for_action(:start)).to be_an_instance_of(Chef::Provider::Service::Systemd)
        end
      end
    end
  end

  context 'with the management UI published as a site endpoint' do
    def with_management(data, host: 'ctl1', backend_port: 15_672)
      data['endpoints']['rabbitmq-management'] = {
        'host' => host, 'fqdn' => 'rabbitmq.lab.example.net', 'port' => 15_671, 'backend_port' => backend_port,
        'cert' => '/var/lib/v6lab/pki/rabbitmq-management.crt', 'key' => '/var/lib/v6lab/pki/rabbitmq-management.key'
      }
      data['services']['rabbitmq']['management_endpoint'] = 'rabbitmq-management'
      data
    end

    it "keeps management on [::1] at the endpoint's backend_port, where HAProxy forwards" do
      expect(converge_as('ctl1', with_management(site_data, backend_port: 15_680))).to create_ipv6_rabbitmq_broker('rabbit@ctl1')
        .with(management: true, management_port: 15_680)
    end

    it 'refuses an endpoint of another host, naming services.rabbitmq.management_endpoint' do
      expect { converge_as('ctl1', with_management(site_data, host: 'cmp1')) }.to raise_error(
        Ipv6Common::ConfigError,
        /services\.rabbitmq\.management_endpoint: rabbitmq-management is on host cmp1, not the broker host ctl1; name an endpoint of ctl1/
      )
    end

    it 'refuses a name that is no endpoint of the site' do
      data = site_data
      data['services']['rabbitmq']['management_endpoint'] = 'rabbitmq-ui'
      expect { converge_as('ctl1', data) }.to raise_error(Ipv6Common::ConfigError,
                                                          /services\.rabbitmq\.management_endpoint: rabbitmq-ui is not an endpoint of this site/)
    end
  end

  context 'without a management endpoint in the site' do
    it 'keeps management on [::1]:15672 only' do
      data = site_data
      data['services']['rabbitmq'].delete('management_endpoint')
      data['endpoints'].delete('rabbitmq-management')
      expect(converge_as('ctl1', data)).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(management: true, management_port: 15_672)
    end
  end

  context 'with tls.min_version TLSv1.3 in the site' do
    it 'lets the broker accept TLS 1.3 only' do
      data = site_data.merge('tls' => { 'min_version' => 'TLSv1.3' })
      expect(converge_as('ctl1', data)).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(tls_versions: %w(tlsv1.3))
    end
  end

  context 'without services.rabbitmq.tls' do
    it 'configures no AMQPS' do
      data = site_data
      data['services']['rabbitmq'].delete('tls')
      expect(converge_as('ctl1', data)).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(tls_port: nil)
    end
  end

  # Each unfit broker certificate stops the run before the package, the files or the service of
  # the broker exist, naming the site key, the file and the fix.
  {
    'with a self-signed broker certificate' => [
      ->(t) { t.write_certs('rabbitmq.crt', t.pki.issue('ctl1.lab.example.net', t.broker_key, sans: ['ctl1.lab.example.net'])) },
      nil, /services\.rabbitmq\.tls\.cert\): .*rabbitmq\.crt: .* is self-signed; use a certificate issued by the organisation CA/
    ],
    'with an expired broker certificate' => [
      ->(t) { t.write_certs('rabbitmq.crt', t.pki.leaf(t.broker_key, sans: ['ctl1.lab.example.net'], from: -60, days: -1), t.pki.inter) },
      nil, /services\.rabbitmq\.tls\.cert\): .* expired on .*; issue a new certificate/
    ],
    'with a broker certificate for another name' => [
      ->(t) { t.write_certs('rabbitmq.crt', t.pki.leaf(t.broker_key, sans: ['rabbitmq.lab.example.net']), t.pki.inter) },
      nil, /services\.rabbitmq\.tls\.cert\): .* names rabbitmq\.lab\.example\.net, not ctl1\.lab\.example\.net; issue it with subjectAltName DNS:ctl1/
    ],
    'with a broker certificate without its intermediate' => [
      ->(t) { t.write_certs('rabbitmq.crt', t.pki.leaf(t.broker_key, sans: ['ctl1.lab.example.net'])) },
      nil, /services\.rabbitmq\.tls\.cert\): .* is not in this file .*; append the intermediate certificate/
    ],
    'with a broker certificate of another CA' => [
      lambda do |t|
        other = TestPki.new(t.secrets, org: 'Other')
        t.write_certs('rabbitmq.crt', other.leaf(t.broker_key, sans: ['ctl1.lab.example.net']), other.inter)
      end,
      nil, /services\.rabbitmq\.tls\.cert\): .* does not chain to the CA bundle/
    ],
    'with a key that is not the certificate\'s' => [
      nil, ->(t) { t.pki.write_key('other.key', t.pki.new_key) },
      /services\.rabbitmq\.tls\.key\): .*other\.key: this key does not belong to the certificate .*; install the key the certificate was issued for/
    ],
  }.each do |input, (cert, key, message)|
    context input do
      it 'stops the run before anything of the broker, naming services.rabbitmq.tls and the fix' do
        data = site_data
        tls = data['services']['rabbitmq']['tls']
        tls['cert'] = cert.call(self) if cert
        tls['key'] = key.call(self) if key
        expect { converge_as('ctl1', data) }.to raise_error(Ipv6Common::ConfigError, message)
        expect(declared).not_to include('apt_package[rabbitmq-server]', 'ipv6_rabbitmq_broker[rabbit@ctl1]')
      end
    end
  end

  context 'with a self-signed broker certificate and policy.preflight false' do
    it 'deploys it unchecked (only to show what the verifier catches)' do
      data = site_data.merge('policy' => site_data['policy'].merge('preflight' => false))
      data['services']['rabbitmq']['tls']['cert'] =
        write_certs('rabbitmq.crt', pki.issue('ctl1.lab.example.net', broker_key, sans: ['ctl1.lab.example.net']))
      expect(converge_as('ctl1', data)).to create_ipv6_rabbitmq_broker('rabbit@ctl1').with(tls_port: 5671, tls_check: false)
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
