#
# Cookbook:: ipv6_common
# Recipe:: default
#
# Checks this host against the site before any IPv6-only service is deployed.
# policy.preflight: false turns the check off, only to show the failures it
# prevents; the run says so.

site = Ipv6Common::Site.for_node(node)
host = site.host(node.name)

unless Ipv6Common::SiteDelivery.preflight?(site)
  Chef::Log.warn("#{node.name}: policy.preflight is false in site #{site.name}: the host is not checked before the converge")
  return
end

ipv6_common_preflight node.name do
  fqdn host['fqdn']
  addresses host['addresses']
  nameservers site.addresses(site.dns_server).map(&:to_s)
end
