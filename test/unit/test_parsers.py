"""Parsers on outputs recorded on Debian 12 (a network namespace with IPv4 and IPv6 sockets, Knot DNS)."""
import ipaddress

import dns.message
import pytest

from edge_verify.facts import parsers

V6 = ipaddress.IPv6Address
V4 = ipaddress.IPv4Address


def by_local(listeners):
    return {(x.proto, x.local): x for x in listeners}


def test_ss_bad_host_every_socket_kind(data):
    found = by_local(parsers.parse_ss(data("ss-bad.txt")))
    assert len(found) == 10
    any4 = found[("tcp", "0.0.0.0:4369")]
    assert (any4.address, any4.v6only, any4.accepts_ipv4) == (V4("0.0.0.0"), None, True)
    dual = found[("tcp", "*:5672")]
    assert (dual.address, dual.v6only, dual.accepts_ipv4, dual.local) == (V6("::"), False, True, "*:5672")
    v6any = found[("tcp", "[::]:25672")]
    assert (v6any.address, v6any.v6only, v6any.accepts_ipv4) == (V6("::"), True, False)
    mapped = found[("tcp", "[::ffff:127.0.0.1]:8080")]
    assert (mapped.address, mapped.v6only, mapped.accepts_ipv4) == (V6("::ffff:127.0.0.1"), False, True)
    site = found[("tcp", "[2001:db8:10::11]:443")]
    assert (site.address, site.v6only, site.accepts_ipv4) == (V6("2001:db8:10::11"), True, False)
    assert found[("tcp", "[::1]:8000")].address == V6("::1")
    link = found[("tcp", "[fe80::1]%eth0:22")]
    assert (link.address, link.interface) == (V6("fe80::1"), "eth0")
    assert found[("udp", "0.0.0.0:53")].address == V4("0.0.0.0")
    assert all(x.process == "" for x in found.values())


def test_ss_with_processes(data):
    listeners = parsers.parse_ss(data("ss-bad-p.txt"))
    assert {x.process for x in listeners} == {"python3"}
    assert [x.port for x in listeners] == [x.port for x in parsers.parse_ss(data("ss-bad.txt"))]


def test_ss_single_protocol_has_no_netid_column(data):
    listeners = parsers.parse_ss(data("ss-udp.txt"))
    assert [(x.proto, x.address, x.port) for x in listeners] == [("udp", V4("0.0.0.0"), 53),
                                                                 ("udp", V6("2001:db8:10::11"), 53)]


def test_ss_good_host_accepts_no_ipv4(data):
    listeners = parsers.parse_ss(data("ss-good.txt"))
    assert len(listeners) == 4
    assert not any(x.accepts_ipv4 for x in listeners)
    assert all(x.v6only is True for x in listeners)


def test_ss_service_names_are_refused():
    line = "tcp LISTEN 0 128 0.0.0.0:epmd 0.0.0.0:* ino:1 sk:1 <->"
    with pytest.raises(ValueError, match="-n"):
        parsers.parse_ss(line)


def test_ip_addr_lists_ipv4_and_ipv6(data):
    found = parsers.parse_ip_addr(data("ipaddr-bad.txt"))
    assert [(a.ifname, str(a.interface), a.scope) for a in found if a.address.version == 4] == [
        ("lo", "127.0.0.1/8", "host"), ("eth0", "10.0.0.5/24", "global")]
    assert ("eth0", V6("2001:db8:10::11"), "global") in [(a.ifname, a.address, a.scope) for a in found]


def test_ip_addr_good_host_has_only_ipv6(data):
    found = parsers.parse_ip_addr(data("ipaddr-good.txt"))
    assert len(found) == 5 and all(a.address.version == 6 for a in found)


def test_if_inet6(data):
    found = parsers.parse_if_inet6(data("if_inet6.txt"))
    rows = [(a.ifname, str(a.interface), a.scope) for a in found]
    assert rows[0] == ("eth0", "2001:db8:10::11/64", "global")
    assert ("lo", "::1/128", "host") in rows


@pytest.mark.parametrize("name, expected", [
    ("getent-hosts-ctl1.txt", [V6("2001:db8:10::11")]),
    ("getent-ahosts-ctl1.txt", [V6("2001:db8:10::11")]),
    ("getent-ahostsv6-ctl1.txt", [V6("2001:db8:10::11")]),
    ("getent-ahostsv4-ctl1.txt", []),
    ("getent-ahostsv6-legacy.txt", [V6("::ffff:192.0.2.5")]),
    ("getent-hosts-legacy.txt", [V4("192.0.2.5")]),
    ("getent-ahostsv4-legacy.txt", []),
    ("getent-ahostsv4-legacy-with-ipv4.txt", [V4("192.0.2.5")]),
])
def test_getent(data, name, expected):
    assert parsers.parse_getent(data(name)) == expected


def test_pem_chain_in_file_order(pki):
    chain = parsers.load_pem_chain(pki.leaf.pem() + b"\n" + pki.intermediate.pem())
    assert chain == [pki.leaf.cert, pki.intermediate.cert]
    assert parsers.load_pem_chain(pki.root.pem().decode()) == [pki.root.cert]


def test_pem_without_certificate_is_refused(pki):
    with pytest.raises(ValueError):
        parsers.load_pem_chain(pki.leaf.key_pem())


@pytest.mark.parametrize("name, rdtype, status, addresses", [
    ("dns-ctl1-AAAA.txt", "AAAA", "ANSWER", [V6("2001:db8:10::11")]),
    ("dns-ctl1-A.txt", "A", "NODATA", []),
    ("dns-stale-A.txt", "A", "ANSWER", [V4("192.0.2.7")]),
    ("dns-stale-AAAA.txt", "AAAA", "ANSWER", [V6("2001:db8:10::11")]),
    ("dns-legacy-AAAA.txt", "AAAA", "NODATA", []),
    ("dns-missing-A.txt", "A", "NXDOMAIN", []),
    ("dns-missing-AAAA.txt", "AAAA", "NXDOMAIN", []),
])
def test_dns_answer(data, name, rdtype, status, addresses):
    answer = parsers.parse_dns_answer(dns.message.from_text(data(name)), rdtype)
    assert (answer.status, answer.addresses, answer.rdtype) == (status, addresses, rdtype)
    assert answer.name.endswith(".lab.example.net")
