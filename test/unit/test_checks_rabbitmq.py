"""RabbitMQ checks on recorded outputs: an IPv6-only broker passes, Debian's defaults fail with every offender."""
import dataclasses
import datetime
import ssl

import pkitools
from edge_verify.checks import rabbitmq, tls
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


def test_amqps_on_the_site_address_passes(lab, data):
    listeners = parsers.parse_ss(data("ss-rabbitmq-amqps.txt"))
    assert rabbitmq.amqps_listener_problems(lab, "ctl1", listeners) == []
    assert rabbitmq.broker_socket_problems(lab, "ctl1", listeners, "ctl1") == []


def test_a_missing_amqps_listener_is_reported_on_the_broker_host_only(lab, data):
    """The ssl listener removed from rabbitmq.conf: clients following the site meet a refused port."""
    listeners = parsers.parse_ss(data("ss-rabbitmq-good.txt"))
    problems = rabbitmq.amqps_listener_problems(lab, "ctl1", listeners)
    assert [(p.code, p.found) for p in problems] == [
        ("listener_missing", "no AMQPS listener on [2001:db8:10::11]:5671")]
    assert "services.rabbitmq.tls" in problems[0].expects and "ipv6_rabbitmq::default on ctl1" in problems[0].fix
    assert rabbitmq.amqps_listener_problems(lab, "cmp1", []) == []


def test_an_amqps_listener_on_the_wildcard_is_reported(lab, data):
    problems = rabbitmq.amqps_listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-rabbitmq-amqps-wildcard.txt")))
    assert [(p.code, p.found) for p in problems] == [
        ("listener_missing", "no AMQPS listener on [2001:db8:10::11]:5671"),
        ("not_site_address", "beam.smp AMQPS on [::]:5671")]


def test_a_site_without_amqps_expects_no_tls_listener(lab, data):
    site = dataclasses.replace(lab, services={**lab.services, "rabbitmq": {
        k: v for k, v in lab.services["rabbitmq"].items() if k != "tls"}})
    assert rabbitmq.amqps_endpoint(site) is None
    assert rabbitmq.amqps_listener_problems(site, "ctl1", parsers.parse_ss(data("ss-rabbitmq-good.txt"))) == []
    assert rabbitmq.client_tls_problems(site, "cmp1", "f", "rabbit://u:p@ctl1.lab.example.net:5672/%2F", False,
                                        None) == []


def test_amqps_endpoint_is_the_broker_hosts_name_and_tls_port(lab):
    endpoint = rabbitmq.amqps_endpoint(lab)
    assert (endpoint.host, endpoint.fqdn, endpoint.port, endpoint.cert) == (
        "ctl1", "ctl1.lab.example.net", 5671, "/var/lib/v6lab/pki/rabbitmq.crt")


def test_the_rendered_amqps_client_config_is_read_as_oslo_messaging_reads_it(lab, data):
    text = data("oslo_messaging-amqps.conf")
    url = rabbitmq.transport_url(text)
    assert url == "rabbit://openstack:p%40ss@ctl1.lab.example.net:5671/%2Fopenstack"
    assert rabbitmq.client_tls(text) == (True, "/var/lib/v6lab/pki/ca.pem")
    assert rabbitmq.kombu_url(url, tls=True) == "amqps://openstack:p%40ss@ctl1.lab.example.net:5671/%2Fopenstack"
    assert rabbitmq.kombu_ssl(url, "/var/lib/v6lab/pki/ca.pem") == {
        "ca_certs": "/var/lib/v6lab/pki/ca.pem", "cert_reqs": ssl.CERT_REQUIRED,
        "server_hostname": "ctl1.lab.example.net"}
    assert rabbitmq.client_tls_problems(lab, "cmp1", "oslo_messaging.conf", url, True,
                                        "/var/lib/v6lab/pki/ca.pem") == []


