require 'spec_helper'

describe 'ipv6_haproxy_endpoint' do
  step_into :ipv6_haproxy_endpoint, :ipv6_haproxy_config

  PLATFORMS.each do |platform_name, version|
    context "on #{platform_name} #{version}" do
      platform platform_name, version

      context 'with two site addresses, one written in upper case and uncompressed' do
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
          ipv6_haproxy_endpoint 'keystone' do
            bind_addresses ['2001:DB8:10:0:0:0:0:11', '2001:db8:20::11']
            port 5000
            backend_port 5001
            fqdn 'keystone.lab.example.net'
            pem '/etc/haproxy/certs/keystone.pem'
          end
        end

        it 'binds each address bracketed, v6only, with TLS and the endpoint PEM' do
          expect(config_lines).to include(
            'bind [2001:db8:10::11]:5000 v6only ssl crt /etc/haproxy/certs/keystone.pem alpn http/1.1',
            'bind [2001:db8:20::11]:5000 v6only ssl crt /etc/haproxy/certs/keystone.pem alpn http/1.1'
          )
        end

        it 'binds nothing else' do
          expect(config_lines.grep(/\Abind /).size).to eq(2)
        end

        it 'forwards to the backend on [::1] with a health check carrying the endpoint name' do
          expect(config_lines).to include(
            'server keystone [::1]:5001 check inter 2s fall 3 rise 2',
            'http-check send meth GET uri / ver HTTP/1.1 hdr Host keystone.lab.example.net'
          )
        end

        it 'speaks HTTP with keep-alive and tells the backend the client used https' do
          expect(config_lines).to include(
            'option http-keep-alive', 'option forwardfor', 'http-request set-header X-Forwarded-Proto https',
            'default_backend keystone_backend'
          )
        end

        it 'opens a new backend connection per request, so a backend that closes idle connections never ' \
           'makes HAProxy drop a kept-alive client connection' do
          backend = config_lines.drop_while { |l| l != 'backend keystone_backend' }
          expect(backend[1]).to eq('option http-server-close')
        end

        it 'sends HSTS on every response by default' do
          expect(config_lines).to include('http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"')
          expect(config_lines).to include('http-response set-header X-Content-Type-Options nosniff')
        end

        it 'stores the addresses in compressed lower-case form' do
          expect(chef_run.ipv6_haproxy_endpoint('keystone').bind_addresses).to eq(%w(2001:db8:10::11 2001:db8:20::11))
        end
      end

      context 'without its configuration file declared' do
        recipe do
          ipv6_haproxy_endpoint 'keystone' do
            bind_addresses ['2001:db8:10::11']
            port 5000
            backend_port 5000
            fqdn 'keystone.lab.example.net'
            pem '/etc/haproxy/certs/keystone.pem'
          end
        end

        it 'is refused, naming the endpoint and the file' do
          expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                             %r{keystone: no configuration file /etc/haproxy/haproxy\.cfg is declared in this run; declare the resource that owns})
        end
      end

      context 'with maxconn 2 (a service with two workers)' do
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
          ipv6_haproxy_endpoint 'keystone' do
            bind_addresses ['2001:db8:10::11']
            port 5000
            backend_port 5000
            fqdn 'keystone.lab.example.net'
            pem '/etc/haproxy/certs/keystone.pem'
            maxconn 2
          end
        end

        it 'limits the connections to the backend, so the rest queue in HAProxy' do
          expect(config_lines).to include('server keystone [::1]:5000 check inter 2s fall 3 rise 2 maxconn 2')
        end
      end

      context 'with maxconn 0' do
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
          ipv6_haproxy_endpoint 'keystone' do
            bind_addresses ['2001:db8:10::11']
            port 5000
            backend_port 5000
            fqdn 'keystone.lab.example.net'
            pem '/etc/haproxy/certs/keystone.pem'
            maxconn 0
          end
        end

        it 'is refused, naming the property' do
          expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /maxconn.*must be 1 or more/)
        end
      end

      context 'with two endpoints declared in reverse order' do
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
          { 'nova' => 8774, 'glance' => 9292 }.each do |name, public_port|
            ipv6_haproxy_endpoint name do
              bind_addresses ['2001:db8:10::11']
              port public_port
              backend_port public_port
              fqdn "#{name}.lab.example.net"
              pem "/etc/haproxy/certs/#{name}.pem"
            end
          end
        end

        it 'renders one frontend and one backend each, sorted by name (stable file, no spurious reloads)' do
          expect(config_lines.grep(/\A(frontend|backend) /)).to eq(
            ['frontend glance', 'backend glance_backend', 'frontend nova', 'backend nova_backend']
          )
        end
      end

      context 'with check settings' do
        recipe do
          ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'
          ipv6_haproxy_endpoint 'placement' do
            bind_addresses ['2001:db8:10::11']
            port 8778
            backend_port 8778
            fqdn 'placement.lab.example.net'
            pem '/etc/haproxy/certs/placement.pem'
            check_path '/healthcheck'
            check_interval '500ms'
            check_fall 2
            check_rise 5
          end
        end

        it 'renders them on the server line and the check request' do
          expect(config_lines).to include(
            'server placement [::1]:8778 check inter 500ms fall 2 rise 5',
            'http-check send meth GET uri /healthcheck ver HTTP/1.1 hdr Host placement.lab.example.net'
          )
        end
      end

      {
        'an IPv4 bind' => ['10.0.0.1', /bind_addresses\[0\]: 10\.0\.0\.1 is IPv4/],
        'a bracketed bind' => ['[2001:db8:10::11]', /bind_addresses\[0\]: \[2001:db8:10::11\] is bracketed/],
        'the unspecified address' => ['::', /bind_addresses\[0\]: :: is the unspecified address/],
        'the loopback address' => ['::1', /bind_addresses\[0\]: ::1 is loopback/],
        'a link-local bind' => ['fe80::1', /bind_addresses\[0\]: fe80::1 is link-local/],
        'an IPv4-mapped bind' => ['::ffff:10.0.0.1', /bind_addresses\[0\]: ::ffff:10\.0\.0\.1 is an IPv4-mapped/],
        'a bind with a prefix length' => ['2001:db8:10::11/64', %r{bind_addresses\[0\]: "2001:db8:10::11/64" is not an IPv6 literal}],
      }.each do |input, (value, message)|
        context "with #{input}" do
          recipe do
            ipv6_haproxy_endpoint 'keystone' do
              bind_addresses [value]
              port 5000
              backend_port 5000
              fqdn 'keystone.lab.example.net'
              pem '/etc/haproxy/certs/keystone.pem'
            end
          end

          it 'is refused with a message naming the resource, the property and the value' do
            expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /ipv6_haproxy_endpoint\[keystone\] #{message}/)
          end
        end
      end

      {
        'a port of 0' => [{ port: 0 }, /Option port's value 0 is not a port/],
        'a backend port of 65536' => [{ backend_port: 65_536 }, /Option backend_port's value 65536 is not a port/],
        'a relative pem path' => [{ pem: 'certs/k.pem' }, %r{Option pem's value certs/k.pem is not an absolute path}],
        'an upper-case fqdn' => [{ fqdn: 'Keystone.lab' }, /Option fqdn's value Keystone.lab is not a DNS name/],
        'an empty bind list' => [{ bind_addresses: [] }, /Option bind_addresses's value \[\] is empty/],
        'a bind address that is not a list' => [{ bind_addresses: '2001:db8:10::11' }, /Property bind_addresses must be one of: Array!  You passed "2001:db8:10::11"/],
        'a check path without a slash' => [{ check_path: 'v3' }, /Option check_path's value v3 is not an HTTP path/],
        'a check interval without a number' => [{ check_interval: 'often' }, /Option check_interval's value often is not an HAProxy duration/],
        'a check fall of 0' => [{ check_fall: 0 }, /Option check_fall's value 0 must be 1 or more/],
        'an endpoint name that cannot name an HAProxy section' =>
          [{ endpoint_name: 'Key Stone' }, /Option endpoint_name's value Key Stone is not a valid endpoint name/],
      }.each do |input, (override, message)|
        context "with #{input}" do
          recipe do
            props = { bind_addresses: ['2001:db8:10::11'], port: 5000, backend_port: 5000,
                      fqdn: 'keystone.lab.example.net', pem: '/etc/haproxy/certs/keystone.pem' }.merge(override)
            ipv6_haproxy_endpoint 'keystone' do
              props.each { |prop, value| send(prop, value) }
            end
          end

          it 'is refused with a message naming the property and the value' do
            expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, message)
          end
        end
      end
    end
  end
end
