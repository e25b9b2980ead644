# frozen_string_literal: true

describe Ipv6Common::Preflight do
  around do |example|
    Dir.mktmpdir do |dir|
      @dir = dir
      example.run
    end
  end

  def file(name, text)
    File.join(@dir, name).tap { |path| File.write(path, text) }
  end

  describe '.hosts_file_problems' do
    def found(text)
      described_class.hosts_file_problems(file('hosts', text), 'ctl1.lab.example.net')
    end

    it 'accepts a file mapping the names to IPv6 only' do
      expect(found("127.0.0.1 localhost\n::1 localhost\n2001:db8:10::11 ctl1.lab.example.net ctl1\n")).to eq([])
    end

    it 'ignores comments' do
      expect(found("# 127.0.1.1 ctl1.lab.example.net ctl1\n")).to eq([])
    end

    context 'with the installer line 127.0.1.1 for the fqdn and short name' do
      it 'names the file, the line number, the line and the fix' do
        problems = found("127.0.0.1 localhost\n127.0.1.1 ctl1.lab.example.net ctl1\n")
        expect(problems.map(&:code)).to eq(['hosts_ipv4'])
        expect(problems.first.message).to match(
          %r{\A#{@dir}/hosts:2: "127\.0\.1\.1 ctl1\.lab\.example\.net ctl1" maps .*; remove the line and map the name to its IPv6 address}
        )
      end
    end

    context 'with only the short name on an IPv4 line' do
      it { expect(found("10.0.0.11 CTL1\n").map(&:path)).to eq(["#{@dir}/hosts:1"]) }
    end

    context 'with an IPv4-mapped address' do
      it { expect(found("::ffff:10.0.0.11 ctl1\n").map(&:code)).to eq(['hosts_ipv4']) }
    end

    context 'without a hosts file' do
      it { expect(described_class.hosts_file_problems(File.join(@dir, 'absent'), 'ctl1.lab.example.net')).to eq([]) }
    end
  end

  describe '.dns_problems' do
    answer = Ipv6Common::Resolver::Answer

    # A resolver answering from a table, as Resolver#query would.
    def resolver(a:, aaaa:)
      answers = { a: a, aaaa: aaaa }
      double('resolver').tap { |r| allow(r).to receive(:query) { |_name, type| answers.fetch(type) } }
    end

    def found(**answers)
      described_class.dns_problems(resolver(**answers), 'ctl1.lab.example.net', ['2001:db8:10::11'])
    end

    it 'accepts AAAA only, holding the site address' do
      expect(found(a: answer.new(:ok, [], '::1'), aaaa: answer.new(:ok, ['2001:db8:10::11'], '::1'))).to eq([])
    end

    context 'with an orphaned A record' do
      it 'names the record and the zone to fix' do
        problems = found(a: answer.new(:ok, ['192.0.2.5'], '::1'), aaaa: answer.new(:ok, ['2001:db8:10::11'], '::1'))
        expect(problems.map(&:code)).to eq(['dns_a_record'])
        expect(problems.first.message).to include('A 192.0.2.5', 'delete the A record of ctl1.lab.example.net in zone lab.example.net')
      end
    end

    context 'with a AAAA record for another address' do
      it { expect(found(a: answer.new(:ok, [], '::1'), aaaa: answer.new(:ok, ['2001:db8:10::99'], '::1')).map(&:code)).to eq(['dns_aaaa_missing']) }
    end

    context 'with a name that does not resolve' do
      it 'reports the missing AAAA' do
        problems = found(a: answer.new(:nxdomain, [], '::1'), aaaa: answer.new(:nxdomain, [], '::1'))
        expect(problems.map(&:message)).to eq(['ctl1.lab.example.net: name server ::1 returns no AAAA record, site expects 2001:db8:10::11; ' \
                                               'add AAAA 2001:db8:10::11 for ctl1.lab.example.net in zone lab.example.net'])
      end
    end

    context 'with a silent name server' do
      it { expect(found(a: answer.new(:timeout, [], '::1'), aaaa: answer.new(:error, [], '::1')).map(&:code)).to eq(%w(dns_unreachable dns_unreachable)) }
    end
  end

  describe '.interface_problems' do
    let(:if_inet6) do
      file('if_inet6', "00000000000000000000000000000001 01 80 10 80       lo\n" \
                       "20010db8001000000000000000000011 02 40 00 80     eth0\n" \
                       "20010db8001000000000000000000012 02 40 00 c0     eth0\n")
    end

    it 'accepts configured addresses' do
      expect(described_class.interface_problems(if_inet6, ['2001:db8:10::11'])).to eq([])
    end

    it 'reports an address the host does not have' do
      problems = described_class.interface_problems(if_inet6, ['2001:db8:10::11', '2001:db8:10::21'])
      expect(problems.map { |p| [p.path, p.code] }).to eq([['addresses[1]', 'address_not_configured']])
      expect(problems.first.message).to start_with('addresses[1]: 2001:db8:10::21 is not configured')
    end

    it 'names the site key and the value in the fix' do
      problem = described_class.interface_problems(if_inet6, ['2001:db8:10::21'], key: 'hosts.ctl1.addresses').first
      expect(problem.path).to eq('hosts.ctl1.addresses[0]')
      expect(problem.message).to end_with('add it to the host (ip -6 addr add 2001:db8:10::21/64 dev IFACE nodad) ' \
                                          'or correct hosts.ctl1.addresses in the site file')
    end

    it 'reports every address as not configured on a kernel without IPv6' do
      problems = described_class.interface_problems(File.join(@dir, 'absent'), ['2001:db8:10::11'])
      expect(problems.map(&:code)).to eq(['address_not_configured'])
    end

    it 'reports a tentative address' do
      expect(described_class.interface_problems(if_inet6, ['2001:db8:10::12']).map(&:code)).to eq(['address_tentative'])
    end
  end
end
