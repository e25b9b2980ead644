"""RabbitMQ checks on recorded outputs: an IPv6-only broker passes, Debian's defaults fail with every offender."""
from edge_verify.checks import rabbitmq
from edge_verify.facts import parsers
from edge_verify.policy import Policy


def test_v6only_broker_sockets_pass(lab, data):
    listeners = parsers.parse_ss(data("ss-rabbitmq-good.txt"))
    assert rabbitmq.broker_socket_problems(lab, "ctl1", listeners, "ctl1") == []


def test_default_broker_sockets_are_each_reported(lab, data):
    """epmd and the cluster port on 0.0.0.0, AMQP dual-stack: three offenders; HAProxy is not the broker's."""
    problems = rabbitmq.broker_socket_problems(lab, "ctl1", parsers.parse_ss(data("ss-rabbitmq-defaults.txt")), "ctl1")
    assert [(p.code, p.found) for p in problems] == [
        ("ipv4", "epmd on 0.0.0.0:4369 (IPv4)"),
        ("ipv4", "beam.smp on 0.0.0.0:25672 (IPv4)"),
        ("dual_stack", "beam.smp on *:5672 (v6only:0, takes IPv4)"),
    ]
    assert all(p.host == "ctl1" and "ipv6_rabbitmq::default" in p.fix for p in problems)


def test_epmd_on_ipv4_loopback_follows_the_loopback_policy(lab, data):
    """epmd adds the loopback addresses lo has to ERL_EPMD_ADDRESS: with IPv4 loopback on lo it listens there too
    (recorded in a Docker container whose lo keeps it)."""
    listeners = [listener for listener in parsers.parse_ss(data("ss-rabbitmq-epmd-loopback.txt"))
                 if listener.process == "epmd"]
    assert len(listeners) == 3
    allowed = rabbitmq.broker_socket_problems(lab, "ctl1", listeners, "cmp1", Policy(ipv4_loopback="allow"))
    forbidden = rabbitmq.broker_socket_problems(lab, "ctl1", listeners, "cmp1", Policy(ipv4_loopback="forbid"))
    assert allowed == []
    assert [(p.code, p.found) for p in forbidden] == [("ipv4", "epmd on 127.0.0.1:4369 (IPv4)")]


def test_a_stopped_broker_is_reported_on_its_host_only(lab):
    problems = rabbitmq.broker_socket_problems(lab, "ctl1", [], "ctl1")
    assert [p.code for p in problems] == ["listener_missing", "listener_missing"]
    assert rabbitmq.broker_socket_problems(lab, "cmp1", [], "ctl1") == []


def test_failed_diagnostics_are_reported_with_their_output():
    problems = rabbitmq.diagnostics_problems("ctl1", "rabbitmq-diagnostics -q ping", 69, "Error: unable to perform")
    assert [p.code for p in problems] == ["broker_unreachable"] and "unable to perform" in problems[0].found
    assert rabbitmq.diagnostics_problems("ctl1", "rabbitmq-diagnostics -q ping", 0, "Ping succeeded") == []


def test_guest_is_reported():
    output = '[\n{"user":"guest","tags":["administrator"]}\n,{"user":"openstack","tags":[]}\n]\n'
    assert [p.code for p in rabbitmq.guest_problems("ctl1", output)] == ["guest_user"]
    assert rabbitmq.guest_problems("ctl1", '[\n{"user":"openstack","tags":[]}\n]\n') == []


def test_transport_url_is_read_from_the_default_section():
    text = ("# managed\n[DEFAULT]\ntransport_url = rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack\n"
            "[other]\ntransport_url = x\n")
    url = rabbitmq.transport_url(text)
    assert url == "rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack"
    assert rabbitmq.kombu_url(url) == "amqp://u:p@ctl1.lab.example.net:5672/%2Fopenstack"
    assert rabbitmq.transport_url("[DEFAULT]\n") is None


def test_a_failed_round_trip_is_reported():
    problems = rabbitmq.round_trip_problems("cmp1", "rabbit://u:p@ctl1.lab.example.net:5672/%2F", "timed out")
    assert [p.code for p in problems] == ["amqp_round_trip"] and "p@" not in problems[0].found


def test_kombu_reads_the_rendered_url_as_the_broker_expects():
    """kombu (the real client) must see the bracketed host, the decoded password and the /openstack vhost."""
    import kombu

    connection = kombu.Connection("amqp://openstack:p%40ss%2Fw%3Ard@[2001:db8:10::11]:5672/%2Fopenstack")
    assert (connection.hostname, connection.port, connection.password, connection.virtual_host) == \
        ("2001:db8:10::11", 5672, "p@ss/w:rd", "/openstack")
