# frozen_string_literal: true

require 'ipaddr'
require 'json'
require_relative 'errors'

module Ipv6Common
  # The predicates behind the site rules and the resource properties, and the
  # messages of site/schema.json (x-messages). Plain Ruby: the site
  # validator, resource `callbacks`/`coerce` and plain RSpec all use it.
  # The patterns are read from the schema, so there is one statement of them;
  # edge_verify.site (Python) implements the same predicates.
  module Validate
    SCHEMA_FILE = File.join(__dir__, 'site_schema.json')
    SCHEMA = JSON.parse(File.read(SCHEMA_FILE)).freeze
    MESSAGES = SCHEMA.fetch('x-messages').freeze
    FILE_PROBLEMS = SCHEMA.fetch('x-file-problems').freeze

    # An anchored schema pattern (ECMA-262: ^ and $ at the ends of the string).
    def self.pattern(name)
      ecma(SCHEMA.dig('$defs', name, 'pattern'))
    end

    # A schema pattern as a Ruby Regexp: ECMA-262's ^ and $ (no multiline)
    # are the ends of the string.
    def self.ecma(source)
      source = "\\A#{source[1..]}" if source.start_with?('^')
      source = "#{source[0..-2]}\\z" if source.end_with?('$') && !source.end_with?('\\$')
      Regexp.new(source)
    end

    NAME = pattern('name')
    DNS_NAME = pattern('dns_name')
    ENV_NAME = /\A[A-Z_][A-Z0-9_]*\z/.freeze
    IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
    IPV4 = /\A#{IPV4_OCTET}(?:\.#{IPV4_OCTET}){3}\z/.freeze
    # Hex groups and an optional dotted IPv4 tail, as inet_pton(AF_INET6) reads them.
    IPV6_CHARS = /\A[0-9A-Fa-f:.]+\z/.freeze
    # [code, network, prefix length], checked in this order.
    ADDRESS_CLASSES = [
      ['ipv4_mapped', 0xffff << 32, 96],
      ['unspecified', 0, 128],
      ['loopback', 1, 128],
      ['link_local', 0xfe80 << 112, 10],
      ['multicast', 0xff << 120, 8],
    ].freeze

    module_function

    def name?(value)
      value.is_a?(String) && NAME.match?(value)
    end

    def dns_name?(value)
      value.is_a?(String) && DNS_NAME.match?(value)
    end

    def absolute_path?(value)
      value.is_a?(String) && value.start_with?('/')
    end

    def port?(value)
      value.is_a?(Integer) && (1..65_535).cover?(value)
    end

    # fqdn is a name strictly inside zone (the zone apex itself is not).
    def in_zone?(fqdn, zone)
      fqdn.end_with?(".#{zone}")
    end

    # The 128-bit integer of a plain IPv6 literal (no brackets, zone id or
    # prefix; an IPv4 tail allowed), else nil.
    def ipv6_int(value)
      return unless value.is_a?(String) && IPV6_CHARS.match?(value) && value.include?(':')

      halves = value.split('::', -1)
      return if halves.size > 2

      head = groups(halves[0], last: halves.size == 1)
      tail = halves.size == 2 ? groups(halves[1], last: true) : []
      return if head.nil? || tail.nil?

      all = if halves.size == 2
              return if head.size + tail.size > 7

              head + Array.new(8 - head.size - tail.size, 0) + tail
            else
              head
            end
      all.size == 8 ? all.reduce(0) { |acc, g| (acc << 16) | g } : nil
    end

    HEXTET = /\A[0-9A-Fa-f]{1,4}\z/.freeze

    # The 16-bit groups of one side of ::, or nil.
    def groups(text, last:)
      return [] if text.empty?

      parts = text.split(':', -1)
      out = []
      parts.each_with_index do |part, i|
        if last && i == parts.size - 1 && part.include?('.')
          return nil unless IPV4.match?(part)

          a, b, c, d = part.split('.').map(&:to_i)
          out.push((a << 8) | b, (c << 8) | d)
        else
          return nil unless HEXTET.match?(part)

          out << part.to_i(16)
        end
      end
      out
    end

    def ipv6(value)
      int = ipv6_int(value)
      int && IPAddr.new(int, Socket::AF_INET6)
    end

    # The class of an address literal that makes it unfit, or nil for a
    # global unicast IPv6 literal; allow lists classes the caller accepts.
    def address_class(value, allow: [])
      code = if value.start_with?('[') || value.end_with?(']') then 'bracketed'
             elsif IPV4.match?(value) then 'ipv4'
             elsif (int = ipv6_int(value)).nil? then 'not_an_address'
             else ADDRESS_CLASSES.find { |_code, net, bits| (int >> (128 - bits)) == (net >> (128 - bits)) }&.first
             end
      code unless allow.map(&:to_s).include?(code)
    end

    # RFC 5952 text of a valid literal: lower case, the first longest run of
    # two or more zero groups as ::.
    def canonical_address(value)
      int = ipv6_int(value)
      groups = Array.new(8) { |i| ((int >> (112 - (16 * i))) & 0xffff).to_s(16) }
      start, length = zero_run(groups)
      return groups.join(':') unless length

      "#{groups[0...start].join(':')}::#{groups[(start + length)..].join(':')}"
    end

    def zero_run(groups)
      best = nil
      i = 0
      while i < groups.size
        next i += 1 unless groups[i] == '0'

        j = i
        j += 1 while j < groups.size && groups[j] == '0'
        best = [i, j - i] if j - i > 1 && (best.nil? || j - i > best[1])
        i = j
      end
      best
    end

    # nil for {file: ABSOLUTE_PATH} or {env: NAME}; otherwise the code.
    def secret_problem(value)
      return 'inline_secret' unless value.is_a?(Hash) || value.is_a?(Array)
      return 'bad_secret_ref' unless value.is_a?(Hash) && value.size == 1

      kind, target = value.first
      ok = target.is_a?(String) && ((kind == 'file' && target.start_with?('/')) || (kind == 'env' && ENV_NAME.match?(target)))
      ok ? nil : 'bad_secret_ref'
    end

    # How messages name a value found in the site (same text as edge_verify.site).
    def describe(value)
      case value
      when nil then 'nothing'
      when Hash then 'a mapping'
      when Array then 'a list'
      when String then "a string (#{JSON.generate(value)})"
      when true, false then "a boolean (#{value})"
      when Integer then "an integer (#{value})"
      when Float then "a number (#{number(value)})"
      else "a #{value.class.name.downcase}"
      end
    end

    def number(value)
      return (value.positive? ? 'inf' : '-inf') if value.is_a?(Float) && value.infinite?
      return 'nan' if value.is_a?(Float) && value.nan?

      format('%g', value)
    end

    # The value as messages show it: strings bare, others as in YAML.
    def show(value)
      case value
      when String then value
      when nil then 'null'
      when Float then number(value)
      else value.to_s
      end
    end

    def quoted(value)
      value.is_a?(String) ? JSON.generate(value) : show(value)
    end

    # Fills a template of x-messages: {name} from vars, {{ and }} as braces.
    def render(template, vars)
      template.gsub(/\{\{|\}\}|\{([a-z_]+)\}/) do |m|
        next m[0] if ['{{', '}}'].include?(m)

        vars.fetch(Regexp.last_match(1).to_sym) { raise KeyError, "no #{m} for #{template}" }.to_s
      end
    end

    # One Problem of code at path, its message from the schema.
    def problem(path, code, template: nil, **vars)
      Problem.new(path, code, render(template || MESSAGES.fetch(code), vars.merge(path: path)))
    end

    # The problem of one address literal at path, or nil.
    def address_problem(value, path:, allow: [])
      unless value.is_a?(String)
        return problem(path, 'type', template: SCHEMA.dig('$defs', 'address', 'x-messages', 'type'), found: describe(value))
      end

      code = address_class(value, allow: allow)
      code && problem(path, code, value: value, quoted: quoted(value), bare: value.delete('[]'))
    end
  end
end
