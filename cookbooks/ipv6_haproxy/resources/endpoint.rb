unified_mode true
provides :ipv6_haproxy_endpoint

description 'One TLS endpoint of the edge: a frontend on the site IPv6 addresses (v6only, TLS) ' \
            'and a backend on [::1]. Adds itself to the HAProxy configuration written by ipv6_haproxy_config.'

property :endpoint_name, String,
         name_property: true,
         description: 'Endpoint name from the site (endpoints.NAME); names the frontend and backend.',
         callbacks: {
           'is not a valid endpoint name; use lower-case letters, digits and dashes' =>
             ->(v) { Ipv6Haproxy::Validate.name?(v) },
         }

property :bind_addresses, Array,
         required: true,
         description: 'Global IPv6 addresses to listen on, bare literals (no brackets); stored compressed.',
         coerce: proc { |list|
           next list unless list.is_a?(Array) # Chef's type check reports it

           list.each_with_index.map do |value, i|
             Ipv6Common::Address.parse(value, path: "ipv6_haproxy_endpoint[#{name}] bind_addresses[#{i}]").to_s
           end
         },
         callbacks: {
           'is empty; list at least one of the host\'s site addresses' => ->(v) { !v.empty? },
         }

property :port, Integer,
         required: true,
         description: 'Public TLS port on every bind address.',
         callbacks: { 'is not a port; use 1..65535' => ->(v) { Ipv6Haproxy::Validate.port?(v) } }

property :backend_port, Integer,
         required: true,
         description: 'Port of the service on [::1].',
         callbacks: { 'is not a port; use 1..65535' => ->(v) { Ipv6Haproxy::Validate.port?(v) } }

property :fqdn, String,
         required: true,
         description: 'Public name of the endpoint (sent as Host by the health check).',
         callbacks: {
           'is not a DNS name; use lower-case dot-separated labels without a trailing dot' =>
             ->(v) { Ipv6Haproxy::Validate.dns_name?(v) },
         }

property :pem, String,
         required: true,
         description: 'Absolute path of the PEM HAProxy loads: leaf, intermediates, key (see ipv6_common_tls_bundle).',
         callbacks: {
           'is not an absolute path' => ->(v) { Ipv6Haproxy::Validate.absolute_path?(v) },
         }

property :check_path, String,
         default: '/',
         description: 'HTTP path the health check requests from the backend; 2xx and 3xx count as up.',
         callbacks: {
           'is not an HTTP path; start with / and leave out spaces' => ->(v) { Ipv6Haproxy::Validate.http_path?(v) },
         }

property :check_interval, String,
         default: '2s',
         description: 'Time between health checks (HAProxy duration: 500ms, 2s, 1m).',
         callbacks: {
           'is not an HAProxy duration; write e.g. 500ms, 2s or 1m' => ->(v) { Ipv6Haproxy::Validate.duration?(v) },
         }

property :check_fall, Integer,
         default: 3,
         description: 'Failed checks before the backend is marked down.',
         callbacks: { 'must be 1 or more' => ->(v) { v >= 1 } }

property :check_rise, Integer,
         default: 2,
         description: 'Passed checks before the backend is marked up again.',
         callbacks: { 'must be 1 or more' => ->(v) { v >= 1 } }

property :maxconn, [Integer, nil],
         description: 'Concurrent connections HAProxy sends to the backend (the service\'s workers x threads); ' \
                      'the rest wait in HAProxy\'s queue and time out cleanly (timeout queue) instead of ' \
                      'overflowing the service\'s accept queue (timeout queue, else timeout connect). nil: no limit.',
         callbacks: { 'must be 1 or more' => ->(v) { v.nil? || v >= 1 } }

property :config_path, String,
         default: '/etc/haproxy/haproxy.cfg',
         description: 'The configuration file this endpoint belongs to (the ipv6_haproxy_config name).',
         callbacks: {
           'is not an absolute path' => ->(v) { Ipv6Haproxy::Validate.absolute_path?(v) },
         }

action_class do
  include Ipv6Common::ConfigFile
end

action :create do
  description 'Add the endpoint to the HAProxy configuration; the file is written once, at the end of the run.'

  loopback = Ipv6Common::Address.parse('::1', path: 'backend', allow: [:loopback])
  endpoint = {
    'binds' => new_resource.bind_addresses.map { |a| Ipv6Common::Address.parse(a).haproxy_bind(new_resource.port) },
    'pem' => new_resource.pem,
    'fqdn' => new_resource.fqdn,
    'server' => loopback.host_port(new_resource.backend_port),
    'check_path' => new_resource.check_path,
    'check_interval' => new_resource.check_interval,
    'check_fall' => new_resource.check_fall,
    'check_rise' => new_resource.check_rise,
    'maxconn' => new_resource.maxconn,
  }

  config_section new_resource.config_path, :endpoints, new_resource.endpoint_name, endpoint
end
