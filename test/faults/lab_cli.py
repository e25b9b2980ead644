"""Run the lab's command line, as a user would, and read what `lab verify` reported."""
import os
import shlex
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

LAB = Path(__file__).resolve().parents[1] / 'lab' / 'lab'


def lab_command(state_dir, *args, env=None):
    """test/lab/lab --state-dir=STATE_DIR ARGS...; returns the CompletedProcess (text output)."""
    return subprocess.run([str(LAB), f'--state-dir={state_dir}', *args], capture_output=True, text=True,
                          env=env)


def lab_verify(state_dir, selection):
    """`lab verify` narrowed to the integration tests matching the -k selection.

    Returns (passed, output, failures); failures maps (client host, test name) to the failure text,
    read from the JUnit report of each pass (ops host, then each compute host)."""
    result = lab_command(state_dir, 'verify', env={**os.environ, 'PYTEST_ADDOPTS': f'-k {shlex.quote(selection)}'})
    failures = {}
    for junit in Path(state_dir).glob('junit-*.xml'):
        client = junit.stem.split('-', 1)[1]
        for case in ElementTree.parse(junit).iter('testcase'):
            for failure in [*case.iter('failure'), *case.iter('error')]:
                failures[(client, case.get('name'))] = f"{failure.get('message', '')}\n{failure.text or ''}"
    return result.returncode == 0, result.stdout + result.stderr, failures


def failed_with(failures, client, test, text):
    """True when the test whose name starts with `test` failed in client with text in its message."""
    return any(name.startswith(test) and text in message
               for (where, name), message in failures.items() if where == client)
