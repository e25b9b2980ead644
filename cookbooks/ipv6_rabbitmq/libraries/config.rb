# frozen_string_literal: true

require 'json'
require 'openssl'

module Ipv6Rabbitmq
  # The broker's configuration as data, rendered by the templates. Every
  # address is a canonical IPv6 literal (Ipv6Common::Address); each file gets
  # the form its reader needs.
  module Config
    NODE_NAME = /\A[a-z0-9_-]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?\z/.freeze
    COOKIE = /\A[A-Za-z0-9_-]{20,255}\z/.freeze
    PLUGINS_GLOB = '/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins'
    V6ONLY = '-kernel inet_dist_listen_options [{ipv6_v6only,true}]'

    # The TLS versions the broker accepts for a site tls.min_version (Erlang's names).
    TLS_VERSIONS = { 'TLSv1.2' => %w(tlsv1.3 tlsv1.2), 'TLSv1.3' => %w(tlsv1.3) }.freeze
    ERLANG_TLS_VERSIONS = %w(tlsv1.2 tlsv1.3).freeze

    # rabbitmq.conf (cuttlefish) key => value, in file order. Listeners take
    # the unbracketed form (RabbitMQ rejects [addr]:port). tls: nil (no AMQPS
    # listener) or a Hash with :port, :cacertfile, :certfile, :keyfile and
    # :versions; the broker authenticates itself only (no client certificates).
    def self.rabbitmq_conf(addresses:, port:, management:, management_port:, cluster_peers:, tls: nil)
      conf = {}
      addresses.each_with_index do |address, i|
        conf["listeners.tcp.#{i + 1}"] = Ipv6Common::Address.parse(address).rabbitmq_listener(port)
      end
      conf.merge!(ssl_conf(addresses, tls)) if tls
      conf['loopback_users'] = 'none'
      if management
        conf['management.tcp.ip'] = '::1'
        conf['management.tcp.port'] = management_port
      end
      unless cluster_peers.empty?
        conf['cluster_formation.peer_discovery_backend'] = 'classic_config'
        cluster_peers.each_with_index { |peer, i| conf["cluster_formation.classic_config.nodes.#{i + 1}"] = peer }
      end
      conf
    end

    def self.ssl_conf(addresses, tls)
      conf = {}
      addresses.each_with_index do |address, i|
        conf["listeners.ssl.#{i + 1}"] = Ipv6Common::Address.parse(address).rabbitmq_listener(tls.fetch(:port))
      end
      conf['ssl_options.cacertfile'] = tls.fetch(:cacertfile)
      conf['ssl_options.certfile'] = tls.fetch(:certfile)
      conf['ssl_options.keyfile'] = tls.fetch(:keyfile)
      conf['ssl_options.verify'] = 'verify_none'
      conf['ssl_options.fail_if_no_peer_cert'] = 'false'
      tls.fetch(:versions).each_with_index { |version, i| conf["ssl_options.versions.#{i + 1}"] = version }
      conf
    end

    def self.tls_versions(min_version)
      TLS_VERSIONS.fetch(min_version) do
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          'tls.min_version', 'bad_choice', "tls.min_version: #{min_version.inspect} is not a known TLS version; use one of #{TLS_VERSIONS.keys.join(', ')}"
        )
      end
    end

    def self.tls_versions?(versions)
      !versions.empty? && versions.all? { |v| ERLANG_TLS_VERSIONS.include?(v) }
    end

    # rabbitmq-env.conf (sourced by sh): the server and the CLI tools use
    # inet6 distribution; epmd listens on ::1 and the node's addresses; the
    # distribution listener is bound to the node's first address, v6only
    # (without inet_dist_use_interface it would listen on [::]).
    # The inetrc path is written in double quotes that reach erl: single
    # quotes would be passed to erl literally and the file silently ignored.
    def self.env_conf(node_name:, addresses:, inetrc:)
      dist = %(-proto_dist inet6_tcp -kernel inetrc \\"#{inetrc}\\")
      interface = Ipv6Common::Address.parse(addresses.first, path: 'rabbitmq address').erlang_tuple
      {
        'NODENAME' => node_name,
        'ERL_EPMD_ADDRESS' => (['::1'] + addresses).join(','),
        'SERVER_ADDITIONAL_ERL_ARGS' => %("#{dist} -kernel inet_dist_use_interface #{interface} #{V6ONLY}"),
        'CTL_ERL_ARGS' => %("#{dist}"),
      }
    end

    # The certificates of a PEM or DER file, as PEM (leaf first, order kept).
    def self.certificates_pem(path)
      OpenSSL::X509::Certificate.load(File.binread(path)).map(&:to_pem).join
    end

    # The private key of a PEM or DER file, as unencrypted PKCS#8 PEM.
    def self.key_pem(path)
      OpenSSL::PKey.read(File.binread(path)).private_to_pem
    end

    # advanced.config: the syslog library RabbitMQ ships opens its UDP socket when its application
    # starts, on the IPv4 wildcard towards IPv4 loopback port 514 by default, whether or not log.syslog is on (seen on
    # some boots with the TLS listener). Point it at [::1] over an inet6 socket bound to ::1.
    def self.advanced_config
      loopback = Ipv6Common::Address.parse('::1', path: 'syslog', allow: [:loopback]).erlang_tuple
      "[{syslog, [{dest_host, #{loopback}}, {protocol, {rfc3164, udp, [inet6, {ip, #{loopback}}]}}]}]"
    end

    # enabled_plugins: one Erlang list of plugin names.
    def self.plugins(management)
      management ? '[rabbitmq_management]' : '[]'
    end

    def self.node_name?(value)
      NODE_NAME.match?(value)
    end

    # The cookie itself, or ConfigError with a message that never shows it.
    def self.cookie!(value)
      return value if value.is_a?(String) && COOKIE.match?(value)

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new('cookie', 'bad_secret',
                                                             "cookie: not 20 to 255 letters, digits, '_' or '-' (the value is not shown); " \
                                                             'store a long random cookie in the secret services.rabbitmq.erlang_cookie refers to')
    end

    # A password rabbitmqctl can read from stdin (one non-empty line), or ConfigError that never shows it.
    def self.password!(value)
      return value if value.is_a?(String) && /\A[^\n]+\z/.match?(value)

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new('password', 'bad_secret',
                                                             'password: empty or more than one line (the value is not shown); ' \
                                                             'store a one-line password in the secret the site refers to')
    end
  end

  # Offline checks of the files before they replace the live ones.
  module Check
    # Erlang term files (inetrc, enabled_plugins, advanced.config).
    CONSULT = 'case file:consult(hd(init:get_plain_arguments())) of ' \
              '{ok, _} -> halt(0); {error, E} -> io:format("~s~n", [file:format_error(E)]), halt(1) end.'

    # rabbitmq.conf against RabbitMQ's own schema (the cuttlefish translation the broker runs at boot).
    CUTTLEFISH = 'Dir = hd(init:get_plain_arguments()), File = lists:last(init:get_plain_arguments()), ' \
                 'Schema = cuttlefish_schema:files(filelib:wildcard(Dir ++ "/*/priv/schema/*.schema")), ' \
                 'case cuttlefish_conf:file(File) of ' \
                 '{errorlist, E} -> io:format("~p~n", [E]), halt(1); ' \
                 'Conf -> case cuttlefish_generator:map(Schema, Conf) of ' \
                 '{error, Phase, {errorlist, Es}} -> io:format("~s: ~p~n", [Phase, Es]), halt(1); ' \
                 '_ -> halt(0) end end.'

    def self.erlang_terms_argv(path)
      ['erl', '-noshell', '-eval', CONSULT, '-extra', path]
    end

    def self.rabbitmq_conf_argv(path, plugins_dir: Dir.glob(Config::PLUGINS_GLOB).max)
      ['erl', '-noshell', '-pa', *Dir.glob(File.join(plugins_dir.to_s, '*', 'ebin')).sort,
       '-eval', CUTTLEFISH, '-extra', plugins_dir.to_s, path]
    end
  end

  # Parsers of `rabbitmqctl -q ... --formatter json` output.
  module Ctl
    def self.json(output)
      text = output.strip
      text.empty? ? [] : JSON.parse(text)
    end

    # user name => tags (sorted strings)
    def self.users(output)
      json(output).to_h { |u| [u['user'], Array(u['tags']).map(&:to_s).sort] }
    end

    def self.vhosts(output)
      json(output).map { |v| v['name'] }
    end

    # vhost => [configure, write, read]
    def self.user_permissions(output)
      json(output).to_h { |p| [p['vhost'], [p['configure'], p['write'], p['read']]] }
    end
  end
