# Plain Ruby, no Chef: the TLS policy of the edge, the predicates behind the
# resource properties, and the certificate preflight the recipe runs before
# it declares anything. Chef loads ipv6_common's libraries first; plain RSpec
# requires both (see spec/spec_helper.rb).
module Ipv6Haproxy
  # Mozilla's "intermediate" server profile: TLS 1.2 and 1.3, forward-secret
  # AEAD suites only. Browsers and OpenStack clients from the last decade
  # all negotiate one of these. These are the site's tls defaults, plus the
  # DHE group size.
  TLS_POLICY = Ipv6Common::SiteDelivery::TLS_DEFAULTS.merge('dh_param_bits' => 2048).freeze

  # Connections the edge lets through to a backend at once: the workers the
  # site gives the service (services.NAME.workers, one thread each under
  # uwsgi). nil for an endpoint without a described service, or a stand-in.
  def self.backend_maxconn(site, name)
    endpoint = site.endpoints[name] || {}
    service = (site.services || {})[name]
    return if service.nil? || endpoint['stand_in'] || !service.key?('workers')

    Integer(service['workers'])
  end

  # Predicates used by the resources' `callbacks`; each message completes
  # Chef's "Option X's value V ..." and says what to write instead. The site's
  # rules are Ipv6Common::Validate's (the site validator uses the same ones);
  # HAProxy's own syntax adds the rest.
  module Validate
    DURATION = /\A[1-9][0-9]*(ms|s|m)?\z/.freeze

    module_function

    def port?(value)
      Ipv6Common::Validate.port?(value)
    end

    def name?(value)
      Ipv6Common::Validate.name?(value)
    end

    # A public endpoint name: a site DNS name of two labels or more.
    def dns_name?(value)
      Ipv6Common::Validate.dns_name?(value) && value.include?('.')
    end

    # HAProxy's configuration has no quoting for paths: no spaces either.
    def absolute_path?(value)
      Ipv6Common::Validate.absolute_path?(value) && !value.include?(' ')
    end

    def http_path?(value)
      value.is_a?(String) && value.start_with?('/') && value !~ /\s/
    end

    def duration?(value)
      DURATION.match?(value.to_s)
    end
  end

  # Every endpoint certificate checked with Ipv6Common::Pki before any
  # resource exists, so a bad certificate never reaches HAProxy (which
  # would refuse to reload, or worse, serve it). All problems are reported
  # at once, each naming the endpoint, the file and the fix.
  module CertCheck
    module_function

    # endpoints: Hash name => Hash with 'fqdn', 'cert', 'key' (as Site#endpoints_on).
    # cache: node.run_state, so ipv6_common_tls_bundle reuses the result.
    def problems(site, endpoints, cache: {})
      policy = Ipv6Common::SiteDelivery.pki_policy(site)
      endpoints.sort.flat_map do |name, endpoint|
        found = Ipv6Common::Pki.checked(cache, **args(site, endpoint, policy))
        found.map { |problem| Ipv6Common::Pki.explain(name, endpoint['key'], problem) }
      end
    end

    def check!(site, endpoints, cache: {})
      found = problems(site, endpoints, cache: cache)
      raise Ipv6Common::ConfigError, found unless found.empty?
    end

    # The arguments of Ipv6Common::Pki.problems for an endpoint, the same ones
    # the recipe gives ipv6_common_tls_bundle.
    def args(site, endpoint, policy)
      { cert: endpoint['cert'], key: endpoint['key'], ca_bundle: site.ca_bundle, fqdn: endpoint['fqdn'],
        window_days: site.expiry_window_days, policy: policy }
    end
  end
end
