# frozen_string_literal: true

unified_mode true
provides :ipv6_rabbitmq_user

description "A user of the broker's internal database. The password is passed to rabbitmqctl on stdin and " \
            'checked with authenticate_user, so it never appears in argv, logs or the converge output; a user ' \
            'whose password and tags already match is left alone.'

property :username, String,
         name_property: true,
         callbacks: { 'is not a user name; use letters, digits, "_", "-" or "."' => ->(v) { v.match?(/\A[A-Za-z0-9_.-]+\z/) } },
         description: 'User name (a key of services.rabbitmq.users).'

property :password, String,
         sensitive: true,
         coerce: proc { |v| Ipv6Rabbitmq::Config.password!(v) },
         description: "The user's password, from the site's secret reference (required to create)."

property :tags, Array,
         default: [],
         coerce: proc { |v| v.map(&:to_s).sort },
         description: 'User tags (e.g. administrator, monitoring); [] for a plain client user.'

load_current_value do |desired|
  reads = Ipv6Rabbitmq::Ctl.reads(node)
  users = reads.fetch(:users) { Ipv6Rabbitmq::Ctl.list_users }
  current_value_does_not_exist! unless users.key?(desired.username)

  tags users[desired.username]
  # The broker only says whether a password is right; a wrong one is held
  # as a value the desired password can never equal (never shown: sensitive).
  if desired.property_is_set?(:password)
    # Its permissions are read while the broker checks the password.
    reads.prefetch([:permissions, desired.username]) { Ipv6Rabbitmq::Ctl.list_user_permissions(desired.username) }
    right = Ipv6Rabbitmq::Ctl.authenticates?(desired.username, desired.password)
    password(right ? desired.password : "#{desired.password} (not the current password)")
  end
end

action :create do
  description 'Create the user, or set its password and tags when they differ.'

  if current_resource.nil?
    raise Ipv6Common::ConfigError, "ipv6_rabbitmq_user[#{new_resource.username}]: no password given; set password" unless new_resource.password

    converge_by("create RabbitMQ user #{new_resource.username}") do
      Ipv6Rabbitmq::Ctl.change!(node, 'add_user', new_resource.username, input: new_resource.password)
      Ipv6Rabbitmq::Ctl.change!(node, 'set_user_tags', new_resource.username, *new_resource.tags)
    end
  else
    converge_if_changed :password do
      Ipv6Rabbitmq::Ctl.change!(node, 'change_password', new_resource.username, input: new_resource.password)
    end
    converge_if_changed :tags do
      Ipv6Rabbitmq::Ctl.change!(node, 'set_user_tags', new_resource.username, *new_resource.tags)
    end
  end
end

action :delete do
  description 'Remove the user (e.g. guest) when it exists.'

  return if current_resource.nil?

  converge_by("delete RabbitMQ user #{new_resource.username}") do
    Ipv6Rabbitmq::Ctl.change!(node, 'delete_user', new_resource.username)
  end
end
