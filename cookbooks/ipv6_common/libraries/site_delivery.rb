# frozen_string_literal: true

require_relative 'errors'
require_relative 'pki'
require_relative 'site'

module Ipv6Common
  class Site
    # The site of this Chef run, read from the file node['ipv6_edge']['site_file']
    # names, validated, and cached for the rest of the run (node.run_state lives
    # for one run only). Nothing of the site is written to the node, so what the
    # file no longer holds is gone from the next converge.
    def self.for_node(node)
      path = node['ipv6_edge'] && node['ipv6_edge']['site_file']
      unless path.is_a?(String) && path.start_with?('/')
        raise ConfigError, Problem.new('ipv6_edge.site_file', 'not_absolute',
                                       "ipv6_edge.site_file: #{path.inspect} is not an absolute path; set the attribute " \
                                       'to the site file (default /etc/ipv6_edge/site.yml)')
      end
      unless File.file?(path)
        raise ConfigError, Problem.new('ipv6_edge.site_file', 'unreadable',
                                       "ipv6_edge.site_file: #{path} is not a file; install the site there " \
                                       "(bin/site-json --check site/<name>.yml, then install -m 0644 site/<name>.yml #{path})")
      end

      cache = (node.run_state['ipv6_edge_sites'] ||= {})
      cache[path] ||= load_file(path)
    end
  end

  # The site keys of the run-time policy (TLS, PKI, package pins), with the
  # defaults of site/schema.json for a site loaded without them.
  module SiteDelivery
    TLS_DEFAULTS = {
      'min_version' => 'TLSv1.2',
      'ciphers' => %w(
        ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
        ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384
        ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305
        DHE-RSA-AES128-GCM-SHA256 DHE-RSA-AES256-GCM-SHA384
        DHE-RSA-CHACHA20-POLY1305
      ).join(':'),
      'ciphersuites' => 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
      'hsts' => true,
      'hsts_max_age' => 63_072_000,
    }.freeze

    PKI_POLICY_DEFAULTS = Pki::POLICY

    POLICY_DEFAULTS = {
      'ipv4_loopback' => 'allow',
      'allowed_listeners' => [],
      'preflight' => true,
    }.freeze

    module_function

    def policy(site)
      POLICY_DEFAULTS.merge(section(site, :policy))
    end

    # False only when the site switches the checks before a converge off
    # (policy.preflight: false), to show what the verifier catches.
    def preflight?(site)
      policy(site)['preflight'] != false
    end

    def tls(site)
      TLS_DEFAULTS.merge(section(site, :tls))
    end

    def pki_policy(site)
      PKI_POLICY_DEFAULTS.merge(section(site, :pki_policy))
    end

    # Debian package name => version to pin (no entry: whatever the archive has).
    def packages(site)
      section(site, :packages)
    end

    # The version pinned for a package, or nil (the package resource then
    # installs the candidate version and leaves an installed one alone).
    def package_version(site, name)
      packages(site)[name]
    end

    def section(site, name)
      value = site.respond_to?(name) ? site.public_send(name) : nil
      value.respond_to?(:each_pair) ? value.each_pair.to_h { |k, v| [k.to_s, v] } : {}
    end
    private_class_method :section
  end
end
