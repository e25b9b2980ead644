"""Every lab host is IPv6-only: no IPv4 address and no IPv4 listener. The verifier's host checks see each
way a host breaks it (an IPv4 address, IPv4, dual-stack and non-v6only sockets), and refuse a host the site
does not describe."""
import subprocess

import pytest
import yaml
from lab_cli import failed_with, lab_verify
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


@pytest.mark.fault('an IPv4 address on lo and a 0.0.0.0 socket in the ops host',
                   note='proves the lab\'s own IPv4 check (ip -4 addr, ss -4, as test_no_ipv4_in_lab_host runs it), '
                   'not the verifier; both are removed and the check is clean again')
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


# Sockets left in the ops host by the test below: port -> (family, address, v6only).
STRAY_LISTENERS = {7997: ('AF_INET', '0.0.0.0', None), 7998: ('AF_INET6', '::', 0), 7999: ('AF_INET6', '::', 1)}
LISTEN_ALL = '''
import signal, socket
held = []
for port, (family, address, v6only) in {stray!r}.items():
    s = socket.socket(getattr(socket, family))
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((address, port))
    s.listen()
    held.append(s)
signal.pause()
'''


@pytest.mark.fault('in the ops host: an IPv4 address on lo, a 0.0.0.0 socket, a dual-stack `*:P` socket and a '
                   'v6only `[::]:P` socket', codes=('ipv4', 'dual_stack', 'not_site_address'),
                   note='repair: the address deleted, the sockets closed')
def test_verifier_host_checks_see_ipv4_and_only_ipv4(lab):
    """The integration suite's host checks fail on an IPv4 address, a 0.0.0.0 socket and a dual-stack
    `*:P` socket; a v6only `[::]:P` socket takes no IPv4 (testinfra's is_listening would call it
    0.0.0.0), so only the site-address check may report it."""
    host = lab.hosts_with_role('ops')[0]
    selection = 'no_ipv4_address_on_host or no_ipv4_listener_on_host or listeners_are_v6only'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the host checks fail on the clean lab:\n{output}'
    run(['ip', '-n', lab.ns(host), 'address', 'add', '192.0.2.99/32', 'dev', 'lo'])
    listener = subprocess.Popen(lab.argv_in(host, ['/usr/bin/python3', '-c',
                                                   LISTEN_ALL.format(stray=STRAY_LISTENERS)]))
    try:
        wait_until('the stray listeners to show',
                   lambda: lab.run_in(host, ['ss', '-Hltn', 'sport >= :7997 and sport <= :7999']).count('\n') == 3)
        passed, output, failures = lab_verify(lab.state_dir, selection)
    finally:
        listener.kill()
        listener.wait()
        run(['ip', '-n', lab.ns(host), 'address', 'del', '192.0.2.99/32', 'dev', 'lo'])
    expected = [('test_no_ipv4_address_on_host', 'ipv4', '192.0.2.99/32 on lo'),
                ('test_no_ipv4_listener_on_host', 'ipv4', '0.0.0.0:7997'),
                ('test_no_ipv4_listener_on_host', 'dual_stack', '*:7998'),
                ('test_listeners_are_v6only_on_site_addresses', 'not_site_address', '[::]:7999')]
    missed = [item for item in expected if not failed_with(failures, host, *item)]
    assert not passed and not missed, f'the host checks missed {missed}:\n{output}'
    wrongly = [p for p in failures if p['test'].startswith('test_no_ipv4_listener_on_host') and ':7999' in p['found']]
    assert not wrongly, f'a v6only [::] socket was reported as reachable over IPv4: {wrongly}'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the host checks still fail after the repair:\n{output}'


@pytest.mark.fault('127.0.0.1/8 on the ops host\'s lo, where the site forbids IPv4 loopback', codes=('ipv4',),
                   note='the default policy passes it; repair: the address deleted')
