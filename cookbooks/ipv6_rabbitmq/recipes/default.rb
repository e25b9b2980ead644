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

package 'rabbitmq-server' do
  version Ipv6Common::SiteDelivery.package_version(site, 'rabbitmq-server')
end

# systemd where PID 1 is systemd, Debian's init script where it is not (the
# init script's start waits until the broker runs). ipv6_rabbitmq_broker
# starts it, and restarts it once when its files change.
service 'rabbitmq-server' do
  supports status: true, restart: true
  action :enable
end

ipv6_rabbitmq_broker broker.node_name do
  addresses broker.addresses
  port broker.port
  cluster_peers broker.cluster_peers
  cookie broker.cookie
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
