"""Run the lab's command line, as a user would, and read what `lab verify` reported."""
import json
import os
import shlex
import subprocess
from pathlib import Path

LAB = Path(__file__).resolve().parents[1] / 'lab' / 'lab'


def lab_command(state_dir, *args, env=None):
    """test/lab/lab --state-dir=STATE_DIR ARGS...; returns the CompletedProcess (text output)."""
    return subprocess.run([str(LAB), f'--state-dir={state_dir}', *args], capture_output=True, text=True,
                          env=env)


def lab_verify(state_dir, selection, *pytest_args):
    """`lab verify PYTEST_ARGS` narrowed to the verifier tests matching the -k selection.

    Returns (passed, output, problems): every problem of every pass (ops host, then each compute host),
    read from the pass's JSON report, as a dict with the pass's host as `client` and the test's name
    as `test`; a test that failed without a problem (an error) is there with code None."""
    result = lab_command(state_dir, 'verify', *pytest_args,
                         env={**os.environ, 'PYTEST_ADDOPTS': f'-k {shlex.quote(selection)}'})
    problems = []
    for path in sorted(Path(state_dir).glob('report-*.json')):
        client = path.stem.split('-', 1)[1]
        for test in json.loads(path.read_text())['tests']:
            name = test['test'].rsplit('::', 1)[-1]
            problems += [{**problem, 'client': client, 'test': name} for problem in test['problems']]
            if test['outcome'] == 'failed' and not test['problems']:
                problems.append({'client': client, 'test': name, 'code': None, 'found': test['message']})
    return result.returncode == 0, result.stdout + result.stderr, problems


def failed_with(problems, client, test, code, found=''):
    """True when the test whose name starts with `test` reported a problem with `code` in client
    (found, when given, picks the offender: a port, a name)."""
    return any(p['client'] == client and p['test'].startswith(test) and p['code'] == code and found in p['found']
               for p in problems)
