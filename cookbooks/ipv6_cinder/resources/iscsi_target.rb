unified_mode true
provides :ipv6_cinder_iscsi_target

description 'One Cinder volume backend with its iSCSI (or NVMe-oF) target on the site IPv6 address: ' \
            'cinder.conf written under the option names of the release, the address in the form the ' \
            'target helper needs, checked with Cinder\'s own option definitions before it replaces the ' \
            'live file; and, for tgtadm, tgtd listening on the target addresses only.'

property :backend_name, String,
         name_property: true,
         description: 'Backend section of cinder.conf and the entry of enabled_backends.',
         callbacks: { 'is not a section name; use lower-case letters, digits, - and _' => ->(v) { v.match?(/\A[a-z0-9][a-z0-9_-]*\z/) } }

property :release, String,
         required: true,
         equal_to: Ipv6Cinder::Release.releases,
         description: 'OpenStack release of the installed Cinder (site services.cinder.release); decides the option names.'

property :target_helper, String,
         required: true,
         equal_to: Ipv6Cinder::Release::HELPERS.keys,
         description: 'Target helper (site services.cinder.target_helper); cxtadm is written as Cinder\'s iscsictl.'

property :target_address, String,
         required: true,
         description: 'The portal address, a bare IPv6 literal (stored compressed); bracketed on output where the helper needs it.',
         coerce: proc { |v| v.is_a?(String) ? Ipv6Common::Address.parse(v, path: "ipv6_cinder_iscsi_target[#{name}] target_address").to_s : v }

property :secondary_addresses, Array,
         default: [],
         description: 'Further portal addresses (multipath), bare IPv6 literals.',
         coerce: proc { |list|
           next list unless list.is_a?(Array)

           Ipv6Common::Address.canonical_list(list, path: "ipv6_cinder_iscsi_target[#{name}] secondary_addresses")
         }

property :target_port, Integer,
         default: 3260,
         description: 'Portal port (target_port, iscsi_port up to pike).',
         callbacks: { 'is not a port; use 1..65535' => ->(v) { v.between?(1, 65_535) } }

property :my_ip, String,
         required: true,
         description: 'The host\'s own address (DEFAULT my_ip), always written, bare: Cinder rejects brackets here and ' \
                      'falls back to the IPv4 loopback address on a host without IPv4.',
         coerce: proc { |v| v.is_a?(String) ? Ipv6Common::Address.parse(v, path: "ipv6_cinder_iscsi_target[#{name}] my_ip").to_s : v }

property :glance_api_servers, Array,
         default: [],
         description: 'Image service URLs (https://NAME:PORT), built with Ipv6Cinder::Conf.glance_url.'

property :transport_url, String,
         sensitive: true,
         description: 'oslo.messaging URL (rabbit://user:password@[addr]:port/vhost), built with Ipv6Common::TransportUrl.'

property :database_connection, String,
         sensitive: true,
         description: 'SQLAlchemy URL of the Cinder database, built with Ipv6Cinder::Conf.database_url. Without it ' \
                      'cinder-volume cannot run, so it is enabled but neither started nor restarted.'

property :volume_group, String,
         default: 'cinder-volumes',
         description: 'LVM volume group of the backend.'

property :options, Hash,
         default: {},
         description: 'Further options of the backend section, name => value. A target option of another release ' \
                      '(e.g. iscsi_ip_address on zed) raises Ipv6Common::ConfigError naming the right one.'

property :config_path, String,
         default: '/etc/cinder/cinder.conf',
         description: 'The file cinder-volume reads.'

property :check_script, String,
         default: lazy { ::File.join(Chef::Config[:file_cache_path], 'ipv6_cinder', 'check_cinder_conf.py') },
         description: 'Where the checker the template\'s verify runs is installed (default: in Chef\'s file cache).'

