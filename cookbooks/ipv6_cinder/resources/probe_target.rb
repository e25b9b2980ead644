unified_mode true
provides :ipv6_cinder_probe_target

description 'A tgt target with one LUN backed by a sparse file, for smoke tests of the portal: a SendTargets ' \
            'discovery and a SCSI INQUIRY from a compute host. Loaded by tgt-admin from /etc/tgt/conf.d.'

property :iqn, String,
         name_property: true,
         description: 'Target name.',
         callbacks: { 'is not an iSCSI qualified name (iqn.YYYY-MM.reversed.domain:name)' => ->(v) { v.match?(/\Aiqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[^\s]+)?\z/) } }

property :path, String,
         default: '/var/lib/cinder/probe.img',
         description: 'Backing file, created sparse.',
         callbacks: { 'is not an absolute path' => ->(v) { v.start_with?('/') } }

property :size_mb, Integer,
         default: 64,
         description: 'Size of the backing file in MiB.',
         callbacks: { 'must be 1 or more' => ->(v) { v >= 1 } }

action :create do
  description 'Create the sparse file and the target definition; tgt reloads its targets when it changes.'

  execute "create sparse #{new_resource.path}" do
    command ['truncate', '-s', "#{new_resource.size_mb}M", new_resource.path]
    creates new_resource.path
  end

  template '/etc/tgt/conf.d/ipv6_cinder_probe.conf' do
    cookbook 'ipv6_cinder'
    source 'probe_target.conf.erb'
    variables(iqn: new_resource.iqn, path: new_resource.path)
    notifies :reload, 'service[tgt]', :delayed
  end
end
