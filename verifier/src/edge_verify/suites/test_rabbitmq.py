"""RabbitMQ is IPv6-only on its host: AMQP, Erlang distribution, epmd, management; the CLI works over inet6;
guest is gone; a real AMQP client on another host gets a message through with the transport_url as rendered."""
import os
import secrets
import time

import pytest

from edge_verify import probes, rabbitmq_checks

FIX = "fix services.rabbitmq / hosts.{host}.addresses in the site and converge ipv6_rabbitmq::default"


@pytest.fixture(scope="module")
def broker_host(site):
    service = site.services.get("rabbitmq")
    if not service:
        pytest.fail(f"{site.source}: no services.rabbitmq to verify", pytrace=False)
    return service["host"]


def test_rabbitmq_sockets_are_v6only(site_host, host_listeners, broker_host):
    """A dual-stack or IPv4 beam.smp/epmd socket lets the broker, its cluster port or epmd be reached over IPv4."""
    problems = rabbitmq_checks.broker_socket_problems(site_host.name, host_listeners, FIX.format(host=site_host.name))
    if site_host.name == broker_host:
        found = {listener.process for listener in host_listeners}
        problems += [f"{site_host.name}: no {name} socket; the broker does not run ({FIX.format(host=site_host.name)})"
                     for name in rabbitmq_checks.BROKER_PROCESSES if name not in found]
    assert not problems, "\n".join(problems)


def test_rabbitmq_diagnostics_work_over_inet6(host, site_host, broker_host):
    """Operators and the init script reach the node with the CLI tools; with no IPv4 that needs inet6 distribution."""
    if site_host.name != broker_host:
        assert not host.run("ss -Hltnp | grep -q beam.smp").succeeded, f"{site_host.name}: a broker runs here"
        return
    for command in ("rabbitmq-diagnostics -q ping", "rabbitmq-diagnostics -q status"):
        result = host.run(command)
        assert result.rc == 0, (f"{site_host.name}: `{command}` exited {result.rc}: "
                                f"{(result.stdout + result.stderr).strip()[-600:]}; check CTL_ERL_ARGS in "
                                "/etc/rabbitmq/rabbitmq-env.conf and the cookie")


def test_rabbitmq_has_no_guest_user(host, site_host, broker_host):
    """guest/guest is the first login anyone tries."""
    if site_host.name != broker_host:
        return
    result = probes._run(host, "rabbitmqctl -q list_users --formatter json")
    problems = rabbitmq_checks.guest_problems(site_host.name, result.stdout)
    assert not problems, "\n".join(problems)


@pytest.mark.client_side
def test_amqp_client_round_trip_with_rendered_transport_url(pytestconfig, site):
    """What the services' config renders must work for a real client: connect by the bracketed literal or the
    AAAA-only name, log in, publish and consume on the site vhost."""
    import kombu

    path = pytestconfig.getoption("transport_url_file")
    if not os.path.exists(path):
        pytest.fail(f"{path}: no oslo.messaging config rendered here; converge ipv6_rabbitmq::client "
                    "(or pass --transport-url-file)", pytrace=False)
    with open(path) as handle:
        url = rabbitmq_checks.transport_url(handle.read())
    assert url, f"{path}: no [DEFAULT] transport_url"
    body = secrets.token_hex(8)
    name = f"edge-verify-{body}"
    with kombu.Connection(rabbitmq_checks.kombu_url(url), connect_timeout=5) as connection:
        queue = kombu.Queue(name, exchange=kombu.Exchange(name, type="direct"), routing_key=name, auto_delete=True)
        with connection.Producer() as producer:
            producer.publish(body, exchange=queue.exchange, routing_key=name, declare=[queue])
        simple = connection.SimpleQueue(queue)
        deadline = time.monotonic() + 10
        message = None
        while message is None and time.monotonic() < deadline:
            try:
                message = simple.get(block=True, timeout=1)
            except simple.Empty:
                pass
        assert message is not None, f"{url.split('@')[-1]}: published to {name} but nothing came back within 10 s"
        message.ack()
        assert message.payload == body
        simple.close()
