require 'spec_helper'

describe Ipv6Haproxy do
  describe Ipv6Haproxy::Validate do
    it 'accepts ports 1..65535 only, as integers' do
      expect([1, 443, 65_535].map { |p| described_class.port?(p) }).to all(be true)
      expect([0, 65_536, -1, '443', nil].map { |p| described_class.port?(p) }).to all(be false)
    end

    it 'accepts HAProxy durations with a unit or none' do
      expect(%w(500ms 2s 1m 10).map { |d| described_class.duration?(d) }).to all(be true)
      expect(['0s', '2 s', 's', '1h', ''].map { |d| described_class.duration?(d) }).to all(be false)
    end

    it 'accepts lower-case DNS names with at least two labels' do
      expect(described_class.dns_name?('keystone.lab.example.net')).to be true
      expect(%w(keystone Keystone.lab keystone.lab. -a.lab).map { |n| described_class.dns_name?(n) }).to all(be false)
    end

    it 'accepts absolute paths and HTTP paths without spaces' do
      expect(described_class.absolute_path?('/etc/haproxy/certs/k.pem')).to be true
      expect(['certs/k.pem', '/etc/my certs/k.pem', nil].map { |p| described_class.absolute_path?(p) }).to all(be false)
      expect(described_class.http_path?('/healthcheck')).to be true
      expect(['healthcheck', '/a b'].map { |p| described_class.http_path?(p) }).to all(be false)
    end
  end

  describe Ipv6Haproxy::CertCheck do
    let(:site) { instance_double(Ipv6Common::Site, ca_bundle: '/pki/ca.pem', expiry_window_days: 30) }
    let(:endpoints) do
      {
        'nova' => { 'fqdn' => 'nova.lab.example.net', 'cert' => '/pki/nova.crt', 'key' => '/pki/nova.key' },
        'glance' => { 'fqdn' => 'glance.lab.example.net', 'cert' => '/pki/glance.crt', 'key' => '/pki/glance.key' },
      }
    end
    let(:cache) { {} }

    before do
      allow(Ipv6Common::Pki).to receive(:problems) do |cert:, **|
        {
          '/pki/nova.crt' => [Ipv6Common::Problem.new('/pki/nova.key', 'key_mode', '/pki/nova.key: mode 0644 ...; chmod 0600 it')],
          '/pki/glance.crt' => [Ipv6Common::Problem.new('/pki/glance.crt', 'expired', '/pki/glance.crt: expired; issue a new certificate')],
        }.fetch(cert)
      end
    end

    it 'asks Pki about every endpoint with the site CA bundle, window and PKI policy' do
      described_class.problems(site, endpoints, cache: cache)
      expect(Ipv6Common::Pki).to have_received(:problems).with(
        cert: '/pki/glance.crt', key: '/pki/glance.key', ca_bundle: '/pki/ca.pem',
        fqdn: 'glance.lab.example.net', window_days: 30, policy: Ipv6Common::Pki::POLICY
      )
    end

    it 'asks once per run: a second check with the same run state reuses the result' do
      2.times { described_class.problems(site, endpoints, cache: cache) }
      expect(Ipv6Common::Pki).to have_received(:problems).twice # once per endpoint
    end

    it 'reports every problem, by endpoint name, on the site key of the file at fault' do
      problems = described_class.problems(site, endpoints, cache: cache)
      expect(problems.map(&:to_a)).to eq(
        [
          ['endpoints.glance.cert', 'expired',
           'endpoint glance (endpoints.glance.cert): /pki/glance.crt: expired; issue a new certificate'],
          ['endpoints.nova.key', 'key_mode',
           'endpoint nova (endpoints.nova.key): /pki/nova.key: mode 0644 ...; chmod 0600 it'],
        ]
      )
    end

    it 'raises one ConfigError carrying them all' do
      expect { described_class.check!(site, endpoints, cache: cache) }.to raise_error(Ipv6Common::ConfigError) { |e|
        expect(e.problems.size).to eq(2)
        expect(e.message.lines.size).to eq(2)
      }
    end

    it 'passes when Pki finds nothing' do
      allow(Ipv6Common::Pki).to receive(:problems).and_return([])
      expect { described_class.check!(site, endpoints, cache: cache) }.not_to raise_error
    end
  end
end
