#
# Cookbook:: ipv6_rabbitmq
# Recipe:: client
#
# The oslo.messaging settings an OpenStack service on this host includes
# (--config-file): transport_url rendered by Ipv6Common::TransportUrl, with
# the broker host's AAAA-only name; with the site's AMQPS on, the AMQPS port
# and [oslo_messaging_rabbit] ssl with the site CA bundle.

include_recipe 'ipv6_common::default'

site = Ipv6Common::Site.for_node(node)
broker = Ipv6Rabbitmq::SiteBroker.new(site, site.service('rabbitmq')['host'])
user, password = broker.users.first

path = node['ipv6_rabbitmq']['client_config']

directory ::File.dirname(path) do
  owner 'root'
  group 'root'
  mode '0755'
end

template path do
  cookbook 'ipv6_rabbitmq'
  source 'oslo_messaging.conf.erb'
  owner 'root'
  group 'root'
  mode '0600'
  sensitive true
  variables(settings: broker.client_settings(user, password))
end
