# frozen_string_literal: true

require 'spec_helper'

describe Ipv6Common::Site do
  describe '.for_node' do
    let(:node) { Chef::Node.new.tap { |n| n.default['ipv6_edge']['site_file'] = path } }
    let(:path) { SiteFiles.write(SiteFiles.lab) }

    it 'loads the file the attribute names' do
      expect(described_class.for_node(node).endpoints.keys).to include('glance', 'keystone')
    end

    it 'reads the file once per run (node.run_state)' do
      expect(described_class).to receive(:load_file).with(path).once.and_call_original
      2.times { described_class.for_node(node) }
    end

    context 'when an endpoint is removed from the file between two runs' do
      it 'is gone from the next run: nothing of the site is kept in the node' do
        first = described_class.for_node(node)
        lab = SiteFiles.lab
        lab['endpoints'].delete('glance')
        File.write(path, YAML.dump(lab))
        node.run_state.clear # a new run
        expect(first.endpoints).to include('glance')
        expect(described_class.for_node(node).endpoints).not_to include('glance')
        expect(node.attributes.to_hash.to_s).not_to include('glance')
      end
    end

    context 'with a file that is not valid YAML' do
      let(:path) { SiteFiles.write("hosts: [\n") }

      it { expect { described_class.for_node(node) }.to raise_error(Ipv6Common::ConfigError, /cannot be read as YAML/) }
    end
  end
end

describe Ipv6Common::SiteDelivery do
  let(:site) { Ipv6Common::Site.from_hash(SiteFiles.lab) }

  context 'with a site that sets no tls, pki.policy or packages' do
    it 'gives the defaults' do
      expect(described_class.tls(site)).to include('min_version' => 'TLSv1.2', 'hsts' => true, 'hsts_max_age' => 63_072_000)
      expect(described_class.pki_policy(site)).to include('min_rsa_bits' => 2048, 'max_validity_days' => 398)
      expect(described_class.package_version(site, 'haproxy')).to be_nil
    end
  end

  context 'with a site that sets them' do
    before do
      allow(site).to receive(:tls).and_return('min_version' => 'TLSv1.3', 'hsts' => false)
      allow(site).to receive(:pki_policy).and_return('min_rsa_bits' => 3072)
      allow(site).to receive(:packages).and_return('haproxy' => '2.6.12-1+deb12u1')
    end

    it 'merges them over the defaults' do
      expect(described_class.tls(site)).to include('min_version' => 'TLSv1.3', 'hsts' => false,
                                                   'ciphersuites' => start_with('TLS_AES_128_GCM_SHA256'))
      expect(described_class.pki_policy(site)).to include('min_rsa_bits' => 3072, 'min_ec_bits' => 256)
      expect(described_class.package_version(site, 'haproxy')).to eq('2.6.12-1+deb12u1')
    end
  end
end
