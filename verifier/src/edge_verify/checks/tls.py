"""TLS checks on what an endpoint presents: a chain to the organisation CA, its name, its validity,
what a verifying client concludes, and the TLS versions it accepts."""
from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from edge_verify.problem import Problem

# What clients may negotiate: the edge refuses what predates TLS 1.2 (RFC 8996).
REFUSED_VERSIONS = ("TLSv1", "TLSv1.1")
ACCEPTED_VERSIONS = ("TLSv1.2", "TLSv1.3")


def _signed_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        return False
    return True


def _subject(cert):
    return cert.subject.rfc4514_string() or "(empty subject)"


def _chain_problem(chain, ca_bundle):
    """None, or (code, text) when the presented chain does not lead from the leaf to the CA bundle.

    chain_incomplete: the leaf's issuer is not presented (the intermediate is missing);
    untrusted: the presented chain leads to a CA the bundle does not hold."""
    current, rest = chain[0], list(chain[1:])
    while True:
        if any(_signed_by(current, ca) for ca in ca_bundle):
            return None
        issuer = next((c for c in rest if _signed_by(current, c)), None)
        if issuer is None:
            code = "chain_incomplete" if current is chain[0] else "untrusted"
            return code, (f"chain stops at {_subject(current)}: its issuer {current.issuer.rfc4514_string()} is "
                          "neither presented nor in the CA bundle")
        rest.remove(issuer)
        current = issuer


def _san_covers(cert, fqdn):
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False, []
    dns_names = [n.lower() for n in names.get_values_for_type(x509.DNSName)]
    fqdn = fqdn.lower()
    for name in dns_names:
        if name == fqdn:
            return True, dns_names
        if name.startswith("*.") and "." in fqdn and fqdn.split(".", 1)[1] == name[2:]:
            return True, dns_names
    return False, dns_names


def certificate_problems(site, endpoint, chain, ca_bundle, now=None, source=None, ca_name=None, fix=None):
    """The chain an endpoint presents (leaf first) against the CA bundle, its fqdn and the expiry window.

    endpoint is a site.Endpoint; ca_bundle is the list of certificates clients trust (named ca_name);
    fix: where to fix it when the certificate is not an endpoint's (default: endpoints.NAME.cert)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    source = source or f"certificates presented on port {endpoint.port}"
    window = datetime.timedelta(days=site.expiry_window_days)
    expects = (f"a chain to {ca_name or site.ca_bundle} for {endpoint.fqdn}, valid beyond "
               f"{site.expiry_window_days} days")
    fix = fix or (f"the certificate at endpoints.{endpoint.name}.cert ({endpoint.cert}) on {endpoint.host}, "
                  "then converge")
    found = []

    def problem(code, text):
        found.append(Problem(endpoint.host, code, f"{endpoint.name} on port {endpoint.port}: {text}", expects,
                             fix, source))

    if not chain:
        problem("untrusted", "presents no certificate")
        return found
    leaf = chain[0]
    if _signed_by(leaf, leaf):
        problem("self_signed", f"leaf {_subject(leaf)} is self-signed")
    else:
        broken = _chain_problem(chain, ca_bundle)
        if broken:
            problem(*broken)
    covered, names = _san_covers(leaf, endpoint.fqdn)
    if not covered:
        problem("san_mismatch", f"leaf subjectAltName {', '.join(names) or '(none)'} does not cover {endpoint.fqdn}")
    for cert in chain:
        if cert.not_valid_after < now:
            problem("expired", f"{_subject(cert)} expired on {cert.not_valid_after:%Y-%m-%d}")
        elif cert.not_valid_before > now:
            problem("not_yet_valid", f"{_subject(cert)} is not valid before {cert.not_valid_before:%Y-%m-%d}")
        elif cert.not_valid_after < now + window:
            problem("expiring", f"{_subject(cert)} expires on {cert.not_valid_after:%Y-%m-%d}, inside the "
                    f"{site.expiry_window_days}-day window")
    return found


# OpenSSL's verify messages -> problem codes.
_VERIFY_CODES = (("self-signed", "self_signed"), ("self signed", "self_signed"), ("Hostname mismatch", "san_mismatch"),
                 ("IP address mismatch", "san_mismatch"), ("has expired", "expired"),
                 ("not yet valid", "not_yet_valid"), ("unable to get local issuer", "untrusted"),
                 ("unable to get issuer", "chain_incomplete"))


def verify_code(reason):
    return next((code for text, code in _VERIFY_CODES if text in reason), "untrusted")


def handshake_problems(site, endpoint, address, reason, source, ca_name=None, verified=True, fix=None):
    """A verifying client's handshake with endpoint on address: reason is None (accepted) or why not.

    verified: the reason is a certificate verification failure (else another TLS failure)."""
    if reason is None:
        return []
    code = verify_code(reason) if verified else "tls_handshake"
    return [Problem(endpoint.host, code, f"{endpoint.name} at [{address}]:{endpoint.port}: {reason}",
                    f"a chain to {ca_name or site.ca_bundle} for {endpoint.fqdn}",
                    fix or f"endpoints.{endpoint.name}.cert ({endpoint.cert}) on {endpoint.host}, then converge",
                    source)]


def tls_version_problems(site, endpoint, outcomes, source=None):
    """outcomes: {version name: True when a handshake with only that version succeeded}.

    TLS 1.0 and 1.1 must fail (deprecated by RFC 8996), 1.2 and 1.3 must succeed."""
    source = source or f"one handshake per TLS version to port {endpoint.port}"
    where = f"{endpoint.name} on port {endpoint.port}"
    problems = []
    for version in REFUSED_VERSIONS:
        if outcomes.get(version):
            problems.append(Problem(endpoint.host, "tls_version_accepted", f"{where} accepts {version}",
                                    "TLS 1.2 and 1.3 only", "ssl-default-bind-options in /etc/haproxy/haproxy.cfg "
                                    "(ipv6_haproxy_config tls_min_version), then converge", source))
    for version in ACCEPTED_VERSIONS:
        if not outcomes.get(version):
            problems.append(Problem(endpoint.host, "tls_version_refused", f"{where} refuses {version}",
                                    "TLS 1.2 and 1.3", "the ciphers of ipv6_haproxy_config, then converge", source))
    return problems
