#
# Cookbook:: ipv6_common
# Recipe:: default
#
# Checks this host against the site before any IPv6-only service is deployed.
# policy.preflight: false turns the check off, only to show the failures it
# prevents; the run says so.

site = Ipv6Common::Site.for_node(node)
host = site.host(node.name)

if site.policy['preflight'] == false
  Chef::Log.warn("#{node.name}: preflight is off (policy.preflight: false in the site); nothing stops an IPv4 name here")
  return
end

ipv6_common_preflight node.name do
  fqdn host['fqdn']
  addresses host['addresses']
  nameservers site.addresses(site.dns_server).map(&:to_s)
end
