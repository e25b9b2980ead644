# frozen_string_literal: true

require 'resolv'
require 'socket'

# A name server on [::1] for the specs. zone maps [name, 'A' | 'AAAA'] to a
# list of addresses; a name absent from every key is NXDOMAIN; names in
# `silent` get no reply at all.
class FakeDns
  attr_reader :port

  def initialize(zone, silent: [])
    @zone = zone
    @silent = silent
    @socket = UDPSocket.new(Socket::AF_INET6)
    @socket.bind('::1', 0)
    @port = @socket.addr[1]
    @thread = Thread.new { serve }
  end

  def stop
    @thread.kill
    @socket.close
  end

  private

  def serve
    loop do
      data, peer = @socket.recvfrom(512)
      query = Resolv::DNS::Message.decode(data)
      name, klass = query.question.first
      next if @silent.include?(name.to_s)

      @socket.send(reply(query, name, klass).encode, 0, peer[3], peer[1])
    end
  end

  def reply(query, name, klass)
    reply = Resolv::DNS::Message.new(query.id)
    reply.qr = 1
    reply.add_question(name, klass)
    type = klass.name.split('::').last
    if @zone.keys.none? { |n, _t| n == name.to_s }
      reply.rcode = Resolv::DNS::RCode::NXDomain
    else
      @zone.fetch([name.to_s, type], []).each { |a| reply.add_answer(name, 300, klass.new(a)) }
    end
    reply
  end
end
