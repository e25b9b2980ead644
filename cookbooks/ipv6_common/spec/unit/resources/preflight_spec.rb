# frozen_string_literal: true

describe 'ipv6_common_preflight' do
  step_into :ipv6_common_preflight

  dir = Dir.mktmpdir
  after(:all) { FileUtils.rm_rf(dir) }

  good_hosts = File.join(dir, 'hosts').tap { |f| File.write(f, "127.0.0.1 localhost\n::1 localhost\n") }
  installer_hosts = File.join(dir, 'hosts.installer').tap { |f| File.write(f, "127.0.0.1 localhost\n127.0.1.1 ctl1.lab.example.net ctl1\n") }
  if_inet6 = File.join(dir, 'if_inet6').tap { |f| File.write(f, "20010db8001000000000000000000011 02 40 00 80 eth0\n") }

  # What the name server answers for ctl1.lab.example.net.
  let(:a_answer) { Ipv6Common::Resolver::Answer.new(:ok, [], '2001:db8:10::53') }
  let(:aaaa_answer) { Ipv6Common::Resolver::Answer.new(:ok, ['2001:db8:10::11'], '2001:db8:10::53') }

  before do
    resolver = instance_double(Ipv6Common::Resolver)
    allow(resolver).to receive(:query).with('ctl1.lab.example.net', :a).and_return(a_answer)
    allow(resolver).to receive(:query).with('ctl1.lab.example.net', :aaaa).and_return(aaaa_answer)
    allow(Ipv6Common::Resolver).to receive(:new).with(['2001:db8:10::53'], port: 53, timeout: 5).and_return(resolver)
  end

  # A host ready for IPv6 only; each context below changes one thing.
  good = { fqdn: 'ctl1.lab.example.net', addresses: ['2001:DB8:10:0::11'], nameservers: ['2001:db8:10::53'],
           hosts_file: good_hosts, if_inet6_file: if_inet6 }.freeze

  PLATFORMS.each do |platform_name, version|
    context "on #{platform_name} #{version}" do
      platform platform_name, version

      context 'with a host ready for IPv6 only' do
        recipe do
          ipv6_common_preflight 'ctl1' do
            good.each { |prop, value| send(prop, value) }
          end
        end

        cached(:subject) { chef_run }

        it { is_expected.to check_ipv6_common_preflight('ctl1').with(addresses: ['2001:db8:10::11']) }

        it 'changes nothing on the host' do
          expect(chef_run.resource_collection.map(&:to_s)).to eq(['ipv6_common_preflight[ctl1]'])
        end
      end

      # input => [properties changed, answers changed, error class, message naming what, the value and the fix]
      {
        'the installer line 127.0.1.1 in /etc/hosts' =>
          [{ hosts_file: installer_hosts }, {}, Ipv6Common::ConfigError,
           /ctl1: .*hosts\.installer:2: "127\.0\.1\.1 ctl1\.lab\.example\.net ctl1" maps .* IPv4 127\.0\.1\.1; remove the line/],
        'an orphaned A record' =>
          [{}, { a: [:ok, ['192.0.2.11']] }, Ipv6Common::ConfigError,
           /ctl1: ctl1\.lab\.example\.net: .*returns A 192\.0\.2\.11 .*delete the A record of ctl1\.lab\.example\.net in zone lab\.example\.net/],
        'a AAAA record for another address' =>
          [{}, { aaaa: [:ok, ['2001:db8:10::99']] }, Ipv6Common::ConfigError,
           /returns AAAA 2001:db8:10::99, site expects 2001:db8:10::11; add AAAA 2001:db8:10::11/],
        'a name with no AAAA record' =>
          [{}, { aaaa: [:nxdomain, []] }, Ipv6Common::ConfigError, /returns no AAAA record, site expects 2001:db8:10::11/],
        'a name server that does not answer' =>
          [{}, { a: [:timeout, []] }, Ipv6Common::ConfigError,
           /2001:db8:10::53 could not be reached or did not answer for type A; start the site DNS server \(dns\.server\)/],
        'a site address missing from the host' =>
          [{ addresses: ['2001:db8:10::11', '2001:db8:10::12'] }, { aaaa: [:ok, ['2001:db8:10::11', '2001:db8:10::12']] },
           Ipv6Common::ConfigError,
           %r{ctl1: hosts\.ctl1\.addresses\[1\]: 2001:db8:10::12 is not configured .*ip -6 addr add 2001:db8:10::12/64 .*correct hosts\.ctl1\.addresses}],
        'an IPv4 address' =>
          [{ addresses: ['10.0.0.11'] }, {}, Ipv6Common::ConfigError, /addresses\[0\]: 10\.0\.0\.11 is IPv4; this site is IPv6-only/],
        'a bracketed name server' =>
          [{ nameservers: ['[2001:db8:10::53]'] }, {}, Ipv6Common::ConfigError,
           /nameservers\[0\]: \[2001:db8:10::53\] is bracketed; write the bare literal 2001:db8:10::53/],
        'an fqdn that is not a DNS name' =>
          [{ fqdn: 'ctl1_lab' }, {}, Ipv6Common::ConfigError, /fqdn: "ctl1_lab" is not a DNS name; use lower-case/],
        'a DNS port of 0' =>
          [{ dns_port: 0 }, {}, Chef::Exceptions::ValidationFailed, /Option dns_port's value 0 is not a port; use 1\.\.65535/],
        'a timeout of 0' =>
          [{ timeout: 0 }, {}, Chef::Exceptions::ValidationFailed, /Option timeout's value 0 must be 1 or more/],
      }.each do |input, (props, answers, error, message)|
        context "with #{input}" do
          let(:a_answer) { Ipv6Common::Resolver::Answer.new(*answers.fetch(:a, [:ok, []]), '2001:db8:10::53') }
          let(:aaaa_answer) { Ipv6Common::Resolver::Answer.new(*answers.fetch(:aaaa, [:ok, ['2001:db8:10::11']]), '2001:db8:10::53') }

          recipe do
            ipv6_common_preflight 'ctl1' do
              good.merge(props).each { |prop, value| send(prop, value) }
            end
          end

          it('is refused, naming the key or file, the value and the fix') { expect { chef_run }.to raise_error(error, message) }
        end
      end
    end
  end
end
