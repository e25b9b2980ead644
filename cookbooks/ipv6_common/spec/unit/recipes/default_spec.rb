# frozen_string_literal: true

require 'yaml'

describe 'ipv6_common::default' do
  lab = YAML.safe_load(File.read(File.expand_path('../../../../../site/lab.yml', __dir__)))

  # chef-client -N ctl1: the node name is the host key in the site.
  let(:chef_runner) { ChefSpec::SoloRunner.new(chef_runner_options) { |node| node.name('ctl1') } }

  PLATFORMS.each do |name, version|
    context "on #{name} #{version} with the lab site" do
      platform name, version
      default_attributes['ipv6_edge']['site'] = lab

      cached(:subject) { chef_run }

      it 'checks the node against its host in the site' do
        is_expected.to check_ipv6_common_preflight('ctl1').with(
          fqdn: 'ctl1.lab.example.net', addresses: ['2001:db8:10::11'], nameservers: ['2001:db8:10::53']
        )
      end
    end
  end

  context 'without a site in the node attributes' do
    it 'tells how to pass the site' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, %r{ipv6_edge\.site: .*chef-client -j <\(bin/site-json site/lab\.yml\) -N ctl1})
    end
  end

  context 'with a site that breaks the schema' do
    default_attributes['ipv6_edge']['site'] = lab.merge('hosts' => lab['hosts'].merge('ctl1' => lab['hosts']['ctl1'].merge('addresses' => ['10.0.0.11'])))

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /hosts\.ctl1\.addresses\[0\]: 10\.0\.0\.11 is IPv4/) }
  end

  context 'on a node the site does not describe' do
    default_attributes['ipv6_edge']['site'] = lab
    let(:chef_runner) { ChefSpec::SoloRunner.new(chef_runner_options) { |node| node.name('web1') } }

    it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /hosts\.web1: no host web1 in site lab/) }
  end
end