action_class do
  include Ipv6Common::ConfigFile

  def address(value)
    Ipv6Common::Address.parse(value)
  end

  def target_options
    Ipv6Cinder::Release.target_options(
      release: new_resource.release, helper: new_resource.target_helper,
      address: address(new_resource.target_address),
      secondary: new_resource.secondary_addresses.map { |a| address(a) }, port: new_resource.target_port
    )
  end

  def backend_options
    new_resource.options.each_key do |name|
      Ipv6Cinder::Release.check_option!(new_resource.release, name.to_s,
                                        path: "ipv6_cinder_iscsi_target[#{new_resource.backend_name}] options.#{name}")
    end
    { 'volume_driver' => 'cinder.volume.drivers.lvm.LVMVolumeDriver', 'volume_group' => new_resource.volume_group,
      'volume_backend_name' => new_resource.backend_name }
      .merge(new_resource.options.transform_keys(&:to_s)).merge(target_options)
  end

  def portals
    ([new_resource.target_address] + new_resource.secondary_addresses).map { |a| address(a).host_port(new_resource.target_port) }
  end
end

action :create do
  description 'Write cinder.conf (checked with Cinder\'s option definitions first), and for tgtadm bind tgtd to the portals.'

  # Refuse before anything is written: a helper that cannot serve IPv6 here.
  backend = backend_options
  runs = !new_resource.database_connection.nil?

  directory ::File.dirname(new_resource.check_script) do
    recursive true
  end

  cookbook_file new_resource.check_script do
    cookbook 'ipv6_cinder'
    source 'check_cinder_conf.py'
    mode '0755'
  end

  config_file new_resource.config_path,
              cookbook: 'ipv6_cinder', source: 'cinder.conf.erb', service: 'cinder-volume',
              notify: runs ? :restart : nil, start: runs, owner: 'root', group: 'cinder', mode: '0640',
              sensitive: true,
              verify: "/usr/bin/python3 #{new_resource.check_script} --release #{new_resource.release} " \
                      "--backend #{new_resource.backend_name} %{path}",
              variables: {
                defaults: {
                  'my_ip' => address(new_resource.my_ip).my_ip,
                  'glance_api_servers' => new_resource.glance_api_servers.join(','),
                  'transport_url' => new_resource.transport_url,
                  'state_path' => '/var/lib/cinder',
                }.compact.reject { |_k, v| v == '' },
                database: new_resource.database_connection,
                lock_path: '/var/lib/cinder/tmp',
              },
              collections: [:backends]
  config_section new_resource.config_path, :backends, new_resource.backend_name, backend.sort.to_h

  next unless Ipv6Cinder::Release.cinder_helper(new_resource.target_helper) == 'tgtadm'

  # tgtd takes its listening portal on the command line only (Debian's unit and
  # init script start it bare, on every address): a systemd drop-in, or the
  # start command Chef runs on hosts without systemd.
  if systemd?
    directory '/etc/systemd/system/tgt.service.d'

    template '/etc/systemd/system/tgt.service.d/ipv6_cinder.conf' do
      cookbook 'ipv6_cinder'
      source 'tgt.service.conf.erb'
      variables(portals: portals)
      notifies :run, 'execute[ipv6_cinder systemd daemon-reload]', :immediately
      notifies :restart, 'service[tgt]', :delayed
    end

    execute 'ipv6_cinder systemd daemon-reload' do
      command 'systemctl daemon-reload'
      action :nothing
    end
  else
    tgt_start = ::File.join(::File.dirname(new_resource.check_script), 'tgtd-start')
    cookbook_file tgt_start do
      cookbook 'ipv6_cinder'
      source 'tgtd-start'
      mode '0755'
    end
  end

  with_run_context :root do
    tgt = find_resource(:service, 'tgt') do
      supports status: true, reload: true, restart: true
      action :nothing
    end
    unless systemd?
      tgt.start_command("#{tgt_start} #{portals.join(' ')}")
      tgt.restart_command("/etc/init.d/tgt stop && #{tgt_start} #{portals.join(' ')}")
    end
    tgt.delayed_action :start
  end
end
