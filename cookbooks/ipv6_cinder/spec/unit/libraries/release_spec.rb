require 'spec_helper'

describe Ipv6Cinder::Release do
  let(:address) { Ipv6Common::Address.parse('2001:db8:10::11') }
  let(:second) { Ipv6Common::Address.parse('2001:db8:20::11') }

  def schema_enum(key)
    Ipv6Common::Validate::SCHEMA.dig('properties', 'services', 'properties', 'cinder', 'properties', key, 'enum')
  end

  def options(release, helper, secondary: [])
    described_class.target_options(release: release, helper: helper, address: address, secondary: secondary, port: 3260)
  end

  context 'with pike (iscsi_* names, no bracketing in Cinder)' do
    subject(:written) { options('pike', 'tgtadm', secondary: [second]) }

    it { expect(written['iscsi_ip_address']).to eq('[2001:db8:10::11]') }
    it { expect(written['iscsi_secondary_ip_addresses']).to eq('[2001:db8:20::11]') }
    it { expect(written['iscsi_port']).to eq(3260) }
    it { expect(written['iscsi_helper']).to eq('tgtadm') }
    it { expect(written.keys).not_to include('target_ip_address', 'target_port', 'target_helper') }
  end

  %w(queens rocky stein).each do |release|
    context "with #{release} (target_* names, Cinder does not bracket before 14.0.2)" do
      subject(:written) { options(release, 'lioadm', secondary: [second]) }

      it { expect(written['target_ip_address']).to eq('[2001:db8:10::11]') }
      it { expect(written['iscsi_secondary_ip_addresses']).to eq('[2001:db8:20::11]') }
      it { expect(written['target_port']).to eq(3260) }
      it { expect(written.keys).not_to include('iscsi_ip_address', 'iscsi_port', 'target_secondary_ip_addresses') }
      it { expect(described_class.family(release).brackets).to be(false) }
    end
  end

  %w(train ussuri victoria wallaby xena yoga zed).each do |release|
    context "with #{release} (Cinder brackets too; a bracketed value passes unchanged)" do
      subject(:written) { options(release, 'tgtadm', secondary: [second]) }

      it { expect(written['target_ip_address']).to eq('[2001:db8:10::11]') }
      it { expect(written['iscsi_secondary_ip_addresses']).to eq('[2001:db8:20::11]') }
      it { expect(written.keys).not_to include('iscsi_ip_address', 'target_secondary_ip_addresses') }
    end
  end

  %w(antelope bobcat caracal dalmatian epoxy).each do |release|
    context "with #{release} (target_secondary_ip_addresses)" do
      subject(:written) { options(release, 'tgtadm', secondary: [second]) }

      it { expect(written['target_ip_address']).to eq('[2001:db8:10::11]') }
      it { expect(written['target_secondary_ip_addresses']).to eq('[2001:db8:20::11]') }
      it { expect(written.keys).not_to include('iscsi_secondary_ip_addresses') }
    end
  end

  context 'with each helper on zed' do
    %w(tgtadm lioadm ietadm scstadmin).each do |helper|
      it("brackets the address for #{helper}") { expect(options('zed', helper)['target_ip_address']).to eq('[2001:db8:10::11]') }
    end

    it 'writes the Chelsio target (iscsictl) bare: it brackets the address itself' do
      expect(options('zed', 'iscsictl')).to include('target_helper' => 'iscsictl', 'target_ip_address' => '2001:db8:10::11')
    end

    it 'writes cxtadm as Cinder\'s iscsictl, bare' do
      expect(options('zed', 'cxtadm')).to include('target_helper' => 'iscsictl', 'target_ip_address' => '2001:db8:10::11')
    end

    it 'writes a secondary address bare for the Chelsio target' do
      expect(options('zed', 'iscsictl', secondary: [second])['iscsi_secondary_ip_addresses']).to eq('2001:db8:20::11')
    end
  end

  context 'with nvmet' do
    it 'writes the address bare and the NVMe-oF TCP protocol on antelope' do
      expect(options('antelope', 'nvmet')).to include('target_helper' => 'nvmet', 'target_protocol' => 'nvmet_tcp',
                                                      'target_ip_address' => '2001:db8:10::11')
    end

    it 'refuses it up to zed, where the target is IPv4-only' do
      expect { options('zed', 'nvmet') }
        .to raise_error(Ipv6Common::ConfigError, /services\.cinder\.target_helper: nvmet on zed: .*adrfam ipv4.*use tgtadm or lioadm/)
    end
  end

  context 'with the Chelsio target before train' do
    it 'refuses it: no address form reaches iscsiadm intact' do
      expect { options('stein', 'iscsictl') }
        .to raise_error(Ipv6Common::ConfigError) { |e|
          expect(e.problems.map(&:code)).to eq(['unsupported'])
          expect(e.message).to match(/services\.cinder\.target_helper: iscsictl on stein: .*no form of an IPv6 address works/)
        }
    end
  end

  context 'with an unknown release' do
    it 'names the site key, the value and the known releases' do
      expect { options('havana', 'tgtadm') }
        .to raise_error(Ipv6Common::ConfigError, /services\.cinder\.release: "havana" is not a Cinder release .*use one of pike, queens/)
    end
  end

  context 'with an unknown helper' do
    it 'names the site key, the value and the known helpers' do
      expect { options('zed', 'iscsi') }
        .to raise_error(Ipv6Common::ConfigError, /services\.cinder\.target_helper: "iscsi" is not a Cinder target helper; use one of tgtadm/)
    end
  end

  describe '.check_option!' do
    it 'refuses the seed\'s iscsi_ip_address on zed, naming target_ip_address and the site key' do
      expect { described_class.check_option!('zed', 'iscsi_ip_address', path: 'options.iscsi_ip_address') }
        .to raise_error(Ipv6Common::ConfigError) { |e|
          expect(e.problems.map(&:code)).to eq(['foreign_option'])
          expect(e.message).to include('options.iscsi_ip_address: Cinder zed has no option iscsi_ip_address')
          expect(e.message).to include('fall back to my_ip; write target_ip_address instead, or set services.cinder.release')
        }
    end

    it 'refuses target_ip_address on pike, naming iscsi_ip_address' do
      expect { described_class.check_option!('pike', 'target_ip_address', path: 'o') }
        .to raise_error(Ipv6Common::ConfigError, /Cinder pike has no option target_ip_address .*write iscsi_ip_address instead/)
    end

    it 'refuses the deprecated alias on queens, saying it is one' do
      expect { described_class.check_option!('queens', 'iscsi_ip_address', path: 'o') }
        .to raise_error(Ipv6Common::ConfigError, /Cinder queens reads iscsi_ip_address only as a deprecated alias.*write target_ip_address/)
    end

    it 'refuses iscsi_secondary_ip_addresses from antelope on' do
      expect { described_class.check_option!('antelope', 'iscsi_secondary_ip_addresses', path: 'o') }
        .to raise_error(Ipv6Common::ConfigError, /write target_secondary_ip_addresses instead/)
    end

    it 'accepts the release\'s own names and options that are not target options' do
      %w(target_ip_address target_port iscsi_secondary_ip_addresses volume_group).each do |name|
        expect { described_class.check_option!('zed', name, path: 'o') }.not_to raise_error
      end
    end
  end

  describe '.foreign_option_names' do
    it { expect(described_class.foreign_option_names('zed')).to contain_exactly('iscsi_ip_address', 'iscsi_port', 'iscsi_helper', 'iscsi_protocol', 'target_secondary_ip_addresses') }
    it { expect(described_class.foreign_option_names('pike')).to include('target_ip_address', 'target_port', 'target_secondary_ip_addresses') }
  end

  it 'knows every release the site schema allows' do
    expect(described_class.releases).to eq(schema_enum('release'))
  end

  it 'knows every helper the site schema allows' do
    expect(described_class::HELPERS.keys).to match_array(schema_enum('target_helper'))
  end

  it 'maps each release to the major version of its cinder package' do
    expect(described_class.major_version('zed')).to eq(21)
    expect(described_class.major_version('pike')).to eq(11)
  end
end
