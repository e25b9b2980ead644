"""RabbitMQ IPv6-only: pure checks on facts gathered from the broker host (ss, rabbitmqctl output)."""
import ipaddress
import json

BROKER_PROCESSES = ("beam.smp", "epmd")
LOOPBACK = ipaddress.ip_address("::1")


def broker_socket_problems(host_name, listeners, fix):
    """Every socket of beam.smp and epmd must be IPv6-only: bound to ::1, or v6only."""
    problems = []
    for listener in listeners:
        if listener.process not in BROKER_PROCESSES:
            continue
        address = listener.address
        if address.version == 4:
            problems.append(f"{host_name}: {listener.process} on {listener.local} (IPv4); {fix}")
        elif address != LOOPBACK and listener.v6only is not True:
            problems.append(f"{host_name}: {listener.process} on {listener.local} is dual-stack (v6only:0, takes "
                            f"IPv4); {fix}")
    return problems


def users(output):
    """User names from `rabbitmqctl -q list_users --formatter json`."""
    text = output.strip()
    return [entry["user"] for entry in json.loads(text)] if text else []


def guest_problems(host_name, output):
    if "guest" in users(output):
        return [f"{host_name}: the broker has the user guest (the well-known guest/guest login); "
                "converge ipv6_rabbitmq::default, which removes it"]
    return []


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
