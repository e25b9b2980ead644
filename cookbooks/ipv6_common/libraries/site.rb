# frozen_string_literal: true

require 'date'
require 'yaml'
require_relative 'address'
require_relative 'errors'

module Ipv6Common
  # The site description (site/SCHEMA.md): hosts, their IPv6 addresses, the
  # TLS endpoints and the shared services. Built only from a valid
  # description; every problem is reported at once, in file order.
  class Site
    NAME = /\A[a-z0-9][a-z0-9-]*\z/.freeze
    LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
    DNS_NAME = /\A#{LABEL}(?:\.#{LABEL})*\z/.freeze
    ENV_NAME = /\A[A-Z_][A-Z0-9_]*\z/.freeze
    ROLES = %w(controller compute dns ops).freeze
    RELEASES = %w(pike queens rocky stein train ussuri victoria wallaby xena yoga zed
                  antelope bobcat caracal dalmatian epoxy).freeze
    TARGET_HELPERS = %w(tgtadm lioadm scstadmin iscsictl ietadm cxtadm nvmet).freeze
    CACHE_BACKENDS = %w(oslo_cache.memcache_pool dogpile.cache.pymemcache).freeze
    PORTS = (1..65_535).freeze
    SERVICE_DEFAULTS = {
      'rabbitmq' => { 'port' => 5672 },
      'memcached' => { 'port' => 11_211, 'backend' => 'oslo_cache.memcache_pool' },
      'cinder' => { 'target_port' => 3260 },
      'keystone' => { 'workers' => 1, 'region' => 'RegionOne' },
      'placement' => { 'workers' => 1 },
    }.freeze
    POLICY_DEFAULTS = { 'ipv4_loopback' => 'allow', 'allowed_listeners' => [], 'preflight' => true }.freeze
    TLS_DEFAULTS = {
      'min_version' => 'TLSv1.2',
      'ciphers' => %w(
        ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
        ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384
        ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305
        DHE-RSA-AES128-GCM-SHA256 DHE-RSA-AES256-GCM-SHA384
        DHE-RSA-CHACHA20-POLY1305
      ).join(':'),
      'ciphersuites' => 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
      'hsts' => true,
      'hsts_max_age' => 63_072_000,
    }.freeze
    PKI_POLICY_DEFAULTS = { 'min_rsa_bits' => 2048, 'min_ec_bits' => 256, 'signature_hashes' => %w(sha256 sha384 sha512),
                            'max_validity_days' => 398, 'require_server_auth' => true }.freeze
    TLS_VERSIONS = %w(TLSv1.2 TLSv1.3).freeze
    HASHES = %w(sha1 sha224 sha256 sha384 sha512).freeze
    PACKAGE = /\A[a-z0-9][a-z0-9+.-]+\z/.freeze
    VERSION = /\A[A-Za-z0-9.+~:-]+\z/.freeze

    attr_reader :name, :zone, :ttl, :dns_server, :ca_bundle, :expiry_window_days,
                :hosts, :endpoints, :services, :policy, :tls, :pki_policy, :packages

    def self.load_file(path)
      from_hash(read(path))
    end

    def self.from_hash(hash)
      data = plain(hash)
      found = problems(data)
      raise ConfigError, found unless found.empty?

      new(data)
    end

    # The site chef-client received as JSON attributes, node['ipv6_edge']['site'].
    def self.from_node(node)
      data = node['ipv6_edge'] && node['ipv6_edge']['site']
      return from_hash(data) if data

      raise ConfigError, Problem.new('ipv6_edge.site', 'missing',
                                     'ipv6_edge.site: no site description in the node attributes; pass it as JSON, ' \
                                     "e.g. chef-client -j <(bin/site-json site/lab.yml) -N #{node.name}")
    end

    def self.problems(hash)
      Validator.new(plain(hash)).problems
    end

    # The problems of a site file, including a file that is not YAML.
    def self.file_problems(path)
      problems(read(path))
    rescue ConfigError => e
      e.problems
    end

    # The plain data of a site file, or ConfigError (not_yaml).
    def self.read(path)
      data = YAML.safe_load(File.read(path), permitted_classes: [Date, Time], aliases: true)
      return data if data.is_a?(Hash)

      raise ConfigError, Problem.new('.', 'not_yaml', ".: #{path} holds #{Validator.describe(data)}, not a mapping; " \
                                                      'write the site as a YAML mapping (see site/SCHEMA.md)')
    rescue Psych::Exception, SystemCallError => e
      raise ConfigError, Problem.new('.', 'not_yaml', ".: #{path} cannot be read as YAML (#{e.message.lines.first.strip}); " \
                                                      'fix the file (see site/SCHEMA.md)')
    end

    # value when it is a DNS name, else ConfigError naming path.
    def self.dns_name(value, path:)
      return value if value.is_a?(String) && DNS_NAME.match?(value)

      raise ConfigError, Problem.new(path, 'bad_name', "#{path}: #{value.inspect} is not a DNS name; " \
                                                       'use lower-case dot-separated labels without a trailing dot')
    end

    # value when it is an absolute path, else ConfigError naming path.
    def self.absolute_path(value, path:)
      return value if value.is_a?(String) && value.start_with?('/')

      raise ConfigError, Problem.new(path, 'not_absolute', "#{path}: #{value.inspect} is not an absolute path; write the full path, starting with /")
    end

    # Node attributes (Mash, ImmutableMash, symbol keys) to plain Hashes and
    # Arrays with String keys.
    def self.plain(value)
      if value.respond_to?(:each_pair)
        value.each_pair.to_h { |k, v| [k.to_s, plain(v)] }
      elsif value.is_a?(Array)
        value.map { |v| plain(v) }
      else
        value
      end
    end
    private_class_method :new

    def initialize(data)
      @name = data['name']
      @zone = data['dns']['zone']
      @dns_server = data['dns']['server']
      @ttl = data['dns']['ttl'] || 300
      @ca_bundle = data['pki']['ca_bundle']
      @expiry_window_days = data['pki']['expiry_window_days'] || 30
      @hosts = data['hosts'].transform_values do |h|
        h.merge('addresses' => h['addresses'].map { |a| Address.parse(a).to_s })
      end
      @endpoints = data['endpoints'] || {}
      @services = (data['services'] || {}).to_h do |name, s|
        [name, SERVICE_DEFAULTS.fetch(name).merge(s.compact)]
      end
      @policy = POLICY_DEFAULTS.merge(data['policy'] || {})
      @tls = TLS_DEFAULTS.merge(data['tls'] || {})
      @pki_policy = PKI_POLICY_DEFAULTS.merge(data['pki']['policy'] || {})
      @packages = data['packages'] || {}
    end

    def host(name)
      hosts.fetch(name.to_s) do
        raise ConfigError, Problem.new("hosts.#{name}", 'unknown_host',
                                       "hosts.#{name}: no host #{name} in site #{self.name}; " \
                                       "add it under hosts or use one of #{hosts.keys.join(', ')}")
      end
    end

    def addresses(host_name)
      host(host_name)['addresses'].map { |a| Address.parse(a) }
    end

    def endpoints_on(host_name)
      host(host_name)
      endpoints.select { |_name, e| e['host'] == host_name.to_s }
    end

    def service(name)
      services.fetch(name.to_s) do
        raise ConfigError, Problem.new("services.#{name}", 'missing',
                                       "services.#{name}: not described in site #{self.name}; add it under services")
      end
    end

    # Applies the rules of site/SCHEMA.md to plain data and collects every
    # problem. Keys are checked in file order; a value of the wrong type is
    # not descended into.
    class Validator
      attr_reader :problems

      def self.describe(value)
        case value
        when nil then 'nothing'
        when Hash then 'a mapping'
        when Array then 'a list'
        when String then "a string (#{value.inspect})"
        when true, false then "a boolean (#{value})"
        when Integer then "an integer (#{value})"
        else "a #{value.class.name.downcase} (#{value})"
        end
      end

      def initialize(data)
        @problems = []
        @addresses = {}
        @ports = {}
        if data.is_a?(Hash)
          setup_context(data)
          fields('', data, TOP)
        else
          add('.', 'not_yaml', ".: the site is #{self.class.describe(data)}, not a mapping; write it as a YAML mapping")
        end
      end

      TOP = { 'name' => [true, :site_name], 'dns' => [true, :dns], 'pki' => [true, :pki],
              'hosts' => [true, :hosts], 'endpoints' => [false, :endpoints], 'services' => [false, :services],
              'policy' => [false, :policy], 'tls' => [false, :tls], 'packages' => [false, :packages] }.freeze
      DNS = { 'zone' => [true, :zone], 'server' => [true, :dns_server], 'ttl' => [false, :ttl] }.freeze
      PKI = { 'ca_bundle' => [true, :absolute], 'expiry_window_days' => [false, :window], 'policy' => [false, :pki_policy] }.freeze
      POLICY = { 'ipv4_loopback' => [false, :ipv4_loopback], 'allowed_listeners' => [false, :allowed_listeners],
                 'preflight' => [false, :boolean] }.freeze
      LISTENER = { 'host' => [true, :host_ref], 'port' => [true, :port], 'process' => [true, :word],
                   'reason' => [true, :word], 'address' => [false, :listener_address] }.freeze
      TLS = { 'min_version' => [false, :tls_version], 'ciphers' => [false, :word], 'ciphersuites' => [false, :word],
              'hsts' => [false, :boolean], 'hsts_max_age' => [false, :hsts_max_age] }.freeze
      PKI_POLICY = { 'min_rsa_bits' => [false, :rsa_bits], 'min_ec_bits' => [false, :ec_bits],
                     'signature_hashes' => [false, :hashes], 'max_validity_days' => [false, :validity],
                     'require_server_auth' => [false, :boolean] }.freeze
      HOST = { 'fqdn' => [true, :fqdn], 'roles' => [true, :roles], 'addresses' => [true, :host_addresses] }.freeze
      ENDPOINT = { 'host' => [true, :host_ref], 'fqdn' => [true, :fqdn], 'port' => [true, :endpoint_port],
                   'backend_port' => [true, :port], 'cert' => [true, :absolute], 'key' => [true, :absolute],
                   'stand_in' => [false, :boolean] }.freeze
      SERVICES = {
        'rabbitmq' => { 'host' => [true, :host_ref], 'port' => [false, :port], 'users' => [false, :users] },
        'memcached' => { 'host' => [true, :host_ref], 'port' => [false, :port], 'backend' => [false, :cache_backend] },
        'keystone' => { 'host' => [true, :host_ref], 'admin_password' => [true, :secret], 'workers' => [false, :workers],
                        'region' => [false, :word] },
        'placement' => { 'host' => [true, :host_ref], 'password' => [true, :secret], 'workers' => [false, :workers] },
        'cinder' => { 'host' => [true, :host_ref], 'release' => [true, :release],
                      'target_helper' => [true, :target_helper], 'target_port' => [false, :port] },
      }.freeze
      USER = { 'password' => [true, :secret] }.freeze

      private

      def setup_context(data)
        dns = data['dns'].is_a?(Hash) ? data['dns'] : {}
        @zone = dns['zone'] if dns['zone'].is_a?(String) && DNS_NAME.match?(dns['zone'])
        @hosts = data['hosts'] if data['hosts'].is_a?(Hash)
      end

      def add(path, code, message)
        @problems << Problem.new(path, code, message)
        nil
      end

      def join(path, key)
        path.empty? ? key : "#{path}.#{key}"
      end

      # Known keys in file order, then the required keys that are absent.
      # A key written with a null value is present, and of the wrong type.
      def fields(path, hash, spec)
        hash.each do |key, value|
          sub = join(path, key)
          if spec.key?(key)
            send(spec[key][1], sub, value)
          else
            add(sub, 'unknown_key', "#{sub}: unknown key; use one of #{spec.keys.join(', ')} (a typo is not ignored)")
          end
        end
        spec.each do |key, (required, _check)|
          sub = join(path, key)
          add(sub, 'missing', "#{sub}: not set; this key is required (see site/SCHEMA.md)") if required && !hash.key?(key)
        end
      end

      def type(path, value, expected)
        add(path, 'type', "#{path}: found #{self.class.describe(value)}; write #{expected}")
      end

      def string(path, value)
        value.is_a?(String) ? value : type(path, value, 'a string')
      end

      def mapping(path, value)
        value.is_a?(Hash) ? value : type(path, value, 'a mapping')
      end

      def list(path, value)
        return type(path, value, 'a list') unless value.is_a?(Array)
        return add(path, 'empty', "#{path}: the list is empty; give at least one item") if value.empty?

        value
      end

      def integer(path, value, range)
        return type(path, value, 'an integer') unless value.is_a?(Integer)
        return value if range.cover?(value)

        add(path, 'out_of_range', "#{path}: #{value} is out of range; use #{range.min}..#{range.max}")
      end

      # Each entry of a mapping keyed by names, checked by the block.
      def named_entries(path, value, what)
        return unless mapping(path, value)

        value.each do |key, entry|
          sub = join(path, key)
          name_ok = NAME.match?(key)
          add(sub, 'bad_name', "#{sub}: #{key.inspect} is not a valid #{what} name; use lower-case letters, digits and '-'") unless name_ok
          yield sub, entry if mapping(sub, entry)
        end
      end

      def choice(path, value, choices, what)
        return unless string(path, value)
        return if choices.include?(value)

        add(path, 'bad_choice', "#{path}: #{value.inspect} is not a known #{what}; use one of #{choices.join(', ')}")
      end

      def site_name(path, value)
        return unless string(path, value)

        add(path, 'bad_name', "#{path}: #{value.inspect} is not a valid name; use lower-case letters, digits and '-'") unless NAME.match?(value)
      end

      def dns(path, value)
        fields(path, value, DNS) if mapping(path, value)
      end

      def zone(path, value)
        dns_name(path, value)
      end

      def dns_name(path, value)
        return unless string(path, value)
        return value if DNS_NAME.match?(value)

        add(path, 'bad_name', "#{path}: #{value.inspect} is not a DNS name; use lower-case dot-separated labels without a trailing dot")
      end

      def dns_server(path, value)
        return unless host_ref(path, value)

        roles = @hosts[value].is_a?(Hash) ? @hosts[value]['roles'] : nil
        return unless roles.is_a?(Array) && !roles.include?('dns')

        add(path, 'not_dns_host', "#{path}: host #{value} has no dns role; name a host whose roles contain dns, or add dns to hosts.#{value}.roles")
      end

      def ttl(path, value)
        integer(path, value, 1..86_400)
      end

      def pki(path, value)
        fields(path, value, PKI) if mapping(path, value)
      end

      def window(path, value)
        integer(path, value, 0..3650)
      end

      def absolute(path, value)
        return unless string(path, value)

        add(path, 'not_absolute', "#{path}: #{value.inspect} is not an absolute path; write the full path, starting with /") unless value.start_with?('/')
      end

      def hosts(path, value)
        return unless mapping(path, value)
        return add(path, 'empty', "#{path}: no hosts; describe at least one host") if value.empty?

        named_entries(path, value, 'host') { |sub, host| fields(sub, host, HOST) }
      end

      def fqdn(path, value)
        return unless dns_name(path, value) && @zone
        return if value.end_with?(".#{@zone}")

        add(path, 'out_of_zone', "#{path}: #{value} is outside the zone #{@zone}; use a name ending in .#{@zone}")
      end

      def roles(path, value)
        list(path, value)&.each_with_index do |role, i|
          sub = "#{path}[#{i}]"
          next unless string(sub, role)

          add(sub, 'bad_role', "#{sub}: #{role.inspect} is not a role; use one of #{ROLES.join(', ')}") unless ROLES.include?(role)
        end
      end

      def host_addresses(path, value)
        list(path, value)&.each_with_index do |address, i|
          sub = "#{path}[#{i}]"
          problem = Address.problem(address, path: sub)
          next @problems << problem if problem

          canonical = Address.parse(address).to_s
          if (first = @addresses[canonical])
            add(sub, 'duplicate_address', "#{sub}: #{canonical} is already used by #{first}; give each host its own addresses")
          else
            @addresses[canonical] = sub
          end
        end
      end

      def endpoints(path, value)
        named_entries(path, value, 'endpoint') do |sub, endpoint|
          @endpoint = [sub, endpoint['host']]
          fields(sub, endpoint, ENDPOINT)
        end
      end

      # A key of hosts; not judged when hosts itself is not a mapping.
      def host_ref(path, value)
        return unless string(path, value) && @hosts
        return value if @hosts.key?(value)

        add(path, 'unknown_host', "#{path}: #{value.inspect} is not a host of this site; use one of #{@hosts.keys.join(', ')}")
      end

      def port(path, value)
        integer(path, value, PORTS)
      end

      # The public port, unique among the endpoints of one host.
      def endpoint_port(path, value)
        return unless port(path, value)

        endpoint_path, host = @endpoint
        return unless host.is_a?(String)

        key = [host, value]
        if (first = @ports[key])
          add(path, 'port_conflict', "#{path}: port #{value} on host #{host} is already used by #{first}; give each endpoint of a host its own port")
        else
          @ports[key] = endpoint_path
        end
      end

      def services(path, value)
        return unless mapping(path, value)

        value.each do |name, service|
          sub = join(path, name)
          next add(sub, 'unknown_key', "#{sub}: unknown service; use one of #{SERVICES.keys.join(', ')} (a typo is not ignored)") unless SERVICES.key?(name)

          fields(sub, service, SERVICES[name]) if mapping(sub, service)
        end
      end

      def users(path, value)
        return unless mapping(path, value)

        value.each do |user, entry|
          sub = join(path, user)
          next fields(sub, entry, USER) if entry.is_a?(Hash)

          add(sub, 'type', "#{sub}: found a value that is not a mapping; write {password: {file: /path}}")
        end
      end

      def policy(path, value)
        fields(path, value, POLICY) if mapping(path, value)
      end

      def ipv4_loopback(path, value)
        choice(path, value, %w(allow forbid), 'ipv4_loopback policy')
      end

      def allowed_listeners(path, value)
        return type(path, value, 'a list') unless value.is_a?(Array)

        value.each_with_index { |entry, i| fields("#{path}[#{i}]", entry, LISTENER) if mapping("#{path}[#{i}]", entry) }
      end

      def listener_address(path, value)
        problem = Address.problem(value, path: path, allow: %i(unspecified loopback link_local))
        @problems << problem if problem
      end

      def boolean(path, value)
        type(path, value, 'true or false') unless [true, false].include?(value)
      end

      def word(path, value)
        return unless string(path, value)

        add(path, 'empty', "#{path}: the string is empty; give a value") if value.strip.empty?
      end

      def tls(path, value)
        fields(path, value, TLS) if mapping(path, value)
      end

      def tls_version(path, value)
        choice(path, value, TLS_VERSIONS, 'TLS version')
      end

      def hsts_max_age(path, value)
        integer(path, value, 1..2_147_483_647)
      end

      def pki_policy(path, value)
        fields(path, value, PKI_POLICY) if mapping(path, value)
      end

      def rsa_bits(path, value)
        integer(path, value, 1024..16_384)
      end

      def ec_bits(path, value)
        integer(path, value, 160..571)
      end

      def validity(path, value)
        integer(path, value, 1..36_500)
      end

      def hashes(path, value)
        list(path, value)&.each_with_index { |h, i| choice("#{path}[#{i}]", h, HASHES, 'signature hash') }
      end

      def packages(path, value)
        return unless mapping(path, value)

        value.each do |name, version|
          sub = join(path, name)
          add(sub, 'bad_name', "#{sub}: #{name.inspect} is not a Debian package name; use lower-case letters, digits and +.-") unless PACKAGE.match?(name.to_s)
          next unless string(sub, version)

          add(sub, 'bad_name', "#{sub}: #{version.inspect} is not a package version; write the version as apt shows it") unless VERSION.match?(version)
        end
      end

      def release(path, value)
        choice(path, value, RELEASES, 'Cinder release')
      end

      def target_helper(path, value)
        choice(path, value, TARGET_HELPERS, 'target helper')
      end

      def cache_backend(path, value)
        choice(path, value, CACHE_BACKENDS, 'oslo.cache backend')
      end

      def workers(path, value)
        integer(path, value, 1..64)
      end

      # A secret is referenced, never written: {file: ABSOLUTE_PATH} or
      # {env: NAME}. Messages never repeat the value.
      def secret(path, value)
        return if secret_ref?(value)

        if value.is_a?(Hash) || value.is_a?(Array)
          add(path, 'bad_secret_ref', "#{path}: not a valid reference; " \
                                      'write exactly one of {file: /absolute/path} or {env: NAME} (NAME in A-Z, 0-9, _)')
        else
          add(path, 'inline_secret', "#{path}: the secret is written inline; store it in a file and write {file: /path} or {env: NAME}")
        end
      end

      def secret_ref?(value)
        return false unless value.is_a?(Hash) && value.size == 1

        kind, target = value.first
        target.is_a?(String) && ((kind == 'file' && target.start_with?('/')) || (kind == 'env' && ENV_NAME.match?(target)))
      end
    end
  end
end
