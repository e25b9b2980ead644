"""Each check on recorded good and bad facts: silent on good ones, naming every offender on bad ones."""
import datetime
import ipaddress

import dns.message
import pytest

from pkitools import NOW, issue
from edge_verify import checks, parsers

V6 = ipaddress.IPv6Address
FIX = "site allows 2001:db8:10::11, ::1; fix hosts.ctl1 in site/lab.yml"


def test_good_host_has_no_ipv4_address(lab, data):
    assert checks.ipv4_address_problems(lab, "ctl1", parsers.parse_ip_addr(data("ipaddr-good.txt"))) == []


def test_every_ipv4_address_is_reported(lab, data):
    problems = checks.ipv4_address_problems(lab, "ctl1", parsers.parse_ip_addr(data("ipaddr-bad.txt")))
    expects = "site expects only IPv6, 2001:db8:10::11; fix hosts.ctl1 in site/lab.yml"
    assert problems == [f"ctl1: 127.0.0.1/8 on lo (IPv4); {expects}",
                        f"ctl1: 10.0.0.5/24 on eth0 (IPv4); {expects}"]


def test_good_host_has_no_ipv4_listener(lab, data):
    listeners = parsers.parse_ss(data("ss-good-p.txt"))
    assert checks.ipv4_listener_problems(lab, "ctl1", listeners) == []
    assert checks.listener_problems(lab, "ctl1", listeners) == []


def test_every_listener_ipv4_can_reach_is_reported(lab, data):
    problems = checks.ipv4_listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-bad-p.txt")))
    assert problems == [
        f"ctl1: python3 (udp) on 0.0.0.0:53 (IPv4); {FIX}",
        f"ctl1: python3 on 127.0.0.1:11211 (IPv4); {FIX}",
        f"ctl1: python3 on 0.0.0.0:4369 (IPv4); {FIX}",
        f"ctl1: python3 on [::ffff:127.0.0.1]:8080 (IPv4-mapped); {FIX}",
        f"ctl1: python3 on *:5672 (dual-stack, takes IPv4); {FIX}",
    ]


def test_every_listener_off_the_site_addresses_is_reported(lab, data):
    problems = checks.listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-bad.txt")))
    assert len(problems) == 7
    assert f"ctl1: tcp socket on [::]:25672 (any address); {FIX}" in problems
    assert f"ctl1: tcp socket on [fe80::1]%eth0:22 (not a site address); {FIX}" in problems
    assert f"ctl1: udp socket on 0.0.0.0:53 (IPv4); {FIX}" in problems


def test_listener_on_another_hosts_address_is_reported(lab, data):
    problems = checks.listener_problems(lab, "cmp1", parsers.parse_ss(data("ss-good.txt")))
    assert len(problems) == 3
    assert problems[0] == ("cmp1: udp socket on [2001:db8:10::11]:53 (not a site address); "
                           "site allows 2001:db8:10::21, ::1; fix hosts.cmp1 in site/lab.yml")


def test_site_address_without_v6only_is_reported(lab):
    listener = parsers.Listener("tcp", V6("2001:db8:10::11"), 443, False, "", "[2001:db8:10::11]:443")
    assert checks.listener_problems(lab, "ctl1", [listener]) == [
        f"ctl1: tcp socket on [2001:db8:10::11]:443 (not v6only); {FIX}"]
    assert checks.ipv4_listener_problems(lab, "ctl1", [listener]) == []


def answer(data, name, rdtype):
    return parsers.parse_dns_answer(dns.message.from_text(data(name)), rdtype)


CTL1 = [V6("2001:db8:10::11")]
WANT = "site expects AAAA 2001:db8:10::11 and no A record; fix hosts.ctl1 in site/lab.yml"


def name_problems(lab, fqdn, aaaa, a, expected=CTL1):
    return checks.name_problems(lab, "ops1", "hosts.ctl1", fqdn, expected, aaaa=aaaa, a=a)


def test_aaaa_only_name_passes(lab, data):
    assert name_problems(lab, "ctl1.lab.example.net", answer(data, "dns-ctl1-AAAA.txt", "AAAA"),
                         answer(data, "dns-ctl1-A.txt", "A")) == []


def test_stale_a_record_beside_good_aaaa_fails(lab, data):
    assert name_problems(lab, "stale.lab.example.net", answer(data, "dns-stale-AAAA.txt", "AAAA"),
                         answer(data, "dns-stale-A.txt", "A")) == [
        f"ops1: stale.lab.example.net has A 192.0.2.7; {WANT}"]


def test_ipv4_only_name_fails(lab, data):
    assert name_problems(lab, "legacy.lab.example.net", answer(data, "dns-legacy-AAAA.txt", "AAAA"),
                         answer(data, "dns-ctl1-A.txt", "A")) == [
        f"ops1: legacy.lab.example.net AAAA query gave NODATA; {WANT}"]


def test_missing_name_fails_on_aaaa_only(lab, data):
    assert name_problems(lab, "missing.lab.example.net", answer(data, "dns-missing-AAAA.txt", "AAAA"),
                         answer(data, "dns-missing-A.txt", "A")) == [
        f"ops1: missing.lab.example.net AAAA query gave NXDOMAIN; {WANT}"]


def test_wrong_aaaa_fails(lab, data):
    problems = name_problems(lab, "ctl1.lab.example.net", answer(data, "dns-ctl1-AAAA.txt", "AAAA"),
                             answer(data, "dns-ctl1-A.txt", "A"), expected=[V6("2001:db8:10::12")])
    assert problems == ["ops1: ctl1.lab.example.net has AAAA 2001:db8:10::11; site expects AAAA "
                        "2001:db8:10::12 and no A record; fix hosts.ctl1 in site/lab.yml"]


