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
    identity = ['-c', 'user.name=t', '-c', 'user.email=t@example.net']
    for argv in (['init', '-q'], ['add', '-A'], [*identity, 'commit', '-qm', 'clone']):
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
    leaked = shipped & {'spec', 'test', '.rspec'}
    assert not leaked, f'chefignore lets these ship: {sorted(leaked)}'


def test_kitchen_policy_runs_the_fixture_before_each_estate_role(tmp_path):
    """Kitchen's policy (test/kitchen/Policyfile.rb) is the estate's: every named run list of the committed
    lock, unchanged, after the fixture cookbook, so a suite converges exactly the users' role."""
    work = tmp_path / 'repo'
    shutil.copytree(PROJECT / 'cookbooks', work / 'cookbooks')
    shutil.copytree(PROJECT / 'test' / 'cookbooks', work / 'test' / 'cookbooks')
    (work / 'test' / 'kitchen').mkdir()
    shutil.copy2(PROJECT / 'test' / 'kitchen' / 'Policyfile.rb', work / 'test' / 'kitchen' / 'Policyfile.rb')
    shutil.copy2(LOCK, work / LOCK.name)
    chef_cli(work / 'test' / 'kitchen', 'install', 'Policyfile.rb')
    kitchen = json.loads((work / 'test' / 'kitchen' / 'Policyfile.lock.json').read_text())
    estate = json.loads(LOCK.read_text())
    fixture = ['recipe[edge_fixture::default]']
    assert kitchen['named_run_lists'] == {role: fixture + items for role, items in estate['named_run_lists'].items()}
    assert kitchen['run_list'] == fixture + estate['run_list']
    assert set(kitchen['cookbook_locks']) == set(estate['cookbook_locks']) | {'edge_fixture'}
