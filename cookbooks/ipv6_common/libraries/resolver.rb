# frozen_string_literal: true

require 'ipaddr'
require 'resolv'
require 'securerandom'
require 'socket'

module Ipv6Common
  # Asks the site's own name servers one question over IPv6 UDP and tells
  # the answers apart: records, no such name, a server error, or silence.
  # (Resolv::DNS#getresources returns [] for all of those alike, and
  # getaddrinfo turns an A record into ::ffff:a.b.c.d.)
  class Resolver
    # status: :ok, :nxdomain, :error, :timeout (no reply from any server); ttl: the lowest TTL of the records
    Answer = Struct.new(:status, :records, :server, :ttl)

    TYPES = { a: Resolv::DNS::Resource::IN::A, aaaa: Resolv::DNS::Resource::IN::AAAA }.freeze

    # nameservers: IPv6 literals; each is asked in turn until one answers.
    def initialize(nameservers, port: 53, timeout: 5)
      @nameservers = nameservers
      @port = port
      @timeout = timeout
    end

    # type :a or :aaaa; records are address strings.
    def query(name, type)
      klass = TYPES.fetch(type)
      @nameservers.each do |server|
        reply = ask(server, name, klass)
        return answer(reply, klass, server) if reply
      end
      Answer.new(:timeout, [], @nameservers.join(', '))
    end

    private

    # The reply, or nil when the server cannot be reached or stays silent
    # (no route, port unreachable, timeout): the next server is asked.
    def ask(server, name, klass)
      message = Resolv::DNS::Message.new(SecureRandom.random_number(0x10000))
      message.rd = 1
      message.add_question(name, klass)
      socket = UDPSocket.new(Socket::AF_INET6)
      socket.connect(server, @port)
      socket.send(message.encode, 0)
      receive(socket, message.id)
    rescue SystemCallError
      nil
    ensure
      socket&.close
    end

    # Waits for the reply with our id until the deadline; other datagrams
    # (stray or undecodable) are skipped.
    def receive(socket, id)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + @timeout
      loop do
        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        return if left <= 0 || !socket.wait_readable(left)

        reply = decode(socket.recv(65_535))
        return reply if reply&.id == id
      end
    end

    def decode(data)
      Resolv::DNS::Message.decode(data)
    rescue Resolv::DNS::DecodeError
      nil
    end

    def answer(reply, klass, server)
      case reply.rcode
      when Resolv::DNS::RCode::NoError
        found = reply.answer.select { |_name, _ttl, data| data.is_a?(klass) }
        records = found.map { |_name, _ttl, data| IPAddr.new(data.address.to_s).to_s }
        Answer.new(:ok, records, server, found.map { |_name, ttl, _data| ttl }.min)
      when Resolv::DNS::RCode::NXDomain then Answer.new(:nxdomain, [], server)
      else Answer.new(:error, [], server)
      end
    end
  end
end
