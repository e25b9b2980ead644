"""One real lab for the whole fault session: brought up once, always brought down.

A lab left up by `lab cycle --keep` (the lab stage before this one, with every stage passed: converged
twice, the second run changing nothing, and verified) is taken over instead of building another.
Each fault test breaks one property, sees the check's code, repairs it, and sees the check clean
again, so the next test starts from a clean lab. test_down.py, which takes the lab down itself,
runs last.

Every fault test carries a `fault` marker: the fault in words and the codes it sees (catalogue.py writes
docs/fault-catalogue.md from them). A marker naming an unknown code stops the collection, and a test that
passed must have seen exactly the codes its marker names."""
import json
import tempfile
from pathlib import Path

import pytest
import catalogue
from lab_cli import SEEN, lab_command
from v6lab import netns
from v6lab.chef import FINISHED
from v6lab.lab import Lab, state_dir_from
from v6lab.stages import KEPT, RUN_BEFORE

LAST = ('test_down.py',)


def pytest_configure(config):
    config.addinivalue_line('markers', 'fault(what, codes=(), unrepaired=(), note=""): the fault the test '
                            'injects, in words; codes: the problem codes it sees appear and, after the repair, gone; '
                            'unrepaired: codes it sees appear without checking the repair; none: the converge refuses '
                            'the fault (test/faults/catalogue.py writes docs/fault-catalogue.md from these)')


def pytest_collection_modifyitems(items):
    """The modules that end the lab run after every other fault test; a fault marker naming an unknown code
    is a usage error."""
    known = catalogue.known_codes(catalogue.ROOT)
    unknown = [f'{item.nodeid}: {code}' for item in items for marker in item.iter_markers(catalogue.MARKER)
               for code in (*marker.kwargs.get('codes', ()), *marker.kwargs.get('unrepaired', ()))
               if code not in known]
    if unknown:
        raise pytest.UsageError(f'fault markers name codes that are not in {catalogue.PROBLEM}:\n'
                                + '\n'.join(unknown))
    items.sort(key=lambda item: Path(str(item.fspath)).name in LAST)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep whether the test itself passed, for the marker check below."""
    outcome = yield
    if call.when == 'call':
        item.fault_call_passed = outcome.get_result().passed


@pytest.fixture(autouse=True)
def fault_marker_names_what_the_test_saw(request):
    """A test that passed saw (lab_cli.failed_with) exactly the codes its fault marker names, so the catalogue
    says what the tests prove."""
    SEEN.clear()
    yield
    if not getattr(request.node, 'fault_call_passed', False):
        return
    marker = request.node.get_closest_marker(catalogue.MARKER)
    named = set()
    if marker is not None:
        named = set(marker.kwargs.get('codes', ())) | set(marker.kwargs.get('unrepaired', ()))
    if named != SEEN:
        pytest.fail(f'the test saw {", ".join(sorted(SEEN)) or "no code"}, its fault marker names '
                    f'{", ".join(sorted(named)) or "none"}: mark it with '
                    f'@pytest.mark.fault(WHAT, codes={tuple(sorted(SEEN))!r})', pytrace=False)


def fresh_state_dir():
    """A new state directory; refuses to start while another lab's namespaces exist."""
    if netns.namespaces():
        pytest.fail(f'a lab is already up ({", ".join(netns.namespaces())}); '
                    'bring it down first: test/lab/lab down', pytrace=False)
    return Path(tempfile.mkdtemp(prefix='v6lab-faults-'))


def kept_lab():
    """The lab `lab cycle --keep` left up in the default state directory, or None."""
    state_dir = state_dir_from(None)
    if not (state_dir / KEPT).exists() or not netns.namespaces():
        return None
    (state_dir / KEPT).unlink()  # taken over: this session brings it down
    return state_dir


@pytest.fixture(scope='session')
def lab():
    """A running lab built from site/lab.yml, shared by every fault test."""
    state_dir = kept_lab()
    try:
        if state_dir is None:
            state_dir = fresh_state_dir()
            up = lab_command(state_dir, 'up')
            if up.returncode != 0:
                pytest.fail(f'lab up failed:\n{up.stdout}{up.stderr}', pytrace=False)
            converged = False
        else:
            converged = True
        lab = Lab.open(state_dir)
        lab.converged = converged
        # the machine's /run entries before the lab (see test_down.py)
        lab.run_before = set(json.loads((state_dir / RUN_BEFORE).read_text()))
        yield lab
    finally:
        if state_dir is not None:
            down = lab_command(state_dir, 'down')
            assert down.returncode == 0, f'lab down failed:\n{down.stderr}'


def converge_host(lab, host, runs=1):
    """chef-client on host, once by default (a repair; `lab converge` in the lab stage proves the second run
    changes nothing): (exit status, log text of run 1, resources updated in run 1 or None)."""
    result = lab_command(lab.state_dir, 'converge', '--host', host, f'--runs={runs}')
    log_file = lab.state_dir / 'logs' / f'chef-{host}-run1.log'
    log = log_file.read_text() if log_file.exists() else result.stdout + result.stderr
    finished = FINISHED.findall(log)
    return result.returncode, log, int(finished[-1][0]) if finished else None


@pytest.fixture(scope='session')
def edge(lab):
    """The shared lab with every host converged (twice, the second run changing nothing); a lab taken
    over from `lab cycle --keep` already is."""
    if lab.converged:
        return lab
    result = lab_command(lab.state_dir, 'converge', '--runs=2')
    log = (lab.state_dir / 'logs' / f"chef-{lab.hosts_with_role('controller')[0]}-run1.log")
    if result.returncode != 0 or 'ipv6_haproxy_config' not in (log.read_text() if log.exists() else ''):
        pytest.fail(f'the lab does not converge with the edge (ipv6_haproxy::default in the controller run '
                    f'list of Policyfile.rb?):\n{result.stdout[-3000:]}{result.stderr[-3000:]}', pytrace=False)
    lab.converged = True
    return lab
