"""Run the lab's command line, as a user would, and read what `lab verify` reported."""
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

LAB = Path(__file__).resolve().parents[1] / 'lab' / 'lab'
# The code of a problem line as the verifier renders it: `HOST: FOUND; site expects ...; fix ... [CODE; SOURCE]`.
RENDERED_CODE = re.compile(r' \[([a-z][a-z0-9_]*); ')
# The codes failed_with has found since the last clear: conftest.py compares them with the test's fault marker.
SEEN = set()


def lab_command(state_dir, *args, env=None):
    """test/lab/lab --state-dir=STATE_DIR ARGS...; returns the CompletedProcess (text output)."""
    return subprocess.run([str(LAB), f'--state-dir={state_dir}', *args], capture_output=True, text=True,
                          env=env)


def lab_verify(state_dir, selection, *pytest_args, hosts=None):
    """`lab verify PYTEST_ARGS` narrowed to the verifier tests matching the -k selection (with hosts,
    `lab verify --hosts=HOSTS`: the ops host's pass runs against those testinfra hosts instead of every
    lab host as root).

    Returns (passed, output, problems): every problem of every pass (ops host, then each compute host),
    read from the pass's JSON report, as a dict with the pass's host as `client` and the test's name
    as `test`. A test that failed without recording a problem (in a fixture: not_a_site_host) is there
    with each problem its message renders (`found` is the line), or once with code None when it renders
    none (an error)."""
    result = lab_command(state_dir, 'verify', *([f'--hosts={hosts}'] if hosts else []), *pytest_args,
                         env={**os.environ, 'PYTEST_ADDOPTS': f'-k {shlex.quote(selection)}'})
    problems = []
    for path in sorted(Path(state_dir).glob('report-*.json')):
        client = path.stem.split('-', 1)[1]
        for test in json.loads(path.read_text())['tests']:
            base, bracket, params = test['test'].partition('[')  # ids may hold IPv6 addresses (::)
            name = base.rsplit('::', 1)[-1] + bracket + params
            problems += [{**problem, 'client': client, 'test': name} for problem in test['problems']]
            if test['outcome'] == 'failed' and not test['problems']:
                rendered = rendered_problems(test['message'])
                problems += [{'client': client, 'test': name, 'code': code, 'found': line} for code, line in rendered]
                if not rendered:
                    problems.append({'client': client, 'test': name, 'code': None, 'found': test['message']})
    return result.returncode == 0, result.stdout + result.stderr, problems


def rendered_problems(message):
    """[(code, line)] of each problem line of a failure message."""
    found = []
    for line in (message or '').splitlines():
        codes = RENDERED_CODE.findall(line)
        if codes and line.rstrip().endswith(']'):
            found.append((codes[-1], line.strip()))
    return found


def failed_with(problems, client, test, code, found=''):
    """True when the test whose name starts with `test` reported a problem with `code` in client
    (found, when given, picks the offender: a port, a name). A code found is added to SEEN."""
    seen = any(p['client'] == client and p['test'].startswith(test) and p['code'] == code and found in p['found']
               for p in problems)
    if seen:
        SEEN.add(code)
    return seen
