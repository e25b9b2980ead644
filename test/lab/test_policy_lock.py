"""The committed Policyfile.lock.json matches the cookbooks: `chef-cli install` leaves it byte for byte
as committed, and `chef-cli export` (which rewrites a lock whose cookbook identifiers are stale) keeps its
revision and every cookbook identifier; only the git state it records of the clone may differ."""
import json
import shutil
import subprocess

from v6lab.chef import POLICYFILE, LOCK, chef_env
from v6lab.lab import PROJECT


def chef_cli(cwd, *args):
    done = subprocess.run(['bundle', 'exec', 'chef-cli', *map(str, args)], cwd=cwd, env=chef_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, f'chef-cli {" ".join(map(str, args))} failed:\n{done.stdout}{done.stderr}'
    return done.stdout


def locked(data):
    """The lock without the git state chef-cli records of wherever it runs (scm_info)."""
    lock = json.loads(data)
    for cookbook in lock['cookbook_locks'].values():
        cookbook.pop('scm_info', None)
    return lock


def test_committed_lock_survives_install_and_two_exports(tmp_path):
    """The README's flow run twice must not change the lock; when it would, the fix is named."""
    work = tmp_path / 'repo'
    shutil.copytree(PROJECT / 'cookbooks', work / 'cookbooks')
    shutil.copy2(POLICYFILE, work / POLICYFILE.name)
    shutil.copy2(LOCK, work / LOCK.name)
    # A clone, as an operator has: chef-cli records the cookbooks' git state in the lock.
    for argv in (['init', '-q'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@example.net',
                                                  'commit', '-qm', 'clone']):
        subprocess.run(['git', *argv], cwd=work, check=True, capture_output=True)
    committed = LOCK.read_bytes()
    chef_cli(work, 'install')
    assert (work / LOCK.name).read_bytes() == committed, 'chef-cli install rewrote Policyfile.lock.json'
    for _ in range(2):
        chef_cli(work, 'export', '--force', LOCK.name, tmp_path / 'export')
        assert locked((work / LOCK.name).read_bytes()) == locked(committed), (
            'Policyfile.lock.json does not match the cookbooks (chef-cli export rewrote it); '
            'run `chef-cli update` and commit the lock')
    shipped = {path.relative_to(tmp_path / 'export').parts[2] for path in
               (tmp_path / 'export' / 'cookbook_artifacts').glob('*/*')}
    assert not shipped & {'spec', 'test', '.rspec'}, f'chefignore lets these ship: {shipped & {"spec", "test", ".rspec"}}'
