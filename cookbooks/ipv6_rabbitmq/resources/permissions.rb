# frozen_string_literal: true

unified_mode true
provides :ipv6_rabbitmq_permissions

description "A user's configure/write/read permissions on one virtual host."

property :user, String, required: true, identity: true,
                        description: 'User name.'

property :vhost, String, required: true, identity: true,
                         description: 'Virtual host.'

property :configure, String, default: '.*', description: 'Regular expression of the resources the user may configure.'
property :write, String, default: '.*', description: 'Regular expression of the resources the user may write to.'
property :read, String, default: '.*', description: 'Regular expression of the resources the user may read from.'

load_current_value do |desired|
  found = Ipv6Rabbitmq::Ctl.reads(node).fetch([:permissions, desired.user]) do
    Ipv6Rabbitmq::Ctl.list_user_permissions(desired.user)
  end[desired.vhost]
  current_value_does_not_exist! unless found

  configure found.first
  write found[1]
  read found[2]
end

action :set do
  description 'Set the permissions when they differ.'

  converge_if_changed :configure, :write, :read do
    Ipv6Rabbitmq::Ctl.change!(node, 'set_permissions', '-p', new_resource.vhost, new_resource.user,
                           new_resource.configure, new_resource.write, new_resource.read)
  end
end
