"""Pure checks: facts (parsed by edge_verify.parsers) against the site; each returns a list of problems.

Every message reads "<host>: <what was found>; site allows/expects <...>; fix <key> in <site file>".
"""
from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

LOOPBACK = ipaddress.IPv6Address("::1")


def _message(host, found, expects, key, site):
    return f"{host}: {found}; site {expects}; fix {key} in {site.source}"


def _address_text(address):
    """An address as people read it: an IPv4-mapped one keeps its IPv4 form (::ffff:192.0.2.5)."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped else str(address)


def _addresses_text(addresses):
    return ", ".join(_address_text(a) for a in addresses)


def ipv4_address_problems(site, host_name, addresses):
    """Every IPv4 address configured on the host (loopback included): the host must be IPv6-only."""
    allowed = _addresses_text(site.hosts[host_name].addresses)
    return [_message(host_name, f"{a.interface} on {a.ifname} (IPv4)", f"expects only IPv6, {allowed}",
                     f"hosts.{host_name}", site)
            for a in addresses if a.address.version == 4]


def _describe(listener):
    who = listener.process or f"{listener.proto} socket"
    if listener.process and listener.proto != "tcp":
        who = f"{listener.process} ({listener.proto})"
    return f"{who} on {listener.local or listener.address}"


def _reason(listener, allowed):
    """Why a listener breaks the rules, or None when it is v6-only on an allowed address."""
    if listener.address.version == 4:
        return "IPv4"
    if listener.address.ipv4_mapped is not None:
        return "IPv4-mapped"
    if listener.address.is_unspecified and listener.v6only is not True:
        return "dual-stack, takes IPv4"
    if listener.v6only is not True:
        return "not v6only"
    if listener.address not in allowed:
        return "any address" if listener.address.is_unspecified else "not a site address"
    return None


def _listener_messages(site, host_name, listeners, keep):
    allowed = list(site.hosts[host_name].addresses) + [LOOPBACK]
    found = []
    for listener in listeners:
        reason = _reason(listener, allowed)
        if reason and keep(listener):
            found.append(_message(host_name, f"{_describe(listener)} ({reason})",
                                  f"allows {_addresses_text(allowed)}", f"hosts.{host_name}", site))
    return found


def ipv4_listener_problems(site, host_name, listeners):
    """Every socket that IPv4 clients can reach: IPv4, IPv4-mapped, or a dual-stack wildcard (`*:P`)."""
    return _listener_messages(site, host_name, listeners, lambda listener: listener.accepts_ipv4)


def listener_problems(site, host_name, listeners):
    """Every socket that is not v6only on one of the host's site addresses or ::1."""
    return _listener_messages(site, host_name, listeners, lambda listener: True)


def name_problems(site, client, key, fqdn, expected, aaaa, a):
    """DNS answers (parsers.DnsAnswer) for fqdn: AAAA equal to the site's addresses and no A record.

    key is the site key that owns the name (hosts.ctl1, endpoints.keystone).
    """
    found = []
    want = f"expects AAAA {_addresses_text(expected)} and no A record"
    if aaaa.status != "ANSWER":
        found.append(_message(client, f"{fqdn} AAAA query gave {aaaa.status}", want, key, site))
    elif sorted(aaaa.addresses) != sorted(expected):
        found.append(_message(client, f"{fqdn} has AAAA {_addresses_text(aaaa.addresses)}", want, key, site))
    if a.status == "ANSWER":
        found.append(_message(client, f"{fqdn} has A {_addresses_text(a.addresses)}", want, key, site))
    elif a.status not in ("NODATA", "NXDOMAIN"):
        found.append(_message(client, f"{fqdn} A query gave {a.status}", want, key, site))
    return found


def getent_problems(site, client, key, fqdn, expected, v6, v4):
    """What the client's resolver returns (getent ahostsv6 / ahostsv4): exactly the site's addresses.

    An IPv4-only name shows up in ahostsv6 as ::ffff: addresses. ahostsv4 only shows A records when
    the client itself has an IPv4 address (AI_ADDRCONFIG), so the DNS query in name_problems is what
    proves there is no A record.
    """
    found = []
    want = f"expects {_addresses_text(expected)} only"
    if sorted(v6) != sorted(expected):
        found.append(_message(client, f"getent ahostsv6 {fqdn} gives {_addresses_text(v6) or 'nothing'}",
                              want, key, site))
    if v4:
        found.append(_message(client, f"getent ahostsv4 {fqdn} gives {_addresses_text(v4)} (IPv4)",
                              want, key, site))
    return found


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
    """None when the presented chain leads from the leaf to a certificate of the CA bundle."""
    current, rest = chain[0], list(chain[1:])
    while True:
        if any(_signed_by(current, ca) for ca in ca_bundle):
            return None
        issuer = next((c for c in rest if _signed_by(current, c)), None)
        if issuer is None:
            return (f"chain stops at {_subject(current)}: its issuer {current.issuer.rfc4514_string()} is "
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


def certificate_problems(site, host_name, endpoint, chain, ca_bundle, now=None):
    """The chain an endpoint presents (leaf first) against the CA bundle, its fqdn and the expiry window.

    endpoint is a site.Endpoint; ca_bundle is the list of certificates clients trust.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    key = f"endpoints.{endpoint.name}.cert"
    window = datetime.timedelta(days=site.expiry_window_days)
    expects = (f"expects a chain to {site.ca_bundle} for {endpoint.fqdn}, valid beyond "
               f"{site.expiry_window_days} days")

    def problem(found):
        return _message(host_name, f"{endpoint.name} on port {endpoint.port}: {found}", expects, key, site)

    if not chain:
        return [problem("presents no certificate")]
    found = []
    leaf = chain[0]
    if _signed_by(leaf, leaf):
        found.append(problem(f"leaf {_subject(leaf)} is self-signed"))
    broken = _chain_problem(chain, ca_bundle)
    if broken:
        found.append(problem(broken))
    covered, names = _san_covers(leaf, endpoint.fqdn)
    if not covered:
        found.append(problem(f"leaf subjectAltName {', '.join(names) or '(none)'} does not cover "
                             f"{endpoint.fqdn}"))
    for cert in chain:
        if cert.not_valid_after < now:
            found.append(problem(f"{_subject(cert)} expired on {cert.not_valid_after:%Y-%m-%d}"))
        elif cert.not_valid_before > now:
            found.append(problem(f"{_subject(cert)} is not valid before {cert.not_valid_before:%Y-%m-%d}"))
        elif cert.not_valid_after < now + window:
            found.append(problem(f"{_subject(cert)} expires on {cert.not_valid_after:%Y-%m-%d}, inside the "
                                 f"{site.expiry_window_days}-day window"))
    return found
