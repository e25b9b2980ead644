#
# Cookbook:: ipv6_cinder
# Recipe:: default
#
# Site in, Cinder volume out: on the host of services.cinder, cinder-volume and
# the target helper's package, cinder.conf under the release's option names
# with the portal on the host's site addresses, and tgtd bound to them.

site = Ipv6Common::Site.for_node(node)
cinder = site.service('cinder')
return unless cinder['host'] == node.name

release = cinder['release']
helper = cinder['target_helper']
# Refuse the run before any resource exists when the release or the helper
# cannot serve an IPv6 portal.
Ipv6Cinder::Release.family(release)
Ipv6Cinder::Release.check_helper!(release, helper)

addresses = site.addresses(node.name).map(&:to_s)

# oslo.messaging: the broker host's site address (bracketed by TransportUrl),
# the first user and vhost of services.rabbitmq.
transport = nil
if site.services.key?('rabbitmq')
  rabbitmq = site.service('rabbitmq')
  user, entry = (rabbitmq['users'] || {}).first
  if user
    transport = Ipv6Common::TransportUrl.render(
      [{ 'host' => site.addresses(rabbitmq['host']).first.to_s, 'port' => rabbitmq['port'], 'user' => user,
         'password' => Ipv6Common::Secret.read(entry['password'], path: "services.rabbitmq.users.#{user}.password") }],
      vhost: Array(rabbitmq['vhosts']).first || '/openstack'
    )
  end
end

glance = site.endpoints['glance']

%w(cinder-volume python3-cinder).push(Ipv6Cinder::Release.package(helper)).each do |name|
  pinned = Ipv6Common::SiteDelivery.package_version(site, name)
  package name do
    version pinned
    not_if { Ipv6Common::Packages.installed?(name, pinned) }
  end
end

service 'cinder-volume' do
  supports status: true, restart: true
  action :enable
end

if Ipv6Cinder::Release.cinder_helper(helper) == 'tgtadm'
  service 'tgt' do
    supports status: true, reload: true, restart: true
    action :enable
  end
end

ipv6_cinder_iscsi_target 'lvm' do
  release release
  target_helper helper
  target_address addresses.first
  secondary_addresses addresses.drop(1)
  target_port cinder['target_port']
  my_ip addresses.first
  glance_api_servers glance ? [Ipv6Cinder::Conf.glance_url(glance['fqdn'], glance['port'])] : []
  transport_url transport if transport
end

probe = node['ipv6_cinder'] && node['ipv6_cinder']['probe_target']
if probe
  ipv6_cinder_probe_target probe['iqn'] do
    path probe['path'] if probe['path']
    size_mb probe['size_mb'] if probe['size_mb']
  end
end
