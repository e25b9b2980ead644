# frozen_string_literal: true

describe Ipv6Common::Address do
  describe '.parse' do
    it 'keeps the compressed lower-case form (RFC 5952)' do
      expect(described_class.parse('2001:0DB8:0000:0000:0000:0000:0000:0011').to_s).to eq('2001:db8::11')
    end

    it 'compresses the first of two equal runs of zeros' do
      expect(described_class.parse('2001:db8:0:0:1:0:0:1').to_s).to eq('2001:db8::1:0:0:1')
    end

    it 'accepts a unique local address' do
      expect(described_class.parse('fd00::2').to_s).to eq('fd00::2')
    end

    it 'accepts ::1 when loopback is allowed' do
      expect(described_class.parse('::1', allow: [:loopback]).to_s).to eq('::1')
    end

    it 'raises ConfigError carrying one problem with the path' do
      expect { described_class.parse('10.0.0.5', path: 'hosts.ctl1.addresses[0]') }
        .to raise_error(Ipv6Common::ConfigError, /\Ahosts\.ctl1\.addresses\[0\]: 10\.0\.0\.5 is IPv4; /) { |e|
          expect(e.problems.map(&:code)).to eq(['ipv4'])
        }
    end
  end

  describe '.problem' do
    {
      '10.0.0.5' => 'ipv4',
      '::ffff:10.0.0.5' => 'ipv4_mapped',
      '::ffff:a00:5' => 'ipv4_mapped',
      '::' => 'unspecified',
      '::1' => 'loopback',
      'fe80::1' => 'link_local',
      'febf::1' => 'link_local',
      'ff02::1' => 'multicast',
      '[2001:db8::11]' => 'bracketed',
      '[2001:db8::11]:443' => 'bracketed',
      '2001:db8::11]' => 'bracketed',
      'fe80::1%eth0' => 'not_an_address',
      '2001:db8::/64' => 'not_an_address',
      '2001:db8::11:5672:1:2:3:4' => 'not_an_address',
      'ctl1.lab.example.net' => 'not_an_address',
      '' => 'not_an_address',
      5 => 'type',
    }.each do |value, code|
      it "reports #{value.inspect} as #{code}, naming the path and the value" do
        problem = described_class.problem(value, path: 'p[0]')
        expect(problem.to_a.first(2)).to eq(['p[0]', code])
        expect(problem.message).to start_with('p[0]: ').and include(value.to_s)
      end
    end

    it 'accepts a global unicast address' do
      expect(described_class.problem('2001:db8:10::11')).to be_nil
    end

    it 'still refuses link-local when loopback is allowed' do
      expect(described_class.problem('fe80::1', allow: [:loopback]).code).to eq('link_local')
    end
  end

  describe '.canonical_list' do
    it 'returns canonical strings' do
      expect(described_class.canonical_list(['2001:DB8::0011', 'fd00::2'], path: 'addresses')).to eq(['2001:db8::11', 'fd00::2'])
    end

    it 'reports every bad item at once' do
      expect { described_class.canonical_list(['10.0.0.1', '2001:db8::1', '::'], path: 'addresses') }
        .to raise_error(Ipv6Common::ConfigError) { |e|
          expect(e.problems.map { |p| [p.path, p.code] }).to eq([['addresses[0]', 'ipv4'], ['addresses[2]', 'unspecified']])
          expect(e.message.lines.size).to eq(2)
        }
    end
  end

  describe 'renderings' do
    subject(:address) { described_class.parse('2001:DB8::11') }

    it { expect(address.to_s).to eq('2001:db8::11') }
    it { expect(address.url_host).to eq('[2001:db8::11]') }
    it { expect(address.host_port(5000)).to eq('[2001:db8::11]:5000') }
    it { expect(address.haproxy_bind(5000)).to eq('[2001:db8::11]:5000') }
    it { expect(address.rabbitmq_listener(5672)).to eq('2001:db8::11:5672') }
    it { expect(address.erlang_tuple).to eq('{8193,3512,0,0,0,0,0,17}') }
    it { expect(address.memcached(11_211)).to eq('inet6:[2001:db8::11]:11211') }
    %w(tgtadm lioadm ietadm scstadmin).each do |helper|
      it("brackets the Cinder target address for #{helper}") { expect(address.cinder_target(helper)).to eq('[2001:db8::11]') }
    end
    %w(iscsictl cxtadm nvmet).each do |helper|
      it("leaves the Cinder target address bare for #{helper}") { expect(address.cinder_target(helper)).to eq('2001:db8::11') }
    end

    it 'refuses an unknown Cinder target helper, naming it and the known ones' do
      expect { address.cinder_target('iscsi') }
        .to raise_error(Ipv6Common::ConfigError, /target_helper: "iscsi" is not a Cinder target helper; use one of tgtadm, .*nvmet/)
    end
    it { expect(address.my_ip).to eq('2001:db8::11') }

    it 'refuses a port that is not an integer' do
      expect { address.host_port('5000; rm') }.to raise_error(ArgumentError)
    end

    it 'compares by canonical form' do
      expect(address).to eq(described_class.parse('2001:db8:0::11'))
      expect([address, described_class.parse('2001:db8::0:11')].uniq.size).to eq(1)
    end
  end
end
