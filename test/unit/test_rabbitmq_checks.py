"""RabbitMQ checks on recorded outputs: an IPv6-only broker passes, Debian's defaults fail with every offender."""
from edge_verify import parsers, rabbitmq_checks

FIX = "fix hosts.ctl1 in site/lab.yml"


def test_v6only_broker_sockets_pass(data):
    listeners = parsers.parse_ss(data("ss-rabbitmq-good.txt"))
    assert rabbitmq_checks.broker_socket_problems("ctl1", listeners, FIX) == []


def test_default_broker_sockets_are_each_reported(data):
    """epmd and the cluster port on 0.0.0.0, AMQP dual-stack: three offenders; HAProxy is not the broker's."""
    problems = rabbitmq_checks.broker_socket_problems("ctl1", parsers.parse_ss(data("ss-rabbitmq-defaults.txt")), FIX)
    assert len(problems) == 3, problems
    assert any("epmd on 0.0.0.0:4369 (IPv4)" in p for p in problems)
    assert any("beam.smp on 0.0.0.0:25672 (IPv4)" in p for p in problems)
    assert any("beam.smp on *:5672 is dual-stack" in p for p in problems)
    assert all(p.startswith("ctl1: ") and p.endswith(FIX) for p in problems)


def test_guest_is_reported():
    output = '[\n{"user":"guest","tags":["administrator"]}\n,{"user":"openstack","tags":[]}\n]\n'
    problems = rabbitmq_checks.guest_problems("ctl1", output)
    assert len(problems) == 1 and "guest" in problems[0]
    assert rabbitmq_checks.guest_problems("ctl1", '[\n{"user":"openstack","tags":[]}\n]\n') == []


def test_transport_url_is_read_from_the_default_section():
    text = ("# managed\n[DEFAULT]\ntransport_url = rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack\n"
            "[other]\ntransport_url = x\n")
    url = rabbitmq_checks.transport_url(text)
    assert url == "rabbit://u:p@ctl1.lab.example.net:5672/%2Fopenstack"
    assert rabbitmq_checks.kombu_url(url) == "amqp://u:p@ctl1.lab.example.net:5672/%2Fopenstack"
    assert rabbitmq_checks.transport_url("[DEFAULT]\n") is None


def test_kombu_reads_the_rendered_url_as_the_broker_expects():
    """kombu (the real client) must see the bracketed host, the decoded password and the /openstack vhost."""
    import kombu

    connection = kombu.Connection("amqp://openstack:p%40ss%2Fw%3Ard@[2001:db8:10::11]:5672/%2Fopenstack")
    assert (connection.hostname, connection.port, connection.password, connection.virtual_host) == \
        ("2001:db8:10::11", 5672, "p@ss/w:rd", "/openstack")
