"""RabbitMQ is IPv6-only on its host: AMQP, AMQPS, Erlang distribution, epmd, management; the CLI works over
inet6; guest is gone; AMQPS presents a certificate of the organisation's PKI for the broker's name; a real AMQP
client gets a message through with the transport_url and TLS settings exactly as rendered."""
import os
import secrets
import socket
import time

import pytest

from edge_verify.checks import rabbitmq, tls
from edge_verify.facts import probes

TIMEOUT = 5.0


@pytest.fixture(scope="module")
def broker_host(site):
    service = site.services.get("rabbitmq")
    if not service:
        pytest.fail(f"{site.source}: no services.rabbitmq to verify", pytrace=False)
    return service["host"]


def test_rabbitmq_sockets_are_v6only(site, site_host, facts, broker_host, policy, check):
    """A dual-stack or IPv4 beam.smp/epmd socket lets the broker, its cluster port or epmd be reached over IPv4."""
    check(rabbitmq.broker_socket_problems(site, site_host.name, facts.listeners(), broker_host, policy),
          host=site_host.name)


def test_amqps_listens_v6only_on_site_addresses(site, site_host, facts, check):
    """With services.rabbitmq.tls the broker serves AMQPS on each site address of its host and nowhere else;
    a missing listener sends clients that follow the site to a refused port."""
    check(rabbitmq.amqps_listener_problems(site, site_host.name, facts.listeners()), host=site_host.name)


@pytest.mark.client_side
def test_amqps_cert_chains_to_org_ca_for_broker_name(site, ca_bundle, ca_bundle_file, check):
    """Clients verify the broker against the organisation CA by the broker host's AAAA-only name: a self-signed,
    foreign, expired or misnamed certificate fails every oslo.messaging client with ssl on (or teaches
    operators to turn verification off)."""
    endpoint = rabbitmq.amqps_endpoint(site)
    if endpoint is None:
        check([], host=site.services.get("rabbitmq", {}).get("host", "site"))
        return
    here = socket.gethostname()
    fix = rabbitmq.amqps_fix(endpoint)
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        where = f"[{address}]:{endpoint.port}"
        try:
            reason = probes.verified_handshake(address, endpoint.port, endpoint.fqdn, ca_bundle_file, timeout=TIMEOUT)
            problems += tls.handshake_problems(site, endpoint, address, reason,
                                               f"verified TLS handshake from {here} to {where}",
                                               ca_name=ca_bundle_file, fix=fix)
            chain = probes.fetch_chain(address, endpoint.port, endpoint.fqdn, timeout=TIMEOUT)
        except OSError as error:
            problems += tls.handshake_problems(site, endpoint, address, f"connection failed: {error}",
                                               f"TLS connection from {here} to {where}", ca_name=ca_bundle_file,
                                               verified=False, fix=fix)
            continue
        problems += tls.certificate_problems(site, endpoint, chain, ca_bundle, ca_name=ca_bundle_file, fix=fix,
                                             source=f"certificates presented to {here} on {where}")
    check(problems, host=endpoint.host)


@pytest.mark.parametrize("command", ["rabbitmq-diagnostics -q ping", "rabbitmq-diagnostics -q status"])
def test_rabbitmq_diagnostics_work_over_inet6(site_host, facts, broker_host, check, command):
    """Operators and the init script reach the node with the CLI tools; with no IPv4 that needs inet6 distribution.
    Elsewhere than the broker host no broker may listen; the CLI is not run there, because any Erlang CLI
    starts an epmd with Debian's defaults (0.0.0.0 and [::]) that outlives it."""
    if site_host.name != broker_host:
        brokers = sorted(f"{listener.address}:{listener.port}" for listener in facts.listeners()
                         if listener.process in ("beam.smp", "epmd"))
        assert not brokers, (f"{site_host.name}: beam.smp/epmd listen on {', '.join(brokers)}: a broker runs "
                             f"outside {broker_host}")
        return
    result = facts.host.run(command)
    check(rabbitmq.diagnostics_problems(site_host.name, command, result.rc, result.stdout + result.stderr),
          host=site_host.name)


def test_rabbitmq_has_no_guest_user(site_host, facts, broker_host, check):
    """guest/guest is the first login anyone tries. (Only the broker host has users to list.)"""
    if site_host.name == broker_host:
        result = facts.host.run("rabbitmqctl -q list_users --formatter json")
        assert result.rc == 0, f"{site_host.name}: rabbitmqctl list_users exited {result.rc}: {result.stderr}"
        check(rabbitmq.guest_problems(site_host.name, result.stdout), host=site_host.name)


@pytest.mark.client_side
def test_amqp_client_round_trip_with_rendered_transport_url(pytestconfig, site, client, check):
    """What the services' config renders must work for a real client: connect by the AAAA-only name (or the
    bracketed literal), over AMQPS verified with the rendered ssl_ca_file when the site turns TLS on, log in,
    publish and consume one message on the site vhost."""
    import kombu

    _, client_name = client
    path = pytestconfig.getoption("transport_url_file")
    if not os.path.exists(path):
        pytest.fail(f"{path}: no oslo.messaging config rendered here; converge ipv6_rabbitmq::client "
                    "(or pass --transport-url-file)", pytrace=False)
    with open(path) as handle:
        text = handle.read()
    url = rabbitmq.transport_url(text)
    assert url, f"{path}: no [DEFAULT] transport_url"
    tls_on, ca_file = rabbitmq.client_tls(text)
    problems = rabbitmq.client_tls_problems(site, client_name, path, url, tls_on, ca_file)
    options = {"ssl": rabbitmq.kombu_ssl(url, ca_file)} if tls_on else {}
    body = secrets.token_hex(8)
    name = f"edge-verify-{body}"
    error = None
    try:
        with kombu.Connection(rabbitmq.kombu_url(url, tls=tls_on), connect_timeout=5, **options) as connection:
            queue = kombu.Queue(name, exchange=kombu.Exchange(name, type="direct"), routing_key=name,
                                auto_delete=True)
            with connection.Producer() as producer:
                producer.publish(body, exchange=queue.exchange, routing_key=name, declare=[queue])
            simple = connection.SimpleQueue(queue)
            deadline, message = time.monotonic() + 10, None
            while message is None and time.monotonic() < deadline:
                try:
                    message = simple.get(block=True, timeout=1)
                except simple.Empty:
                    pass
            if message is None:
                error = f"published to {name}, nothing came back within 10 s"
            else:
                message.ack()
                if message.payload != body:
                    error = f"got {message.payload!r} back instead of {body!r}"
            simple.close()
    except Exception as exc:  # any client failure is the finding
        error = f"{type(exc).__name__}: {exc}"
    check(problems + rabbitmq.round_trip_problems(client_name, url, error), host=client_name)
