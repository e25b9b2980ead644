"""Host checks on recorded facts: silent on good ones, every offender with its code on bad ones."""
import ipaddress

from edge_verify.checks import host
from edge_verify.facts import parsers
from edge_verify.policy import AllowedListener, Policy, from_mapping

V6 = ipaddress.IPv6Address
FORBID = Policy(ipv4_loopback="forbid")


def found(problems):
    return [(p.code, p.found) for p in problems]


def test_good_host_has_no_ipv4_address(lab, data):
    assert host.ipv4_address_problems(lab, "ctl1", parsers.parse_ip_addr(data("ipaddr-good.txt"))) == []


def test_ipv4_loopback_is_allowed_by_default_and_refused_by_forbid(lab, data):
    """A plain Debian host has 127.0.0.1 on lo: the default policy passes it, `forbid` reports it."""
    addresses = parsers.parse_ip_addr(data("ipaddr-bad.txt"))
    assert found(host.ipv4_address_problems(lab, "ctl1", addresses)) == [("ipv4", "10.0.0.5/24 on eth0 (IPv4)")]
    assert found(host.ipv4_address_problems(lab, "ctl1", addresses, FORBID)) == [
        ("ipv4", "127.0.0.1/8 on lo (IPv4)"), ("ipv4", "10.0.0.5/24 on eth0 (IPv4)")]


def test_an_ipv4_address_is_the_hosts_fault_not_the_sites(lab, data):
    [problem] = host.ipv4_address_problems(lab, "ctl1", parsers.parse_ip_addr(data("ipaddr-bad.txt")))
    assert problem.host == "ctl1" and problem.source == "ip -o addr on ctl1"
    assert problem.fix.startswith("the host: `ip address del 10.0.0.5/24 dev eth0`")
    assert "hosts.ctl1" not in problem.fix
    assert problem.expects == "only IPv6 (2001:db8:10::11), and 127.0.0.0/8 on lo"


def test_good_host_has_no_ipv4_listener(lab, data):
    listeners = parsers.parse_ss(data("ss-good-p.txt"))
    assert host.ipv4_listener_problems(lab, "ctl1", listeners, FORBID) == []
    assert host.listener_problems(lab, "ctl1", listeners, FORBID) == []


def test_every_listener_ipv4_can_reach_is_reported(lab, data):
    listeners = parsers.parse_ss(data("ss-bad-p.txt"))
    assert found(host.ipv4_listener_problems(lab, "ctl1", listeners, FORBID)) == [
        ("ipv4", "python3 (udp) on 0.0.0.0:53 (IPv4)"),
        ("ipv4", "python3 on 127.0.0.1:11211 (IPv4)"),
        ("ipv4", "python3 on 0.0.0.0:4369 (IPv4)"),
        ("ipv4_mapped", "python3 on [::ffff:127.0.0.1]:8080 (IPv4-mapped)"),
        ("dual_stack", "python3 on *:5672 (dual-stack, takes IPv4)"),
    ]
    # The default policy allows loopback IPv4 (127.0.0.1, ::ffff:127.0.0.1): only IPv4 from outside stays.
    assert [code for code, _ in found(host.ipv4_listener_problems(lab, "ctl1", listeners))] == [
        "ipv4", "ipv4", "dual_stack"]


def test_every_listener_off_the_site_addresses_is_reported(lab, data):
    problems = found(host.listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-bad.txt")), FORBID))
    assert len(problems) == 7
    assert ("not_site_address", "tcp socket on [::]:25672 (any address)") in problems
    assert ("not_site_address", "tcp socket on [fe80::1]%eth0:22 (not a site address)") in problems
    assert ("ipv4", "udp socket on 0.0.0.0:53 (IPv4)") in problems


def test_listener_on_another_hosts_address_is_reported(lab, data):
    problems = host.listener_problems(lab, "cmp1", parsers.parse_ss(data("ss-good.txt")))
    assert len(problems) == 3
    assert (problems[0].code, problems[0].found, problems[0].expects) == (
        "not_site_address", "udp socket on [2001:db8:10::11]:53 (not a site address)",
        "listeners only on 2001:db8:10::21, ::1, v6only")


def test_site_address_without_v6only_is_reported(lab):
    listener = parsers.Listener("tcp", V6("2001:db8:10::11"), 443, False, "", "[2001:db8:10::11]:443")
    assert found(host.listener_problems(lab, "ctl1", [listener])) == [
        ("not_v6only", "tcp socket on [2001:db8:10::11]:443 (not v6only)")]
    assert host.ipv4_listener_problems(lab, "ctl1", [listener]) == []


def test_allowed_listener_is_not_reported_on_its_host_only(lab):
    """policy.allowed_listeners: sshd on a jump host, with a reason; the same socket elsewhere is reported."""
    sshd = parsers.parse_ss('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3)) ino:1 sk:1 <->')
    policy = from_mapping({"allowed_listeners": [{"host": "ops1", "port": 22, "process": "sshd",
                                                  "reason": "jump host for the operators"}]})
    assert host.ipv4_listener_problems(lab, "ops1", sshd, policy) == []
    assert found(host.ipv4_listener_problems(lab, "ctl1", sshd, policy)) == [("ipv4", "sshd on 0.0.0.0:22 (IPv4)")]


def test_allowed_listener_with_an_address_covers_that_address_only(lab):
    listeners = parsers.parse_ss('tcp LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=3)) v6only:1 <->\n'
                                 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=4)) <->')
    policy = Policy(allowed_listeners=(AllowedListener("ops1", 22, "sshd", "jump host", V6("::")),))
    assert found(host.listener_problems(lab, "ops1", listeners, policy)) == [("ipv4", "sshd on 0.0.0.0:22 (IPv4)")]
