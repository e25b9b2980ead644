"""RabbitMQ checks: pure functions from facts of the broker host (ss, rabbitmqctl, the rendered client
config) to Problems. The broker host is wrong here, not the site: fixes name the converge that restores it."""
from __future__ import annotations

import ipaddress
import json
import ssl
from urllib.parse import urlsplit

from edge_verify.policy import Policy
from edge_verify.problem import Problem
from edge_verify.site import Endpoint

BROKER_PROCESSES = ("beam.smp", "epmd")
LOOPBACK = ipaddress.ip_address("::1")
CONVERGE = "converge ipv6_rabbitmq::default on {host}"
DEFAULT_POLICY = Policy()


def _expects(site, host_name):
    addresses = ", ".join(str(a) for a in site.hosts[host_name].addresses)
    return f"beam.smp and epmd only on {addresses} or ::1, or [::] with v6only"


def broker_socket_problems(site, host_name, listeners, broker_host, policy=DEFAULT_POLICY):
    """Every socket of beam.smp and epmd is IPv6-only (::1, or v6only); on the broker host both run.

    epmd always adds the host's loopback addresses to ERL_EPMD_ADDRESS: where lo has 127.0.0.1 it listens
    there too, which passes when the site's policy.ipv4_loopback allows listeners on IPv4 loopback."""
    problems = []
    expects = _expects(site, host_name)
    fix = CONVERGE.format(host=host_name)
    source = f"ss -Hltnuep on {host_name}"
    for listener in listeners:
        if listener.process not in BROKER_PROCESSES:
            continue
        address = listener.address
        if address.version == 4 and address.is_loopback and policy.allows_ipv4_loopback:
            continue
        if address.version == 4:
            code, what = "ipv4", "IPv4"
        elif address != LOOPBACK and listener.v6only is not True:
            code, what = ("dual_stack" if address.is_unspecified else "not_v6only"), "v6only:0, takes IPv4"
        else:
            continue
        problems.append(Problem(host_name, code, f"{listener.process} on {listener.local} ({what})", expects, fix,
                                source))
    if host_name == broker_host:
        running = {listener.process for listener in listeners}
        problems += [Problem(host_name, "listener_missing", f"no {name} socket (the broker does not run)",
                             expects, fix, source) for name in BROKER_PROCESSES if name not in running]
    return problems


def diagnostics_problems(host_name, command, rc, output):
    """`rabbitmq-diagnostics -q ping` / `status` must succeed: with no IPv4 that takes inet6 distribution."""
    if rc == 0:
        return []
    return [Problem(host_name, "broker_unreachable", f"`{command}` exited {rc}: {output.strip()[-400:]}",
                    "the CLI tools to reach the node over inet6 distribution",
                    "CTL_ERL_ARGS in /etc/rabbitmq/rabbitmq-env.conf and the cookie; "
                    + CONVERGE.format(host=host_name),
                    command)]


def users(output):
    """User names from `rabbitmqctl -q list_users --formatter json`."""
    text = output.strip()
    return [entry["user"] for entry in json.loads(text)] if text else []


def guest_problems(host_name, output):
    if "guest" not in users(output):
        return []
    return [Problem(host_name, "guest_user", "the user guest exists (the well-known guest/guest login)",
                    "no guest user", CONVERGE.format(host=host_name), "rabbitmqctl -q list_users")]


def messaging_settings(text):
    """An oslo.messaging config file as {section: {key: value}} (ini lines; comments and blanks skipped)."""
    sections, section = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = sections.setdefault(stripped[1:-1], {})
        elif section is not None and "=" in stripped:
            key, value = stripped.split("=", 1)
            section.setdefault(key.strip(), value.strip())
    return sections


def transport_url(text):
    """The transport_url of an oslo.messaging config file ([DEFAULT] transport_url = ...), or None."""
    return messaging_settings(text).get("DEFAULT", {}).get("transport_url")


def client_tls(text):
    """(ssl on, ssl_ca_file) from [oslo_messaging_rabbit], as oslo.messaging reads them."""
    section = messaging_settings(text).get("oslo_messaging_rabbit", {})
    return section.get("ssl", "false").lower() in ("true", "1", "yes", "on"), section.get("ssl_ca_file")


