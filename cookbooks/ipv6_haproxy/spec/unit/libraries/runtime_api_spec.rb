require 'spec_helper'
require 'timeout'

describe Ipv6Haproxy::RuntimeApi do
  describe '.parse_server_states' do
    csv = <<~CSV
      # pxname,svname,qcur,status,weight
      keystone,FRONTEND,,OPEN,
      keystone_backend,keystone,0,UP,1
      glance_backend,glance,0,DRAIN,1
      nova_backend,nova,0,MAINT (resolution),1
      neutron_backend,neutron,0,DOWN,1
      keystone_backend,BACKEND,0,UP,1
    CSV

    it 'maps each server to its administrative state, skipping frontends and backends' do
      expect(described_class.parse_server_states(csv)).to eq(
        'keystone_backend/keystone' => 'ready', 'glance_backend/glance' => 'drain',
        'nova_backend/nova' => 'maint', 'neutron_backend/neutron' => 'ready'
      )
    end
  end

  context 'against a running HAProxy' do
    dir = Dir.mktmpdir('runtime-api')
    socket = File.join(dir, 'admin.sock')
    pid = nil

    before(:all) do
      config = File.join(dir, 'haproxy.cfg')
      File.write(config, <<~CFG)
        global
            stats socket #{socket} mode 600 level admin
        defaults
            mode http
            timeout connect 1s
            timeout client 1s
            timeout server 1s
        backend keystone_backend
            server keystone [::1]:1
      CFG
      pid = Process.spawn('haproxy', '-f', config, out: File::NULL, err: File::NULL)
      Timeout.timeout(10) { Thread.pass until File.socket?(socket) }
    end

    after(:all) do
      Process.kill('TERM', pid)
      Process.wait(pid)
      FileUtils.rm_rf(dir)
    end

    it 'reads, sets and reads back a server state' do
      api = described_class.new(socket)
      expect(api.server_states).to eq('keystone_backend/keystone' => 'ready')
      api.set_state('keystone_backend/keystone', 'drain')
      expect(api.server_states).to eq('keystone_backend/keystone' => 'drain')
    end

    it 'reports a server HAProxy does not have' do
      expect { described_class.new(socket).set_state('keystone_backend/nope', 'drain') }
        .to raise_error(Ipv6Common::ConfigError, /HAProxy refused state drain \(No such server\.\)/)
    end
  end

  it 'reports a socket nobody listens on' do
    expect { described_class.new('/nonexistent/admin.sock').server_states }
      .to raise_error(Ipv6Common::ConfigError, %r{/nonexistent/admin\.sock: cannot reach HAProxy's runtime API})
  end
end
