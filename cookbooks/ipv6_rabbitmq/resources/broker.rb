# frozen_string_literal: true

unified_mode true
provides :ipv6_rabbitmq_broker

description 'An IPv6-only RabbitMQ node: AMQP on the given IPv6 addresses, Erlang distribution over ' \
            'inet6 (v6only), epmd on ::1 and those addresses, management on [::1] only, the CLI tools on ' \
            'inet6 as well. Each file is checked before it replaces the live one (rabbitmq.conf against ' \
            "RabbitMQ's own schema, Erlang term files with file:consult, the env file with sh -n). A change " \
            'restarts the broker once, at the end of this resource, so the users, vhosts and permissions ' \
            'declared after it meet the new configuration.'

property :node_name, String,
         name_property: true,
         description: 'Erlang node name, rabbit@<short host name>; the host must resolve to AAAA only (ipv6_common_preflight).',
         callbacks: { 'is not a node name; write name@host, e.g. rabbit@ctl1' => ->(v) { Ipv6Rabbitmq::Config.node_name?(v) } }

property :addresses, Array,
         required: true,
         coerce: proc { |v| Ipv6Common::Address.canonical_list(v, path: 'addresses') },
         callbacks: { 'is empty; give the host IPv6 address(es) AMQP listens on' => ->(v) { !v.empty? } },
         description: 'Global IPv6 addresses AMQP and epmd listen on (hosts.H.addresses); no default, so no wildcard.'

property :port, Integer,
         default: 5672,
         callbacks: { 'is not a port; use 1..65535' => ->(v) { v.between?(1, 65_535) } },
         description: 'AMQP port (services.rabbitmq.port).'

property :management, [true, false],
         default: true,
         description: 'Enable the management plugin, listening on [::1] only.'

property :management_port, Integer,
         default: 15_672,
         callbacks: { 'is not a port; use 1..65535' => ->(v) { v.between?(1, 65_535) } },
         description: 'Management HTTP port on [::1].'

property :cluster_peers, Array,
         default: [],
         callbacks: { 'has an entry that is not a node name; write rabbit@<host>' => ->(v) { v.all? { |p| Ipv6Rabbitmq::Config.node_name?(p) } } },
         description: 'Peer node names (rabbit@<host>, hosts that resolve to AAAA only) for cluster_formation.classic_config.'

property :cookie, String,
         required: true,
         sensitive: true,
         coerce: proc { |v| Ipv6Rabbitmq::Config.cookie!(v) },
         description: 'Erlang cookie shared by the nodes and the CLI tools (services.rabbitmq.erlang_cookie); never the default.'

property :config_dir, String,
         default: '/etc/rabbitmq',
         callbacks: { 'is not an absolute path' => ->(v) { v.start_with?('/') } },
         description: 'Directory of rabbitmq.conf, rabbitmq-env.conf, advanced.config, enabled_plugins and inetrc.'

property :cookie_path, String,
         default: '/var/lib/rabbitmq/.erlang.cookie',
         callbacks: { 'is not an absolute path' => ->(v) { v.start_with?('/') } },
         description: "The rabbitmq user's Erlang cookie file (mode 0400, owner rabbitmq)."

property :startup_timeout, Integer,
         default: 90,
         callbacks: { 'must be 10 or more (seconds)' => ->(v) { v >= 10 } },
         description: "Seconds Debian's init script waits for the broker to boot (its own default is 600: a broker " \
                      'that cannot boot would hold the converge for ten minutes).'

property :service_name, String,
         default: 'rabbitmq-server',
         description: 'Name of the broker service.'

action_class do
  # The broker's service as this resource declares it, under a name of its own: a notification
  # names a resource, and the recipe's service[rabbitmq-server] (enable) lives in the run's root
  # context, whose delayed queue runs only at the end of the whole run.
  def service_label
    "#{new_resource.service_name} for #{new_resource.node_name}"
  end

  def service_ref
    "service[#{service_label}]"
  end

  # verify block: runs a checker argv; a failure stops the run with the checker's own words.
  def passes?(argv, what, path)
    result = shell_out(*argv, timeout: 60)
    return true if result.exitstatus.zero?

    raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
      path, 'config_invalid', "#{what}: rejected by #{argv.first} (#{(result.stdout + result.stderr).strip.lines.first(6).join(' ').squeeze(' ')}); " \
                              'the live file is unchanged; fix the resource properties or the site'
    )
  end

  def config_template(name, source, variables, verify_argv: nil, verify_cmd: nil)
    path = ::File.join(new_resource.config_dir, name)
    ref = service_ref
    checker = method(:passes?)
    template path do
      cookbook 'ipv6_rabbitmq'
      source source
      variables variables
      owner 'root'
      group 'rabbitmq'
      mode '0644'
      verify(verify_cmd) if verify_cmd
      verify { |staged| checker.call(verify_argv.call(staged), name, staged) } if verify_argv
      notifies :restart, ref, :delayed
    end
  end
end

action :create do
  description 'Write the configuration and cookie (each checked first), start the broker, restart it once when anything changed.'

  nr = new_resource
  inetrc = ::File.join(nr.config_dir, 'inetrc')
  terms = ->(staged) { Ipv6Rabbitmq::Check.erlang_terms_argv(staged) }

  config_template('inetrc', 'erlang_terms.erb', { terms: ['{inet6, true}'] }, verify_argv: terms)
  # The syslog logger RabbitMQ always starts opens a UDP socket on the IPv4 wildcard address (on
  # an ephemeral port, taking datagrams from anywhere) unless its destination is IPv6: ::1.
  config_template('advanced.config', 'erlang_terms.erb', { terms: ['[{syslog, [{dest_host, {0,0,0,0,0,0,0,1}}]}]'] },
                  verify_argv: terms)
  config_template('enabled_plugins', 'erlang_terms.erb', { terms: [Ipv6Rabbitmq::Config.plugins(nr.management)] },
                  verify_argv: terms)
  config_template('rabbitmq-env.conf', 'rabbitmq-env.conf.erb',
                  { env: Ipv6Rabbitmq::Config.env_conf(node_name: nr.node_name, addresses: nr.addresses, inetrc: inetrc) },
                  verify_cmd: 'sh -n %{path}')
  config_template('rabbitmq.conf', 'rabbitmq.conf.erb',
                  { conf: Ipv6Rabbitmq::Config.rabbitmq_conf(addresses: nr.addresses, port: nr.port, management: nr.management,
                                                             management_port: nr.management_port, cluster_peers: nr.cluster_peers) },
                  verify_argv: ->(staged) { Ipv6Rabbitmq::Check.rabbitmq_conf_argv(staged) })

  # Read by Debian's init script only (after its own defaults); no restart needed.
  template '/etc/default/rabbitmq-server' do
    cookbook 'ipv6_rabbitmq'
    source 'default.erb'
    owner 'root'
    group 'root'
    mode '0644'
    variables(startup_timeout: nr.startup_timeout)
    verify 'sh -n %{path}'
  end

  file nr.cookie_path do
    content nr.cookie
    owner 'rabbitmq'
    group 'rabbitmq'
    mode '0400'
    sensitive true
    notifies :restart, service_ref, :delayed
  end

  # Queued after the restarts the files may send: a first run boots the
  # broker once, with the new configuration.
  #
  # Declared in this resource's own run context: its delayed queue (the
  # restarts above, then this start) runs when this resource finishes, so
  # the broker runs with the new configuration before any user, vhost or
  # permission is managed.
  service service_label do
    service_name nr.service_name
    supports status: true, restart: true
    action :nothing
    delayed_action :start
  end
end
