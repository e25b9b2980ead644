"""Test Kitchen on Docker, for real: test/kitchen/docker-up, then `kitchen test controller` (create,
converge twice with enforce_idempotency, verify, destroy) on the IPv6-only Docker network, and a fault
(a dual-stack listener started in the container) that `kitchen verify` must catch and forget once it is
gone. Run by `tox -e kitchen`, as root; docker-down runs at the end whatever happened.

The overlay is this machine's (kitchen.docker-local.yml) unless KITCHEN_LOCAL_YAML says otherwise
(empty: kitchen.yml alone, as a CI runner with Docker 28+ and privileged containers runs it).
"""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
KITCHEN = PROJECT / 'test' / 'kitchen'
INSTANCE = 'controller-debian-12'
FINISHED = re.compile(r'(?:Chef Infra Client finished|Infra Phase complete), (\d+)/(\d+) resources updated')
FAULT_PORT = 8399
IPV4_ANY = '0.0.0.0'  # ipv6-lint: allow the IPv4 wildcard of the fault under test


def _env():
    env = {**os.environ, 'BUNDLE_GEMFILE': str(PROJECT / 'Gemfile'), 'CHEF_LICENSE': 'accept-no-persist',
           'LANG': 'C.UTF-8'}
    env.setdefault('KITCHEN_LOCAL_YAML', 'kitchen.docker-local.yml')
    if not env['KITCHEN_LOCAL_YAML']:
        del env['KITCHEN_LOCAL_YAML']
    return env


def run(argv, timeout=900):
    """(exit status, output, seconds) of argv in the project root."""
    started = time.monotonic()
    done = subprocess.run(argv, cwd=PROJECT, env=_env(), capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def kitchen(*args, timeout=900):
    return run(['bundle', 'exec', 'kitchen', *args], timeout=timeout)


def report(what, seconds):
    """One timing line (tox -e kitchen runs pytest with -s, so they reach the terminal)."""
    print(f'\nkitchen timing: {what}: {seconds:.1f} s', flush=True)


def updated_per_run(output):
    return [int(updated) for updated, _ in FINISHED.findall(output)]


@pytest.fixture(scope='module')
def docker_estate():
    """docker-up (daemon, image, network, data, companions), and docker-down afterwards."""
    status, output, seconds = run([str(KITCHEN / 'docker-up')], timeout=1800)
    report('docker-up (' + ('; '.join(line.split(': ', 1)[1] for line in output.splitlines()
                                      if line.startswith('docker-up: ')) + ')'), seconds)
    try:
        assert status == 0, output
        yield
    finally:
        kitchen('destroy')
        status, output, _ = run([str(KITCHEN / 'docker-down')])
        assert status == 0, output


@pytest.fixture
def container_id(docker_estate):
    """The converged controller instance's container (converged here unless a test left it so)."""
    status, output, _ = kitchen('list', '--json')
    assert status == 0, output
    last = {entry['instance']: entry['last_action'] for entry in json.loads(output[output.index('['):])}
    if last.get(INSTANCE) not in ('converge', 'verify'):
        status, output, seconds = kitchen('converge', INSTANCE)
        report('kitchen converge controller', seconds)
        assert status == 0, output
    state = (PROJECT / '.kitchen' / f'{INSTANCE}.yml').read_text()
    return re.search(r'^container_id: (\S+)', state, re.M).group(1)


def test_kitchen_test_converges_the_controller_twice_and_verifies(docker_estate):
    """The whole kitchen cycle: the role converges on an IPv6-only container with its real packages, the
    second converge changes nothing (enforce_idempotency), and the verifier's host-side checks
    (docker://) and client-side checks (from the ops companion) pass."""
    status, output, seconds = kitchen('test', INSTANCE, '--destroy=never')
    report('kitchen test controller (create, converge x2, verify)', seconds)
    runs = updated_per_run(output)
    report(f'resources updated per chef-client run: {runs}', 0)
    assert status == 0, output[-20000:]
    assert len(runs) >= 2 and runs[-1] == 0, f'the last converge updated {runs[-1:]} resources:\n{output[-20000:]}'


def test_kitchen_verify_fails_on_a_dual_stack_listener(container_id):
    """A listener on the IPv4 wildcard (beside the v6-only ones) in the container must fail `kitchen verify`
    with the ipv4 problem naming the process and port; once it is gone the suite passes again."""
    pid_file = '/tmp/fault-listener.pid'
    start = (f'python3 -m http.server --bind {IPV4_ANY} {FAULT_PORT} >/dev/null 2>&1 & echo $! > {pid_file}; '
             f'for i in $(seq 50); do ss -Hltn | grep -q ":{FAULT_PORT} " && exit 0; sleep 0.1; done; exit 1')
    status, output, _ = run(['docker', 'exec', container_id, 'sh', '-c', start])
    assert status == 0, output
    try:
        status, output, seconds = kitchen('verify', INSTANCE)
        report('kitchen verify with the fault', seconds)
        assert status != 0, output[-20000:]
        assert re.search(rf'{re.escape(IPV4_ANY)}:{FAULT_PORT}.*\[ipv4;', output), output[-20000:]
    finally:
        run(['docker', 'exec', container_id, 'sh', '-c', f'kill $(cat {pid_file}) && rm -f {pid_file}'])
    status, output, seconds = kitchen('verify', INSTANCE)
    report('kitchen verify after the repair', seconds)
    assert status == 0, output[-20000:]
