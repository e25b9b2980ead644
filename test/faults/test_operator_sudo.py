"""The verifier as an operator of a real estate runs it: logged in as a non-root account (the lab's operator,
v6lab.account.USER, on every host) with every command run as root through sudo (`--sudo`).

Without root, `ss -Hltnuep` still lists every socket (with v6only), but names no process of another user (the
owner of a socket is read from /proc/PID/fd), so the HAProxy check cannot tell the edge's sockets from another
program's and reports the probe failed (probe_failed), naming --sudo as the fix. The host checks read only what
any user may (addresses, sockets, the resolver) and pass either way.
"""
import json

import pytest
from lab_cli import failed_with, lab_verify
from v6lab import account, sshd

# The host-side tests of the host and haproxy suites: the client-side ones run as root in the pytest process (and
# from the compute host, where this selects nothing), so they prove nothing about the account.
SELECTION = '(test_host or test_haproxy) and not client_side'
HOST_SIDE = ('test_no_ipv4_address_on_host', 'test_no_ipv4_listener_on_host',
             'test_listeners_are_v6only_on_site_addresses', 'test_host_resolves_its_own_names_to_site_v6_only',
             'test_haproxy_binds_only_site_v6_addresses', 'test_haproxy_stats_socket_is_root_only')
BINDS = 'test_haproxy_binds_only_site_v6_addresses'


def outcomes(lab, client):
    """{test name: outcome} of the pass in client, from its JSON report."""
    report = json.loads((lab.state_dir / f'report-{client}.json').read_text())
    return {test['test'].split('[', 1)[0].rsplit('::', 1)[-1]: test['outcome'] for test in report['tests']}


def logins(lab, host, user):
    """How many logins of user with a key host's sshd has accepted (its log, STATE/logs/sshd-HOST.log)."""
    log = lab.state_dir / 'logs' / f'sshd-{host}.log'
    return log.read_text().count(f'Accepted publickey for {user} ') if log.exists() else 0


@pytest.mark.fault('the verifier run on the controller as the operator account without --sudo: ss -p names no process '
                   'of another user, so HAProxy\'s sockets cannot be told apart', codes=('probe_failed',),
                   note='repair: the same run with --sudo, every command on the controller run as root through sudo')
def test_verifier_as_the_operator_sees_the_edge_only_with_sudo(edge):
    """As the operator without --sudo only the HAProxy bind check fails, with probe_failed naming every endpoint
    address and --sudo; with --sudo every host-side check passes, and the controller's sshd let in the operator only."""
    controller, ops = edge.hosts_with_role('controller')[0], edge.hosts_with_role('ops')[0]
    ok, said = sshd.operator_sudo(edge, ops, controller)
    assert ok, (f'{account.USER} cannot log in to {controller} and run `sudo -n true` ({said}): a lab brought up '
                'before the lab had the operator account? test/lab/lab down, then up')
    target = account.target(edge, controller)
    passed, output, problems = lab_verify(edge.state_dir, SELECTION, hosts=target)
    addresses = edge.hosts[controller]['addresses']
    edges = [(name, endpoint['port']) for name, endpoint in edge.site['endpoints'].items()
             if endpoint['host'] == controller]
    probe = [p for p in problems if p['code'] == 'probe_failed']
    missed = [f'[{address}]:{port}' for _, port in edges for address in addresses
              if not any(f'[{address}]:{port}' in p['found'] for p in probe)]
    assert edges and not passed and failed_with(problems, ops, BINDS, 'probe_failed') and not missed, \
        f'without --sudo the bind check did not name {missed}:\n{output}'
    others = [p for p in problems if not (p['test'].startswith(BINDS) and p['code'] == 'probe_failed')]
    assert not others, f'without --sudo other checks failed too: {others}'
    assert outcomes(edge, ops) == {name: 'failed' if name == BINDS else 'passed' for name in HOST_SIDE}, output

    root, operator = logins(edge, controller, 'root'), logins(edge, controller, account.USER)
    passed, output, problems = lab_verify(edge.state_dir, SELECTION, '--sudo', hosts=target)
    assert passed and not problems, f'the host-side checks fail as {account.USER} with --sudo:\n{output}'
    assert outcomes(edge, ops) == {name: 'passed' for name in HOST_SIDE}, output
    assert logins(edge, controller, account.USER) > operator and logins(edge, controller, 'root') == root, \
        f'{controller}\'s sshd did not see the run log in as {account.USER} only (logs/sshd-{controller}.log)'
