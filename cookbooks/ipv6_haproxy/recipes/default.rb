#
# Cookbook:: ipv6_haproxy
# Recipe:: default
#
# Site in, TLS edge out: every site endpoint of this node gets a frontend on
# the node's site IPv6 addresses and a backend on [::1].

site = Ipv6Common::Site.for_node(node)
endpoints = site.endpoints_on(node.name)
addresses = site.addresses(node.name).map(&:to_s)
tls = Ipv6Common::SiteDelivery.tls(site)

# Refuse the run before any resource exists when a certificate is unfit:
# HAProxy keeps serving the last good configuration.
Ipv6Haproxy::CertCheck.check!(site, endpoints)

pem_dir = '/etc/haproxy/certs'

package 'haproxy' do
  version Ipv6Common::SiteDelivery.package_version(site, 'haproxy')
end

# Chef picks the service provider from the host: systemd where PID 1 is
# systemd, Debian's init script (/etc/init.d/haproxy) where it is not. The
# package enables the service; the certificate bundles below notify it, and
# ipv6_haproxy_config starts it at the end of the run, once the configuration
# is written.
service 'haproxy' do
  supports status: true, reload: true, restart: true
  action :enable
end

# Declared before the bundles: it queues the file write and the start of
# HAProxy for the end of the run, ahead of the reloads the bundles may send.
ipv6_haproxy_config '/etc/haproxy/haproxy.cfg' do
  tls_min_version tls['min_version']
  ciphers tls['ciphers']
  ciphersuites tls['ciphersuites']
  hsts tls['hsts']
  hsts_max_age tls['hsts_max_age']
end

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
    maxconn Ipv6Haproxy.backend_maxconn(site, name)
  end
end
