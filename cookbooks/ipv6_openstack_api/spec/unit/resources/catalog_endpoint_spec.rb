require 'spec_helper'

# Keystone's API answered by a double: the resource reads the catalog, then
# changes only what differs.
describe 'ipv6_openstack_api_catalog_endpoint' do
  step_into :ipv6_openstack_api_catalog_endpoint
  platform 'debian', '12'

  URL = 'https://placement.lab.example.net:8778'.freeze
  let(:identity) { instance_double(Ipv6OpenstackApi::Identity) }
  before { allow(Ipv6OpenstackApi::Identity).to receive(:new).and_return(identity) }

  def self.declare(urls)
    proc do
      ipv6_openstack_api_catalog_endpoint 'placement' do
        service_type 'placement'
        urls urls
        keystone_port 5000
        admin_password 'pw'
      end
    end
  end

  context 'with the service missing from the catalog' do
    recipe(&declare('public' => URL, 'internal' => URL))
    before do
      allow(identity).to receive(:service).with('placement').and_return(nil)
      allow(identity).to receive(:endpoints).and_return([])
    end

    it 'creates the service and one endpoint per interface' do
      expect(identity).to receive(:post).with('/v3/services', service: hash_including(type: 'placement'))
                                        .and_return('service' => { 'id' => 's1' })
      %w(public internal).each do |interface|
        expect(identity).to receive(:post).with('/v3/endpoints', endpoint: hash_including(interface: interface, url: URL,
                                                                                          service_id: 's1'))
      end
      expect(chef_run).to create_ipv6_openstack_api_catalog_endpoint('placement')
    end
  end

  context 'with the catalog as the site says' do
    recipe(&declare('public' => URL))
    before do
      allow(identity).to receive(:service).and_return('id' => 's1')
      allow(identity).to receive(:endpoints).and_return([{ 'id' => 'e1', 'interface' => 'public', 'url' => URL }])
    end

    it 'changes nothing' do
      expect(identity).not_to receive(:post)
      expect(identity).not_to receive(:patch)
      expect(chef_run.ipv6_openstack_api_catalog_endpoint('placement')).not_to be_updated
    end
  end

  context 'with an http URL on an address in the catalog and an interface the site does not list' do
    recipe(&declare('public' => URL))
    before do
      allow(identity).to receive(:service).and_return('id' => 's1')
      allow(identity).to receive(:endpoints).and_return([
                                                          { 'id' => 'e1', 'interface' => 'public', 'url' => 'http://[2001:db8:10::11]:8778' },
                                                          { 'id' => 'e2', 'interface' => 'admin', 'url' => URL },
                                                        ])
    end

    it 'corrects the URL and removes the extra interface' do
      expect(identity).to receive(:patch).with('/v3/endpoints/e1', endpoint: { url: URL })
      expect(identity).to receive(:delete).with('/v3/endpoints/e2')
      chef_run
    end
  end

  context 'with an http URL' do
    recipe(&declare('public' => 'http://placement.lab.example.net:8778'))

    it 'is refused' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /urls: public .* is not https on a DNS name/)
    end
  end

  context 'with a URL on an IPv6 literal' do
    recipe(&declare('public' => 'https://[2001:db8:10::11]:8778'))

    it 'is refused' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /urls: public .* is not https on a DNS name/)
    end
  end

  context 'with an unknown interface' do
    recipe(&declare('external' => URL))

    it 'is refused' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /urls: external is not public, internal or admin/)
    end
  end
end
