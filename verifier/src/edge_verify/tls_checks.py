"""Pure checks for the HAProxy TLS edge; each returns a list of problems.

Every message reads "<host>: <what was found>; site expects <...>; fix <...>", like edge_verify.checks.
"""
from __future__ import annotations

import json

# What clients may negotiate: the edge refuses what predates TLS 1.2.
REFUSED_VERSIONS = ("TLSv1", "TLSv1.1")
ACCEPTED_VERSIONS = ("TLSv1.2", "TLSv1.3")
EDGE_PROCESS = "haproxy"


def _message(host, found, expects, fix):
    return f"{host}: {found}; site expects {expects}; fix {fix}"


def haproxy_listener_problems(site, host_name, listeners):
    """HAProxy must listen on exactly [each site address of the host]:port, v6only, for each endpoint.

    listeners come from `ss -Hltnuep` (parsers.Listener, with the process name). Reports every
    HAProxy socket elsewhere (wildcard, dual-stack, ::1, another address or port) and every
    missing one, all at once.
    """
    host = site.hosts[host_name]
    wanted = {(address, e.port): e for e in site.endpoints_on(host_name) for address in host.addresses}
    found = []
    seen = set()
    for listener in listeners:
        if listener.proto != "tcp" or listener.process != EDGE_PROCESS:
            continue
        endpoint = wanted.get((listener.address, listener.port))
        if endpoint is None:
            found.append(_message(host_name, f"haproxy listens on {listener.local}, which no endpoint of "
                                  f"{host_name} names", _binds_text(site, host_name),
                                  f"endpoints in {site.source}, then converge"))
        elif listener.v6only is not True:
            found.append(_message(host_name, f"haproxy on {listener.local} is not v6only (dual-stack)",
                                  f"{endpoint.name} on [{listener.address}]:{listener.port} v6only",
                                  "the bind line in /etc/haproxy/haproxy.cfg (converge restores it)"))
        seen.add((listener.address, listener.port))
    for (address, port), endpoint in sorted(wanted.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        if (address, port) not in seen:
            found.append(_message(host_name, f"nothing listens for {endpoint.name} on [{address}]:{port}",
                                  f"haproxy on [{address}]:{port} v6only",
                                  f"endpoints.{endpoint.name} in {site.source}, then converge"))
    return found


def _binds_text(site, host_name):
    addresses = site.hosts[host_name].addresses
    binds = [f"[{a}]:{e.port}" for e in site.endpoints_on(host_name) for a in addresses]
    return f"haproxy only on {', '.join(binds) or 'nothing'}"


def tls_version_problems(site, endpoint, outcomes):
    """outcomes: {version name: True when a handshake with only that version succeeded}.

    TLS 1.0 and 1.1 must fail (deprecated by RFC 8996), 1.2 and 1.3 must succeed.
    """
    problems = []
    where = f"{endpoint.name} on port {endpoint.port}"
    for version in REFUSED_VERSIONS:
        if outcomes.get(version):
            problems.append(_message(endpoint.host, f"{where} accepts {version}", "TLS 1.2 and 1.3 only",
                                     "ssl-default-bind-options in /etc/haproxy/haproxy.cfg "
                                     "(ipv6_haproxy_config tls_min_version)"))
    for version in ACCEPTED_VERSIONS:
        if not outcomes.get(version):
            problems.append(_message(endpoint.host, f"{where} refuses {version}", "TLS 1.2 and 1.3",
                                     "the ciphers of ipv6_haproxy_config"))
    return problems


def _hrefs(value):
    if isinstance(value, dict):
        return [h for k, v in value.items() for h in ([v] if k == "href" else _hrefs(v))]
    if isinstance(value, list):
        return [h for item in value for h in _hrefs(item)]
    return []


def version_document_problems(endpoint, status, body):
    """The API's version document, fetched through the edge: every link must be https://fqdn:port/.

    A backend that is told nothing about TLS links to http:// and clients follow it in clear text.
    """
    where = f"GET https://{endpoint.fqdn}:{endpoint.port}/"
    expects = f"a version document linking to https://{endpoint.fqdn}:{endpoint.port}/"
    fix = "X-Forwarded-Proto in the endpoint's frontend (ipv6_haproxy_endpoint)"
    if status not in (200, 300):
        return [_message(endpoint.host, f"{where} answered HTTP {status}", expects, fix)]
    try:
        hrefs = _hrefs(json.loads(body))
    except ValueError:
        return [_message(endpoint.host, f"{where} answered with no JSON: {body[:80]!r}", expects, fix)]
    if not hrefs:
        return [_message(endpoint.host, f"{where} answered a document without links", expects, fix)]
    prefix = f"https://{endpoint.fqdn}:{endpoint.port}/"
    return [_message(endpoint.host, f"{where} links to {href}", expects, fix)
            for href in hrefs if not href.startswith(prefix)]
