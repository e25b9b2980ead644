require 'spec_helper'
require 'mixlib/shellout'

describe Ipv6Rabbitmq::Check do
  def check(argv)
    Mixlib::ShellOut.new(*argv, timeout: 60).run_command
  end

  def staged(text)
    file = Tempfile.new('rabbitmq')
    file.write(text)
    file.close
    file.path
  end

  # rabbitmq-server (packages.debian) provides erl and the schema; without it these fail.
  context 'with the rendered rabbitmq.conf' do
    it "passes RabbitMQ's own schema" do
      conf = Ipv6Rabbitmq::Config.rabbitmq_conf(addresses: ['2001:db8:10::11'], port: 5672, management: true,
                                                management_port: 15_672, cluster_peers: ['rabbit@ctl2'])
      result = check(described_class.rabbitmq_conf_argv(staged(conf.map { |k, v| "#{k} = #{v}\n" }.join)))
      expect(result.exitstatus).to eq(0), result.stdout + result.stderr
    end
  end

  context 'with AMQPS on 5671' do
    it "passes RabbitMQ's own schema, which finds the files it names" do
      Dir.mktmpdir('tls') do |dir|
        files = %w(ca cert key).to_h { |name| [:"#{name == 'ca' ? 'cacert' : name}file", File.join(dir, "#{name}.pem").tap { |f| File.write(f, '') }] }
        conf = Ipv6Rabbitmq::Config.rabbitmq_conf(addresses: ['2001:db8:10::11'], port: 5672, management: true, management_port: 15_672,
                                                  cluster_peers: [], tls: files.merge(port: 5671, versions: %w(tlsv1.3 tlsv1.2)))
        result = check(described_class.rabbitmq_conf_argv(staged(conf.map { |k, v| "#{k} = #{v}\n" }.join)))
        expect(result.exitstatus).to eq(0), result.stdout + result.stderr
      end
    end
  end

  context 'with a bracketed listener' do
    it 'is rejected by the schema check, naming the listener' do
      result = check(described_class.rabbitmq_conf_argv(staged("listeners.tcp.1 = [2001:db8:10::11]:5672\n")))
      expect(result.exitstatus).to eq(1)
      expect(result.stdout + result.stderr).to include('listeners.tcp.1')
    end
  end

  context 'with an Erlang term file missing its full stop' do
    it 'is rejected by file:consult' do
      expect(check(described_class.erlang_terms_argv(staged("{inet6, true}\n"))).exitstatus).to eq(1)
      expect(check(described_class.erlang_terms_argv(staged("{inet6, true}.\n"))).exitstatus).to eq(0)
    end
  end
end

describe Ipv6Rabbitmq::Config do
  tls = { port: 5671, cacertfile: '/etc/rabbitmq/tls/ca.pem', certfile: '/etc/rabbitmq/tls/cert.pem',
          keyfile: '/etc/rabbitmq/tls/key.pem', versions: %w(tlsv1.3 tlsv1.2) }

  def conf(**opts)
    described_class.rabbitmq_conf(addresses: ['2001:db8:10::11', '2001:db8:20::11'], port: 5672, management: true,
                                  management_port: 15_672, cluster_peers: [], **opts)
  end

  context 'with AMQPS on 5671' do
    it 'adds an unbracketed TLS listener per address, the three files, server authentication only, the versions' do
      expect(conf(tls: tls)).to include(
        'listeners.ssl.1' => '2001:db8:10::11:5671', 'listeners.ssl.2' => '2001:db8:20::11:5671',
        'ssl_options.cacertfile' => '/etc/rabbitmq/tls/ca.pem', 'ssl_options.certfile' => '/etc/rabbitmq/tls/cert.pem',
        'ssl_options.keyfile' => '/etc/rabbitmq/tls/key.pem', 'ssl_options.verify' => 'verify_none',
        'ssl_options.fail_if_no_peer_cert' => 'false', 'ssl_options.versions.1' => 'tlsv1.3', 'ssl_options.versions.2' => 'tlsv1.2'
      )
      expect(conf(tls: tls).keys.grep(/\Alisteners\./)).to eq(%w(listeners.tcp.1 listeners.tcp.2 listeners.ssl.1 listeners.ssl.2))
    end
  end

  context 'without TLS' do
    it 'has no ssl key at all' do
      expect(conf.keys.grep(/ssl/)).to be_empty
    end
  end

  {
    'TLSv1.2' => %w(tlsv1.3 tlsv1.2),
    'TLSv1.3' => %w(tlsv1.3),
  }.each do |min_version, versions|
    context "with tls.min_version #{min_version}" do
      it "accepts #{versions.join(' and ')}" do
        expect(described_class.tls_versions(min_version)).to eq(versions)
      end
    end
  end

  context 'with tls.min_version TLSv1.1' do
    it 'refuses it, naming the site key' do
      expect { described_class.tls_versions('TLSv1.1') }.to raise_error(Ipv6Common::ConfigError, /tls\.min_version: "TLSv1\.1"/)
    end
  end
