# frozen_string_literal: true

require 'openssl'
require_relative 'errors'

module Ipv6Common
  # Checks a TLS endpoint's files before anything serves them: the leaf
  # chains to the organisation's CA, names the endpoint, is not about to
  # expire, matches its key, and the key is private to its owner.
  module Pki
    PEM_CERT = /-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----/m.freeze
    DAY = 86_400

    # Every problem of the cert/key pair, each with the offending file as path.
    def self.problems(cert:, key:, ca_bundle:, fqdn:, window_days:, now: Time.now)
      found = []
      certs = read_certs(cert, 'certificate file', found)
      roots = read_certs(ca_bundle, 'CA bundle', found)
      private_key = read_key(key, found)
      return found if certs.empty?

      leaf = certs.first
      found.concat(chain_problems(cert, certs, roots, now))
      found.concat(validity_problems(cert, certs, window_days, now))
      found << san_problem(cert, leaf, fqdn) unless names_host?(leaf, fqdn)
      found << key_mismatch(cert, key) if private_key && !leaf.check_private_key(private_key)
      found
    end

    # HAProxy's `crt` file: leaf, intermediates, then the private key.
    def self.bundle_pem(cert:, key:)
      certs = File.read(cert).scan(PEM_CERT).map { |pem| OpenSSL::X509::Certificate.new(pem) }
      certs.map(&:to_pem).join + OpenSSL::PKey.read(File.read(key)).private_to_pem
    end

    def self.problem(path, code, found, fix)
      Problem.new(path, code, "#{path}: #{found}; #{fix}")
    end

    def self.read_certs(path, what, found)
      certs = File.read(path).scan(PEM_CERT).map { |pem| OpenSSL::X509::Certificate.new(pem) }
      found << problem(path, 'unreadable', "no PEM certificate in this #{what}", 'write the certificates in PEM form') if certs.empty?
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
      OpenSSL::PKey.read(File.read(path))
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

    # Expiry is reported by validity_problems, so it is not a chain error here.
    def self.verify_error(leaf, intermediates, roots, now)
      store = OpenSSL::X509::Store.new
      roots.each { |root| store.add_cert(root) }
      store.time = now
      store.verify_callback = lambda do |ok, context|
        ok || context.error == OpenSSL::X509::V_ERR_CERT_HAS_EXPIRED
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
                         :validity_problems, :dns_names, :names_host?, :san_problem, :key_mismatch
  end
end
