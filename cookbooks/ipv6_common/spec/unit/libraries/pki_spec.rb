# frozen_string_literal: true

describe Ipv6Common::Pki do
  # One CA hierarchy for the file: root -> intermediate -> leaves.
  before(:all) do
    @dir = Dir.mktmpdir
    @pki = TestPki.new(@dir)
    @key = @pki.new_key
    @ca = @pki.write_certs('ca.pem', @pki.root)
    @key_file = @pki.write_key('leaf.key', @key)
  end

  after(:all) { FileUtils.rm_rf(@dir) }

  let(:pki) { @pki }
  let(:leaf) { pki.leaf(@key) }

  def codes(cert_file, key: @key_file, ca: @ca, fqdn: 'keystone.lab.example.net', window: 30, now: Time.now)
    described_class.problems(cert: cert_file, key: key, ca_bundle: ca, fqdn: fqdn, window_days: window, now: now)
                   .map { |p| [p.code, p.path] }
  end

  context 'with a leaf and its intermediate issued by the org CA' do
    it 'has no problems' do
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter))).to eq([])
    end
  end

  context 'with the intermediate in the CA bundle instead of the cert file' do
    it 'reports chain_incomplete: HAProxy would serve the leaf alone' do
      ca = pki.write_certs('ca+inter.pem', pki.root, pki.inter)
      cert = pki.write_certs('leaf-only.crt', leaf)
      expect(codes(cert, ca: ca)).to eq([['chain_incomplete', cert]])
    end
  end

  context 'with the intermediate in both the cert file and the CA bundle' do
    it 'has no problems' do
      ca = pki.write_certs('ca+inter.pem', pki.root, pki.inter)
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter), ca: ca)).to eq([])
    end
  end

  context 'with a self-signed certificate' do
    it 'reports self_signed on the cert file' do
      cert = pki.write_certs('self.crt', pki.issue('keystone', @key, sans: ['keystone.lab.example.net']))
      expect(codes(cert)).to eq([['self_signed', cert]])
    end
  end

  context 'with a chain from another CA of the same name' do
    it 'reports untrusted' do
      other = TestPki.new(@dir)
      cert = pki.write_certs('other.crt', other.leaf(@key), other.inter)
      expect(codes(cert)).to eq([['untrusted', cert]])
    end
  end

  context 'with a complete chain from a foreign CA' do
    it 'reports untrusted, not a missing intermediate' do
      other = TestPki.new(@dir, org: 'Foreign')
      cert = pki.write_certs('foreign.crt', other.leaf(@key), other.inter)
      expect(codes(cert)).to eq([['untrusted', cert]])
    end
  end

  context 'without the intermediate' do
    it 'reports chain_incomplete' do
      cert = pki.write_certs('no-inter.crt', leaf)
      expect(codes(cert)).to eq([['chain_incomplete', cert]])
    end
  end

  context 'with an expired leaf' do
    it 'reports expired, not untrusted' do
      cert = pki.write_certs('expired.crt', pki.leaf(@key, from: -100, days: -1), pki.inter)
      expect(codes(cert)).to eq([['expired', cert]])
    end
  end

  context 'with a leaf expiring inside the window' do
    let(:cert) { pki.write_certs('soon.crt', pki.leaf(@key, days: 10), pki.inter) }

    it 'reports expiring with a 30-day window' do
      expect(codes(cert)).to eq([['expiring', cert]])
    end

    it 'accepts it with a 5-day window' do
      expect(codes(cert, window: 5)).to eq([])
    end

    it 'judges against the given time' do
      expect(codes(cert, window: 5, now: Time.now + (20 * 86_400))).to eq([['expired', cert]])
    end
  end

  context 'with a SAN for another name' do
    it 'reports san_mismatch' do
      cert = pki.write_certs('glance.crt', pki.leaf(@key, sans: ['glance.lab.example.net']), pki.inter)
      expect(codes(cert)).to eq([['san_mismatch', cert]])
    end
  end

  context 'with no SAN at all' do
    it 'reports san_mismatch (the CN does not count)' do
      cert = pki.write_certs('nosan.crt', pki.leaf(@key, sans: []), pki.inter)
      expect(codes(cert)).to eq([['san_mismatch', cert]])
    end
  end

  context 'with a wildcard SAN' do
    let(:cert) { pki.write_certs('wild.crt', pki.leaf(@key, sans: ['*.lab.example.net']), pki.inter) }

    it 'matches one label' do
      expect(codes(cert)).to eq([])
    end

    it 'does not match two labels' do
      expect(codes(cert, fqdn: 'a.keystone.lab.example.net')).to eq([['san_mismatch', cert]])
    end

    it 'does not match the parent name' do
      expect(codes(cert, fqdn: 'lab.example.net')).to eq([['san_mismatch', cert]])
    end
  end

  context 'with the key of another certificate' do
    it 'reports key_mismatch on the key file' do
      other_key = pki.write_key('other.key', pki.new_key)
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter), key: other_key)).to eq([['key_mismatch', other_key]])
    end
  end

  context 'with a group-readable key' do
    it 'reports key_mode' do
      loose = pki.write_key('loose.key', @key, 0o640)
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter), key: loose)).to eq([['key_mode', loose]])
    end
  end

  context 'with files that cannot be used' do
    it 'reports a missing cert file as unreadable' do
      expect(codes(File.join(@dir, 'absent.crt'))).to eq([['unreadable', File.join(@dir, 'absent.crt')]])
    end

    it 'reports a key that is not PEM as unreadable' do
      junk = pki.write('junk.key', "not a key\n", 0o600)
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter), key: junk)).to eq([['unreadable', junk]])
    end

    it 'reports a cert file of binary junk as unreadable, without an encoding error' do
      junk = pki.write('junk.crt', "\xff\xfe\x00junk".b, 0o644)
      expect(codes(junk)).to eq([['unreadable', junk]])
    end

    it 'reports a CA bundle without certificates as unreadable' do
      empty = pki.write('empty.pem', '', 0o644)
      expect(codes(pki.write_certs('good.crt', leaf, pki.inter), ca: empty)).to eq([['unreadable', empty]])
    end
  end

  context 'with a DER leaf' do
    it 'reads it (and names the missing intermediate, which DER cannot carry)' do
      der = pki.write('leaf.der', leaf.to_der, 0o644)
      expect(codes(der)).to eq([['chain_incomplete', der]])
    end
  end

  describe 'messages' do
    it 'name the file, what was found and the fix' do
      cert = pki.write_certs('no-inter.crt', leaf)
      message = described_class.problems(cert: cert, key: @key_file, ca_bundle: @ca, fqdn: 'keystone.lab.example.net',
                                         window_days: 30).first.message
      expect(message).to match(/\A#{Regexp.escape(cert)}: the issuer .*Org Issuing CA.*; append the intermediate/)
    end
  end

  describe '.bundle_pem' do
    it 'holds the leaf, the intermediates, then the key' do
      cert = pki.write_certs('good.crt', leaf, pki.inter)
      pem = described_class.bundle_pem(cert: cert, key: @key_file)
      blocks = pem.scan(/-----BEGIN ([A-Z ]+)-----/).flatten
      expect(blocks).to eq(['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY'])
      expect(pem).to start_with(leaf.to_pem)
    end
  end
end
