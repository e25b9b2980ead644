"""Probes: one remote command per fact on a testinfra host, and client-side DNS and TLS.

A command that fails raises ProbeError naming the host and the command: a missing fact is a
failure, never an empty (and so passing) result.
"""
from __future__ import annotations

import ipaddress
import shlex
import socket
import ssl

import dns.exception
import dns.flags
import dns.message
import dns.query
from cryptography import x509

from edge_verify import inventory
from edge_verify.facts import parsers


class ProbeError(Exception):
    pass


def _run(host, command, ok=(0,)):
    result = host.run(command)
    if result.rc not in ok:
        raise ProbeError(f"{host.backend.get_pytest_id()}: `{command}` exited {result.rc}: "
                         f"{result.stderr.strip()}")
    return result


def listeners(host):
    """Every listening TCP socket and bound UDP socket, with owning process names (-p)."""
    return parsers.parse_ss(_run(host, "ss -Hltnuep").stdout)


def interface_addresses(host):
    """Every address on every interface."""
    return parsers.parse_ip_addr(_run(host, "ip -o addr").stdout)


def getent(host, database, name):
    """Addresses the host's resolver gives for name (database: hosts, ahosts, ahostsv4, ahostsv6)."""
    result = _run(host, f"getent {shlex.quote(database)} {shlex.quote(name)}", ok=(0, 2))  # 2: not found
    return parsers.parse_getent(result.stdout)


# One shell script resolves every name through every database: one remote command, whatever the count.
_RESOLVE_SCRIPT = ('for n in {names}; do for db in {databases}; do printf "== %s %s\\n" "$db" "$n"; '
                   'getent "$db" "$n"; printf "== rc %s\\n" "$?"; done; done')


def resolve(host, names, databases=("ahostsv6", "ahostsv4")):
    """{(database, name): [addresses]} from the host's own resolver, in ONE remote command.

    getent exits 2 for a name it cannot find (an empty answer); any other failure raises ProbeError."""
    if not names:
        return {}
    command = _RESOLVE_SCRIPT.format(names=" ".join(shlex.quote(n) for n in names),
                                     databases=" ".join(shlex.quote(d) for d in databases))
    answers = parsers.parse_resolve_script(_run(host, command).stdout)
    failed = [f"getent {db} {name} exited {rc}" for (db, name), (rc, _) in answers.items() if rc not in (0, 2)]
    missing = [f"getent {db} {name}" for db in databases for name in names if (db, name) not in answers]
    if failed or missing:
        raise ProbeError(f"{host.backend.get_pytest_id()}: {'; '.join(failed + missing)}")
    return {key: addresses for key, (rc, addresses) in answers.items()}


def file_modes(host, paths):
    """{path: (file type, owner, octal mode)} for each path that exists, in ONE remote command."""
    if not paths:
        return {}
    command = "stat -c '%F|%U|%a|%n' -- " + " ".join(shlex.quote(p) for p in paths)
    result = _run(host, command, ok=(0, 1))  # 1: some path is missing
    return parsers.parse_stat(result.stdout)


def hostname(host):
    """The host's short name, `hostname -s`."""
    return _run(host, "hostname -s").stdout.strip()


def site_host(host, site):
    """The site Host a testinfra host stands for: by the address in its backend (the ansible backend: by the
    inventory hostname, a site key or fqdn), else `hostname -s`."""
    spec = getattr(host.backend, "host", None)
    if isinstance(spec, str):
        owner = inventory.site_host_named(site, spec)
        if owner:
            return owner
    name = getattr(spec, "name", None)
    if name:
        try:
            owner = site.host_of_address(ipaddress.ip_address(name.strip("[]")))
        except ValueError:
            owner = site.hosts.get(name.split(".", 1)[0])
        if owner:
            return owner
    return site.hosts.get(hostname(host))


def dns_query(server, name, rdtype, timeout=3.0, port=53):
    """Ask the site's DNS server (an address) directly; returns a parsers.DnsAnswer."""
    query = dns.message.make_query(name, rdtype)
    try:
        response = dns.query.udp(query, str(server), timeout=timeout, port=port)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, str(server), timeout=timeout, port=port)
    except dns.exception.Timeout:
        return parsers.DnsAnswer(name=name, rdtype=rdtype, rcode=f"no answer in {timeout:g} s", addresses=[])
    except OSError as error:
        return parsers.DnsAnswer(name=name, rdtype=rdtype, rcode=f"unreachable ({error.strerror})", addresses=[])
    return parsers.parse_dns_answer(response, rdtype)


def _connect(address, port, context, server_name, timeout):
    sock = socket.create_connection((str(address), port), timeout=timeout)
    try:
        return context.wrap_socket(sock, server_hostname=server_name)
    except BaseException:
        sock.close()
        raise


def fetch_chain(address, port, server_name, timeout=5.0):
    """The certificates the endpoint presents (leaf first), without judging them.

    Verification is off so that a bad chain can still be fetched and explained by
    checks.certificate_problems; verified_handshake does the client's own verification.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with _connect(address, port, context, server_name, timeout) as tls:
        if hasattr(tls, "get_unverified_chain"):  # Python 3.13+
            ders = tls.get_unverified_chain()
        else:
            ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in tls._sslobj.get_unverified_chain()]
    return [x509.load_der_x509_certificate(der) for der in ders]


def verified_handshake(address, port, server_name, cafile, timeout=5.0):
    """None when a client trusting only cafile accepts the endpoint for server_name; else the reason."""
    context = ssl.create_default_context(cafile=cafile)
    try:
        with _connect(address, port, context, server_name, timeout):
            return None
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message
    except ssl.SSLError as exc:
        return exc.reason or str(exc)
