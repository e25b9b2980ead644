"""The name checks see IPv4 where a resolver hides it: a stale A record beside a good AAAA (which
`getent ahostsv6` never shows on an IPv6-only client), and a client's own IPv4 hosts line (which
getent shows as a ::ffff: address); and IPv6 answers other than the site's: a stray or a missing AAAA
record, a hosts line with another address, a client that cannot reach the DNS server."""
from pathlib import Path

import pytest
from lab_cli import failed_with, lab_verify
from v6lab import dns
from v6lab.lab import run

SELECTION = 'name_has_aaaa_and_no_a'


@pytest.mark.fault('an A record (192.0.2.5) beside keystone\'s AAAA in the zone', codes=('dns_a_record',),
                   note='repair: the zone the site describes')
def test_name_check_sees_a_stale_a_record_from_every_client(lab):
    """The DNS server is asked for type A directly, so both client passes see the record."""
    endpoint = lab.site['endpoints']['keystone']
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks fail on the clean lab:\n{output}'
    dns.set_extra_records(lab, [f"{endpoint['fqdn']}. A 192.0.2.5"])
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        dns.set_extra_records(lab, [])
    missed = [client for client in (*lab.hosts_with_role('ops'), *lab.hosts_with_role('compute'))
              if not failed_with(failures, client, f'test_{SELECTION}[keystone]', 'dns_a_record', '192.0.2.5')]
    assert not passed and not missed, f'{missed} missed the A record:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'


@pytest.mark.fault('an IPv4 line (192.0.2.7) for cinder\'s name in the compute host\'s /etc/hosts',
                   codes=('ipv4_mapped',), note='repair: the saved /etc/hosts back')
def test_name_check_sees_a_compute_hosts_ipv4_hosts_line(lab):
    """Only the client with the bad line is wrong: the second pass, from the compute host, must catch it."""
    endpoint = lab.site['endpoints']['cinder']
    client = lab.hosts_with_role('compute')[0]
    hosts_file = Path('/etc/netns') / lab.ns(client) / 'hosts'
    original = hosts_file.read_text()
    # Written in place: the file is bind-mounted over /etc/hosts in the host's processes.
    hosts_file.write_text(f"{original}192.0.2.7 {endpoint['fqdn']}\n")
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        hosts_file.write_text(original)
    assert not passed and failed_with(failures, client, f'test_{SELECTION}[cinder]', 'ipv4_mapped',
                                      '::ffff:192.0.2.7'), output
    assert not [p for p in failures if p['client'] != client], f'only {client} is wrong:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'


# An address of the lab's segment that no host has.
STRAY = '2001:db8:10::99'


def clients(lab):
    return [*lab.hosts_with_role('ops'), *lab.hosts_with_role('compute')]


@pytest.mark.fault('a second AAAA record (2001:db8:10::99) beside keystone\'s in the zone',
                   codes=('dns_aaaa_mismatch',), note='repair: the zone the site describes')
def test_name_check_sees_an_aaaa_record_the_site_does_not_give(lab):
    """An address left in the zone (a retired host's) sends some clients away from the edge; every client asks the
    server directly, so every client sees it."""
    endpoint = lab.site['endpoints']['keystone']
    dns.set_extra_records(lab, [f"{endpoint['fqdn']}. AAAA {STRAY}"])
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        dns.set_extra_records(lab, [])
    missed = [client for client in clients(lab)
              if not failed_with(failures, client, f'test_{SELECTION}[keystone]', 'dns_aaaa_mismatch', STRAY)]
    assert not passed and not missed, f'{missed} missed the stray AAAA record:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'


@pytest.mark.fault('keystone\'s AAAA record left out of the zone', codes=('dns_aaaa_missing',),
                   note='repair: the zone the site describes')
def test_name_check_sees_a_name_without_its_aaaa_record(lab):
    """A name the site publishes that the zone lacks: clients cannot find the endpoint at all."""
    fqdn = lab.site['endpoints']['keystone']['fqdn']
    dns.set_extra_records(lab, [], omit=[fqdn])
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        dns.set_extra_records(lab, [])
    missed = [client for client in clients(lab)
              if not failed_with(failures, client, f'test_{SELECTION}[keystone]', 'dns_aaaa_missing', fqdn)]
    assert not passed and not missed, f'{missed} missed the missing AAAA record:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'


@pytest.mark.fault('an IPv6 line with another address (2001:db8:10::99) for cinder\'s name in the compute '
                   'host\'s /etc/hosts', codes=('resolver_mismatch',), note='repair: the saved /etc/hosts back')
def test_name_check_sees_a_compute_hosts_line_with_another_address(lab):
    """The DNS answers are right, but the client's own resolver prefers its hosts file: only the compute pass,
    whose resolver has the line, must catch it."""
    endpoint = lab.site['endpoints']['cinder']
    client = lab.hosts_with_role('compute')[0]
    hosts_file = Path('/etc/netns') / lab.ns(client) / 'hosts'
    original = hosts_file.read_text()
    # Written in place: the file is bind-mounted over /etc/hosts in the host's processes.
    hosts_file.write_text(f"{original}{STRAY} {endpoint['fqdn']}\n")
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        hosts_file.write_text(original)
    assert not passed and failed_with(failures, client, f'test_{SELECTION}[cinder]', 'resolver_mismatch',
                                      STRAY), output
    assert not [p for p in failures if p['client'] != client], f'only {client} is wrong:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'


@pytest.mark.fault('no route from the ops host to the site\'s DNS server (an unreachable route to its address)',
                   codes=('dns_unreachable',), note='repair: the route deleted')
def test_name_check_sees_a_client_without_a_route_to_the_dns_server(lab):
    """A client that cannot ask the site's DNS server proves nothing about the names: that is a failure of its own,
    named, and only from that client (the compute pass still reaches the server)."""
    client = lab.hosts_with_role('ops')[0]
    fqdn = lab.site['endpoints']['keystone']['fqdn']
    route = ['unreachable', f"{lab.address(lab.site['dns']['server'])}/128"]
    run(['ip', '-n', lab.ns(client), '-6', 'route', 'add', *route])
    try:
        passed, output, failures = lab_verify(lab.state_dir, SELECTION)
    finally:
        run(['ip', '-n', lab.ns(client), '-6', 'route', 'del', *route])
    assert not passed and failed_with(failures, client, f'test_{SELECTION}[keystone]', 'dns_unreachable',
                                      f'{fqdn} AAAA query gave unreachable'), output
    assert not [p for p in failures if p['client'] != client], f'only {client} is cut off:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, SELECTION)
    assert passed, f'the name checks still fail after the repair:\n{output}'