def test_failed_a_query_is_not_absence(lab, data):
    servfail = parsers.DnsAnswer("ctl1.lab.example.net", "A", "SERVFAIL", [])
    aaaa = answer(data, "dns-ctl1-AAAA.txt", "AAAA")
    assert name_problems(lab, "ctl1.lab.example.net", aaaa, servfail) == [
        f"ops1: ctl1.lab.example.net A query gave SERVFAIL; {WANT}"]


def getent_problems(lab, data, v6, v4):
    return checks.getent_problems(lab, "ops1", "hosts.ctl1", "ctl1.lab.example.net", CTL1,
                                  v6=parsers.parse_getent(data(v6)), v4=parsers.parse_getent(data(v4)))


def test_resolver_gives_site_addresses(lab, data):
    assert getent_problems(lab, data, "getent-ahostsv6-ctl1.txt", "getent-ahostsv4-ctl1.txt") == []


def test_resolver_mapped_and_ipv4_answers_fail(lab, data):
    problems = getent_problems(lab, data, "getent-ahostsv6-legacy.txt",
                               "getent-ahostsv4-legacy-with-ipv4.txt")
    expects = "site expects 2001:db8:10::11 only; fix hosts.ctl1 in site/lab.yml"
    assert problems == [f"ops1: getent ahostsv6 ctl1.lab.example.net gives ::ffff:192.0.2.5; {expects}",
                        f"ops1: getent ahostsv4 ctl1.lab.example.net gives 192.0.2.5 (IPv4); {expects}"]


def test_resolver_without_answer_fails(lab, data):
    problems = getent_problems(lab, data, "getent-ahostsv4-ctl1.txt", "getent-ahostsv4-ctl1.txt")
    assert problems == ["ops1: getent ahostsv6 ctl1.lab.example.net gives nothing; "
                        "site expects 2001:db8:10::11 only; fix hosts.ctl1 in site/lab.yml"]


def cert_problems(lab, chain, bundle, endpoint="keystone", now=NOW):
    return checks.certificate_problems(lab, "ctl1", lab.endpoints[endpoint], chain, bundle, now=now)


def test_good_chain_passes(lab, pki):
    assert cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert]) == []
    assert cert_problems(lab, [pki.leaf.cert], [pki.root.cert, pki.intermediate.cert]) == []


def test_aware_now_is_accepted(lab, pki):
    now = NOW.replace(tzinfo=datetime.timezone.utc)
    assert cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert], now=now) == []


def test_message_shape(lab, pki):
    [problem] = cert_problems(lab, [pki.leaf.cert], [pki.root.cert])
    assert problem == ("ctl1: keystone on port 5000: chain stops at CN=keystone.lab.example.net: its issuer "
                       "CN=Lab Intermediate CA is neither presented nor in the CA bundle; "
                       "site expects a chain to /var/lib/v6lab/pki/ca.pem for keystone.lab.example.net, "
                       "valid beyond 30 days; "
                       "fix endpoints.keystone.cert in site/lab.yml")


def test_self_signed_leaf_fails(lab):
    leaf = issue("keystone.lab.example.net", sans=["keystone.lab.example.net"])
    problems = cert_problems(lab, [leaf.cert], [])
    assert "leaf CN=keystone.lab.example.net is self-signed" in problems[0]
    assert "chain stops at CN=keystone.lab.example.net" in problems[1]
    assert len(problems) == 2


def test_chain_to_another_ca_fails(lab, pki):
    other = issue("Other Root CA", ca=True)
    problems = cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [other.cert])
    assert len(problems) == 1
    assert "issuer CN=Lab Root CA is neither presented nor in the CA bundle" in problems[0]


def test_forged_issuer_name_fails(lab, pki):
    impostor = issue("Lab Intermediate CA", pki.root, ca=True)  # same name, different key
    problems = cert_problems(lab, [pki.leaf.cert, impostor.cert], [pki.root.cert])
    assert len(problems) == 1 and "chain stops at CN=keystone.lab.example.net" in problems[0]


def test_san_must_cover_the_endpoint_name(lab, pki):
    problems = cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert], endpoint="glance")
    assert len(problems) == 1
    assert "leaf subjectAltName keystone.lab.example.net does not cover glance.lab.example.net" in problems[0]


def test_certificate_without_san_fails(lab, pki):
    leaf = issue("keystone.lab.example.net", pki.intermediate)
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert len(problems) == 1 and "subjectAltName (none) does not cover" in problems[0]


@pytest.mark.parametrize("san, covered", [("*.lab.example.net", True), ("*.example.net", False),
                                          ("KEYSTONE.lab.example.net", True)])
def test_wildcard_covers_one_label(lab, pki, san, covered):
    leaf = issue("x", pki.intermediate, sans=[san])
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert (problems == []) is covered


@pytest.mark.parametrize("not_before, not_after, found", [
    (-400, -1, "expired on 2026-11-24"),
    (1, 400, "is not valid before 2026-11-26"),
    (-1, 29, "expires on 2026-12-24, inside the 30-day window"),
])
def test_validity_dates(lab, pki, not_before, not_after, found):
    days = datetime.timedelta(days=1)
    leaf = issue("k", pki.intermediate, sans=["keystone.lab.example.net"],
                 not_before=NOW + not_before * days, not_after=NOW + not_after * days)
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert len(problems) == 1 and f"CN=k {found}" in problems[0]


def test_no_certificate_fails(lab):
    assert cert_problems(lab, [], [])[0].startswith("ctl1: keystone on port 5000: presents no certificate;")
