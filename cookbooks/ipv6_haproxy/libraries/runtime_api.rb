# Plain Ruby, no Chef: HAProxy's runtime API on its unix stats socket (the
# state that lives inside the running daemon, not in a file). One command per
# connection, as `socat` would send it; the parser is separate so it is tested
# on recorded output.
require 'csv'
require 'socket'

module Ipv6Haproxy
  class RuntimeApi
    # Administrative states a server can be put in (`set server B/S state X`).
    STATES = %w(ready drain maint).freeze

    def initialize(socket_path)
      @socket_path = socket_path
    end

    # The answer to one command, as text.
    def command(line)
      UNIXSocket.open(@socket_path) do |socket|
        socket.write("#{line}\n")
        socket.read
      end
    rescue SystemCallError => e
      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        @socket_path, 'unreadable', "#{@socket_path}: cannot reach HAProxy's runtime API (#{e.message}); start HAProxy " \
                                    'with this stats socket (ipv6_haproxy_config stats_socket)'
      )
    end

    # 'backend/server' => 'ready' | 'drain' | 'maint', for every server.
    def server_states
      self.class.parse_server_states(command('show stat'))
    end

    def set_state(server, state)
      answer = command("set server #{server} state #{state}").strip
      return if answer.empty?

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(server, 'error', "#{server}: HAProxy refused state #{state} (#{answer})")
    end

    # `show stat` CSV: pxname, svname, ..., status. A server is in maint when
    # its status starts with MAINT, drain when DRAIN, ready otherwise (UP,
    # DOWN, "no check": the health check decides those, not the operator).
    def self.parse_server_states(csv)
      rows = CSV.parse(csv.sub(/\A# /, ''), headers: true)
      rows.each_with_object({}) do |row, states|
        next if row['svname'].nil? || %w(FRONTEND BACKEND).include?(row['svname'])

        status = row['status'].to_s
        states["#{row['pxname']}/#{row['svname']}"] =
          if status.start_with?('MAINT') then 'maint'
          elsif status.start_with?('DRAIN') then 'drain'
          else 'ready'
          end
      end
    end
  end
end
