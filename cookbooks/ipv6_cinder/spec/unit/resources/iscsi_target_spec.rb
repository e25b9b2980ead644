require 'spec_helper'

describe 'ipv6_cinder_iscsi_target' do
  step_into :ipv6_cinder_iscsi_target
  platform 'debian', '12'

  CONF = '/etc/cinder/cinder.conf'.freeze

  def delayed(run = chef_run)
    run.run_context.delayed_actions.map { |n| "#{n.resource}:#{n.action}" }
  end

  def lines(run = chef_run)
    rendered_lines(CONF, run)
  end

  # The lines of one [section] of the rendered file.
  def section(name, run = chef_run)
    all = lines(run)
    start = all.index("[#{name}]")
    return [] unless start

    all[(start + 1)..].take_while { |line| !line.start_with?('[') }.reject(&:empty?)
  end

  let(:release) { 'zed' }
  let(:helper) { 'tgtadm' }
  let(:extra) { {} }
  let(:database) { nil }

  recipe do
    ipv6_cinder_iscsi_target 'lvm' do
      release node.run_state['release']
      target_helper node.run_state['helper']
      target_address '2001:DB8:10::11'
      secondary_addresses ['2001:db8:20::11']
      my_ip '2001:db8:10::11'
      glance_api_servers ['https://glance.lab.example.net:9292']
      transport_url 'rabbit://openstack:pw@[2001:db8:10::11]:5672/%2Fopenstack'
      database_connection node.run_state['database'] if node.run_state['database']
      options node.run_state['extra']
    end
  end

  before do
    stub_command('systemctl daemon-reload')
    allow_any_instance_of(Chef::Node).to receive(:run_state).and_wrap_original do |original|
      state = original.call
      state.merge!('release' => release, 'helper' => helper, 'extra' => extra, 'database' => database)
    end
  end

  context 'with zed and tgtadm (the lab)' do
    it 'writes target_ip_address bracketed, my_ip bare, the port and the helper' do
      expect(section('lvm')).to include('target_ip_address = [2001:db8:10::11]', 'target_port = 3260',
                                        'target_helper = tgtadm', 'target_protocol = iscsi',
                                        'iscsi_secondary_ip_addresses = [2001:db8:20::11]')
      expect(section('DEFAULT')).to include('my_ip = 2001:db8:10::11', 'enabled_backends = lvm',
                                            'glance_api_servers = https://glance.lab.example.net:9292',
                                            'transport_url = rabbit://openstack:pw@[2001:db8:10::11]:5672/%2Fopenstack')
    end

    it 'writes no option of another release' do
      expect(lines.grep(/\A(iscsi_ip_address|iscsi_port|iscsi_helper|target_secondary_ip_addresses)\b/)).to be_empty
    end

    it 'checks the staged file with Cinder\'s own options before it replaces the live one' do
      expect(chef_run.template(CONF).verifications.map { |v| v.instance_variable_get(:@command) })
        .to eq(["/usr/bin/python3 #{Chef::Config[:file_cache_path]}/ipv6_cinder/check_cinder_conf.py --release zed --backend lvm %{path}"])
      expect(chef_run).to create_cookbook_file("#{Chef::Config[:file_cache_path]}/ipv6_cinder/check_cinder_conf.py").with(mode: '0755')
    end

    it 'keeps the file private to root and the cinder group, and out of the logs' do
      expect(chef_run.template(CONF)).to have_attributes(owner: 'root', group: 'cinder', mode: '0640', sensitive: true)
    end

    context 'without a database' do
      it 'neither starts nor restarts cinder-volume, which cannot run yet' do
        expect(chef_run.template(CONF)).not_to notify('service[cinder-volume]')
        expect(delayed).not_to include('service[cinder-volume]:start')
        expect(chef_run).not_to start_service('cinder-volume')
        expect(section('database')).to be_empty
      end
    end

    context 'with a database' do
      let(:database) { 'mysql+pymysql://cinder:pw@[2001:db8:10::11]/cinder' }

      it 'writes it, starts cinder-volume and restarts it when the file changes' do
        expect(section('database')).to eq(['connection = mysql+pymysql://cinder:pw@[2001:db8:10::11]/cinder'])
        expect(chef_run.template(CONF)).to notify('service[cinder-volume]').to(:restart).delayed
        expect(delayed).to include('service[cinder-volume]:start')
      end
    end

    it 'binds tgtd to the portals only, through a systemd drop-in' do
      pretend_init_system(:systemd, 'tgt')
      expect(chef_run).to render_file('/etc/systemd/system/tgt.service.d/ipv6_cinder.conf').with_content { |text|
        expect(text.lines.map(&:strip)).to include(
          'ExecStart=', 'ExecStart=/usr/sbin/tgtd -f --iscsi portal=[2001:db8:10::11]:3260',
          'ExecStartPost=/usr/sbin/tgtadm --lld iscsi --op new --mode portal --param portal=[2001:db8:20::11]:3260'
        )
      }
      expect(delayed).to include('service[tgt]:start')
      expect(chef_run).to start_service('tgt')
    end

    context 'on a host without systemd (the lab, containers)' do
      before { pretend_init_system(:sysvinit, 'tgt', 'cinder-volume') }

      it 'starts tgtd with the portals on its command line, never bare' do
        expect(chef_run.service('tgt').start_command)
          .to eq("#{Chef::Config[:file_cache_path]}/ipv6_cinder/tgtd-start [2001:db8:10::11]:3260 [2001:db8:20::11]:3260")
        expect(chef_run).not_to create_template('/etc/systemd/system/tgt.service.d/ipv6_cinder.conf')
        expect(chef_run.service('tgt').restart_command).to end_with('tgtd-start [2001:db8:10::11]:3260 [2001:db8:20::11]:3260')
      end
    end

    context 'under systemd' do
      before { pretend_init_system(:systemd, 'tgt') }

      it 'leaves start to systemd (the drop-in) and reloads units on change' do
        expect(chef_run.service('tgt').start_command).to be_nil
        expect(chef_run.template('/etc/systemd/system/tgt.service.d/ipv6_cinder.conf'))
          .to notify('execute[ipv6_cinder systemd daemon-reload]').to(:run).immediately
      end
    end
  end

  context 'with pike' do
    let(:release) { 'pike' }

    it 'writes the iscsi_* names, bracketed' do
      expect(section('lvm')).to include('iscsi_ip_address = [2001:db8:10::11]', 'iscsi_port = 3260', 'iscsi_helper = tgtadm',
                                        'iscsi_protocol = iscsi', 'iscsi_secondary_ip_addresses = [2001:db8:20::11]')
      expect(section('lvm').grep(/\Atarget_/)).to be_empty
    end
  end

  %w(queens rocky stein).each do |name|
    context "with #{name}" do
      let(:release) { name }

      it 'writes target_ip_address bracketed (Cinder adds no brackets before 14.0.2)' do
        expect(section('lvm')).to include('target_ip_address = [2001:db8:10::11]', 'target_port = 3260')
        expect(section('lvm').grep(/\Aiscsi_(ip_address|port|helper)/)).to be_empty
      end
    end
  end

  context 'with antelope' do
    let(:release) { 'antelope' }

    it 'writes target_secondary_ip_addresses' do
      expect(section('lvm')).to include('target_secondary_ip_addresses = [2001:db8:20::11]')
      expect(section('lvm').grep(/\Aiscsi_secondary/)).to be_empty
    end
  end

  %w(lioadm ietadm scstadmin).each do |name|
    context "with #{name}" do
      let(:helper) { name }

      it 'brackets the address and leaves tgtd alone' do
        pretend_init_system(:systemd, 'tgt')
        expect(section('lvm')).to include("target_helper = #{name}", 'target_ip_address = [2001:db8:10::11]')
        expect(chef_run).not_to create_template('/etc/systemd/system/tgt.service.d/ipv6_cinder.conf')
      end
    end
  end

  %w(iscsictl cxtadm).each do |name|
    context "with #{name} (the Chelsio target)" do
      let(:helper) { name }

      it 'writes Cinder\'s iscsictl and the bare address, which the target brackets itself' do
        expect(section('lvm')).to include('target_helper = iscsictl', 'target_ip_address = 2001:db8:10::11',
                                          'iscsi_secondary_ip_addresses = 2001:db8:20::11')
      end
    end
  end

  context 'with nvmet on antelope' do
    let(:release) { 'antelope' }
    let(:helper) { 'nvmet' }

    it 'writes the bare address and NVMe-oF over TCP' do
      expect(section('lvm')).to include('target_helper = nvmet', 'target_protocol = nvmet_tcp', 'target_ip_address = 2001:db8:10::11')
    end
  end

  context 'with nvmet on zed' do
    let(:helper) { 'nvmet' }

    it 'refuses: the target is IPv4-only there' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /services\.cinder\.target_helper: nvmet on zed/)
    end
  end

  context 'with the seed\'s iscsi_ip_address on zed' do
    let(:extra) { { 'iscsi_ip_address' => '[2001:db8:10::11]' } }

    it 'refuses, naming the option to write and the site key' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError) { |e|
        expect(e.problems.map(&:code)).to eq(['foreign_option'])
        expect(e.message).to match(/ipv6_cinder_iscsi_target\[lvm\] options\.iscsi_ip_address: Cinder zed has no option iscsi_ip_address/)
        expect(e.message).to match(/write target_ip_address instead, or set services\.cinder\.release/)
      }
    end
  end

  context 'with an option that is not a target option' do
    let(:extra) { { 'volume_clear' => 'none' } }

    it { expect(section('lvm')).to include('volume_clear = none') }
  end

  context 'with an unknown release' do
    let(:release) { 'havana' }

    it 'refuses the property, naming the value' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /release.*havana/)
    end
  end

  context 'with an unknown helper' do
    let(:helper) { 'iscsi' }

    it 'refuses the property, naming the value' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /target_helper.*iscsi/)
    end
  end
end

describe 'ipv6_cinder_iscsi_target addresses' do
  step_into :ipv6_cinder_iscsi_target
  platform 'debian', '12'

  {
    'an IPv4 target address' => ['target_address', '10.0.0.11', /target_address: 10\.0\.0\.11 is IPv4/],
    'a bracketed target address' => ['target_address', '[2001:db8:10::11]', /target_address: \[2001:db8:10::11\] is bracketed/],
    'a bracketed my_ip' => ['my_ip', '[2001:db8:10::11]', /my_ip: \[2001:db8:10::11\] is bracketed/],
    'a loopback my_ip' => ['my_ip', '::1', /my_ip: ::1 is loopback/],
  }.each do |what, (property, value, message)|
    context "with #{what}" do
      recipe do
        ipv6_cinder_iscsi_target 'lvm' do
          release 'zed'
          target_helper 'tgtadm'
          target_address '2001:db8:10::11'
          my_ip '2001:db8:10::11'
          send(property, value)
        end
      end

      it { expect { chef_run }.to raise_error(Ipv6Common::ConfigError, message) }
    end
  end
end
