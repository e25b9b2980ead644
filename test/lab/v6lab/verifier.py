"""The verifier as the lab runs it: the package in verifier/, installed into the state directory.

pip installs it with --no-deps --no-build-isolation (its dependencies are Debian packages), into a
--target directory the lab hosts' /usr/bin/python3 gets through PYTHONPATH; the pytest11 entry
point is found there, so `pytest --pyargs edge_verify.suites` has the plugin.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .lab import PROJECT, LabError, run

SOURCE = PROJECT / 'verifier'
PYTHON = '/usr/bin/python3'
SUITES = 'edge_verify.suites'
STAMP = '.installed-from'


def install(target):
    """Install the package from SOURCE into target (replacing what was there); returns target."""
    target = Path(target)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='edge-verify-build-') as build:
        # A copy of the source, so that concurrent builds never share setuptools' build/ directory.
        tree = Path(build) / 'verifier'
        shutil.copytree(SOURCE, tree, ignore=shutil.ignore_patterns('build', '*.egg-info', '__pycache__'))
        run([PYTHON, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation',
             '--no-index', '--target', str(target), str(tree)],
            env={**os.environ, 'PIP_NO_CACHE_DIR': '1', 'PYTHONDONTWRITEBYTECODE': '1'})
    (target / STAMP).write_text(f'{SOURCE}\n')
    return target


def is_current(target):
    """True when target holds an install at least as new as every source file."""
    stamp = Path(target) / STAMP
    if not stamp.exists():
        return False
    installed = stamp.stat().st_mtime
    return all(path.stat().st_mtime <= installed for path in SOURCE.rglob('*')
               if path.is_file() and 'build' not in path.parts and '.egg-info' not in str(path))


def ensure(target):
    """Install into target unless it is current already; returns target."""
    return target if is_current(target) else install(target)


def env(target):
    """The environment of a command that runs the installed verifier."""
    return {**os.environ, 'PYTHONPATH': str(target), 'PYTHONDONTWRITEBYTECODE': '1'}


def check_site(target, site_file):
    """Validate a site file with the installed verifier's loader; LabError listing every problem."""
    done = subprocess.run([PYTHON, '-m', 'edge_verify', 'check-site', str(site_file)], capture_output=True,
                          text=True, env=env(target))
    if done.returncode != 0:
        raise LabError(f'{site_file} breaks site/SCHEMA.md:\n{(done.stdout + done.stderr).strip()}')
