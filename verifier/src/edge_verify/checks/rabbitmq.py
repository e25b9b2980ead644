"""RabbitMQ checks: pure functions from facts of the broker host (ss, rabbitmqctl, the rendered client
config) to Problems. The broker host is wrong here, not the site: fixes name the converge that restores it."""
from __future__ import annotations

import ipaddress
import json

from edge_verify.policy import Policy
from edge_verify.problem import Problem

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


def transport_url(text):
    """The transport_url of an oslo.messaging config file ([DEFAULT] transport_url = ...), or None."""
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif section == "DEFAULT" and "=" in stripped and stripped.split("=", 1)[0].strip() == "transport_url":
            return stripped.split("=", 1)[1].strip()
    return None


def kombu_url(url):
    """The URL oslo.messaging's rabbit driver hands to kombu: scheme rabbit is kombu's amqp, the rest unchanged."""
    scheme, rest = url.split("://", 1)
    return f"{'amqp' if scheme == 'rabbit' else scheme}://{rest}"


def round_trip_problems(client, url, error):
    """error: None when one message went through, else what went wrong."""
    if error is None:
        return []
    return [Problem(client, "amqp_round_trip", f"{url.split('@')[-1]}: {error}",
                    "a real AMQP client to publish and consume one message with the rendered transport_url",
                    "converge ipv6_rabbitmq::client here and ipv6_rabbitmq::default on the broker host",
                    "kombu from the client host")]