def test_ipv4_loopback_passes_by_default_and_fails_where_the_site_forbids_it(lab):
    """127.0.0.1 on lo is on every ordinary host: the default policy (allow) passes it, and the lab's
    site, which sets policy.ipv4_loopback: forbid, fails it with code ipv4."""
    host = lab.hosts_with_role('ops')[0]
    selection = 'no_ipv4_address_on_host'
    assert lab.site['policy']['ipv4_loopback'] == 'forbid', 'the lab site must forbid IPv4 loopback'
    default_site = lab.path('faults', 'site-default-policy.yml')
    default_site.write_text(yaml.safe_dump({**lab.site, 'policy': {
        key: value for key, value in lab.site['policy'].items() if key != 'ipv4_loopback'}}, sort_keys=False))
    run(['ip', '-n', lab.ns(host), 'address', 'add', '127.0.0.1/8', 'dev', 'lo'])
    try:
        forbidden, output, problems = lab_verify(lab.state_dir, selection)
        allowed, default_output, _ = lab_verify(lab.state_dir, selection, f'--site={default_site}')
    finally:
        run(['ip', '-n', lab.ns(host), 'address', 'del', '127.0.0.1/8', 'dev', 'lo'])
    assert not forbidden and failed_with(problems, host, 'test_no_ipv4_address_on_host', 'ipv4',
                                         '127.0.0.1/8 on lo'), output
    assert {p['host'] for p in problems} == {host}, output
    assert allowed, f'the default policy fails a host with 127.0.0.1 on lo:\n{default_output}'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the address check still fails after the repair:\n{output}'


# One socket on a specific IPv6 address (argv: address, port) with IPV6_V6ONLY off, held until killed.
LISTEN_NOT_V6ONLY = '''
import signal, socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
signal.pause()
'''


def test_a_site_address_socket_is_v6only_whatever_the_program_asks(lab):
    """Linux makes a socket bound to a specific, non-mapped IPv6 address IPv6-only even with IPV6_V6ONLY turned
    off (inet6_bind): no IPv4 client can reach it, ss shows v6only:1 and the listener checks rightly pass. So the
    not_v6only fault cannot be injected on a site address (docs/fault-catalogue.md, not injectable)."""
    host = lab.hosts_with_role('ops')[0]
    address, port = lab.address(host), 7996
    selection = 'no_ipv4_listener_on_host or listeners_are_v6only'
    listener = subprocess.Popen(lab.argv_in(host, ['/usr/bin/python3', '-c', LISTEN_NOT_V6ONLY, address, str(port)]))
    try:
        wait_until(f'the socket on [{address}]:{port}',
                   lambda: f'[{address}]:{port}' in lab.run_in(host, ['ss', '-Hltn', f'sport = :{port}']))
        shown = lab.run_in(host, ['ss', '-Hltne', f'sport = :{port}'])
        passed, output, failures = lab_verify(lab.state_dir, selection)
    finally:
        listener.kill()
        listener.wait()
    assert 'v6only:1' in shown, f'the kernel left the socket dual-stack: {shown}'
    assert passed and not failures, f'a v6only socket on a site address was reported:\n{output}\n{failures}'


@pytest.mark.fault('the verifier run against every lab host with a site that leaves the compute host out',
                   codes=('not_a_site_host',), note='repair: the lab\'s site, which describes it')
def test_verifier_names_a_host_the_site_does_not_describe(lab):
    """A --hosts entry the site does not describe has nothing to be checked against: it must fail, naming the host,
    before any check runs on it (and the site's own hosts are checked as usual)."""
    host = lab.hosts_with_role('compute')[0]
    selection = 'no_ipv4_address_on_host'
    narrowed = lab.path('faults', f'site-without-{host}.yml')
    narrowed.write_text(yaml.safe_dump({**lab.site, 'hosts': {
        name: entry for name, entry in lab.site['hosts'].items() if name != host}}, sort_keys=False))
    passed, output, problems = lab_verify(lab.state_dir, selection, f'--site={narrowed}')
    ops = lab.hosts_with_role('ops')[0]
    assert not passed and failed_with(problems, ops, 'test_no_ipv4_address_on_host', 'not_a_site_host',
                                      lab.address(host)), output
    others = [p for p in problems if lab.address(host) not in p['test']]
    assert not others, f'the hosts the site describes failed too: {others}'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the address check fails with the lab\'s site:\n{output}'
