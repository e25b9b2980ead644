# frozen_string_literal: true

unified_mode true
provides :ipv6_rabbitmq_broker

description 'An IPv6-only RabbitMQ node: AMQP (and AMQPS with a PKI-checked certificate) on the given IPv6 addresses, ' \
            'Erlang distribution over ' \
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

property :tls_port, [Integer, nil],
         callbacks: { 'is not a port; use 1..65535' => ->(v) { v.nil? || v.between?(1, 65_535) } },
         description: 'AMQPS port on the same addresses (services.rabbitmq.tls.port, 5671 there); nil: no TLS listener.'

property :tls_cert, String,
         callbacks: { 'is not an absolute path; write the full path of the leaf + intermediates file' => ->(v) { v.start_with?('/') } },
         description: 'The broker certificate, leaf (subjectAltName DNS:<tls_fqdn>) then intermediates (services.rabbitmq.tls.cert); ' \
                      'copied to <config_dir>/tls/cert.pem.'

property :tls_key, String,
         callbacks: { 'is not an absolute path; write the full path of the private key' => ->(v) { v.start_with?('/') } },
         description: "The certificate's private key (services.rabbitmq.tls.key); copied to <config_dir>/tls/key.pem, " \
                      'owner rabbitmq, mode 0400, so the broker can read it and nobody else.'

property :tls_ca_bundle, String,
         callbacks: { 'is not an absolute path; write the full path of the CA bundle' => ->(v) { v.start_with?('/') } },
         description: 'The organisation CA certificates (pki.ca_bundle): the chain check, and ssl_options.cacertfile.'

property :tls_fqdn, String,
         callbacks: { 'is not a DNS name; use the broker host\'s fqdn (hosts.H.fqdn)' => ->(v) { Ipv6Common::Validate.dns_name?(v) } },
         description: "The name clients connect to, which the certificate must carry (the broker host's hosts.H.fqdn)."

property :tls_versions, Array,
         default: Ipv6Rabbitmq::Config::TLS_VERSIONS['TLSv1.2'],
         callbacks: { 'is not a list of tlsv1.2 / tlsv1.3; derive it from tls.min_version' => ->(v) { Ipv6Rabbitmq::Config.tls_versions?(v) } },
         description: 'ssl_options.versions (Ipv6Rabbitmq::Config.tls_versions of the site tls.min_version).'

property :tls_check, [true, false],
         default: true,
         description: 'Check the certificate with Ipv6Common::Pki (chain, name, expiry, key, policy) before anything is written; ' \
                      'false only to show what the verifier catches (site policy.preflight).'

property :tls_window_days, Integer,
         default: 30,
         callbacks: { 'is negative; use 0 or more days' => ->(v) { v >= 0 } },
         description: 'Refuse a certificate that expires within this many days (pki.expiry_window_days).'

property :pki_policy, Hash,
         default: Ipv6Common::Pki::POLICY,
         description: 'The PKI policy the certificate must meet (site pki.policy).'

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
  # The AMQPS settings of rabbitmq.conf and the broker's copies of the files, or nil with TLS off.
  def tls_files
    return unless new_resource.tls_port

    dir = ::File.join(new_resource.config_dir, 'tls')
    { dir: dir, cacertfile: ::File.join(dir, 'ca.pem'), certfile: ::File.join(dir, 'cert.pem'), keyfile: ::File.join(dir, 'key.pem') }
  end

  # Every TLS property present, and the pair fit for service (Ipv6Common::Pki, the checks of the
  # HAProxy endpoints) before anything is written: a bad certificate leaves the broker untouched.
  def check_tls!
    missing = %i(tls_cert tls_key tls_ca_bundle tls_fqdn).reject { |name| new_resource.send(name) }
    unless missing.empty?
      raise Ipv6Common::ConfigError, missing.map { |name|
        Ipv6Common::Problem.new(name.to_s, 'missing', "#{name}: not set while tls_port is #{new_resource.tls_port}; " \
                                                      'give it (services.rabbitmq.tls and pki.ca_bundle), or leave tls_port nil')
      }
    end
    return unless new_resource.tls_check

    found = Ipv6Common::Pki.checked(node.run_state, cert: new_resource.tls_cert, key: new_resource.tls_key,
                                                    ca_bundle: new_resource.tls_ca_bundle, fqdn: new_resource.tls_fqdn,
                                                    window_days: new_resource.tls_window_days, policy: new_resource.pki_policy)
    explained = found.map { |problem| Ipv6Rabbitmq::TlsCheck.explain(new_resource.node_name, new_resource.tls_key, problem) }
    raise Ipv6Common::ConfigError, explained unless explained.empty?
  end

  # The broker's own copies: the certificates in PEM, the key readable by rabbitmq only. A change
  # restarts the broker (Erlang's ssl caches the PEM files it has read).
  def tls_resources(files)
    nr = new_resource
    ref = service_ref
    directory files[:dir] do
      owner 'root'
      group 'rabbitmq'
      mode '0750'
    end
    { files[:cacertfile] => nr.tls_ca_bundle, files[:certfile] => nr.tls_cert }.each do |path, source|
      file path do
        content lazy { Ipv6Rabbitmq::Config.certificates_pem(source) }
        owner 'root'
        group 'rabbitmq'
        mode '0644'
        notifies :restart, ref, :delayed
      end
    end
    file files[:keyfile] do
      content lazy { Ipv6Rabbitmq::Config.key_pem(nr.tls_key) }
      owner 'rabbitmq'
      group 'rabbitmq'
      mode '0400'
      sensitive true
      notifies :restart, ref, :delayed
    end
  end

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
  tls = tls_files
  check_tls! if tls

  config_template('inetrc', 'erlang_terms.erb', { terms: ['{inet6, true}'] }, verify_argv: terms)
  config_template('enabled_plugins', 'erlang_terms.erb', { terms: [Ipv6Rabbitmq::Config.plugins(nr.management)] },
                  verify_argv: terms)
  config_template('advanced.config', 'erlang_terms.erb', { terms: [Ipv6Rabbitmq::Config.advanced_config] }, verify_argv: terms)
  config_template('rabbitmq-env.conf', 'rabbitmq-env.conf.erb',
                  { env: Ipv6Rabbitmq::Config.env_conf(node_name: nr.node_name, addresses: nr.addresses, inetrc: inetrc) },
                  verify_cmd: 'sh -n %{path}')
  # Before rabbitmq.conf: its check finds the files it names.
  if tls
    tls_resources(tls)
  else
    directory ::File.join(nr.config_dir, 'tls') do
      recursive true
      action :delete
    end
  end
  ssl = tls && tls.merge(port: nr.tls_port, versions: nr.tls_versions).except(:dir)
  config_template('rabbitmq.conf', 'rabbitmq.conf.erb',
                  { conf: Ipv6Rabbitmq::Config.rabbitmq_conf(addresses: nr.addresses, port: nr.port, management: nr.management,
                                                             management_port: nr.management_port, cluster_peers: nr.cluster_peers,
                                                             tls: ssl) },
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
