# frozen_string_literal: true

describe 'ipv6_common_preflight' do
  step_into :ipv6_common_preflight

  dir = Dir.mktmpdir
  after(:all) { FileUtils.rm_rf(dir) }

  good_hosts = File.join(dir, 'hosts').tap { |f| File.write(f, "127.0.0.1 localhost\n::1 localhost\n") }
  installer_hosts = File.join(dir, 'hosts.installer').tap { |f| File.write(f, "127.0.0.1 localhost\n127.0.1.1 ctl1.lab.example.net ctl1\n") }
  if_inet6 = File.join(dir, 'if_inet6').tap { |f| File.write(f, "20010db8001000000000000000000011 02 40 00 80 eth0\n") }

  let(:a_records) { [] }
  let(:aaaa_records) { ['2001:db8:10::11'] }

  before do
    resolver = instance_double(Ipv6Common::Resolver)
    allow(resolver).to receive(:query).with('ctl1.lab.example.net', :a).and_return(Ipv6Common::Resolver::Answer.new(:ok, a_records, '2001:db8:10::53'))
    allow(resolver).to receive(:query).with('ctl1.lab.example.net', :aaaa).and_return(Ipv6Common::Resolver::Answer.new(:ok, aaaa_records, '2001:db8:10::53'))
    allow(Ipv6Common::Resolver).to receive(:new).with(['2001:db8:10::53'], port: 53, timeout: 5).and_return(resolver)
  end

  PLATFORMS.each do |name, version|
    context "on #{name} #{version} with a host ready for IPv6 only" do
      platform name, version

      recipe do
        ipv6_common_preflight 'ctl1' do
          fqdn 'ctl1.lab.example.net'
          addresses ['2001:DB8:10:0::11']
          nameservers ['2001:db8:10::53']
          hosts_file good_hosts
          if_inet6_file if_inet6
        end
      end

      cached(:subject) { chef_run }

      it { is_expected.to check_ipv6_common_preflight('ctl1').with(addresses: ['2001:db8:10::11']) }

      it 'changes nothing on the host' do
        expect(chef_run.resource_collection.map(&:to_s)).to eq(['ipv6_common_preflight[ctl1]'])
      end
    end
  end

  context 'with the installer line 127.0.1.1 in /etc/hosts' do
    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['2001:db8:10::11']
        nameservers ['2001:db8:10::53']
        hosts_file installer_hosts
        if_inet6_file if_inet6
      end
    end

    it 'names the file, the line and the fix' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                         /ctl1: .*hosts\.installer:2: "127\.0\.1\.1 ctl1\.lab\.example\.net ctl1" .*remove the line/)
    end
  end

  context 'with an orphaned A record' do
    let(:a_records) { ['192.0.2.11'] }

    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['2001:db8:10::11']
        nameservers ['2001:db8:10::53']
        hosts_file good_hosts
        if_inet6_file if_inet6
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /A 192\.0\.2\.11 .*delete the A record of ctl1\.lab\.example\.net/) }
  end

  context 'with a AAAA record for another address' do
    let(:aaaa_records) { ['2001:db8:10::99'] }

    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['2001:db8:10::11']
        nameservers ['2001:db8:10::53']
        hosts_file good_hosts
        if_inet6_file if_inet6
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /returns AAAA 2001:db8:10::99, site expects 2001:db8:10::11/) }
  end

  context 'with a site address missing from the host' do
    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['2001:db8:10::11', '2001:db8:10::12']
        nameservers ['2001:db8:10::53']
        hosts_file good_hosts
        if_inet6_file if_inet6
      end
    end

    let(:aaaa_records) { ['2001:db8:10::11', '2001:db8:10::12'] }

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /addresses\[1\]: 2001:db8:10::12 is not configured/) }
  end

  context 'with an IPv4 address' do
    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['10.0.0.11']
        nameservers ['2001:db8:10::53']
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /addresses\[0\]: 10\.0\.0\.11 is IPv4/) }
  end

  context 'with a bracketed name server' do
    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1.lab.example.net'
        addresses ['2001:db8:10::11']
        nameservers ['[2001:db8:10::53]']
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /nameservers\[0\]: \[2001:db8:10::53\] is bracketed/) }
  end

  context 'with an fqdn that is not a DNS name' do
    recipe do
      ipv6_common_preflight 'ctl1' do
        fqdn 'ctl1_lab'
        addresses ['2001:db8:10::11']
        nameservers ['2001:db8:10::53']
      end
    end

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /fqdn: "ctl1_lab" is not a DNS name/) }
  end
end
