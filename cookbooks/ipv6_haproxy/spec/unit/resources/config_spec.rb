require 'spec_helper'

describe 'ipv6_haproxy_config' do
  step_into :ipv6_haproxy_config, :ipv6_haproxy_endpoint

  shared_examples 'an IPv6-only TLS edge' do
    recipe do
      ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
      ipv6_haproxy_endpoint 'keystone' do
        bind_addresses ['2001:db8:10::11']
        port 5000
        backend_port 5000
        fqdn 'keystone.lab.example.net'
        pem '/etc/haproxy/certs/keystone.pem'
      end
    end

    it 'keeps the runtime API on a root-only unix socket' do
      expect(config_lines).to include('stats socket /run/haproxy/admin.sock mode 600 level admin')
      expect(config_lines.grep(/\A(stats|listen)\b/)).to eq(['stats socket /run/haproxy/admin.sock mode 600 level admin'])
    end

    it 'accepts TLS 1.2 and 1.3 only, with the Mozilla intermediate suites' do
      expect(config_lines).to include(
        'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
        "ssl-default-bind-ciphers #{Ipv6Haproxy::TLS_POLICY['ciphers']}",
        'ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
        'tune.ssl.default-dh-param 2048'
      )
    end

    it 'offers no CBC, RC4, 3DES or non-forward-secret suite' do
      expect(Ipv6Haproxy::TLS_POLICY['ciphers'].split(':')).to all(match(/\A(ECDHE|DHE)-.*(GCM|POLY1305)/))
    end

    it 'has no IPv4 or wildcard listener and v6only on every bind' do
      binds = config_lines.grep(/\Abind /)
      expect(binds).not_to be_empty
      expect(binds).to all(include(' v6only ssl crt '))
      expect(config_lines.join("\n")).not_to match(/0\.0\.0\.0|\bbind (:::|\*:|\[::\]:)/)
    end

    it 'checks the staged file with haproxy before it replaces the live one' do
      expect(chef_run.template('/etc/haproxy/haproxy.cfg').verifications.map(&:to_s)).to eq(['haproxy -c -f %{path}'])
    end

    it 'writes the file once, at the end of the run, then starts HAProxy' do
      expect(chef_run).to create_template('/etc/haproxy/haproxy.cfg').with(owner: 'root', group: 'root', mode: '0644')
      expect(chef_run).to start_service('haproxy')
      delayed = chef_run.run_context.delayed_actions.map { |n| "#{n.resource}:#{n.action}" }
      expect(delayed).to eq(['template[/etc/haproxy/haproxy.cfg]:create', 'service[haproxy]:start'])
    end

    it 'reloads HAProxy when the file changes, never restarts it' do
      template = chef_run.template('/etc/haproxy/haproxy.cfg')
      expect(template).to notify('service[haproxy]').to(:reload).delayed
      expect(template).not_to notify('service[haproxy]').to(:restart)
      expect(chef_run.service('haproxy').supports).to include(reload: true, status: true)
    end
  end

  context 'on Debian 12' do
    platform 'debian', '12'
    it_behaves_like 'an IPv6-only TLS edge'
  end

  context 'on Ubuntu 22.04' do
    platform 'ubuntu', '22.04'
    it_behaves_like 'an IPv6-only TLS edge'
  end

  context 'on Ubuntu 24.04' do
    platform 'ubuntu', '24.04'
    it_behaves_like 'an IPv6-only TLS edge'
  end

  context 'with TLS 1.3 only and custom timeouts' do
    platform 'debian', '12'
    recipe do
      ipv6_haproxy_config '/etc/haproxy/haproxy.cfg' do
        tls_min_version 'TLSv1.3'
        timeouts('client' => '30s', 'server' => '2m')
      end
    end

    it 'renders them' do
      expect(config_lines).to include('ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets',
                                      'timeout client 30s', 'timeout server 2m')
    end

    it 'has no frontend without endpoints' do
      expect(config_lines.grep(/\A(frontend|backend|bind) /)).to be_empty
    end
  end

  {
    'TLS 1.0 as the minimum' => [{ tls_min_version: 'TLSv1.0' }, /Option tls_min_version must be equal to one of: "TLSv1.2", "TLSv1.3"!  You passed "TLSv1.0"/],
    'a 1024-bit DH group' => [{ dh_param_bits: 1024 }, /Option dh_param_bits must be equal to one of: 2048, 3072, 4096!  You passed 1024/],
    'a timeout without a number' => [{ timeouts: { 'client' => 'long' } }, /Option timeouts's value .*long.* has a value that is not an HAProxy duration/],
    'a relative stats socket' => [{ stats_socket: 'admin.sock' }, /Option stats_socket's value admin.sock is not an absolute path/],
  }.each do |input, (override, message)|
    PLATFORMS.each do |platform_name, version|
      context "on #{platform_name} #{version} with #{input}" do
        platform platform_name, version
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg' do
            override.each { |prop, value| send(prop, value) }
          end
        end

        it 'is refused with a message naming the property and the value' do
          expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, message)
        end
      end
    end
  end
end
