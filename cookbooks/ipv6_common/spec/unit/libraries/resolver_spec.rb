# frozen_string_literal: true

describe Ipv6Common::Resolver do
  before(:all) do
    @dns = FakeDns.new({ %w(ctl1.lab.example.net AAAA) => ['2001:DB8:10:0::11'],
                         %w(old.lab.example.net A) => ['192.0.2.5'],
                         %w(old.lab.example.net AAAA) => ['2001:db8:10::99'] },
                       silent: ['slow.lab.example.net'])
  end

  after(:all) { @dns.stop }

  let(:resolver) { described_class.new(['::1'], port: @dns.port, timeout: 1) }

  it 'returns AAAA records in canonical form' do
    expect(resolver.query('ctl1.lab.example.net', :aaaa).to_a.first(3)).to eq([:ok, ['2001:db8:10::11'], '::1'])
  end

  it 'gives the lowest TTL of the records' do
    expect(resolver.query('ctl1.lab.example.net', :aaaa).ttl).to eq(300)
  end

  it 'tells an empty answer (NODATA) apart' do
    expect(resolver.query('ctl1.lab.example.net', :a).to_a.first(3)).to eq([:ok, [], '::1'])
  end

  it 'returns an A record beside a AAAA record' do
    expect(resolver.query('old.lab.example.net', :a).records).to eq(['192.0.2.5'])
  end

  it 'reports a name that does not exist' do
    expect(resolver.query('gone.lab.example.net', :aaaa).status).to eq(:nxdomain)
  end

  it 'reports a server that does not answer in time' do
    expect(resolver.query('slow.lab.example.net', :aaaa).status).to eq(:timeout)
  end

  context 'with a name server that has no route' do
    before do
      allow_any_instance_of(UDPSocket).to receive(:connect).and_wrap_original do |connect, host, port|
        raise Errno::ENETUNREACH if host == '2001:db8:ff::53'

        connect.call(host, port)
      end
    end

    it 'asks the next server' do
      answer = described_class.new(['2001:db8:ff::53', '::1'], port: @dns.port, timeout: 1).query('ctl1.lab.example.net', :aaaa)
      expect(answer.to_a.first(3)).to eq([:ok, ['2001:db8:10::11'], '::1'])
    end

    it 'reports no answer, naming the servers, when none can be reached' do
      answer = described_class.new(['2001:db8:ff::53'], port: @dns.port).query('ctl1.lab.example.net', :a)
      expect(answer.to_a.first(3)).to eq([:timeout, [], '2001:db8:ff::53'])
    end
  end
end