end

module Ipv6Rabbitmq
  # Runs rabbitmqctl with an argv (never through a shell). A secret goes on
  # stdin (`input`), so it appears neither in the process list nor in logs.
  module Ctl
    CTL = '/usr/sbin/rabbitmqctl'
    TIMEOUT = 120

    Result = Struct.new(:status, :stdout, :stderr) do
      def ok?
        status.zero?
      end
    end

    def self.run(*args, input: nil)
      require 'mixlib/shellout'
      cmd = Mixlib::ShellOut.new(CTL, '-q', *args.map(&:to_s), input: input, timeout: TIMEOUT)
      cmd.run_command
      Result.new(cmd.exitstatus, cmd.stdout, cmd.stderr)
    end

    # Like run, but a failure raises with rabbitmqctl's message (never the input).
    def self.run!(*args, input: nil)
      result = run(*args, input: input)
      return result if result.ok?

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        'rabbitmqctl', 'rabbitmqctl_failed',
        "rabbitmqctl #{args.first} #{args[1]}: exit #{result.status}: #{result.stderr.strip.lines.last(3).join(' ').strip}; " \
        'check that the broker runs (rabbitmq-diagnostics -q ping) and the CLI cookie matches'
      )
    end

    # Runs a command that changes the broker; the reads of the run are dropped.
    def self.change!(node, *args, input: nil)
      run!(*args, input: input)
    ensure
      reads(node).clear
    end

    # What the broker's resources read in one Chef run (node.run_state lives for
    # one run). Every rabbitmqctl call starts an Erlang VM, about 1.5-2 s, so a
    # list is read once, beside the others, and dropped when a resource changes
    # the broker. A failed read raises where its value is taken.
    class Reads
      def initialize
        @pending = {}
        @lock = Mutex.new
      end

      # Starts reading key in the background unless it is read or being read.
      def prefetch(key, &block)
        @lock.synchronize do
          @pending[key] ||= Thread.new(&block).tap { |thread| thread.report_on_exception = false }
        end
      end

      def fetch(key, &block)
        prefetch(key, &block).value
      end

      def clear
        @lock.synchronize { @pending.clear }
      end
    end

    def self.reads(node)
      node.run_state['ipv6_rabbitmq_reads'] ||= Reads.new
    end

    def self.list_users
      users(run!('list_users', '--formatter', 'json').stdout)
    end

    def self.list_vhosts
      vhosts(run!('list_vhosts', '--formatter', 'json').stdout)
    end

    def self.list_user_permissions(user)
      user_permissions(run!('list_user_permissions', user, '--formatter', 'json').stdout)
    end

    # True when password is the user's current password (checked by the broker, passed on stdin).
    def self.authenticates?(user, password)
      run('authenticate_user', user, input: password).ok?
    end
  end
