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
pki_policy = Ipv6Common::SiteDelivery.pki_policy(site)
preflight = Ipv6Common::SiteDelivery.preflight?(site)

# Refuse the run before any resource exists when a certificate is unfit
# (chain, names, expiry, key, and the site's PKI policy): HAProxy keeps
# serving the last good configuration. The bundles below reuse the result.
# A site with policy.preflight false deploys what it is given, to show what
# the verifier catches.
if preflight
  Ipv6Haproxy::CertCheck.check!(site, endpoints, cache: node.run_state)
else
  Chef::Log.warn("#{node.name}: policy.preflight is false in site #{site.name}: certificates are deployed unchecked")
end

pem_dir = '/etc/haproxy/certs'

haproxy_version = Ipv6Common::SiteDelivery.package_version(site, 'haproxy')
package 'haproxy' do
  version haproxy_version
  not_if { Ipv6Common::Packages.installed?('haproxy', haproxy_version) }
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

# The bundle of an endpoint no longer in the site holds a private key nothing
# serves any more: delete it at the end of the run, after the configuration
# stops naming it (these notifications queue behind the configuration's).
stale = ::Dir.glob(::File.join(pem_dir, '*.pem')) - endpoints.keys.map { |name| ::File.join(pem_dir, "#{name}.pem") }
unless stale.empty?
  stale.sort.each do |path|
    file path do
      action :nothing
    end
  end

  notify_group 'bundles of endpoints no longer in the site' do
    stale.sort.each { |path| notifies :delete, "file[#{path}]", :delayed }
    action :run
  end
end

directory pem_dir do
  owner 'root'
  group 'root'
  mode '0700'
end

endpoints.sort.each do |name, endpoint|
  pem = ::File.join(pem_dir, "#{name}.pem")

  ipv6_common_tls_bundle pem do
    endpoint name
    cert endpoint['cert']
    key endpoint['key']
    ca_bundle site.ca_bundle
    fqdn endpoint['fqdn']
    window_days site.expiry_window_days
    pki_policy pki_policy
    check preflight
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
