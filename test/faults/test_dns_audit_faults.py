"""The whole-zone DNS audit sees what no per-name check can: from the ops host (one AXFR per zone) an A record
on a site name and a name the site does not know; from the compute host, which Knot refuses a transfer, it
falls back to per-name queries and still sees the A record."""
import json

import pytest
from lab_cli import SEEN, lab_command
from v6lab import dns


def audit(lab, host=None):
    """`lab dns-audit [--host HOST]`: (exit status, output, the audit's JSON report)."""
    client = host or lab.hosts_with_role('ops')[0]
    result = lab_command(lab.state_dir, 'dns-audit', *(['--host', host] if host else []))
    output = result.stdout + result.stderr
    report = lab.state_dir / f'dns-audit-{client}.json'
    assert report.exists(), f'the audit from {client} wrote no report:\n{output}'
    return result.returncode, output, json.loads(report.read_text())


def findings(report):
    """{(code, name)}: the name is the first word of what was found. The codes go to SEEN, which the fault
    marker is held to."""
    found = {(problem['code'], problem['found'].split()[0]) for problem in report['problems']}
    SEEN.update(code for code, _ in found)
    return found


@pytest.mark.fault('an A record (192.0.2.5) for keystone\'s name and a name the site does not know (legacy) in the '
                   'zone', codes=('dns_a_record', 'dns_unknown_name'))
def test_dns_audit_sees_an_a_record_and_a_name_the_site_does_not_know(lab):
    name = lab.site['endpoints']['keystone']['fqdn']
    unknown = f"legacy.{lab.site['dns']['zone']}"
    compute = lab.hosts_with_role('compute')[0]
    status, output, report = audit(lab)
    assert status == 0 and report['path'] == 'axfr' and report['problems'] == [], f'the clean lab fails:\n{output}'
    assert [zone['path'] for zone in report['zones']] == ['axfr', 'axfr'], f'no reverse zone transferred:\n{output}'
    dns.set_extra_records(lab, [f'{name}. A 192.0.2.5', f'{unknown}. A 192.0.2.6'])
    try:
        status, output, report = audit(lab)
        compute_status, compute_output, per_name = audit(lab, compute)
    finally:
        dns.set_extra_records(lab, [])
    assert status == 1 and report['path'] == 'axfr', output
    assert findings(report) == {('dns_a_record', name), ('dns_unknown_name', unknown)}, output
    assert {p['level'] for p in report['problems'] if p['code'] == 'dns_unknown_name'} == {'warning'}, output
    assert compute_status == 1 and per_name['path'] == 'per-name', compute_output
    assert all(zone['why'].startswith('AXFR refused') for zone in per_name['zones']), compute_output
    assert findings(per_name) == {('dns_a_record', name)}, compute_output
    status, output, report = audit(lab)
    assert status == 0 and report['problems'] == [], f'the audit still fails after the repair:\n{output}'


@pytest.mark.fault('the PTR of the controller\'s address pointing at the compute host\'s name',
                   codes=('dns_ptr_mismatch',))
def test_dns_audit_sees_a_ptr_to_another_name(lab):
    controller, compute = lab.hosts_with_role('controller')[0], lab.hosts_with_role('compute')[0]
    address = lab.hosts[controller]['addresses'][0]
    dns.set_reverse_ptr(lab, {address: lab.hosts[compute]['fqdn']})
    try:
        status, output, report = audit(lab)
    finally:
        dns.set_reverse_ptr(lab, {})
    assert status == 1, output
    assert {code for code, _ in findings(report)} == {'dns_ptr_mismatch'}, output
    status, output, report = audit(lab)
    assert status == 0 and report['problems'] == [], f'the audit still fails after the repair:\n{output}'
