# frozen_string_literal: true

require 'yaml'

describe 'ipv6_common::default' do
  lab = SiteFiles.lab

  # chef-client -N ctl1: the node name is the host key in the site.
  let(:chef_runner) { ChefSpec::SoloRunner.new(chef_runner_options) { |node| node.name('ctl1') } }

  PLATFORMS.each do |name, version|
    context "on #{name} #{version} with the lab site" do
      platform name, version
      default_attributes['ipv6_edge']['site_file'] = SiteFiles.write(lab)

      cached(:subject) { chef_run }

      it 'checks the node against its host in the site' do
        is_expected.to check_ipv6_common_preflight('ctl1').with(
          fqdn: 'ctl1.lab.example.net', addresses: ['2001:db8:10::11'], nameservers: ['2001:db8:10::53']
        )
      end
    end
  end

  context 'with policy.preflight false in the site' do
    default_attributes['ipv6_edge']['site_file'] = SiteFiles.write(lab)
    before { allow_any_instance_of(Ipv6Common::Site).to receive(:policy).and_return('preflight' => false) }

    it 'checks nothing, and says so' do
      expect(Chef::Log).to receive(:warn).with(/ctl1: policy\.preflight is false in site lab/)
      expect(chef_run.find_resources(:ipv6_common_preflight)).to be_empty
    end
  end

  context 'without a site file at the default path' do
    before { allow(File).to receive(:file?).and_call_original }
    before { allow(File).to receive(:file?).with('/etc/ipv6_edge/site.yml').and_return(false) }

    it 'reads /etc/ipv6_edge/site.yml and tells how to install it' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                         %r{\Aipv6_edge\.site_file: /etc/ipv6_edge/site\.yml is not a file; install the site there})
    end
  end

  context 'with a relative site_file' do
    default_attributes['ipv6_edge']['site_file'] = 'site/lab.yml'

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, %r{ipv6_edge\.site_file: "site/lab\.yml" is not an absolute path}) }
  end

  context 'with the site in node attributes only' do
    default_attributes['ipv6_edge']['site'] = lab
    default_attributes['ipv6_edge']['site_file'] = '/nonexistent/site.yml'

    it 'does not use it: the site comes from the file alone' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, %r{ipv6_edge\.site_file: /nonexistent/site\.yml is not a file})
    end
  end

  context 'with a site that breaks the schema' do
    default_attributes['ipv6_edge']['site_file'] = SiteFiles.write(lab.merge('hosts' => lab['hosts'].merge('ctl1' => lab['hosts']['ctl1'].merge('addresses' => ['10.0.0.11']))))

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /hosts\.ctl1\.addresses\[0\]: 10\.0\.0\.11 is IPv4/) }
  end

  context 'on a node the site does not describe' do
    default_attributes['ipv6_edge']['site_file'] = SiteFiles.write(lab)
    let(:chef_runner) { ChefSpec::SoloRunner.new(chef_runner_options) { |node| node.name('web1') } }

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /hosts\.web1: no host web1 in site lab/) }
  end
end
