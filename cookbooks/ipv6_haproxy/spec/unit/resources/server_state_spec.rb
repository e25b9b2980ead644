require 'spec_helper'

describe 'ipv6_haproxy_server_state' do
  step_into :ipv6_haproxy_server_state
  platform 'debian', '12'

  let(:api) { instance_double(Ipv6Haproxy::RuntimeApi, server_states: states) }

  before do
    allow(Ipv6Haproxy::RuntimeApi).to receive(:new).with('/run/haproxy/admin.sock').and_return(api)
    allow(api).to receive(:set_state)
  end

  recipe do
    ipv6_haproxy_server_state 'keystone_backend/keystone' do
      state 'drain'
    end
  end

  context 'with the server ready in the running HAProxy' do
    let(:states) { { 'keystone_backend/keystone' => 'ready', 'glance_backend/glance' => 'ready' } }

    it 'sets it to drain, and reports the resource updated' do
      expect(chef_run).to set_ipv6_haproxy_server_state('keystone_backend/keystone')
      expect(api).to have_received(:set_state).with('keystone_backend/keystone', 'drain')
      expect(chef_run.ipv6_haproxy_server_state('keystone_backend/keystone')).to be_updated
    end
  end

  context 'with the server already draining' do
    let(:states) { { 'keystone_backend/keystone' => 'drain' } }

    it 'sends nothing and changes nothing (a second converge is idempotent)' do
      chef_run
      expect(api).not_to have_received(:set_state)
      expect(chef_run.ipv6_haproxy_server_state('keystone_backend/keystone')).not_to be_updated
    end
  end

  context 'with a server the running HAProxy does not have' do
    let(:states) { { 'glance_backend/glance' => 'ready' } }

    it 'is refused naming the servers it has' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, %r{keystone_backend/keystone: no such server .*servers: glance_backend/glance})
    end
  end

  context 'with a state HAProxy does not know' do
    let(:states) { {} }

    recipe do
      ipv6_haproxy_server_state 'keystone_backend/keystone' do
        state 'down'
      end
    end

    it { expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /Option state must be equal to one of: "ready", "drain", "maint"/) }
  end
end
