"""Run the lab's command line, as a user would."""
import subprocess
from pathlib import Path

LAB = Path(__file__).resolve().parents[1] / 'lab' / 'lab'


def lab_command(state_dir, *args):
    """test/lab/lab --state-dir=STATE_DIR ARGS...; returns the CompletedProcess (text output)."""
    return subprocess.run([str(LAB), f'--state-dir={state_dir}', *args], capture_output=True, text=True)
