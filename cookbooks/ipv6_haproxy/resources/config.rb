unified_mode true
provides :ipv6_haproxy_config

description 'The HAProxy configuration file: global TLS policy, local-only stats socket, defaults, ' \
            'and every ipv6_haproxy_endpoint of the run. Checked with `haproxy -c` before it replaces ' \
            'the live file; a change reloads HAProxy (never restarts it), and HAProxy is started when ' \
            'it is not running.'

property :path, String,
         name_property: true,
         description: 'Configuration file HAProxy reads (Debian: /etc/haproxy/haproxy.cfg).',
         callbacks: {
           'is not an absolute path' => ->(v) { Ipv6Haproxy::Validate.absolute_path?(v) },
         }

property :stats_socket, String,
         default: '/run/haproxy/admin.sock',
         description: 'Unix socket for the runtime API (mode 0600, root only); there is no network stats listener.',
         callbacks: {
           'is not an absolute path' => ->(v) { Ipv6Haproxy::Validate.absolute_path?(v) },
         }

property :tls_min_version, String,
         default: Ipv6Haproxy::TLS_POLICY['min_version'],
         equal_to: %w(TLSv1.2 TLSv1.3),
         description: 'Oldest TLS version accepted (ssl-min-ver).'

property :ciphers, String,
         default: Ipv6Haproxy::TLS_POLICY['ciphers'],
         description: 'TLS 1.2 cipher list (Mozilla intermediate).'

property :ciphersuites, String,
         default: Ipv6Haproxy::TLS_POLICY['ciphersuites'],
         description: 'TLS 1.3 cipher suites (Mozilla intermediate).'

property :hsts, [true, false],
         default: Ipv6Haproxy::TLS_POLICY['hsts'],
         description: 'Send Strict-Transport-Security on every response, so browsers and clients never fall back ' \
                      'to plain HTTP for these names (site tls.hsts).'

property :hsts_max_age, Integer,
         default: Ipv6Haproxy::TLS_POLICY['hsts_max_age'],
         description: 'Seconds clients remember to use HTTPS only (site tls.hsts_max_age), 1..2147483647.',
         callbacks: { 'is out of range; use 1..2147483647 seconds' => ->(v) { v.between?(1, (2**31) - 1) } }

property :dh_param_bits, Integer,
         default: Ipv6Haproxy::TLS_POLICY['dh_param_bits'],
         equal_to: [2048, 3072, 4096],
         description: 'Size of the DHE group used by the DHE-RSA suites (tune.ssl.default-dh-param).'

property :maxconn, Integer,
         default: 4096,
         description: 'Connection limit of the process.',
         callbacks: { 'must be 1 or more' => ->(v) { v >= 1 } }

property :timeouts, Hash,
         default: { 'connect' => '5s', 'client' => '60s', 'server' => '60s', 'http-request' => '10s',
                    'http-keep-alive' => '10s', 'check' => '5s' }.freeze,
         description: 'HAProxy `timeout` settings of the defaults section, name => duration.',
         callbacks: {
           'has a value that is not an HAProxy duration; write e.g. 500ms, 2s or 1m' =>
             ->(v) { v.values.all? { |d| Ipv6Haproxy::Validate.duration?(d) } },
         }

action_class do
  include Ipv6Common::ConfigFile
end

action :create do
  description 'Write the configuration (verified by haproxy -c), reload on change, start HAProxy if stopped.'

  config_file new_resource.path,
              cookbook: 'ipv6_haproxy', source: 'haproxy.cfg.erb', service: 'haproxy', notify: :reload,
              verify: 'haproxy -c -f %{path}',
              variables: {
                global: {
                  'stats_socket' => new_resource.stats_socket,
                  'maxconn' => new_resource.maxconn,
                  'tls_min_version' => new_resource.tls_min_version,
                  'ciphers' => new_resource.ciphers,
                  'ciphersuites' => new_resource.ciphersuites,
                  'hsts' => new_resource.hsts ? "max-age=#{new_resource.hsts_max_age}; includeSubDomains" : nil,
                  'dh_param_bits' => new_resource.dh_param_bits,
                  'timeouts' => new_resource.timeouts.sort.to_h,
                },
              },
              collections: [:endpoints]
end
