# frozen_string_literal: true

require 'json'
require 'net/http'

module Ipv6OpenstackApi
  # A minimal Keystone v3 client for the catalog and service-user resources:
  # it talks to Keystone on its loopback backend (no TLS, never through the
  # edge, so a converge does not depend on DNS or certificates) with a
  # project-scoped admin token. The password is sent in a request body only.
  class Identity
    class Error < StandardError; end

    def initialize(port:, password:, user: 'admin', project: 'admin', address: '::1', timeout: 10)
      @http = Net::HTTP.new(address, port)
      @http.open_timeout = timeout
      @http.read_timeout = timeout
      @auth = { user: user, project: project, password: password }
    end

    def token
      @token ||= begin
        body = { auth: { identity: { methods: ['password'], password: { user: {
          name: @auth[:user], domain: { id: 'default' }, password: @auth[:password]
        } } }, scope: { project: { name: @auth[:project], domain: { id: 'default' } } } } }
        response = call(Net::HTTP::Post.new('/v3/auth/tokens'), body, token: false)
        response['X-Subject-Token']
      end
    end

    def get(path)
      JSON.parse(call(Net::HTTP::Get.new(path)).body)
    end

    def post(path, body)
      JSON.parse(call(Net::HTTP::Post.new(path), body).body)
    end

    def patch(path, body)
      JSON.parse(call(Net::HTTP::Patch.new(path), body).body)
    end

    def put(path)
      call(Net::HTTP::Put.new(path))
    end

    def delete(path)
      call(Net::HTTP::Delete.new(path))
    end

    def service(type)
      get("/v3/services?type=#{URI.encode_www_form_component(type)}")['services'].first
    end

    def endpoints(service_id)
      get("/v3/endpoints?service_id=#{URI.encode_www_form_component(service_id)}")['endpoints']
    end

    def find(collection, name)
      get("/v3/#{collection}?name=#{URI.encode_www_form_component(name)}")[collection].first
    end

    private

    def call(request, body = nil, token: true)
      request['Content-Type'] = 'application/json'
      request['X-Auth-Token'] = self.token if token
      request.body = JSON.generate(body) if body
      response = @http.request(request)
      return response if response.is_a?(Net::HTTPSuccess)

      raise Error, "Keystone #{request.method} #{request.path}: HTTP #{response.code}"
    rescue SystemCallError, Net::OpenTimeout, Net::ReadTimeout, IOError => e
      raise Error, "Keystone on [#{@http.address}]:#{@http.port}: #{e.class}: #{e.message}"
    end
  end
end
