"""HAProxy, the TLS edge: sockets exactly on the site's addresses and endpoint ports, a root-only
runtime socket, and APIs behind it that link clients back to https."""
from __future__ import annotations

import json
from urllib.parse import urljoin

from edge_verify.problem import Problem

EDGE_PROCESS = "haproxy"
STATS_SOCKET = "/run/haproxy/admin.sock"


def haproxy_listener_problems(site, host_name, listeners):
    """HAProxy must listen on exactly [each site address of the host]:port, v6only, for each endpoint.

    listeners come from `ss -Hltnuep` (parsers.Listener, with the process name). Reports every
    HAProxy socket elsewhere (wildcard, dual-stack, ::1, another address or port) and every
    missing one, all at once."""
    host = site.hosts[host_name]
    source = f"ss -Hltnuep on {host_name}"
    wanted = {(address, e.port): e for e in site.endpoints_on(host_name) for address in host.addresses}
    unnamed = sorted({listener.local for listener in listeners
                      if listener.proto == "tcp" and (listener.address, listener.port) in wanted})
    if unnamed and not any(listener.process for listener in listeners):
        # ss names the process of a socket only to its owner or root: without root the edge's sockets are
        # there but cannot be told from another program's.
        return [Problem(host_name, "probe_failed",
                        f"ss names no process on {host_name} (not run as root there); sockets on {', '.join(unnamed)} "
                        "cannot be told to be haproxy's", "ss -p naming the process of every socket",
                        f"run the verifier as root on {host_name}, or log in as an operator with sudo rights and "
                        "pass --sudo", source)]
    found = []
    seen = set()
    for listener in listeners:
        if listener.proto != "tcp" or listener.process != EDGE_PROCESS:
            continue
        endpoint = wanted.get((listener.address, listener.port))
        if endpoint is None:
            found.append(Problem(host_name, "unexpected_listener",
                                 f"haproxy listens on {listener.local}, which no endpoint of {host_name} names",
                                 _binds_text(site, host_name),
                                 f"/etc/haproxy/haproxy.cfg on {host_name} (converge restores it), or the "
                                 f"endpoints in {site.source}", source))
        elif listener.v6only is not True:
            found.append(Problem(host_name, "not_v6only", f"haproxy on {listener.local} is not v6only (dual-stack)",
                                 f"{endpoint.name} on [{listener.address}]:{listener.port} v6only",
                                 f"the bind line in /etc/haproxy/haproxy.cfg on {host_name} (converge restores it)",
                                 source))
        seen.add((listener.address, listener.port))
    for (address, port), endpoint in sorted(wanted.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        if (address, port) not in seen:
            found.append(Problem(host_name, "listener_missing",
                                 f"nothing listens for {endpoint.name} on [{address}]:{port}",
                                 f"haproxy on [{address}]:{port} v6only",
                                 f"converge {host_name} (endpoints.{endpoint.name} in {site.source})", source))
    return found


def _binds_text(site, host_name):
    addresses = site.hosts[host_name].addresses
    binds = [f"[{a}]:{e.port}" for e in site.endpoints_on(host_name) for a in addresses]
    return f"haproxy only on {', '.join(binds) or 'nothing'}"


def stats_socket_problems(host_name, modes, path=STATS_SOCKET):
    """The runtime API socket (modes from probes.file_modes) exists, owned by root, mode 600."""
    source = f"stat {path} on {host_name}"
    expects = f"{path}, a socket owned by root, mode 600"
    fix = f"the stats socket of ipv6_haproxy_config on {host_name} (a reload recreates it)"
    if path not in modes or modes[path][0] != "socket":
        kind = modes[path][0] if path in modes else "missing"
        return [Problem(host_name, "listener_missing", f"{path} is {kind}", expects, f"converge {host_name}",
                        source)]
    _, owner, mode = modes[path]
    if (owner, mode) != ("root", 0o600):
        return [Problem(host_name, "socket_mode", f"{path} is {owner} {mode:o}", expects, fix, source)]
    return []


def _hrefs(value):
    if isinstance(value, dict):
        return [h for k, v in value.items() for h in ([v] if k == "href" else _hrefs(v))]
    if isinstance(value, list):
        return [h for item in value for h in _hrefs(item)]
    return []


def version_document_problems(endpoint, status, body, source=None):
    """The API's version document, fetched through the edge: every link must be https://fqdn:port/.

    A backend that is told nothing about TLS links to http:// and clients follow it in clear text."""
    where = f"GET https://{endpoint.fqdn}:{endpoint.port}/"
    source = source or where
    expects = f"a version document linking to https://{endpoint.fqdn}:{endpoint.port}/"
    fix = f"X-Forwarded-Proto in the {endpoint.name} frontend (ipv6_haproxy_endpoint) on {endpoint.host}"

    def problem(code, text):
        return Problem(endpoint.host, code, f"{where} {text}", expects, fix, source)

    if status not in (200, 300):
        return [problem("http_error", f"answered HTTP {status}")]
    try:
        hrefs = _hrefs(json.loads(body))
    except ValueError:
        return [problem("http_error", f"answered with no JSON: {body[:80]!r}")]
    if not hrefs:
        return [problem("http_error", "answered a document without links")]
    prefix = f"https://{endpoint.fqdn}:{endpoint.port}/"
    # A relative link (Placement's root links to "") stays on the URL it was fetched from.
    return [problem("http_link", f"links to {href}") for href in hrefs if not urljoin(prefix, href).startswith(prefix)]


# What RabbitMQ's management plugin serves at / (its single-page UI).
MANAGEMENT_UI_MARK = "<title>RabbitMQ Management</title>"


def management_endpoint(site):
    """The name of the endpoint that publishes RabbitMQ's management UI (services.rabbitmq.management_endpoint),
    or None."""
    return (site.services.get("rabbitmq") or {}).get("management_endpoint")


def management_ui_problems(endpoint, status, body, source=None):
    """The broker's management UI, fetched through the edge: GET / answers 200 with RabbitMQ's management page
    (it has no version document; its API is under /api/ and needs a login)."""
    where = f"GET https://{endpoint.fqdn}:{endpoint.port}/"
    expects = f"RabbitMQ's management UI from [::1]:{endpoint.backend_port} (services.rabbitmq.management_endpoint)"
    fix = (f"the {endpoint.name} frontend (ipv6_haproxy_endpoint) and the management listener on "
           f"[::1]:{endpoint.backend_port} (ipv6_rabbitmq_broker management_port) on {endpoint.host}")
    if status != 200:
        return [Problem(endpoint.host, "http_error", f"{where} answered HTTP {status}", expects, fix, source or where)]
    if MANAGEMENT_UI_MARK not in body:
        return [Problem(endpoint.host, "http_error", f"{where} answered another page: {body[:80]!r}", expects, fix,
                        source or where)]
    return []


def expected_hsts(site):
    """The Strict-Transport-Security value the site asks for (tls.hsts, tls.hsts_max_age), or None."""
    tls = site.tls or {}
    if not tls.get("hsts", True):
        return None
    return f"max-age={tls.get('hsts_max_age', 63072000)}; includeSubDomains"


def hsts_problems(site, endpoint, found, source=None):
    """Without Strict-Transport-Security a client once sent to http:// (a stale link, an active
    attacker) talks plain HTTP; with it, the client refuses to for max-age seconds."""
    expected = expected_hsts(site)
    if found == expected:
        return []
    where = f"https://{endpoint.fqdn}:{endpoint.port}/"
    shown = "no Strict-Transport-Security header" if found is None else f"Strict-Transport-Security {found!r}"
    wanted = f"Strict-Transport-Security {expected!r}" if expected else "no Strict-Transport-Security header"
    return [Problem(endpoint.host, "hsts", f"{endpoint.name}: {where} sends {shown}", wanted,
                    f"tls.hsts / tls.hsts_max_age in {site.source}, then converge {endpoint.host}",
                    source or f"GET {where}")]
