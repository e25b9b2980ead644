"""Name checks on recorded DNS answers and getent outputs."""
import ipaddress

import dns.message

from edge_verify.checks import dns as dns_checks
from edge_verify.facts import parsers

V6 = ipaddress.IPv6Address
CTL1 = [V6("2001:db8:10::11")]


def found(problems):
    return [(p.code, p.found) for p in problems]


def answer(data, name, rdtype):
    return parsers.parse_dns_answer(dns.message.from_text(data(name)), rdtype)


def name_problems(lab, fqdn, aaaa, a, expected=CTL1):
    return dns_checks.name_problems(lab, "ops1", "hosts.ctl1", fqdn, expected, aaaa=aaaa, a=a)


def test_aaaa_only_name_passes(lab, data):
    assert name_problems(lab, "ctl1.lab.example.net", answer(data, "dns-ctl1-AAAA.txt", "AAAA"),
                         answer(data, "dns-ctl1-A.txt", "A")) == []


def test_stale_a_record_beside_good_aaaa_fails(lab, data):
    [problem] = name_problems(lab, "stale.lab.example.net", answer(data, "dns-stale-AAAA.txt", "AAAA"),
                              answer(data, "dns-stale-A.txt", "A"))
    assert (problem.code, problem.found) == ("dns_a_record", "stale.lab.example.net has A 192.0.2.7")
    assert problem.expects == "AAAA 2001:db8:10::11 and no A record for stale.lab.example.net"
    assert problem.fix == ("remove the A record from the zone lab.example.net on dns1 "
                           "(it publishes hosts.ctl1 of site/lab.yml)")


def test_ipv4_only_and_missing_names_fail(lab, data):
    assert found(name_problems(lab, "legacy.lab.example.net", answer(data, "dns-legacy-AAAA.txt", "AAAA"),
                               answer(data, "dns-ctl1-A.txt", "A"))) == [
        ("dns_aaaa_missing", "legacy.lab.example.net AAAA query gave NODATA")]
    assert found(name_problems(lab, "missing.lab.example.net", answer(data, "dns-missing-AAAA.txt", "AAAA"),
                               answer(data, "dns-missing-A.txt", "A"))) == [
        ("dns_aaaa_missing", "missing.lab.example.net AAAA query gave NXDOMAIN")]


def test_wrong_aaaa_fails(lab, data):
    assert found(name_problems(lab, "ctl1.lab.example.net", answer(data, "dns-ctl1-AAAA.txt", "AAAA"),
                               answer(data, "dns-ctl1-A.txt", "A"), expected=[V6("2001:db8:10::12")])) == [
        ("dns_aaaa_mismatch", "ctl1.lab.example.net has AAAA 2001:db8:10::11")]


def test_failed_or_unanswered_query_is_not_absence(lab, data):
    aaaa = answer(data, "dns-ctl1-AAAA.txt", "AAAA")
    servfail = parsers.DnsAnswer("ctl1.lab.example.net", "A", "SERVFAIL", [])
    silent = parsers.DnsAnswer("ctl1.lab.example.net", "AAAA", "no answer in 3 s", [])
    assert found(name_problems(lab, "ctl1.lab.example.net", aaaa, servfail)) == [
        ("dns_unreachable", "ctl1.lab.example.net A query gave SERVFAIL")]
    assert [p.code for p in name_problems(lab, "ctl1.lab.example.net", silent, servfail)] == [
        "dns_unreachable", "dns_unreachable"]


def getent_problems(lab, data, v6, v4):
    return dns_checks.getent_problems(lab, "ops1", "hosts.ctl1", "ctl1.lab.example.net", CTL1,
                                      v6=parsers.parse_getent(data(v6)), v4=parsers.parse_getent(data(v4)))


def test_resolver_gives_site_addresses(lab, data):
    assert getent_problems(lab, data, "getent-ahostsv6-ctl1.txt", "getent-ahostsv4-ctl1.txt") == []


def test_resolver_mapped_and_ipv4_answers_fail(lab, data):
    problems = getent_problems(lab, data, "getent-ahostsv6-legacy.txt", "getent-ahostsv4-legacy-with-ipv4.txt")
    assert found(problems) == [("ipv4_mapped", "getent ahostsv6 ctl1.lab.example.net gives ::ffff:192.0.2.5"),
                               ("ipv4", "getent ahostsv4 ctl1.lab.example.net gives 192.0.2.5 (IPv4)")]
    assert problems[0].host == "ops1" and problems[0].fix == "ops1's /etc/hosts and resolver configuration"


def test_resolver_without_answer_fails(lab, data):
    assert found(getent_problems(lab, data, "getent-ahostsv4-ctl1.txt", "getent-ahostsv4-ctl1.txt")) == [
        ("resolver_mismatch", "getent ahostsv6 ctl1.lab.example.net gives nothing")]


def self_answers(fqdn_ahosts, short_ahosts, fqdn_v6=None, short_v6=None):
    def parse(values):
        return [ipaddress.ip_address(v) for v in values]
    return {("ahosts", "ctl1.lab.example.net"): parse(fqdn_ahosts), ("ahosts", "ctl1"): parse(short_ahosts),
            ("ahostsv6", "ctl1.lab.example.net"): parse(fqdn_v6 if fqdn_v6 is not None else fqdn_ahosts),
            ("ahostsv6", "ctl1"): parse(short_v6 if short_v6 is not None else short_ahosts)}


def test_host_resolving_its_names_to_its_site_addresses_passes(lab):
    assert dns_checks.self_names(lab, "ctl1") == ["ctl1.lab.example.net", "ctl1"]
    assert dns_checks.self_resolution_problems(lab, "ctl1", self_answers(["2001:db8:10::11"],
                                                                         ["2001:db8:10::11"])) == []


def test_a_127_0_1_1_hosts_line_is_reported_for_both_names(lab):
    """Debian's installer writes `127.0.1.1 host.domain host`: gethostbyname gives IPv4 for the host."""
    answers = self_answers(["127.0.1.1", "2001:db8:10::11"], ["127.0.1.1"],
                           ["::ffff:127.0.1.1", "2001:db8:10::11"], ["::ffff:127.0.1.1"])
    assert found(dns_checks.self_resolution_problems(lab, "ctl1", answers)) == [
        ("ipv4", "ctl1.lab.example.net resolves to 127.0.1.1 (IPv4)"),
        ("ipv4_mapped", "ctl1.lab.example.net resolves to ::ffff:127.0.1.1"),
        ("ipv4", "ctl1 resolves to 127.0.1.1 (IPv4)"),
        ("ipv4_mapped", "ctl1 resolves to ::ffff:127.0.1.1"),
        ("resolver_mismatch", "ctl1 resolves to IPv6 nothing"),
    ]


def test_short_name_resolving_elsewhere_is_reported(lab):
    answers = self_answers(["2001:db8:10::11"], ["2001:db8:10::99"])
    assert found(dns_checks.self_resolution_problems(lab, "ctl1", answers)) == [
        ("resolver_mismatch", "ctl1 resolves to IPv6 2001:db8:10::99")]