end

describe Ipv6Common::TransportUrl do
  context 'with TLS on (a CA file)' do
    it 'renders the AMQPS port in transport_url and turns ssl on with the CA file' do
      settings = described_class.settings([{ 'host' => 'ctl1.lab.example.net', 'port' => 5671, 'user' => 'u', 'password' => 'p' }],
                                          vhost: '/openstack', ca_file: '/var/lib/v6lab/pki/ca.pem')
      expect(settings).to eq('DEFAULT' => { 'transport_url' => 'rabbit://u:p@ctl1.lab.example.net:5671/%2Fopenstack' },
                             'oslo_messaging_rabbit' => { 'ssl' => 'true', 'ssl_ca_file' => '/var/lib/v6lab/pki/ca.pem' })
    end

    it 'brackets a literal broker' do
      settings = described_class.settings([{ 'host' => '2001:db8:10::11', 'port' => 5671, 'user' => 'u', 'password' => 'p' }],
                                          vhost: '/', ca_file: '/etc/ssl/ca.pem')
      expect(settings['DEFAULT']['transport_url']).to eq('rabbit://u:p@[2001:db8:10::11]:5671/%2F')
    end
  end

  context 'with TLS off' do
    it 'renders transport_url only' do
      settings = described_class.settings([{ 'host' => 'ctl1.lab.example.net', 'user' => 'u', 'password' => 'p' }], vhost: '/openstack')
      expect(settings).to eq('DEFAULT' => { 'transport_url' => 'rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack' })
    end
  end

  context 'with a relative CA file' do
    it 'refuses it, naming the key' do
      expect { described_class.settings([{ 'host' => 'ctl1.lab.example.net', 'user' => 'u', 'password' => 'p' }], vhost: '/', ca_file: 'ca.pem') }
        .to raise_error(Ipv6Common::ConfigError, /ssl_ca_file: "ca\.pem" is not an absolute path/)
    end
  end

  it 'brackets an IPv6 literal and percent-encodes the password and the vhost' do
    url = described_class.render([{ 'host' => '2001:DB8:10::11', 'port' => 5672, 'user' => 'openstack', 'password' => 'p@ss/w:rd' }],
                                 vhost: '/openstack')
    expect(url).to eq('rabbit://openstack:p%40ss%2Fw%3Ard@[2001:db8:10::11]:5672/%2Fopenstack')
  end

  it 'takes a DNS name as it is' do
    url = described_class.render([{ 'host' => 'ctl1.lab.example.net', 'user' => 'u', 'password' => 'p' }], vhost: '/openstack')
    expect(url).to eq('rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack')
  end

  {
    'with an IPv4 broker' => ['10.0.0.1', /brokers\[0\]\.host: 10\.0\.0\.1 is IPv4/],
    'with a bracketed broker' => ['[2001:db8::11]', /brokers\[0\]\.host: \[2001:db8::11\] is bracketed/],
    'with an IPv4-mapped broker' => ['::ffff:10.0.0.1', /brokers\[0\]\.host: ::ffff:10\.0\.0\.1 is an IPv4-mapped/],
  }.each do |input, (host, message)|
    context input do
      it 'refuses it, naming the key and the value' do
        expect { described_class.render([{ 'host' => host, 'user' => 'u', 'password' => 'p' }], vhost: '/') }
          .to raise_error(Ipv6Common::ConfigError, message)
      end
    end
  end
end

describe Ipv6Common::Secret do
  it 'reads a file reference without its newline' do
    path = Tempfile.new('secret').tap { |f| f.write("s3cret\n") }.tap(&:close).path
    expect(described_class.read({ 'file' => path }, path: 'x.password')).to eq('s3cret')
  end

  it 'names the key and the file when it is missing, never a value' do
    expect { described_class.read({ 'file' => '/nonexistent/secret' }, path: 'services.rabbitmq.users.openstack.password') }
      .to raise_error(Ipv6Common::ConfigError, %r{services\.rabbitmq\.users\.openstack\.password: cannot read the secret file /nonexistent/secret})
  end
end
