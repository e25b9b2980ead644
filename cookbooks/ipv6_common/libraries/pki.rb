# frozen_string_literal: true

require 'open3'
require 'openssl'
require 'tmpdir'
require_relative 'errors'

module Ipv6Common
  # Checks a TLS endpoint's files before anything serves them: the leaf
  # chains to the organisation's CA, names the endpoint, is not about to
  # expire, matches its key, and the key is private to its owner.
  module Pki
    DAY = 86_400

    # What an organisation's PKI team enforces (site pki.policy, with these
    # defaults): key sizes, signature hashes, leaf lifetime, serverAuth EKU.
    POLICY = {
      'min_rsa_bits' => 2048,
      'min_ec_bits' => 256,
      'signature_hashes' => %w(sha256 sha384 sha512),
      'max_validity_days' => 398,
      'require_server_auth' => true,
    }.freeze

    # OpenSSL's security level 2, Debian 12's default and so HAProxy's and the
    # OpenStack clients': keys below these sizes and these signature hashes are
    # refused whatever a site's policy says.
    SECLEVEL = { 'rsa' => 2048, 'ec' => 224, 'weak_hashes' => %w(md2 md4 md5 sha1) }.freeze

    # Every problem of the cert/key pair, each with the offending file as path.
    def self.problems(cert:, key:, ca_bundle:, fqdn:, window_days:, policy: POLICY, now: Time.now)
      found = []
      certs = read_certs(cert, 'certificate file', found)
      roots = read_certs(ca_bundle, 'CA bundle', found)
      private_key = read_key(key, found)
      return found if certs.empty?

      leaf = certs.first
      found.concat(chain_problems(cert, certs, roots, now))
      found.concat(validity_problems(cert, certs, window_days, now))
      found.concat(policy_problems(cert, certs, POLICY.merge(policy.to_h { |k, v| [k.to_s, v] }), now))
      found << san_problem(cert, leaf, fqdn) unless names_host?(leaf, fqdn)
      found << key_mismatch(cert, key) if private_key && !leaf.check_private_key(private_key)
      found
    end

    # problems(), computed once per Chef run: cache is node.run_state, so the
    # recipe's check before it declares anything and the resource's own check
    # share one result.
    def self.checked(cache, **args)
      memo = (cache['ipv6_common_pki'] ||= {})
      memo[args] ||= problems(**args)
    end

    # The one message shape of a certificate problem of a site endpoint:
    # "endpoint NAME (endpoints.NAME.cert|key): <file>: <found>; <fix>".
    def self.explain(endpoint, key_path, problem)
      explain_at("endpoint #{endpoint}", "endpoints.#{endpoint}", key_path, problem)
    end

    # The same shape for any site key that holds a cert/key pair, e.g. the
    # broker's services.rabbitmq.tls: "LABEL (BASE.cert|key): <file>: <found>; <fix>".
    def self.explain_at(label, base, key_path, problem)
      role = problem.path == key_path ? 'key' : 'cert'
      Problem.new("#{base}.#{role}", problem.code, "#{label} (#{base}.#{role}): #{problem.message}")
    end

    # The PKI policy's rules on the file's certificates (leaf first, then the
    # intermediates it serves); OpenSSL's security level is the floor.
    def self.policy_problems(path, certs, policy, now)
      leaf = certs.first
      found = certs.reject { |c| self_signed?(c) && !c.equal?(leaf) }.flat_map do |cert|
        [key_problem(path, cert, policy), signature_problem(path, cert, policy)].compact
      end
      certs.select { |c| c.not_before > now }.each do |cert|
        found << problem(path, 'not_yet_valid', "#{cert.subject} is not valid before #{cert.not_before.utc}",
                         'check the clock of this host and of the CA, or wait until then')
      end
      days = ((leaf.not_after - leaf.not_before) / DAY).ceil
      if days > policy['max_validity_days']
        found << problem(path, 'validity_too_long', "#{leaf.subject} is valid for #{days} days, more than the " \
                                                    "#{policy['max_validity_days']} of pki.policy.max_validity_days",
                         'issue it with a shorter lifetime')
      end
      found << server_auth_problem(path, leaf) if policy['require_server_auth'] && !server_auth?(leaf)
      found
    end

    def self.key_problem(path, cert, policy)
      key = cert.public_key
      type, bits, floor = case key
                          when OpenSSL::PKey::RSA then ['RSA', key.n.num_bits, [policy['min_rsa_bits'], SECLEVEL['rsa']].max]
                          when OpenSSL::PKey::EC then ['EC', key.group.degree, [policy['min_ec_bits'], SECLEVEL['ec']].max]
                          when OpenSSL::PKey::DSA then ['DSA', key.p.num_bits, nil]
                          end
      return unless type && (floor.nil? || bits < floor)

      wanted = floor ? "at least #{floor} bits (pki.policy.min_#{type.downcase}_bits, OpenSSL security level 2)" : 'RSA or EC'
      problem(path, 'weak_key', "#{cert.subject} has a #{bits}-bit #{type} key; the policy wants #{wanted}",
              'issue it with a stronger key')
    end

    # The digest of the signature: sha256, sha1, md5...; nil for schemes
    # without a separate one (Ed25519, Ed448, RSASSA-PSS names it in parameters).
    def self.signature_hash(cert)
      cert.signature_algorithm.downcase[/(sha\d+|md\d)/, 1]
    end

    def self.signature_problem(path, cert, policy)
      hash = signature_hash(cert)
      return if hash.nil? || (policy['signature_hashes'].include?(hash) && !SECLEVEL['weak_hashes'].include?(hash))

      allowed = policy['signature_hashes'] - SECLEVEL['weak_hashes']
      problem(path, 'weak_signature', "#{cert.subject} is signed with #{cert.signature_algorithm}; " \
                                      "pki.policy.signature_hashes allows #{allowed.join(', ')}",
              "have the CA sign it with #{allowed.first || 'sha256'}")
    end

    def self.server_auth?(cert)
      eku = cert.extensions.find { |ext| ext.oid == 'extendedKeyUsage' }
      !eku.nil? && eku.value.split(/,\s*/).any? { |usage| ['TLS Web Server Authentication', 'serverAuth'].include?(usage) }
    end

    def self.server_auth_problem(path, cert)
      eku = cert.extensions.find { |ext| ext.oid == 'extendedKeyUsage' }
      problem(path, 'no_server_auth', "#{cert.subject} has #{eku ? "extendedKeyUsage #{eku.value}" : 'no extendedKeyUsage'}, " \
                                      'not serverAuth (pki.policy.require_server_auth)',
              'issue it with extendedKeyUsage serverAuth')
    end

    # HAProxy itself loads a staged crt file: a minimal configuration that
    # references it goes through `haproxy -c`. Returns the problems (none when
    # HAProxy accepts it). label names the file in messages (e.g. the endpoint).
    def self.haproxy_problems(pem, label:, haproxy: 'haproxy')
      Dir.mktmpdir('pki-check') do |dir|
        config = File.join(dir, 'haproxy.cfg')
        File.write(config, <<~CFG)
          defaults
              mode http
              timeout connect 1s
              timeout client 1s
              timeout server 1s
          frontend staged
              bind [::1]:1 ssl crt #{pem}
        CFG
        output, status = Open3.capture2e(haproxy, '-c', '-f', config)
        return [] if status.success?

        reason = output.lines.grep(/ALERT/).first.to_s.sub(/.*?: (parsing \[[^\]]*\] : )?/, '').strip
        [problem(label, 'unreadable', "HAProxy refuses the new bundle (#{reason.empty? ? output.strip : reason})",
                 'fix the certificate or key; the served file is unchanged')]
      end
    rescue SystemCallError => e
      [problem(label, 'unreadable', "cannot run #{haproxy} -c to check the new bundle (#{e.message})", 'install HAProxy')]
    end

    # HAProxy's `crt` file: leaf, intermediates, then the private key.
    def self.bundle_pem(cert:, key:)
      certs = OpenSSL::X509::Certificate.load(File.binread(cert))
      certs.map(&:to_pem).join + OpenSSL::PKey.read(File.binread(key)).private_to_pem
    end

    def self.problem(path, code, found, fix)
      Problem.new(path, code, "#{path}: #{found}; #{fix}")
    end

    # PEM (one or more certificates) or DER (one), as OpenSSL::X509::Certificate.load reads them.
    def self.read_certs(path, what, found)
      certs = OpenSSL::X509::Certificate.load(File.binread(path))
      found << problem(path, 'unreadable', "no certificate in this #{what}", 'write the certificates in PEM (or DER) form') if certs.empty?
      certs
    rescue SystemCallError, OpenSSL::X509::CertificateError => e
      found << problem(path, 'unreadable', "cannot read this #{what} (#{e.message})", 'install the file and make it readable')
      []
    end

    def self.read_key(path, found)
      mode = File.stat(path).mode
      if (mode & 0o077) != 0
        found << problem(path, 'key_mode', format('mode %04o lets group or others read the private key', mode & 0o7777), 'chmod 0600 it')
      end
      OpenSSL::PKey.read(File.binread(path))
    rescue SystemCallError, OpenSSL::PKey::PKeyError, ArgumentError => e
      found << problem(path, 'unreadable', "cannot read the private key (#{e.message})", 'install an unencrypted PEM key readable by root')
      nil
    end

    def self.self_signed?(cert)
      cert.subject.cmp(cert.issuer).zero? && cert.verify(cert.public_key)
    end

    def self.chain_problems(path, certs, roots, now)
      leaf = certs.first
      if self_signed?(leaf)
        return [problem(path, 'self_signed', "#{leaf.subject} is self-signed", 'use a certificate issued by the organisation CA')]
      end
      return [] if roots.empty? # the unreadable CA bundle is already reported

      # A missing link: the leaf's issuer is absent, or an issuer the bundle knows but the file lacks.
      # An issuer known nowhere above the leaf is another CA's chain, reported as untrusted below.
      unserved = first_unserved_issuer(certs, anchors(roots))
      if unserved && (unserved.equal?(leaf) || roots.any? { |c| c.subject.cmp(unserved.issuer).zero? })
        return [problem(path, 'chain_incomplete',
                        "the issuer #{unserved.issuer} of #{unserved.subject} is not in this file and is not a root of the CA bundle " \
                        '(HAProxy sends clients only this file, and clients trust only the roots)',
                        'append the intermediate certificate(s) after the leaf')]
      end

      error = verify_error(leaf, certs.drop(1), roots, now)
      error ? [problem(path, 'untrusted', "#{leaf.subject} does not chain to the CA bundle (#{error})", 'use a certificate issued by the organisation CA')] : []
    end

    # The trust anchors clients hold: the bundle's self-signed roots (all of it when it has none).
    def self.anchors(roots)
      self_signed = roots.select { |c| self_signed?(c) }
      self_signed.empty? ? roots : self_signed
    end

    # Walks leaf -> issuer through the file's own certificates; returns the first certificate whose
    # issuer is neither in the file nor an anchor (nil when the file reaches an anchor).
    def self.first_unserved_issuer(certs, anchors)
      current = certs.first
      remaining = certs.drop(1)
      until anchors.any? { |a| a.subject.cmp(current.issuer).zero? }
        issuer = remaining.find { |c| c.subject.cmp(current.issuer).zero? }
        return current unless issuer

        remaining.delete(issuer)
        current = issuer
      end
      nil
    end

    # Expiry and a future start are reported on their own, so they are not chain errors here.
    def self.verify_error(leaf, intermediates, roots, now)
      store = OpenSSL::X509::Store.new
      roots.each { |root| store.add_cert(root) }
      store.time = now
      store.verify_callback = lambda do |ok, context|
        ok || [OpenSSL::X509::V_ERR_CERT_HAS_EXPIRED, OpenSSL::X509::V_ERR_CERT_NOT_YET_VALID].include?(context.error)
      end
      context = OpenSSL::X509::StoreContext.new(store, leaf, intermediates)
      context.verify ? nil : context.error_string
    end

    def self.validity_problems(path, certs, window_days, now)
      certs.filter_map do |cert|
        days = ((cert.not_after - now) / DAY).floor
        if cert.not_after <= now
          problem(path, 'expired', "#{cert.subject} expired on #{cert.not_after.utc}", 'issue a new certificate')
        elsif cert.not_after <= now + (window_days * DAY)
          problem(path, 'expiring', "#{cert.subject} expires on #{cert.not_after.utc}, in #{days} days (window #{window_days} days)",
                  'renew it now')
        end
      end
    end

    def self.dns_names(cert)
      san = cert.extensions.find { |ext| ext.oid == 'subjectAltName' }
      return [] unless san

      san.value.split(/,\s*/).filter_map { |entry| entry.delete_prefix('DNS:').downcase if entry.start_with?('DNS:') }
    end

    # Exact match, or a wildcard standing for exactly one leftmost label.
    def self.names_host?(cert, fqdn)
      name = fqdn.downcase
      parent = name.split('.', 2)[1]
      dns_names(cert).any? { |san| san == name || (parent && san == "*.#{parent}") }
    end

    def self.san_problem(path, leaf, fqdn)
      names = dns_names(leaf)
      problem(path, 'san_mismatch', "#{leaf.subject} names #{names.empty? ? 'no DNS SAN' : names.join(', ')}, not #{fqdn}",
              "issue it with subjectAltName DNS:#{fqdn}")
    end

    def self.key_mismatch(cert, key)
      problem(key, 'key_mismatch', "this key does not belong to the certificate #{cert}", 'install the key the certificate was issued for')
    end
    private_class_method :problem, :read_certs, :read_key, :self_signed?, :chain_problems, :anchors, :first_unserved_issuer, :verify_error,
                         :validity_problems, :dns_names, :names_host?, :san_problem, :key_mismatch, :key_problem,
                         :signature_problem, :server_auth?, :server_auth_problem
  end
end
