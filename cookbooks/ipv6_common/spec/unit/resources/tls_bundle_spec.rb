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
  expiring = pki.write_certs('expiring.crt', pki.leaf(key, days: 10), pki.inter)
  self_signed = pki.write_certs('self.crt', pki.issue('keystone', key, sans: ['keystone.lab.example.net']))
  other = TestPki.new(dir)
  other_ca = pki.write_certs('other-ca.crt', other.leaf(key), other.inter)
  other_key = pki.write_key('other.key', pki.new_key)
  loose_key = pki.write_key('loose.key', key, 0o644)

  PLATFORMS.each do |name, version|
    context "on #{name} #{version}" do
      platform name, version

      context 'with a good certificate and key' do
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
          is_expected.to create_file('/etc/haproxy/certs/keystone.pem').with(sensitive: true, owner: 'root',
                                                                             group: 'haproxy', mode: '0640')
        end

        it 'writes leaf, intermediate, then key' do
          content = subject.file('/etc/haproxy/certs/keystone.pem').content
          expect(content.scan(/-----BEGIN ([A-Z ]+)-----/).flatten).to eq(['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY'])
          expect(content).to start_with(leaf.to_pem)
        end
      end

      # input => [properties changed, error class, message naming the endpoint, the file or property, and the fix]
      {
        'without the intermediate' =>
          [{ cert: leaf_only }, Ipv6Common::ConfigError,
           /endpoint keystone\.lab\.example\.net: #{Regexp.escape(leaf_only)}: the issuer .* is not in this file and is not a root of the CA bundle.*; append the intermediate/],
        'with an expired certificate' =>
          [{ cert: expired }, Ipv6Common::ConfigError,
           /#{Regexp.escape(expired)}: .*expired on .*; issue a new certificate/],
        'with a certificate expiring inside the window' =>
          [{ cert: expiring }, Ipv6Common::ConfigError,
           /#{Regexp.escape(expiring)}: .*expires on .*, in 9 days \(window 30 days\); renew it now/],
        'with a self-signed certificate' =>
          [{ cert: self_signed }, Ipv6Common::ConfigError,
           /#{Regexp.escape(self_signed)}: .*is self-signed; use a certificate issued by the organisation CA/],
        'with a chain from another CA' =>
          [{ cert: other_ca }, Ipv6Common::ConfigError,
           /#{Regexp.escape(other_ca)}: .*does not chain to the CA bundle/],
        'with the fqdn of another endpoint' =>
          [{ fqdn: 'glance.lab.example.net' }, Ipv6Common::ConfigError,
           /endpoint glance\.lab\.example\.net: .*names keystone\.lab\.example\.net, not glance\.lab\.example\.net; issue it with subjectAltName DNS:glance/],
        'with the key of another certificate' =>
          [{ key: other_key }, Ipv6Common::ConfigError,
           /#{Regexp.escape(other_key)}: this key does not belong .*; install the key the certificate was issued for/],
        'with a key readable by others' =>
          [{ key: loose_key }, Ipv6Common::ConfigError,
           /#{Regexp.escape(loose_key)}: mode 0644 lets group or others read the private key; chmod 0600 it/],
        'with a relative cert path' =>
          [{ cert: 'keystone.crt' }, Ipv6Common::ConfigError,
           /cert: "keystone\.crt" is not an absolute path; write the full path/],
        'with a world-readable mode' =>
          [{ mode: '0644' }, Chef::Exceptions::ValidationFailed,
           /Option mode must be equal to one of: "0600", "0640"!  You passed "0644"/],
        'with a negative window' =>
          [{ window_days: -1 }, Chef::Exceptions::ValidationFailed,
           /Option window_days's value -1 is negative; use 0 or more days/],
      }.each do |input, (props, error, message)|
        context input do
          recipe do
            ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
              { cert: good_cert, key: key_file, ca_bundle: ca,
                fqdn: 'keystone.lab.example.net' }.merge(props).each do |prop, value|
                send(prop, value)
              end
            end
          end

          it('is refused before the file is written') { expect { chef_run }.to raise_error(error, message) }
        end
      end
    end
  end
end
