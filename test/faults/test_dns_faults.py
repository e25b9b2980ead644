"""The name checks see IPv4 where a resolver hides it: a stale A record beside a good AAAA (which
`getent ahostsv6` never shows on an IPv6-only client), and a client's own IPv4 hosts line (which
getent shows as a ::ffff: address)."""
from pathlib import Path

import pytest
from lab_cli import failed_with, lab_verify
from v6lab import dns

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
