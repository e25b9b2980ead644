"""A real lab for the fault tests: one per module, in its own state directory, always torn down."""
import tempfile
from pathlib import Path

import pytest
from lab_cli import lab_command
from v6lab import netns
from v6lab.lab import Lab


def fresh_state_dir():
    """A new state directory; refuses to start while another lab's namespaces exist."""
    if netns.namespaces():
        pytest.fail(f'a lab is already up ({", ".join(netns.namespaces())}); '
                    'bring it down first: test/lab/lab down', pytrace=False)
    return Path(tempfile.mkdtemp(prefix='v6lab-faults-'))


@pytest.fixture(scope='module')
def lab():
    """A running lab built from site/lab.yml."""
    state_dir = fresh_state_dir()
    try:
        up = lab_command(state_dir, 'up')
        if up.returncode != 0:
            pytest.fail(f'lab up failed:\n{up.stdout}{up.stderr}', pytrace=False)
        yield Lab.open(state_dir)
    finally:
        down = lab_command(state_dir, 'down')
        assert down.returncode == 0, f'lab down failed:\n{down.stderr}'
