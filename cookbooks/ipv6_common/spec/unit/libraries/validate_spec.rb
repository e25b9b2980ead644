# frozen_string_literal: true

describe Ipv6Common::Validate do
  describe 'names' do
    it { expect(described_class.name?('ctl1')).to be true }
    it { expect(described_class.name?('Ctl1')).to be false }
    it { expect(described_class.name?("ctl1\n")).to be false }
    it { expect(described_class.dns_name?('keystone.lab.example.net')).to be true }
    it { expect(described_class.dns_name?("#{'a' * 63}.example.net")).to be true }
    it { expect(described_class.dns_name?("#{'a' * 64}.example.net")).to be false }
    it { expect(described_class.dns_name?('a-.example.net')).to be false }
    it { expect(described_class.dns_name?('example.net.')).to be false }
    it { expect(described_class.dns_name?(7)).to be false }
    it { expect(described_class.in_zone?('a.lab.example.net', 'lab.example.net')).to be true }
    it { expect(described_class.in_zone?('lab.example.net', 'lab.example.net')).to be false }
    it { expect(described_class.in_zone?('xlab.example.net', 'lab.example.net')).to be false }
  end

  describe 'paths and ports' do
    it { expect(described_class.absolute_path?('/etc/ca.pem')).to be true }
    it { expect(described_class.absolute_path?('ca.pem')).to be false }
    it { expect([0, 1, 65_535, 65_536, true, '443'].map { |v| described_class.port?(v) }).to eq([false, true, true, false, false, false]) }
  end

  describe '.address_class' do
    {
      '2001:db8::11' => nil, '2001:DB8::11' => nil, '[2001:db8::11]' => 'bracketed', '2001:db8::11]' => 'bracketed',
      '192.0.2.1' => 'ipv4', '::ffff:192.0.2.1' => 'ipv4_mapped', '::' => 'unspecified', '::1' => 'loopback',
      'fe80::1' => 'link_local', 'febf::1' => 'link_local', 'fec0::1' => nil, 'ff02::1' => 'multicast',
      '2001:db8::11/64' => 'not_an_address', 'fe80::1%eth0' => 'not_an_address', '2001:db8::1::2' => 'not_an_address',
      '12345::1' => 'not_an_address', 'ctl1' => 'not_an_address', '' => 'not_an_address', '1:2:3:4:5:6:7:8:9' => 'not_an_address'
    }.each do |literal, code|
      it("classifies #{literal.inspect} as #{code.inspect}") { expect(described_class.address_class(literal)).to eq(code) }
    end

    it 'accepts the classes a caller allows' do
      expect(described_class.address_class('::1', allow: [:loopback])).to be_nil
      expect(described_class.address_class('::', allow: %w(unspecified loopback))).to be_nil
      expect(described_class.address_class('10.0.0.1', allow: [:loopback])).to eq('ipv4')
    end
  end

  describe '.canonical_address (RFC 5952)' do
    {
      '2001:DB8:0:0:0:0:0:11' => '2001:db8::11', '2001:db8:0:0:1:0:0:1' => '2001:db8::1:0:0:1',
      '2001:db8:0:1:1:1:1:1' => '2001:db8:0:1:1:1:1:1', '0:0:0:0:0:0:0:0' => '::', '1:0:0:0:0:0:0:0' => '1::',
      '2001:0db8::0011' => '2001:db8::11', '::1.2.3.4' => '::102:304'
    }.each do |literal, canonical|
      it("writes #{literal} as #{canonical}") { expect(described_class.canonical_address(literal)).to eq(canonical) }
    end
  end

  describe '.secret_problem' do
    it { expect(described_class.secret_problem('file' => '/etc/secret')).to be_nil }
    it { expect(described_class.secret_problem('env' => 'RABBIT_PW')).to be_nil }
    it { expect(described_class.secret_problem('s3cret')).to eq('inline_secret') }
    it { expect(described_class.secret_problem(12_345)).to eq('inline_secret') }
    it { expect(described_class.secret_problem('file' => 'secret')).to eq('bad_secret_ref') }
    it { expect(described_class.secret_problem('env' => 'pw')).to eq('bad_secret_ref') }
    it { expect(described_class.secret_problem('env' => 'PW', 'file' => '/x')).to eq('bad_secret_ref') }
    it { expect(described_class.secret_problem(['/x'])).to eq('bad_secret_ref') }
  end

  describe 'messages' do
    it { expect([nil, {}, [], 'a"b', true, 7, 2.5, 1e20].map { |v| described_class.describe(v) }).to eq(['nothing', 'a mapping', 'a list', 'a string ("a\"b")', 'a boolean (true)', 'an integer (7)', 'a number (2.5)', 'a number (1e+20)']) }
    it { expect(described_class.render('{path}: {{x}} {n}', path: 'a.b', n: 3)).to eq('a.b: {x} 3') }
    it { expect { described_class.render('{nope}', {}) }.to raise_error(KeyError) }

    it 'has one message for every code the schema names' do
      codes = described_class::SCHEMA['x-codes'].values + described_class::FILE_PROBLEMS.values.map(&:first)
      expect(codes.uniq - described_class::MESSAGES.keys).to eq([])
    end

    it 'shapes an address problem as "<path>: <found>; <fix>"' do
      expect(described_class.address_problem('10.0.0.5', path: 'bind[0]').message)
        .to eq("bind[0]: 10.0.0.5 is IPv4; this site is IPv6-only, use the host's global IPv6 address")
      expect(described_class.address_problem(2001, path: 'a[0]').message).to include('found an integer (2001)').and include('quote it')
      expect(described_class.address_problem('2001:db8::11', path: 'a[0]')).to be_nil
    end
  end
end