def test_a_cleartext_client_config_is_reported_where_the_site_turns_amqps_on(lab, data):
    text = data("oslo_messaging-cleartext.conf")
    url = rabbitmq.transport_url(text)
    assert rabbitmq.client_tls(text) == (False, None)
    problems = rabbitmq.client_tls_problems(lab, "cmp1", "/etc/ipv6_edge/oslo_messaging.conf", url,
                                            *rabbitmq.client_tls(text))
    assert [p.code for p in problems] == ["amqp_cleartext"]
    assert problems[0].found == ("/etc/ipv6_edge/oslo_messaging.conf: transport_url on port 5672; "
                                 "[oslo_messaging_rabbit] ssl is not true; no [oslo_messaging_rabbit] ssl_ca_file")
    assert "p%40ss" not in problems[0].found and "ipv6_rabbitmq::client" in problems[0].fix


def broker_chain(pki, sans=("ctl1.lab.example.net",), **options):
    leaf = pkitools.issue("ctl1.lab.example.net", pki.intermediate, sans=list(sans), **options)
    return [leaf.cert, pki.intermediate.cert]


def amqps_cert_problems(lab, chain, pki):
    endpoint = rabbitmq.amqps_endpoint(lab)
    return tls.certificate_problems(lab, endpoint, chain, [pki.root.cert], now=pkitools.NOW,
                                    fix=rabbitmq.amqps_fix(endpoint))


def test_a_broker_certificate_of_the_pki_for_its_name_passes(lab, pki):
    assert amqps_cert_problems(lab, broker_chain(pki), pki) == []


def test_a_self_signed_broker_certificate_names_the_site_key(lab, pki):
    """A certificate swapped in behind Chef's back: self-signed, its name right."""
    leaf = pkitools.issue("ctl1.lab.example.net", sans=["ctl1.lab.example.net"])
    problems = amqps_cert_problems(lab, [leaf.cert], pki)
    assert [p.code for p in problems] == ["self_signed"]
    assert problems[0].found.startswith("amqps on port 5671: leaf CN=ctl1.lab.example.net is self-signed")
    assert problems[0].fix == ("services.rabbitmq.tls.cert (/var/lib/v6lab/pki/rabbitmq.crt), then converge "
                               "ipv6_rabbitmq::default on ctl1")


def test_a_broker_certificate_for_another_name_is_a_san_mismatch(lab, pki):
    problems = amqps_cert_problems(lab, broker_chain(pki, sans=["rabbitmq.lab.example.net"]), pki)
    assert [p.code for p in problems] == ["san_mismatch"] and "ctl1.lab.example.net" in problems[0].found


def test_an_expired_broker_certificate_is_reported(lab, pki):
    chain = broker_chain(pki, not_before=pkitools.NOW - datetime.timedelta(days=30),
                         not_after=pkitools.NOW - datetime.timedelta(days=1))
    assert [p.code for p in amqps_cert_problems(lab, chain, pki)] == ["expired"]


def test_a_refused_amqps_handshake_names_the_site_key(lab):
    endpoint = rabbitmq.amqps_endpoint(lab)
    problems = tls.handshake_problems(lab, endpoint, "2001:db8:10::11",
                                      "self-signed certificate in certificate chain", "verified handshake",
                                      fix=rabbitmq.amqps_fix(endpoint))
    assert [(p.code, p.host) for p in problems] == [("self_signed", "ctl1")]
    assert problems[0].found == ("amqps at [2001:db8:10::11]:5671: self-signed certificate in certificate chain")
    assert problems[0].fix.startswith("services.rabbitmq.tls.cert")


def test_kombu_takes_the_amqps_url_with_the_verifying_ssl_options(data):
    """kombu gets the AMQPS port, TLS on, and the broker's name to verify the certificate against."""
    import kombu

    url = rabbitmq.transport_url(data("oslo_messaging-amqps.conf"))
    connection = kombu.Connection(rabbitmq.kombu_url(url, tls=True),
                                  ssl=rabbitmq.kombu_ssl(url, "/var/lib/v6lab/pki/ca.pem"))
    assert (connection.hostname, connection.port, connection.password) == ("ctl1.lab.example.net", 5671, "p@ss")
    assert connection.ssl["server_hostname"] == "ctl1.lab.example.net"
    assert connection.ssl["cert_reqs"] == ssl.CERT_REQUIRED
