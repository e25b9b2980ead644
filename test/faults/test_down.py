"""`lab down` leaves nothing behind: no namespace, process, mount, link, /etc/netns entry or state."""
import os
import subprocess
from pathlib import Path

import pytest
from lab_cli import lab_command
from v6lab import netns
from v6lab.lab import NS_PREFIX, pid_alive, run


def leftovers(state_dir, pids, run_before=None):
    """Everything a lab made that still exists, one line each (run_before: the machine's /run entries
    before the lab; daemons in lab hosts must write only their host's own /run)."""
    found = [f'namespace {ns}' for ns in netns.namespaces()]
    links = [line.split(': ')[1] for line in run(['ip', '-o', 'link', 'show']).splitlines()]
    found += [f'link {link}' for link in links if link.startswith(NS_PREFIX)]
    found += [f'mount {line.split()[4]}' for line in Path('/proc/self/mountinfo').read_text().splitlines()
              if NS_PREFIX.rstrip('-') in line.split()[4]]
    found += [f'directory {path}' for path in Path('/etc/netns').glob(NS_PREFIX + '*')]
    found += [f'process {pid}' for pid in pids if pid_alive(pid)]
    found += [f'state directory {state_dir}'] if Path(state_dir).exists() else []
    if run_before is not None:
        found += [f'/run entry {name}' for name in sorted(set(os.listdir('/run')) - run_before)]
    return found


@pytest.fixture(scope='module')
def downed(edge):
    """The session's lab (its controller converged, so Chef's daemons run too), its processes noted,
    then brought down twice. This module runs after every other fault test."""
    pids = edge.recorded_pids() + [pid for ns in netns.namespaces() for pid in netns.ns_pids(ns)]
    assert pids, 'the lab runs no process, so the check below would prove nothing'
    return edge.state_dir, pids, edge.run_before, [lab_command(edge.state_dir, 'down') for _ in range(2)]


def test_down_twice_succeeds(downed):
    downs = downed[3]
    assert [d.returncode for d in downs] == [0, 0], [d.stderr for d in downs]


def test_down_leaves_nothing(downed):
    """A leftover namespace, daemon or mount makes the next lab (or the machine) behave differently."""
    state_dir, pids, run_before, _ = downed
    assert leftovers(state_dir, pids, run_before) == []


def test_leftover_check_sees_strays_and_down_removes_them(downed):
    """The check sees each kind of leftover, and down removes them even when no lab recorded them."""
    state_dir = downed[0]
    stray = NS_PREFIX + 'stray'
    run(['ip', 'netns', 'add', stray])
    run(['ip', 'link', 'add', stray, 'type', 'bridge'])
    Path('/etc/netns', stray).mkdir()
    uts = Path(state_dir, 'uts', stray)
    uts.parent.mkdir(parents=True)
    uts.touch()
    run(['unshare', f'--uts={uts}', 'true'])
    process = subprocess.Popen(['ip', 'netns', 'exec', stray, '/usr/bin/python3', '-c',
                                'import signal; signal.pause()'])
    try:
        found = leftovers(state_dir, [process.pid])
        kinds = sorted({line.split()[0] for line in found})
        assert kinds == ['directory', 'link', 'mount', 'namespace', 'process', 'state'], found
    finally:
        down = lab_command(state_dir, 'down')
        process.wait()
    assert down.returncode == 0, down.stderr
    assert leftovers(state_dir, [process.pid]) == []