end

module Ipv6Rabbitmq
  # What the site says about the broker on one host: services.rabbitmq and
  # the host's addresses, with the secrets read from their references.
  class SiteBroker
    KEY = 'services.rabbitmq'
    DEFAULT_VHOSTS = ['/openstack'].freeze

    attr_reader :host

    def initialize(site, host)
      @site = site
      @service = site.service('rabbitmq')
      @host = host.to_s
      return if @service['host'] == @host

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        "#{KEY}.host", 'not_broker_host', "#{KEY}.host: the broker is #{@service['host']}, not #{@host}; " \
                                          "run ipv6_rabbitmq::default on #{@service['host']} or set #{KEY}.host"
      )
    end

    def node_name
      "rabbit@#{host}"
    end

    def fqdn
      @site.host(host)['fqdn']
    end

    def addresses
      @site.addresses(host).map(&:to_s)
    end

    def port
      @service['port'] || 5672
    end

    def vhosts
      @service['vhosts'] || DEFAULT_VHOSTS
    end

    def cluster_peers
      Array(@service['cluster_peers']).map { |peer| "rabbit@#{@site.host(peer).fetch('fqdn').split('.').first}" }
    end

    # Ruby Hash name => password, in site order.
    def users
      (@service['users'] || {}).to_h do |name, entry|
        [name, Ipv6Common::Secret.read(entry['password'], path: "#{KEY}.users.#{name}.password")]
      end
    end

    def cookie
      ref = @service['erlang_cookie']
      unless ref
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          "#{KEY}.erlang_cookie", 'missing', "#{KEY}.erlang_cookie: not set; reference a secret of 20+ letters and digits " \
                                             'shared by every node of the cluster, e.g. {file: /etc/ipv6_edge/secrets/rabbitmq-cookie}'
        )
      end
      Ipv6Common::Secret.read(ref, path: "#{KEY}.erlang_cookie")
    end

    # The endpoint (name, data) that publishes the management UI through the HAProxy edge
    # (services.rabbitmq.management_endpoint), or nil. It must be an endpoint of the broker host:
    # HAProxy there forwards to [::1]:backend_port, where management listens.
    def management_endpoint
      name = @service['management_endpoint']
      return unless name

      endpoint = @site.endpoints[name]
      if endpoint.nil? || endpoint['host'] != host
        found = endpoint ? "is on host #{endpoint['host']}, not the broker host #{host}" : 'is not an endpoint of this site'
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          "#{KEY}.management_endpoint", 'unknown_endpoint',
          "#{KEY}.management_endpoint: #{name} #{found}; name an endpoint of #{host} whose backend_port is the management port, " \
          'or leave the key out (management on [::1] only)'
        )
      end
      [name, endpoint]
    end

    # The management port on [::1]: the management endpoint's backend_port, else RabbitMQ's 15672.
    def management_port
      endpoint = management_endpoint
      endpoint ? endpoint.last['backend_port'] : 15_672
    end

    # services.rabbitmq.tls (port defaulted), or nil when the site asks for no AMQPS.
    def tls
      return unless @service['tls']

      { 'port' => 5671 }.merge(@service['tls'])
    end

    # The port clients use: AMQPS when the site turns TLS on.
    def client_port
      tls ? tls['port'] : port
    end

    # The URL oslo.messaging clients use: this broker by its AAAA-only name, the first site vhost.
    def transport_url(user, password, vhost: vhosts.first)
      client_settings(user, password, vhost: vhost)['DEFAULT']['transport_url']
    end

    # The client's oslo.messaging settings (Ipv6Common::TransportUrl.settings): with TLS on, the AMQPS
    # port and ssl_ca_file = the site CA bundle, which verifies the broker's certificate.
    def client_settings(user, password, vhost: vhosts.first)
      Ipv6Common::TransportUrl.settings([{ 'host' => fqdn, 'port' => client_port, 'user' => user, 'password' => password }],
                                        vhost: vhost, ca_file: tls ? @site.ca_bundle : nil)
    end

    # Every PKI problem of the broker's certificate (Ipv6Common::Pki, the checks of the HAProxy
    # endpoints), named after services.rabbitmq.tls.cert|key; none when TLS is off.
    # cache: node.run_state, shared with the broker resource's own check.
    def tls_problems(cache: {})
      return [] unless tls

      found = Ipv6Common::Pki.checked(cache, **pki_args)
      found.map { |problem| TlsCheck.explain(node_name, tls['key'], problem) }
    end

    # The arguments of Ipv6Common::Pki.problems: the SAN must name the broker host's fqdn.
    def pki_args
      { cert: tls['cert'], key: tls['key'], ca_bundle: @site.ca_bundle, fqdn: fqdn,
        window_days: @site.expiry_window_days, policy: Ipv6Common::SiteDelivery.pki_policy(@site) }
    end
  end
end

module Ipv6Rabbitmq
  # The broker's certificate problems in the message shape of the HAProxy
  # endpoints', naming the site key: "AMQPS of rabbit@ctl1 (services.rabbitmq.tls.cert): ...".
  module TlsCheck
    KEY = 'services.rabbitmq.tls'

    def self.explain(node_name, key_path, problem)
      Ipv6Common::Pki.explain_at("AMQPS of #{node_name}", KEY, key_path, problem)
    end
  end
end
