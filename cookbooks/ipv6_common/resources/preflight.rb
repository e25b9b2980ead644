# frozen_string_literal: true

unified_mode true
provides :ipv6_common_preflight

description 'Refuses to go on when the host is not ready for IPv6-only services: its names must resolve ' \
            'to its site addresses only (no IPv4 line in /etc/hosts, no A record) and those addresses must ' \
            'be configured. Changes nothing; raises Ipv6Common::ConfigError listing every problem.'

property :host, String, name_property: true,
                        description: 'The host key in the site (the Chef node name), used in messages.'

property :fqdn, String, required: true,
                        coerce: proc { |v| Ipv6Common::Site.dns_name(v, path: 'fqdn') },
                        description: "The host's fully qualified name (hosts.H.fqdn)."

property :addresses, Array, required: true,
                            coerce: proc { |v| Ipv6Common::Address.canonical_list(v, path: 'addresses') },
                            description: "The host's global IPv6 addresses (hosts.H.addresses), stored in canonical form."

property :nameservers, Array, required: true,
                              coerce: proc { |v| Ipv6Common::Address.canonical_list(v, path: 'nameservers', allow: [:loopback]) },
                              description: "IPv6 addresses of the site's name server (the addresses of the dns.server host), asked directly."

property :dns_port, Integer, default: 53,
                             callbacks: { 'is not a port; use 1..65535' => ->(v) { v.between?(1, 65_535) } },
                             description: 'UDP port of the name servers.'

property :hosts_file, String, default: '/etc/hosts',
                              description: 'The hosts file to inspect for IPv4 lines naming the host.'

property :if_inet6_file, String, default: '/proc/net/if_inet6',
                                 description: "The kernel's list of configured IPv6 addresses (of the current network namespace)."

property :timeout, Integer, default: 5,
                            callbacks: { 'must be 1 or more (seconds)' => ->(v) { v >= 1 } },
                            description: 'Seconds to wait for each name server.'

action_class do
  def problems
    resolver = Ipv6Common::Resolver.new(new_resource.nameservers, port: new_resource.dns_port, timeout: new_resource.timeout)
    Ipv6Common::Preflight.hosts_file_problems(new_resource.hosts_file, new_resource.fqdn) +
      Ipv6Common::Preflight.dns_problems(resolver, new_resource.fqdn, new_resource.addresses) +
      Ipv6Common::Preflight.interface_problems(new_resource.if_inet6_file, new_resource.addresses,
                                               key: "hosts.#{new_resource.host}.addresses")
  end
end

action :check do
  description 'Check the host; raise Ipv6Common::ConfigError with every problem found.'

  found = problems
  unless found.empty?
    raise Ipv6Common::ConfigError, found.map { |p| Ipv6Common::Problem.new(p.path, p.code, "#{new_resource.host}: #{p.message}") }
  end
end
