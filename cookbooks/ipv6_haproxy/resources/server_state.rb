unified_mode true
provides :ipv6_haproxy_server_state

description 'The administrative state of one server of the running HAProxy (ready, drain or maint), read ' \
            'and set through the runtime API on the stats socket. The state lives inside the daemon, not in a ' \
            'file: load_current_value reads it, and converge_if_changed sends a command only when it differs, ' \
            'so a second converge changes nothing. A reload keeps the state only with a server-state file; ' \
            'declare this resource after the configuration so it is applied on every run.'

property :server, String,
         name_property: true,
         description: 'The server as BACKEND/SERVER, e.g. keystone_backend/keystone.',
         callbacks: {
           'is not BACKEND/SERVER; write e.g. keystone_backend/keystone' => ->(v) { %r{\A[\w.-]+/[\w.-]+\z}.match?(v) },
         }

property :state, String,
         default: 'ready',
         equal_to: Ipv6Haproxy::RuntimeApi::STATES,
         description: 'ready (takes traffic), drain (finishes what it has, takes no new sessions), maint (out).'

property :socket, String,
         default: '/run/haproxy/admin.sock',
         desired_state: false,
         description: 'The runtime API socket (ipv6_haproxy_config stats_socket).',
         callbacks: { 'is not an absolute path' => ->(v) { Ipv6Haproxy::Validate.absolute_path?(v) } }

load_current_value do |desired|
  socket desired.socket
  states = Ipv6Haproxy::RuntimeApi.new(desired.socket).server_states
  unless states.key?(desired.server)
    raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
      desired.server, 'missing', "#{desired.server}: no such server in the running HAProxy; servers: #{states.keys.sort.join(', ')}"
    )
  end
  state states.fetch(desired.server)
end

action :set do
  description 'Put the server in the state, when it is in another one.'

  converge_if_changed :state do
    Ipv6Haproxy::RuntimeApi.new(new_resource.socket).set_state(new_resource.server, new_resource.state)
  end
end
