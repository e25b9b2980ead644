# frozen_string_literal: true

unified_mode true
provides :ipv6_rabbitmq_vhost

description 'A virtual host of the broker.'

property :vhost, String,
         name_property: true,
         callbacks: { 'is empty or has a space or control character' => ->(v) { v.match?(/\A[[:graph:]]+\z/) } },
         description: 'Virtual host name (an entry of services.rabbitmq.vhosts, e.g. /openstack).'

load_current_value do |desired|
  reads = Ipv6Rabbitmq::Ctl.reads(node)
  # The users are read beside the vhosts: the user resources come next.
  reads.prefetch(:users) { Ipv6Rabbitmq::Ctl.list_users }
  current_value_does_not_exist! unless reads.fetch(:vhosts) { Ipv6Rabbitmq::Ctl.list_vhosts }.include?(desired.vhost)
end

action :create do
  description 'Create the virtual host when it is missing.'

  return unless current_resource.nil?

  converge_by("create RabbitMQ vhost #{new_resource.vhost}") { Ipv6Rabbitmq::Ctl.change!(node, 'add_vhost', new_resource.vhost) }
end

action :delete do
  description 'Remove the virtual host and everything in it.'

  return if current_resource.nil?

  converge_by("delete RabbitMQ vhost #{new_resource.vhost}") { Ipv6Rabbitmq::Ctl.change!(node, 'delete_vhost', new_resource.vhost) }
end
