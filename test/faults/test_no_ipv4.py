"""Every lab host is IPv6-only: no IPv4 address and no IPv4 listener."""
import subprocess

import pytest
import yaml

from v6lab.lab import PROJECT, run, wait_until

SITE_HOSTS = list(yaml.safe_load((PROJECT / 'site' / 'lab.yml').read_text())['hosts'])
LISTEN_ON_IPV4 = ('import socket; s = socket.socket(); s.bind(("0.0.0.0", 7999)); s.listen(); '
                  's.accept()')


def ipv4_problems(lab, host):
    """One problem per command that shows IPv4 in host: `ip -4 addr` and `ss -4 -Hltnu` must print nothing."""
    problems = []
    for argv in (['ip', '-4', 'addr'], ['ss', '-4', '-Hltnu']):
        output = lab.run_in(host, argv).strip()
        if output:
            problems.append(f"{host}: `{' '.join(argv)}` prints {output!r}; the lab is IPv6-only")
    return problems


@pytest.mark.parametrize('host', SITE_HOSTS)
def test_no_ipv4_in_lab_host(lab, host):
    """An IPv4 address or listener would let IPv4 traffic work and hide IPv6 faults."""
    assert ipv4_problems(lab, host) == []


def test_ipv4_check_sees_an_address_and_a_listener(lab):
    """The check above must see IPv4 when it is there (binding 0.0.0.0 works even with no IPv4 address)."""
    host = lab.hosts_with_role('ops')[0]
    run(['ip', '-n', lab.ns(host), 'address', 'add', '192.0.2.99/32', 'dev', 'lo'])
    listener = subprocess.Popen(lab.argv_in(host, ['/usr/bin/python3', '-c', LISTEN_ON_IPV4]))
    try:
        wait_until('the IPv4 listener to show', lambda: len(ipv4_problems(lab, host)) == 2, timeout=10)
        problems = ipv4_problems(lab, host)
    finally:
        listener.kill()
        listener.wait()
        run(['ip', '-n', lab.ns(host), 'address', 'del', '192.0.2.99/32', 'dev', 'lo'])
    assert '192.0.2.99' in problems[0] and '0.0.0.0:7999' in problems[1], problems
    assert ipv4_problems(lab, host) == []
