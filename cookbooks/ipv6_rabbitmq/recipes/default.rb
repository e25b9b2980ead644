#
# Cookbook:: ipv6_rabbitmq
# Recipe:: default
#
# Site in, IPv6-only broker out. The preflight of ipv6_common runs first: a
# host name that resolves to IPv4 stops the run before the broker is
# installed, configured or restarted.

include_recipe 'ipv6_common::default'

site = Ipv6Common::Site.for_node(node)
broker = Ipv6Rabbitmq::SiteBroker.new(site, node.name)
tls = broker.tls
preflight = Ipv6Common::SiteDelivery.preflight?(site)

# AMQPS: the broker's certificate goes through the checks of the HAProxy
# endpoints (chain to the site CA, the host's fqdn in the SAN, expiry, key
# match, PKI policy) before any resource exists, so a bad pair stops the run
# with the broker untouched. The broker resource reuses the result.
if tls && preflight
  problems = broker.tls_problems(cache: node.run_state)
  raise Ipv6Common::ConfigError, problems unless problems.empty?
elsif tls
  Chef::Log.warn("#{node.name}: policy.preflight is false in site #{site.name}: the AMQPS certificate is deployed unchecked")
end

rabbitmq_version = Ipv6Common::SiteDelivery.package_version(site, 'rabbitmq-server')
package 'rabbitmq-server' do
  version rabbitmq_version
  not_if { Ipv6Common::Packages.installed?('rabbitmq-server', rabbitmq_version) }
end

# Before anything that runs rabbitmqctl (a service status check does): the
# first CLI call starts epmd, and epmd keeps the addresses it started with.
ipv6_rabbitmq_broker broker.node_name do
  addresses broker.addresses
  port broker.port
  management_port broker.management_port
  cluster_peers broker.cluster_peers
  cookie broker.cookie
  if tls
    tls_port tls['port']
    tls_cert tls['cert']
    tls_key tls['key']
    tls_ca_bundle site.ca_bundle
    tls_fqdn broker.fqdn
    tls_versions Ipv6Rabbitmq::Config.tls_versions(Ipv6Common::SiteDelivery.tls(site)['min_version'])
    tls_window_days site.expiry_window_days
    pki_policy Ipv6Common::SiteDelivery.pki_policy(site)
    tls_check preflight
  end
end

# systemd where PID 1 is systemd, Debian's init script where it is not (the
# init script's start waits until the broker runs). ipv6_rabbitmq_broker
# starts it, and restarts it once when its files change.
service 'rabbitmq-server' do
  supports status: true, restart: true
  action :enable
end

broker.vhosts.each do |vhost|
  ipv6_rabbitmq_vhost vhost
end

broker.users.each do |name, password|
  ipv6_rabbitmq_user name do
    password password
  end

  broker.vhosts.each do |vhost|
    ipv6_rabbitmq_permissions "#{name} on #{vhost}" do
      user name
      vhost vhost
    end
  end
end

ipv6_rabbitmq_user 'guest' do
  action :delete
end