def kombu_url(url, tls=False):
    """The URL oslo.messaging's rabbit driver hands to kombu: scheme rabbit is kombu's amqp (amqps with ssl on),
    the rest unchanged."""
    scheme, rest = url.split("://", 1)
    if scheme == "rabbit":
        scheme = "amqps" if tls else "amqp"
    return f"{scheme}://{rest}"


def kombu_ssl(url, ca_file):
    """kombu's ssl options for a client that verifies the broker: the CA file, a required certificate, and the
    URL's host as the name to check (SNI and hostname verification)."""
    return {"ca_certs": ca_file, "cert_reqs": ssl.CERT_REQUIRED, "server_hostname": urlsplit(url).hostname}


def amqps_endpoint(site):
    """The broker's AMQPS listener as a site.Endpoint (named amqps, the broker host's fqdn), or None when the site
    has no services.rabbitmq.tls."""
    service = site.services.get("rabbitmq") or {}
    tls = service.get("tls")
    if not tls:
        return None
    host = service["host"]
    return Endpoint(name="amqps", host=host, fqdn=site.hosts[host].fqdn, port=tls.get("port", 5671),
                    backend_port=tls.get("port", 5671), cert=tls["cert"], key=tls["key"])


def amqps_fix(endpoint):
    return (f"services.rabbitmq.tls.cert ({endpoint.cert}), then converge ipv6_rabbitmq::default on "
            f"{endpoint.host}")


def amqps_listener_problems(site, host_name, listeners):
    """On the broker host, beam.smp listens for AMQPS on every site address of the host and nowhere else, each
    socket IPv6-only (IPv4 and dual-stack sockets are broker_socket_problems' findings)."""
    endpoint = amqps_endpoint(site)
    if endpoint is None or host_name != endpoint.host:
        return []
    wanted = [ipaddress.ip_address(str(a)) for a in site.hosts[host_name].addresses]
    addresses = ", ".join(str(a) for a in wanted)
    expects = f"beam.smp on {addresses} port {endpoint.port} (AMQPS, services.rabbitmq.tls), v6only"
    fix = CONVERGE.format(host=host_name)
    source = f"ss -Hltnuep on {host_name}"
    tls_sockets = [s for s in listeners if s.process == "beam.smp" and s.port == endpoint.port]
    found = {s.address for s in tls_sockets}
    problems = [Problem(host_name, "listener_missing", f"no AMQPS listener on [{address}]:{endpoint.port}", expects,
                        fix, source) for address in wanted if address not in found]
    for sock in tls_sockets:
        if sock.address.version == 6 and sock.address not in wanted:
            problems.append(Problem(host_name, "not_site_address", f"beam.smp AMQPS on {sock.local}", expects, fix,
                                    source))
        elif sock.address.version == 6 and sock.v6only is not True:
            problems.append(Problem(host_name, "not_v6only", f"beam.smp AMQPS on {sock.local} (v6only:0)",
                                    expects, fix, source))
    return problems


def client_tls_problems(site, client, path, url, tls_on, ca_file):
    """Where the site turns AMQPS on, the rendered client config must use it: the AMQPS port in transport_url,
    [oslo_messaging_rabbit] ssl = true and an ssl_ca_file that verifies the broker."""
    endpoint = amqps_endpoint(site)
    if endpoint is None:
        return []
    found = []
    port = urlsplit(url).port
    if port != endpoint.port:
        found.append(f"transport_url on port {port}")
    if not tls_on:
        found.append("[oslo_messaging_rabbit] ssl is not true")
    if not ca_file:
        found.append("no [oslo_messaging_rabbit] ssl_ca_file")
    if not found:
        return []
    return [Problem(client, "amqp_cleartext", f"{path}: {'; '.join(found)}",
                    f"AMQPS on port {endpoint.port} with ssl = true and ssl_ca_file = {site.ca_bundle} "
                    "(services.rabbitmq.tls)", "converge ipv6_rabbitmq::client here", f"{path} on {client}")]


def round_trip_problems(client, url, error):
    """error: None when one message went through, else what went wrong."""
    if error is None:
        return []
    return [Problem(client, "amqp_round_trip", f"{url.split('@')[-1]}: {error}",
                    "a real AMQP client to publish and consume one message with the rendered transport_url",
                    "converge ipv6_rabbitmq::client here and ipv6_rabbitmq::default on the broker host",
                    "kombu from the client host")]
