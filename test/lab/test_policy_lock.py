"""The committed Policyfile.lock.json matches the cookbooks: `chef-cli install` and `chef-cli export`
leave it byte for byte as committed (a stale lock is rewritten by export, in the operator's clone)."""
import shutil
import subprocess

from v6lab.chef import POLICYFILE, LOCK, chef_env
from v6lab.lab import PROJECT


def chef_cli(cwd, *args):
    done = subprocess.run(['bundle', 'exec', 'chef-cli', *map(str, args)], cwd=cwd, env=chef_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, f'chef-cli {" ".join(map(str, args))} failed:\n{done.stdout}{done.stderr}'
    return done.stdout


def test_committed_lock_survives_install_and_two_exports(tmp_path):
    """The README's flow run twice must not change the lock; when it would, the fix is named."""
    work = tmp_path / 'repo'
    shutil.copytree(PROJECT / 'cookbooks', work / 'cookbooks')
    shutil.copy2(POLICYFILE, work / POLICYFILE.name)
    shutil.copy2(LOCK, work / LOCK.name)
    committed = LOCK.read_bytes()
    chef_cli(work, 'install')
    assert (work / LOCK.name).read_bytes() == committed, 'chef-cli install rewrote Policyfile.lock.json'
    for _ in range(2):
        chef_cli(work, 'export', '--force', LOCK.name, tmp_path / 'export')
        assert (work / LOCK.name).read_bytes() == committed, (
            'Policyfile.lock.json does not match the cookbooks (chef-cli export rewrote it); '
            'run `chef-cli update` and commit the lock')
    shipped = {path.relative_to(tmp_path / 'export').parts[2] for path in
               (tmp_path / 'export' / 'cookbook_artifacts').glob('*/*')}
    assert not shipped & {'spec', 'test', '.rspec'}, f'chefignore lets these ship: {shipped & {"spec", "test", ".rspec"}}'
