# frozen_string_literal: true

unified_mode true
provides :ipv6_common_tls_bundle

description "Writes an endpoint's HAProxy `crt` file (leaf, intermediates, private key) after checking the " \
            'certificate chains to the site CA, names the endpoint, is outside the expiry window, matches ' \
            "its key and meets the site's PKI policy; the staged file is then loaded by `haproxy -c` before it " \
            'replaces the live one. A bad pair raises Ipv6Common::ConfigError and the live file stays as it was.'

property :endpoint, String,
         description: 'The site endpoint name (endpoints.NAME), used in messages; default: the fqdn.'

property :path, String, name_property: true,
                        coerce: proc { |v| Ipv6Common::Site.absolute_path(v, path: 'path') },
                        description: 'Where to write the combined PEM file.'

property :cert, String, required: true,
                        coerce: proc { |v| Ipv6Common::Site.absolute_path(v, path: 'cert') },
                        description: 'The leaf certificate followed by its intermediate(s) (endpoints.E.cert).'

property :key, String, required: true,
                       coerce: proc { |v| Ipv6Common::Site.absolute_path(v, path: 'key') },
                       description: "The leaf's private key, mode 0600 (endpoints.E.key)."

property :ca_bundle, String, required: true,
                             coerce: proc { |v| Ipv6Common::Site.absolute_path(v, path: 'ca_bundle') },
                             description: 'The organisation CA certificates clients trust (pki.ca_bundle).'

property :fqdn, String, required: true,
                        coerce: proc { |v| Ipv6Common::Site.dns_name(v, path: 'fqdn') },
                        description: "The endpoint's name, which the certificate must carry as a DNS subjectAltName (endpoints.E.fqdn)."

property :window_days, Integer, default: 30,
                                callbacks: { 'is negative; use 0 or more days' => ->(v) { v >= 0 } },
                                description: 'Refuse a certificate that expires within this many days (pki.expiry_window_days).'

property :pki_policy, Hash, default: Ipv6Common::Pki::POLICY,
                            description: 'The PKI policy the certificate must meet (site pki.policy): min_rsa_bits, min_ec_bits, ' \
                                        'signature_hashes, max_validity_days, require_server_auth.'

property :check, [true, false], default: true,
                                description: 'Check the pair (Pki and the staged load by HAProxy) before writing; false only to show ' \
                                              'what the verifier catches (site policy.preflight).'

property :check_with, [String, nil], default: 'haproxy',
                                     description: 'The HAProxy binary that loads the staged file (`haproxy -c` on a minimal ' \
                                                  'configuration) before it replaces the live one; nil skips that check.'

property :owner, String, default: 'root',
                         description: 'Owner of the written file.'

property :group, String, default: 'root',
                         description: 'Group of the written file (the HAProxy group when mode is 0640).'

property :mode, String, equal_to: %w(0600 0640), default: '0600',
                        description: 'Mode of the written file; it holds the private key, so never world readable.'

action :create do
  description 'Check the certificate and key, then write the combined PEM file once HAProxy has loaded the staged copy.'

  name = new_resource.endpoint || new_resource.fqdn
  explain = lambda do |p|
    if new_resource.endpoint
      Ipv6Common::Pki.explain(new_resource.endpoint, new_resource.key, p)
    else
      Ipv6Common::Problem.new(p.path, p.code, "endpoint #{new_resource.fqdn}: #{p.message}")
    end
  end
  if new_resource.check
    found = Ipv6Common::Pki.checked(node.run_state, cert: new_resource.cert, key: new_resource.key,
                                                    ca_bundle: new_resource.ca_bundle, fqdn: new_resource.fqdn,
                                                    window_days: new_resource.window_days, policy: new_resource.pki_policy)
    raise Ipv6Common::ConfigError, found.map(&explain) unless found.empty?
  end

  haproxy = new_resource.check ? new_resource.check_with : nil
  file new_resource.path do
    content Ipv6Common::Pki.bundle_pem(cert: new_resource.cert, key: new_resource.key)
    owner new_resource.owner
    group new_resource.group
    mode new_resource.mode
    sensitive true
    if haproxy
      verify do |staged|
        refused = Ipv6Common::Pki.haproxy_problems(staged, label: "endpoint #{name} (#{new_resource.path})", haproxy: haproxy)
        raise Ipv6Common::ConfigError, refused unless refused.empty?

        true
      end
    end
  end
end
