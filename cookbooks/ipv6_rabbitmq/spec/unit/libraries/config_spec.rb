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

describe Ipv6Common::TransportUrl do
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
