# frozen_string_literal: true

require 'openssl'

# Builds certificates for the specs: an organisation root, an intermediate
# and leaves with chosen names, lifetimes and issuers, written to a directory.
class TestPki
  DAY = 86_400

  attr_reader :dir, :root, :root_key, :inter, :inter_key

  def initialize(dir, org: 'Org')
    @dir = dir
    @serial = 0
    @root_key = new_key
    @root = issue("#{org} Root CA", @root_key, ca: true)
    @inter_key = new_key
    @inter = issue("#{org} Issuing CA", @inter_key, issuer: @root, issuer_key: @root_key, ca: true)
  end

  def new_key
    OpenSSL::PKey::EC.generate('prime256v1')
  end

  # Other keys for the policy rules: rsa_key(1024), ec_key('secp224r1').
  def rsa_key(bits)
    OpenSSL::PKey::RSA.generate(bits)
  end

  def ec_key(curve)
    OpenSSL::PKey::EC.generate(curve)
  end

  # A certificate for cn signed by issuer (self-signed when issuer is nil).
  # eku: the leaf's extendedKeyUsage (nil: none); digest: the signature hash.
  def issue(cn, key, issuer: nil, issuer_key: nil, ca: false, sans: [], from: -1, days: 365, eku: 'serverAuth',
            digest: 'SHA256')
    now = Time.now
    cert = OpenSSL::X509::Certificate.new
    cert.version = 2
    cert.serial = (@serial += 1)
    cert.subject = OpenSSL::X509::Name.parse("/O=Example/CN=#{cn}")
    cert.issuer = issuer ? issuer.subject : cert.subject
    cert.public_key = key
    cert.not_before = now + (from * DAY)
    cert.not_after = now + (days * DAY)
    ext = OpenSSL::X509::ExtensionFactory.new
    ext.subject_certificate = cert
    ext.issuer_certificate = issuer || cert
    cert.add_extension(ext.create_extension('basicConstraints', ca ? 'CA:TRUE' : 'CA:FALSE', true))
    cert.add_extension(ext.create_extension('keyUsage', ca ? 'keyCertSign,cRLSign' : 'digitalSignature', true))
    cert.add_extension(ext.create_extension('subjectAltName', sans.map { |s| "DNS:#{s}" }.join(','))) unless sans.empty?
    cert.add_extension(ext.create_extension('extendedKeyUsage', eku)) if eku && !ca
    cert.sign(issuer_key || key, OpenSSL::Digest.new(digest))
    cert
  end

  # A leaf issued by the intermediate.
  def leaf(key, sans: ['keystone.lab.example.net'], **opts)
    issue('keystone', key, issuer: inter, issuer_key: inter_key, sans: sans, **opts)
  end

  def write_certs(name, *certs)
    write(name, certs.map(&:to_pem).join, 0o644)
  end

  def write_key(name, key, mode = 0o600)
    write(name, key.private_to_pem, mode)
  end

  def write(name, text, mode)
    path = File.join(dir, name)
    File.write(path, text)
    File.chmod(mode, path)
    path
  end
end
