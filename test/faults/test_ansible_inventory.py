"""The verifier through an Ansible inventory, as an estate moving from Ansible runs it: `lab verify-ansible`
writes the lab's hosts as an inventory (v6lab.ansible: ansible_host = the site address, root with the
lab's key and ssh config) and runs the host-side suites from the ops host with --ansible-inventory and
--hosts left out, narrowed to one host. Kept short: one run that stops before any test, one host's
host-side suites, then one check."""
import json
import subprocess

import pytest
from lab_cli import failed_with, lab_command, rendered_problems
from v6lab import ansible
from v6lab.lab import wait_until

PORT = 7996
LISTEN_ON_IPV4 = f'import socket; s = socket.socket(); s.bind(("0.0.0.0", {PORT})); s.listen(); s.accept()'


def ansible_report(lab):
    return json.loads((lab.state_dir / f"ansible-report-{lab.hosts_with_role('ops')[0]}.json").read_text())


@pytest.mark.fault('the Ansible inventory the verifier is given lacks the compute host',
                   codes=('inventory_host_missing',),
                   note='a usage error before any test runs; repair: the lab\'s own inventory, every host in it')
def test_verifier_checks_the_controller_through_the_ansible_inventory(edge):
    """Every site host must be in the inventory (a host left out would go unverified): one missing is named
    before any test runs. With the lab's whole inventory the controller is reached as ansible://ctl1, is the
    site's ctl1 by its inventory hostname, and its host-side checks pass, every remote command through that
    backend."""
    host, missing = edge.hosts_with_role('controller')[0], edge.hosts_with_role('compute')[0]
    ops = edge.hosts_with_role('ops')[0]
    data = ansible.inventory(edge)
    for group in data['all']['children'].values():
        group['hosts'].pop(missing, None)
    lacking = ansible.write(edge, edge.path('faults', f'ansible-without-{missing}.yml'), data)
    broken = lab_command(edge.state_dir, 'verify-ansible', '--inventory', str(lacking), '--host', host)
    output = broken.stdout + broken.stderr
    problems = [{'client': ops, 'test': '', 'code': code, 'found': line} for code, line in rendered_problems(output)]
    assert broken.returncode != 0 and failed_with(problems, ops, '', 'inventory_host_missing', f'no host {missing} '), \
        output
    assert not (edge.state_dir / f'ansible-junit-{ops}.xml').exists() or 'testcase' not in \
        (edge.state_dir / f'ansible-junit-{ops}.xml').read_text(), 'tests ran with a host missing'

    result = lab_command(edge.state_dir, 'verify-ansible', '--host', host)
    assert result.returncode == 0, f'verify-ansible fails on the clean lab:\n{result.stdout[-4000:]}{result.stderr}'
    report = ansible_report(edge)
    tests = report['tests']
    assert len(tests) >= 10 and {t['outcome'] for t in tests} == {'passed'}, tests
    assert {t['host'] for t in tests} == {host}, tests
    assert all(f'[ansible://{host}' in t['test'] for t in tests), [t['test'] for t in tests]
    commands = report['remote_commands']
    assert list(commands) == [f'ansible://{host}'] and commands[f'ansible://{host}'] > 0, commands


@pytest.mark.fault('a socket on 0.0.0.0 in the controller, the verifier run through the Ansible inventory',
                   unrepaired=('ipv4',), note='the clean run through the inventory is the test above')
def test_ipv4_listener_is_seen_through_the_ansible_inventory(edge):
    """The checks through the ansible backend see the controller itself: its 0.0.0.0 listener is reported for
    ctl1 (code ipv4)."""
    host, ops = edge.hosts_with_role('controller')[0], edge.hosts_with_role('ops')[0]
    listener = subprocess.Popen(edge.argv_in(host, ['/usr/bin/python3', '-c', LISTEN_ON_IPV4]))
    try:
        wait_until('the IPv4 listener to show', lambda: f':{PORT}' in edge.run_in(host, ['ss', '-4', '-Hltn']))
        result = lab_command(edge.state_dir, 'verify-ansible', '--host', host, '-k', 'no_ipv4_listener_on_host')
    finally:
        listener.kill()
        listener.wait()
    problems = [{**p, 'client': ops, 'test': t['test'].rsplit('::', 1)[-1]}
                for t in ansible_report(edge)['tests'] for p in t['problems']]
    assert result.returncode != 0, result.stdout[-3000:]
    assert failed_with(problems, ops, f'test_no_ipv4_listener_on_host[ansible://{host}]', 'ipv4', f':{PORT}'), problems
    assert {p['host'] for p in problems} == {host}, problems
