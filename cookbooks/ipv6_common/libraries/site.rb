# frozen_string_literal: true

require 'json'
require_relative 'address'
require_relative 'errors'
require_relative 'validate'
require_relative 'site_yaml'

module Ipv6Common
  # The site description: hosts, their IPv6 addresses, the TLS endpoints, the
  # shared services and the policies. Its shape is site/schema.json (here as
  # libraries/site_schema.json); a site is validated against it with
  # json_schemer, then the cross-field rules of its x-rules run. Built only
  # from a valid description, with defaults applied and addresses canonical;
  # every problem is reported at once, in file order. edge_verify.site
  # (Python) produces the same normalised site and the same messages.
  class Site
    attr_reader :name, :zone, :ttl, :dns_server, :ca_bundle, :expiry_window_days,
                :hosts, :endpoints, :services, :policy, :tls, :pki_policy, :packages, :data

    def self.load_file(path)
      from_hash(read(path))
    end

    def self.from_hash(hash)
      data = plain(hash)
      found = problems(data)
      raise ConfigError, found unless found.empty?

      new(Checker.normalise(data))
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
      Checker.new(plain(hash)).problems
    end

    # The problems of a site file, including a file that cannot be read or
    # is not YAML.
    def self.file_problems(path)
      problems(read(path))
    rescue ConfigError => e
      e.problems
    end

    # The plain data of a site file (strict YAML), or ConfigError.
    def self.read(path)
      data = Yaml.read(path)
      return data if data.is_a?(Hash)

      raise ConfigError, Yaml.problem('not_mapping', path, found: Validate.describe(data))
    end

    # value when it is a DNS name, else ConfigError naming path.
    def self.dns_name(value, path:)
      return value if Validate.dns_name?(value)

      raise ConfigError, Problem.new(path, 'bad_name', "#{path}: #{value.inspect} is not a DNS name; " \
                                                       'use lower-case dot-separated labels without a trailing dot')
    end

    # value when it is an absolute path, else ConfigError naming path.
    def self.absolute_path(value, path:)
      return value if Validate.absolute_path?(value)

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
      @data = data
      @name = data['name']
      @zone, @dns_server, @ttl = data['dns'].values_at('zone', 'server', 'ttl')
      @ca_bundle, @expiry_window_days, @pki_policy = data['pki'].values_at('ca_bundle', 'expiry_window_days', 'policy')
      @hosts = data['hosts']
      @endpoints = data['endpoints']
      @services = data['services']
      @policy = data['policy']
      @tls = data['tls']
      @packages = data['packages']
    end

    # The normalised site (defaults applied, addresses canonical), as JSON.
    def to_json(*args)
      data.to_json(*args)
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

    # Validates plain data against site/schema.json, then runs the named
    # cross-field rules (x-rules), and sorts every problem into file order.
    class Checker
      SCHEMA = Validate::SCHEMA
      DEFS = SCHEMA.fetch('$defs')

      def self.schemer
        @schemer ||= begin
          require 'json_schemer'
          JSONSchemer.schema(SCHEMA, regexp_resolver: 'ecma')
        rescue LoadError
          raise ConfigError, Problem.new('.', 'missing_gem', '.: the json_schemer gem is not installed, so the site cannot ' \
                                                             'be checked against site/schema.json; install it with the ' \
                                                             "project's bundle (bundle install) or gem install json_schemer")
        end
      end

      # The keywords the schema may use: the compiled form below knows
      # exactly these (x-* are annotations), so a new keyword cannot slip
      # past the fast check unnoticed.
      KEYWORDS = %w($schema $defs $ref title description default type properties required additionalProperties
                    propertyNames items minItems minProperties minLength minimum maximum enum pattern).freeze

      # The schema with every $ref replaced by its target (siblings win),
      # the rules of both kept under 'x-rule' as a list, patterns compiled.
      def self.compile(node)
        return node unless node.is_a?(Hash)

        unknown = node.keys.reject { |k| k.start_with?('x-') || KEYWORDS.include?(k) }
        raise ArgumentError, "site schema: keyword(s) #{unknown.join(', ')} not supported by the loader" unless unknown.empty?

        rules = []
        if node['$ref']
          target = DEFS.fetch(node['$ref'].delete_prefix('#/$defs/'))
          rules.concat(Array(target['x-rule']))
          node = target.merge(node.reject { |k, _| k == '$ref' })
        end
        rules.concat(Array(node['x-rule'])) unless node['$ref'] || rules.include?(node['x-rule'])
        out = node.to_h do |k, v|
          case k
          when 'properties' then [k, v.transform_values { |sub| compile(sub) }]
          when 'additionalProperties', 'propertyNames', 'items' then [k, compile(v)]
          when 'pattern' then [k, Validate.ecma(v)]
          else [k, v]
          end
        end
        below = out['properties']&.values.to_a + [out['additionalProperties'], out['items']].grep(Hash)
        # whether any node below has a rule: the walk skips subtrees without one
        out.merge('x-rule' => rules.uniq, 'x-deep' => below.any? { |sub| !sub['x-rule'].empty? || sub['x-deep'] }).freeze
      end

      COMPILED = compile(SCHEMA.reject { |k, _| k == '$defs' })
      RULES = SCHEMA.fetch('x-rules').keys.to_h { |name| [name, :"rule_#{name}"] }.freeze

      def self.child(node, key)
        sub = node['properties']&.[](key)
        sub || (node['additionalProperties'].is_a?(Hash) ? node['additionalProperties'] : nil)
      end

      TYPES = {
        'object' => ->(v) { v.is_a?(Hash) }, 'array' => ->(v) { v.is_a?(Array) }, 'string' => ->(v) { v.is_a?(String) },
        'boolean' => ->(v) { [true, false].include?(v) },
        'integer' => ->(v) { v.is_a?(Integer) || (v.is_a?(Float) && v.finite? && v == v.floor) },
      }.freeze

      # True when data satisfies the compiled schema: the fast check of a
      # valid site. Only when it fails does json_schemer run to report
      # (test_site_agreement holds both to the same verdict).
      def self.valid?(node, value)
        return false if node['type'] && !TYPES.fetch(node['type']).call(value)

        case value
        when Hash then valid_mapping?(node, value)
        when Array
          return false if node['minItems'] && value.size < node['minItems']

          items = node['items']
          items.nil? || value.all? { |v| valid?(items, v) }
        when String
          (node['minLength'].nil? || value.length >= node['minLength']) && (node['pattern'].nil? || node['pattern'].match?(value)) &&
            (node['enum'].nil? || node['enum'].include?(value))
        when Integer, Float
          (node['minimum'].nil? || value >= node['minimum']) && (node['maximum'].nil? || value <= node['maximum']) &&
            (node['enum'].nil? || node['enum'].include?(value))
        else node['enum'].nil? || node['enum'].include?(value)
        end
      end

      def self.valid_mapping?(node, value)
        return false if node['minProperties'] && value.size < node['minProperties']
        return false if node['required']&.any? { |k| !value.key?(k) }

        props = node['properties'] || {}
        extra = node['additionalProperties']
        names = node['propertyNames']
        value.all? do |k, v|
          next false if names && !valid?(names, k)

          sub = props[k] || extra
          sub == false ? false : sub.nil? || sub == true || valid?(sub, v)
        end
      end

      # Defaults applied, integral floats of integer keys as Integers,
      # addresses canonical. data must be valid.
      def self.normalise(data, node = COMPILED)
        case data
        when Hash
          out = data.to_h { |k, v| [k, (sub = child(node, k)) ? normalise(v, sub) : v] }
          (node['properties'] || {}).each do |k, sub|
            out[k] = normalise(JSON.parse(JSON.generate(sub['default'])), sub) if !out.key?(k) && sub.key?('default')
          end
          out
        when Array
          node['items'] ? data.map { |v| normalise(v, node['items']) } : data
        when Float
          node['type'] == 'integer' ? data.to_i : data
        when String
          node['x-rule'].include?('address') ? Validate.canonical_address(data) : data
        else data
        end
      end

      attr_reader :problems

      def initialize(data)
        @data = data
        @problems = []
        @marked = {}
        unless data.is_a?(Hash)
          @problems << Yaml.problem('not_mapping', 'the site', found: Validate.describe(data))
          return
        end
        schema_problems unless self.class.valid?(COMPILED, data)
        typed = @problems.filter_map { |_t, p| p.path if p.code == 'type' }.to_h { |path| [path, true] }
        @problems.reject! { |_t, p| typed[p.path] && p.code != 'type' }
        rule_context
        walk(COMPILED, data, [])
        @problems = sort(@problems)
      end

      private

      def path_of(tokens)
        tokens.each_with_index.map { |t, i| t.is_a?(Integer) ? "[#{t}]" : (i.zero? ? t : ".#{t}") }.join
      end

      def add(tokens, code, node = {}, template: nil, **vars)
        tokens = tokens.dup
        path = path_of(tokens)
        template ||= node.is_a?(Hash) ? node.dig('x-messages', code) : nil
        @marked[path] = true
        @problems << [tokens, Validate.problem(path, code, template: template, **vars)]
      end

      def pointer(text)
        text.split('/').drop(1).map { |t| t.gsub('~1', '/').gsub('~0', '~') }
      end

      # Instance tokens from a JSON pointer, list indexes as Integers.
      def tokens_at(text)
        value = @data
        pointer(text).map do |t|
          token = value.is_a?(Array) ? Integer(t) : t
          value = value[token]
          token
        end
      end

      def value_at(tokens)
        tokens.reduce(@data) { |value, t| value[t] }
      end

      def schema_at(text)
        pointer(text).reduce(SCHEMA) { |node, t| node.is_a?(Array) ? node[Integer(t)] : node[t] }
      end

      def schema_problems
        self.class.schemer.validate(@data).each do |error|
          tokens = tokens_at(error['data_pointer'])
          node = error['schema']
          keyword = error['type']
          if keyword == 'required'
            error['details']['missing_keys'].each { |k| add(tokens + [k], 'missing', node) }
          elsif keyword == 'schema' && error['schema_pointer'].end_with?('/additionalProperties')
            parent = schema_at(error['schema_pointer'].delete_suffix('/additionalProperties'))
            add(tokens, 'unknown_key', parent, allowed: parent['properties'].keys.join(', '))
          elsif value_at(tokens).is_a?(Hash) && error['data'].is_a?(String)
            # propertyNames: the error names the mapping, the data is the key
            keyword_problem(tokens + [error['data']], keyword, node, error['data'])
          else
            keyword_problem(tokens, SCHEMA['x-types'].key?(keyword) ? 'type' : keyword, node, error['data'])
          end
        end
      end

      def keyword_problem(tokens, keyword, node, value)
        code = keyword == 'type' ? 'type' : node['x-code'] || SCHEMA['x-codes'].fetch(keyword)
        add(tokens, code, node, found: Validate.describe(value), expected: node['x-expected'] || SCHEMA['x-types'][node['type']],
                                value: Validate.show(value), quoted: Validate.quoted(value), what: node['x-what'],
                                hint: node['x-hint'], item: node['x-item'] || 'item', choices: Array(node['enum']).join(', '),
                                min: node['minimum'], max: node['maximum'])
      end

      def rule_context
        zone = @data['dns'].is_a?(Hash) ? @data['dns']['zone'] : nil
        @zone = zone if Validate.dns_name?(zone)
        @hosts = @data['hosts'] if @data['hosts'].is_a?(Hash)
        @addresses = {}
      end

      # Runs the rules of each node in document order; a rule does not judge
      # a value the schema already found at fault.
      def walk(node, value, tokens)
        node['x-rule'].each do |rule|
          break if !@marked.empty? && @marked[path_of(tokens)]

          send(RULES.fetch(rule), value, tokens, node)
        end
        return unless node['x-deep']

        if value.is_a?(Hash)
          value.each do |k, v|
            next unless (sub = self.class.child(node, k))

            tokens.push(k)
            walk(sub, v, tokens)
            tokens.pop
          end
        elsif value.is_a?(Array) && (items = node['items'])
          value.each_with_index do |v, i|
            tokens.push(i)
            walk(items, v, tokens)
            tokens.pop
          end
        end
      end

      def rule_address(value, tokens, node)
        return unless value.is_a?(String)

        code = Validate.address_class(value, allow: node['x-allow'] || [])
        add(tokens, code, value: value, quoted: Validate.quoted(value), bare: value.delete('[]')) if code
      end

      def rule_duplicate_address(value, tokens, _node)
        canonical = Validate.canonical_address(value)
        if (first = @addresses[canonical])
          add(tokens, 'duplicate_address', canonical: canonical, first: first)
        else
          @addresses[canonical] = path_of(tokens)
        end
      end

      def rule_host_ref(value, tokens, _node)
        return unless value.is_a?(String) && @hosts && !@hosts.key?(value)

        add(tokens, 'unknown_host', quoted: Validate.quoted(value), hosts: @hosts.keys.join(', '))
      end

      def rule_dns_host(value, tokens, _node)
        host = value.is_a?(String) && @hosts ? @hosts[value] : nil
        roles = host.is_a?(Hash) ? host['roles'] : nil
        add(tokens, 'not_dns_host', value: value) if roles.is_a?(Array) && !roles.include?('dns')
      end

      def rule_in_zone(value, tokens, _node)
        return unless @zone && value.is_a?(String) && !Validate.in_zone?(value, @zone)

        add(tokens, 'out_of_zone', value: value, zone: @zone)
      end

      def rule_endpoint_ports(value, tokens, _node)
        return unless value.is_a?(Hash)

        seen = {}
        value.each do |name, endpoint|
          next unless endpoint.is_a?(Hash) && endpoint['host'].is_a?(String) && Validate.port?(endpoint['port'])

          port_tokens = tokens + [name, 'port']
          next if @marked[path_of(port_tokens)]

          key = [endpoint['host'], endpoint['port']]
          if (first = seen[key])
            add(port_tokens, 'port_conflict', port: endpoint['port'], host: endpoint['host'], first: first)
          else
            seen[key] = path_of(tokens + [name])
          end
        end
      end

      def rule_secret(value, tokens, _node)
        code = Validate.secret_problem(value)
        add(tokens, code) if code
      end

      # File order: each key by its place in its mapping (an absent key after
      # the present ones, by name), each item by index; then code, message.
      def sort(found)
        found.sort_by do |tokens, problem|
          value = @data
          place = tokens.map do |t|
            rank = if value.is_a?(Hash) then (index = value.keys.index(t)) ? [index, ''] : [value.size, t.to_s]
                   else [t.is_a?(Integer) ? t : 0, '']
                   end
            value = value.is_a?(Hash) || (value.is_a?(Array) && t.is_a?(Integer)) ? value[t] : nil
            rank
          end
          [place, problem.code, problem.message]
        end.map(&:last)
      end
    end
  end
end
