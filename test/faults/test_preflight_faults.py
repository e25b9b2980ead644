"""The preflight (recipe ipv6_common::default) must stop a converge on a host that would resolve over IPv4."""
from pathlib import Path

import pytest
from lab_cli import lab_command, lab_verify


def converge(lab, host, runs=1):
    result = lab_command(lab.state_dir, 'converge', '--host', host, f'--runs={runs}')
    return result.returncode, result.stdout + result.stderr


def controller(lab):
    return lab.hosts_with_role('controller')[0]


@pytest.mark.fault('a 127.0.1.1 line for the controller\'s name in its /etc/hosts',
                   note='the preflight refuses the converge; the verifier\'s self-resolution check passes before the '
                   'fault and after the line is removed, and is not run while it is there')
def test_preflight_refuses_an_ipv4_hosts_line(edge):
    """A `127.0.1.1 NAME` line makes the host's own name resolve to IPv4 (RabbitMQ, Keystone): the next
    converge's preflight refuses it (test_rabbitmq_faults.py shows the broker untouched by that run, and the
    orphaned A record refused the same way)."""
    lab = edge
    host = controller(lab)
    selection = 'host_resolves_its_own_names'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the self-resolution check fails on the clean lab:\n{output}'
    hosts_file = Path('/etc/netns') / lab.ns(host) / 'hosts'
    original = hosts_file.read_text()
    # Written in place: the file is bind-mounted over /etc/hosts in the host's processes.
    hosts_file.write_text(f"{original}127.0.1.1 {lab.hosts[host]['fqdn']} {host}\n")
    try:
        status, output = converge(lab, host)
    finally:
        hosts_file.write_text(original)
    assert status != 0, f'converge passed with an IPv4 /etc/hosts line on {host}:\n{output}'
    assert '/etc/hosts' in output and host in output, output
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the self-resolution check still fails after the repair:\n{output}'
