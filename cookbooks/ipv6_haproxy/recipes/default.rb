#
# Cookbook:: ipv6_haproxy
# Recipe:: default
#
# Site in, TLS edge out: every site endpoint of this node gets a frontend on
# the node's site IPv6 addresses and a backend on [::1].

site = Ipv6Common::Site.from_node(node)
endpoints = site.endpoints_on(node.name)
addresses = site.addresses(node.name).map(&:to_s)

# Refuse the run before any resource exists when a certificate is unfit:
# HAProxy keeps serving the last good configuration.
Ipv6Haproxy::CertCheck.check!(site, endpoints)

pem_dir = '/etc/haproxy/certs'

# The certificate bundles below notify this service; ipv6_haproxy_config
# starts it at the end of the run, once the configuration is written.
service 'haproxy' do
  supports status: true, reload: true
  action :nothing
end

# Declared before the bundles: it queues the file write and the start of
# HAProxy for the end of the run, ahead of the reloads the bundles may send.
ipv6_haproxy_config '/etc/haproxy/haproxy.cfg'

directory pem_dir do
  owner 'root'
  group 'root'
  mode '0700'
end

endpoints.sort.each do |name, endpoint|
  pem = ::File.join(pem_dir, "#{name}.pem")

  ipv6_common_tls_bundle pem do
    cert endpoint['cert']
    key endpoint['key']
    ca_bundle site.ca_bundle
    fqdn endpoint['fqdn']
    window_days site.expiry_window_days
    owner 'root'
    group 'root'
    mode '0600'
    notifies :reload, 'service[haproxy]', :delayed
  end

  ipv6_haproxy_endpoint name do
    bind_addresses addresses
    port endpoint['port']
    backend_port endpoint['backend_port']
    fqdn endpoint['fqdn']
    pem pem
  end
end
