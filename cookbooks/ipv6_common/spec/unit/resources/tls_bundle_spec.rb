# frozen_string_literal: true

describe 'ipv6_common_tls_bundle' do
  step_into :ipv6_common_tls_bundle

  dir = Dir.mktmpdir
  after(:all) { FileUtils.rm_rf(dir) }

  pki = TestPki.new(dir)
  key = pki.new_key
  leaf = pki.leaf(key)
  ca = pki.write_certs('ca.pem', pki.root)
  key_file = pki.write_key('keystone.key', key)
  good_cert = pki.write_certs('keystone.crt', leaf, pki.inter)
  leaf_only = pki.write_certs('leaf-only.crt', leaf)
  expired = pki.write_certs('expired.crt', pki.leaf(key, from: -90, days: -2), pki.inter)

  PLATFORMS.each do |name, version|
    context "on #{name} #{version} with a good certificate and key" do
      platform name, version

      recipe do
        ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
          cert good_cert
          key key_file
          ca_bundle ca
          fqdn 'keystone.lab.example.net'
          group 'haproxy'
          mode '0640'
        end
      end

      cached(:subject) { chef_run }

      it { is_expected.to create_ipv6_common_tls_bundle('/etc/haproxy/certs/keystone.pem') }

      it 'writes the file as a sensitive resource, readable by the haproxy group only' do
        is_expected.to create_file('/etc/haproxy/certs/keystone.pem').with(sensitive: true, owner: 'root', group: 'haproxy', mode: '0640')
      end

      it 'writes leaf, intermediate, then key' do
        content = subject.file('/etc/haproxy/certs/keystone.pem').content
        expect(content.scan(/-----BEGIN ([A-Z ]+)-----/).flatten).to eq(['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY'])
        expect(content).to start_with(leaf.to_pem)
      end
    end
  end

  context 'without the intermediate' do
    recipe do
      ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
        cert leaf_only
        key key_file
        ca_bundle ca
        fqdn 'keystone.lab.example.net'
      end
    end

    it 'names the endpoint, the file and the fix, before writing' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                         /endpoint keystone\.lab\.example\.net: #{Regexp.escape(leaf_only)}: .*append the intermediate/)
    end
  end

  context 'with an expired certificate' do
    recipe do
      ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
        cert expired
        key key_file
        ca_bundle ca
        fqdn 'keystone.lab.example.net'
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /endpoint keystone\.lab\.example\.net: .*expired on .*issue a new certificate/) }
  end

  context 'with the fqdn of another endpoint' do
    recipe do
      ipv6_common_tls_bundle '/etc/haproxy/certs/glance.pem' do
        cert good_cert
        key key_file
        ca_bundle ca
        fqdn 'glance.lab.example.net'
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /endpoint glance\.lab\.example\.net: .*not glance\.lab\.example\.net/) }
  end

  context 'with a relative cert path' do
    recipe do
      ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
        cert 'keystone.crt'
        key key_file
        ca_bundle ca
        fqdn 'keystone.lab.example.net'
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /cert: "keystone\.crt" is not an absolute path/) }
  end

  context 'with a world-readable mode' do
    recipe do
      ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
        cert good_cert
        key key_file
        ca_bundle ca
        fqdn 'keystone.lab.example.net'
        mode '0644'
      end
    end

    it { expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /mode.*0644/) }
  end
end
