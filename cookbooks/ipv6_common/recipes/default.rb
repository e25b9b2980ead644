#
# Cookbook:: ipv6_common
# Recipe:: default
#
# Checks this host against the site before any IPv6-only service is deployed.

site_data = node['ipv6_edge'] && node['ipv6_edge']['site']
unless site_data
  raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
    'ipv6_edge.site', 'missing',
    "ipv6_edge.site: no site description in the node attributes; pass it as JSON, e.g. chef-client -j <(bin/site-json site/lab.yml) -N #{node.name}"
  )
end

site = Ipv6Common::Site.from_hash(site_data)
host = site.host(node.name)

ipv6_common_preflight node.name do
  fqdn host['fqdn']
  addresses host['addresses']
  nameservers site.addresses(site.dns_server).map(&:to_s)
end
