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
  rsa1024 = pki.rsa_key(1024)
  rsa1024_key = pki.write_key('rsa1024.key', rsa1024)
  rsa1024_cert = pki.write_certs('rsa1024.crt', pki.leaf(rsa1024), pki.inter)
  rsa2048 = pki.rsa_key(2048)
  rsa2048_key = pki.write_key('rsa2048.key', rsa2048)
  rsa2048_cert = pki.write_certs('rsa2048.crt', pki.leaf(rsa2048), pki.inter)
  p224 = pki.ec_key('secp224r1')
  p224_key = pki.write_key('p224.key', p224)
  p224_cert = pki.write_certs('p224.crt', pki.leaf(p224), pki.inter)
  sha1_cert = pki.write_certs('sha1.crt', pki.leaf(key, digest: 'SHA1'), pki.inter)
  long_cert = pki.write_certs('long.crt', pki.leaf(key, days: 800), pki.inter)
  client_only = pki.write_certs('client-only.crt', pki.leaf(key, eku: 'clientAuth'), pki.inter)
  no_eku = pki.write_certs('no-eku.crt', pki.leaf(key, eku: nil), pki.inter)
  future = pki.write_certs('future.crt', pki.leaf(key, from: 2, days: 300), pki.inter)

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

      context 'with the site endpoint name' do
        recipe do
          ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
            endpoint 'keystone'
            cert leaf_only
            key key_file
            ca_bundle ca
            fqdn 'keystone.lab.example.net'
          end
        end

        it 'names the endpoint and its site key, as the recipe check does' do
          expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                             /endpoint keystone \(endpoints\.keystone\.cert\): #{Regexp.escape(leaf_only)}: the issuer/)
        end
      end

      context 'with a good certificate, when HAProxy loads the staged file' do
        recipe do
          ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
            cert good_cert
            key key_file
            ca_bundle ca
            fqdn 'keystone.lab.example.net'
          end
        end

        cached(:subject) { chef_run }
        let(:verification) { subject.file('/etc/haproxy/certs/keystone.pem').verifications.first }

        it 'accepts a bundle HAProxy loads' do
          staged = pki.write('staged-good.pem', Ipv6Common::Pki.bundle_pem(cert: good_cert, key: key_file), 0o600)
          expect(verification.verify(staged)).to be(true)
        end

        it 'refuses a bundle HAProxy cannot load, so the live file is never replaced' do
          staged = pki.write('staged-bad.pem', Ipv6Common::Pki.bundle_pem(cert: rsa1024_cert, key: rsa1024_key), 0o600)
          expect { verification.verify(staged) }.to raise_error(
            Ipv6Common::ConfigError, %r{endpoint keystone\.lab\.example\.net \(/etc/haproxy/certs/keystone\.pem\): HAProxy refuses the new bundle \(.*unable to load SSL certificate}
          )
        end
      end

      # Policy rules (site pki.policy; OpenSSL security level 2 is the floor).
      {
        'with a 1024-bit RSA key' =>
          [{ cert: rsa1024_cert, key: rsa1024_key }, 'weak_key', /has a 1024-bit RSA key; the policy wants at least 2048 bits/],
        'with a 1024-bit RSA key and a site policy of 1024 bits' =>
          [{ cert: rsa1024_cert, key: rsa1024_key, pki_policy: { 'min_rsa_bits' => 1024 } }, 'weak_key',
           /1024-bit RSA key; the policy wants at least 2048 bits .*OpenSSL security level 2/],
        'with a 2048-bit RSA key and a site policy of 3072 bits' =>
          [{ cert: rsa2048_cert, key: rsa2048_key, pki_policy: { 'min_rsa_bits' => 3072 } }, 'weak_key',
           /2048-bit RSA key; the policy wants at least 3072 bits \(pki\.policy\.min_rsa_bits/],
        'with a P-224 key' =>
          [{ cert: p224_cert, key: p224_key }, 'weak_key', /has a 224-bit EC key; the policy wants at least 256 bits/],
        'with a SHA-1 signature' =>
          [{ cert: sha1_cert }, 'weak_signature', /is signed with sha1WithRSAEncryption|is signed with ecdsa-with-SHA1/],
        'with a SHA-1 signature the site policy allows' =>
          [{ cert: sha1_cert, pki_policy: { 'signature_hashes' => %w(sha1 sha256) } }, 'weak_signature', /ecdsa-with-SHA1; .*allows sha256/],
        'with a SHA-256 signature and a site policy of SHA-384 only' =>
          [{ pki_policy: { 'signature_hashes' => %w(sha384) } }, 'weak_signature',
           /signed with ecdsa-with-SHA256; pki\.policy\.signature_hashes allows sha384; have the CA sign it with sha384/],
        'with a leaf valid for 801 days' =>
          [{ cert: long_cert }, 'validity_too_long', /is valid for 801 days, more than the 398 of pki\.policy\.max_validity_days; issue it/],
        'with a clientAuth-only leaf' =>
          [{ cert: client_only }, 'no_server_auth', /has extendedKeyUsage TLS Web Client Authentication, not serverAuth/],
        'with a leaf without extendedKeyUsage' =>
          [{ cert: no_eku }, 'no_server_auth', /has no extendedKeyUsage, not serverAuth \(pki\.policy\.require_server_auth\); issue it with extendedKeyUsage serverAuth/],
        'with a leaf valid from the day after tomorrow' =>
          [{ cert: future }, 'not_yet_valid', /is not valid before .*; check the clock/],
      }.each do |input, (props, code, message)|
        context input do
          let(:declared) { [] }

          before do
            allow_any_instance_of(Chef::ResourceCollection).to receive(:insert).and_wrap_original do |original, resource, **opts|
              declared << resource.to_s
              original.call(resource, **opts)
            end
          end

          recipe do
            ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
              { cert: good_cert, key: key_file, ca_bundle: ca,
                fqdn: 'keystone.lab.example.net' }.merge(props).each do |prop, value|
                send(prop, value)
              end
            end
          end

          it "is refused with #{code} before the file resource exists" do
            expect { chef_run }.to raise_error(Ipv6Common::ConfigError) { |error|
              expect(error.problems.map(&:code).uniq).to eq([code])
              expect(error.message).to match(message)
            }
            expect(declared).not_to include('file[/etc/haproxy/certs/keystone.pem]')
          end
        end
      end

      context 'with check false (site policy.preflight false) and a self-signed certificate' do
        recipe do
          ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
            cert self_signed
            key key_file
            ca_bundle ca
            fqdn 'keystone.lab.example.net'
            check false
          end
        end

        it 'writes it unchecked, without the staged HAProxy load' do
          expect(chef_run).to create_file('/etc/haproxy/certs/keystone.pem')
          expect(chef_run.file('/etc/haproxy/certs/keystone.pem').verifications).to be_empty
        end
      end

      context 'with a policy that allows a long-lived client certificate' do
        recipe do
          ipv6_common_tls_bundle '/etc/haproxy/certs/keystone.pem' do
            cert long_cert
            key key_file
            ca_bundle ca
            fqdn 'keystone.lab.example.net'
            pki_policy 'max_validity_days' => 1000
          end
        end

        it { expect { chef_run }.not_to raise_error }
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
