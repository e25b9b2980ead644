require 'spec_helper'

describe 'ipv6_rabbitmq_broker' do
  step_into :ipv6_rabbitmq_broker
  platform 'debian', '12'

  cookie = 'Zx9' * 10

  context 'with one site address' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:DB8:10::11']
        cookie cookie
      end
    end

    let(:conf) { rendered_lines('/etc/rabbitmq/rabbitmq.conf') }
    let(:env) { rendered_lines('/etc/rabbitmq/rabbitmq-env.conf') }

    it 'listens for AMQP on the address only, unbracketed, and management on ::1' do
      expect(conf).to include('listeners.tcp.1 = 2001:db8:10::11:5672', 'management.tcp.ip = ::1', 'management.tcp.port = 15672')
      expect(conf.grep(/\Alisteners\./)).to eq(['listeners.tcp.1 = 2001:db8:10::11:5672'])
      expect(conf.join("\n")).not_to match(/0\.0\.0\.0|\[|cluster_formation/)
    end

    it 'runs the distribution and the CLI tools over inet6, v6only, with epmd on ::1 and the address' do
      dist = '-proto_dist inet6_tcp -kernel inetrc \"/etc/rabbitmq/inetrc\"'
      expect(env).to include(
        'NODENAME=rabbit@ctl1',
        'ERL_EPMD_ADDRESS=::1,2001:db8:10::11',
        %(SERVER_ADDITIONAL_ERL_ARGS="#{dist} -kernel inet_dist_use_interface {8193,3512,16,0,0,0,0,17} ) +
          '-kernel inet_dist_listen_options [{ipv6_v6only,true}]"',
        %(CTL_ERL_ARGS="#{dist}")
      )
      expect(env.join("\n")).not_to include("'")
      expect(rendered_lines('/etc/rabbitmq/inetrc')).to include('{inet6, true}.')
      expect(rendered_lines('/etc/rabbitmq/enabled_plugins')).to include('[rabbitmq_management].')
    end

    it 'points the syslog library at [::1] over an inet6 socket, so no IPv4 UDP socket opens' do
      expect(rendered_lines('/etc/rabbitmq/advanced.config')).to include(
        '[{syslog, [{dest_host, {0,0,0,0,0,0,0,1}}, {protocol, {rfc3164, udp, [inet6, {ip, {0,0,0,0,0,0,0,1}}]}}]}].'
      )
      expect(chef_run.template('/etc/rabbitmq/advanced.config')).to notify('service[rabbitmq-server for rabbit@ctl1]').to(:restart).delayed
    end

    it "bounds the init script's wait for the broker to boot" do
      expect(rendered_lines('/etc/default/rabbitmq-server')).to include('RABBITMQ_STARTUP_TIMEOUT=90')
    end

    it 'writes the cookie 0400, owned by rabbitmq, never shown' do
      expect(chef_run).to create_file('/var/lib/rabbitmq/.erlang.cookie').with(owner: 'rabbitmq', group: 'rabbitmq', mode: '0400',
                                                                               sensitive: true, content: cookie)
    end

    it 'checks every file before it replaces the live one' do
      %w(inetrc enabled_plugins advanced.config rabbitmq.conf rabbitmq-env.conf).each do |name|
        expect(chef_run.template("/etc/rabbitmq/#{name}").verifications).not_to be_empty, name
      end
      expect(chef_run.template('/etc/rabbitmq/rabbitmq-env.conf').verifications.map(&:to_s)).to eq(['sh -n %{path}'])
    end

    it 'restarts the broker once at the end of the resource when a file changes, and starts it' do
      %w(inetrc advanced.config enabled_plugins rabbitmq.conf rabbitmq-env.conf).each do |name|
        expect(chef_run.template("/etc/rabbitmq/#{name}")).to notify('service[rabbitmq-server for rabbit@ctl1]').to(:restart).delayed
      end
      expect(chef_run.file('/var/lib/rabbitmq/.erlang.cookie')).to notify('service[rabbitmq-server for rabbit@ctl1]').to(:restart).delayed
      expect(chef_run).to start_service('rabbitmq-server for rabbit@ctl1').with(service_name: 'rabbitmq-server')
    end
  end

  context 'with AMQPS on 5671 and a certificate of the site PKI' do
    dir = Dir.mktmpdir('broker-tls')
    after(:all) { FileUtils.rm_rf(dir) }
    pki = TestPki.new(dir)
    key = pki.new_key
    cert_file = pki.write_certs('rabbitmq.crt', pki.leaf(key, sans: ['ctl1.lab.example.net']), pki.inter)
    key_file = pki.write_key('rabbitmq.key', key)
    ca_file = pki.write_certs('ca.pem', pki.root)

    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
        tls_port 5671
        tls_cert cert_file
        tls_key key_file
        tls_ca_bundle ca_file
        tls_fqdn 'ctl1.lab.example.net'
      end
    end

    let(:conf) { rendered_lines('/etc/rabbitmq/rabbitmq.conf') }

    it 'listens for AMQPS on the address, unbracketed, beside AMQP, with the broker\'s copies of the files' do
      expect(conf.grep(/\Alisteners\./)).to eq(['listeners.tcp.1 = 2001:db8:10::11:5672', 'listeners.ssl.1 = 2001:db8:10::11:5671'])
      expect(conf).to include('ssl_options.cacertfile = /etc/rabbitmq/tls/ca.pem', 'ssl_options.certfile = /etc/rabbitmq/tls/cert.pem',
                              'ssl_options.keyfile = /etc/rabbitmq/tls/key.pem')
      expect(conf.join("\n")).not_to match(/\[|0\.0\.0\.0/)
    end

    it 'authenticates the server only, with TLS 1.3 and 1.2' do
      expect(conf).to include('ssl_options.verify = verify_none', 'ssl_options.fail_if_no_peer_cert = false',
                              'ssl_options.versions.1 = tlsv1.3', 'ssl_options.versions.2 = tlsv1.2')
      expect(conf.grep(/versions\.3|tlsv1\.1|tlsv1\z/)).to be_empty
    end

    it 'copies the key readable by rabbitmq only, and the certificates in PEM, leaf first' do
      expect(chef_run).to create_directory('/etc/rabbitmq/tls').with(owner: 'root', group: 'rabbitmq', mode: '0750')
      expect(chef_run).to create_file('/etc/rabbitmq/tls/key.pem').with(owner: 'rabbitmq', group: 'rabbitmq', mode: '0400', sensitive: true,
                                                                        content: key.private_to_pem)
      expect(chef_run).to create_file('/etc/rabbitmq/tls/cert.pem').with(owner: 'root', group: 'rabbitmq', mode: '0644',
                                                                         content: File.read(cert_file))
      expect(chef_run).to create_file('/etc/rabbitmq/tls/ca.pem').with(content: File.read(ca_file))
    end

    it 'writes the TLS files before rabbitmq.conf, whose check finds them, and restarts the broker when one changes' do
      names = chef_run.resource_collection.map(&:to_s)
      %w(ca cert key).each do |name|
        path = "/etc/rabbitmq/tls/#{name}.pem"
        expect(names.index("file[#{path}]")).to be < names.index('template[/etc/rabbitmq/rabbitmq.conf]')
        expect(chef_run.file(path)).to notify('service[rabbitmq-server for rabbit@ctl1]').to(:restart).delayed
      end
    end
  end

  context 'with TLS off' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
      end
    end

    it 'has no ssl listener and removes the copies of an earlier TLS setup' do
      expect(rendered_lines('/etc/rabbitmq/rabbitmq.conf').grep(/ssl/)).to be_empty
      expect(chef_run).to delete_directory('/etc/rabbitmq/tls').with(recursive: true)
    end
  end

  context 'with a certificate that does not name tls_fqdn' do
    dir = Dir.mktmpdir('broker-tls')
    after(:all) { FileUtils.rm_rf(dir) }
    pki = TestPki.new(dir)
    key = pki.new_key
    cert_file = pki.write_certs('rabbitmq.crt', pki.leaf(key, sans: ['keystone.lab.example.net']), pki.inter)
    key_file = pki.write_key('rabbitmq.key', key)
    ca_file = pki.write_certs('ca.pem', pki.root)

    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
        tls_port 5671
        tls_cert cert_file
        tls_key key_file
        tls_ca_bundle ca_file
        tls_fqdn 'ctl1.lab.example.net'
      end
    end

    it 'refuses it before any file is written, naming the site key and the fix' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                         /AMQPS of rabbit@ctl1 \(services\.rabbitmq\.tls\.cert\): .*names keystone\.lab\.example\.net, not ctl1.*DNS:ctl1/)
    end
  end

  context 'with tls_port but no certificate' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
        tls_port 5671
      end
    end

    it 'refuses it, naming each missing property' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /tls_cert: not set while tls_port is 5671.*tls_fqdn: not set/m)
    end
  end

  context 'with TLS 1.1 among the versions' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
        tls_versions %w(tlsv1.2 tlsv1.1)
      end
    end

    it 'refuses it, naming the property and the value' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /tls_versions.*tlsv1\.1.*tls\.min_version/m)
    end
  end

  context 'with two cluster peers' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cluster_peers %w(rabbit@ctl2 rabbit@ctl3)
        cookie cookie
      end
    end

    it 'lists the peers by name for classic_config peer discovery' do
      expect(rendered_lines('/etc/rabbitmq/rabbitmq.conf')).to include(
        'cluster_formation.peer_discovery_backend = classic_config',
        'cluster_formation.classic_config.nodes.1 = rabbit@ctl2',
        'cluster_formation.classic_config.nodes.2 = rabbit@ctl3'
      )
    end
  end

  context 'with management off' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        management false
        cookie cookie
      end
    end

    it 'enables no plugin and has no management listener' do
      expect(rendered_lines('/etc/rabbitmq/enabled_plugins')).to include('[].')
      expect(rendered_lines('/etc/rabbitmq/rabbitmq.conf').grep(/management/)).to be_empty
    end
  end

  {
    'with an IPv4 address' => [['10.0.0.1'], /addresses\[0\]: 10\.0\.0\.1 is IPv4/],
    'with a bracketed address' => [['[2001:db8:10::11]'], /addresses\[0\]: \[2001:db8:10::11\] is bracketed/],
    'with the wildcard address' => [['::'], /addresses\[0\]: :: is the unspecified address/],
  }.each do |input, (addresses, message)|
    context input do
      recipe do
        ipv6_rabbitmq_broker 'rabbit@ctl1' do
          addresses addresses
          cookie cookie
        end
      end

      it 'refuses it, naming the property and the value' do
        expect { chef_run }.to raise_error(Ipv6Common::ConfigError, message)
      end
    end
  end

  context 'with a short cookie' do
    recipe do
      ipv6_rabbitmq_broker 'rabbit@ctl1' do
        addresses ['2001:db8:10::11']
        cookie 'secret12'
      end
    end

    it 'refuses it without showing it' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError) { |e|
        expect(e.message).to include('cookie')
        expect(e.message).not_to include('secret12')
      }
    end
  end

  context 'with a node name that is not name@host' do
    recipe do
      ipv6_rabbitmq_broker 'ctl1' do
        addresses ['2001:db8:10::11']
        cookie cookie
      end
    end

    it 'refuses it' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /node_name.*ctl1.*rabbit@ctl1/m)
    end
  end
end
