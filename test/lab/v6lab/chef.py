"""Converge lab hosts with chef-client in local mode, inside each host's namespaces."""
import json
import os
import re
import shutil
import subprocess

from .lab import PROJECT, LabError, run

POLICYFILE = PROJECT / 'Policyfile.rb'
LOCK = PROJECT / 'Policyfile.lock.json'
PROBE_IQN = 'iqn.2010-10.org.openstack:probe'
# Ohai's programming-language plugins (each runs the language's interpreter, about 5 s in all here);
# nothing in the cookbooks reads node['languages'] other than Ruby's.
OHAI_DISABLED = ('C', 'Elixir', 'Erlang', 'Go', 'Groovy', 'Haskell', 'Java', 'Lua', 'Mono', 'Nodejs', 'Perl',
                 'PHP', 'Powershell', 'Python', 'Rust', 'Scala')
FINISHED = re.compile(r'(?:Chef Infra Client finished|Infra Phase complete), (\d+)/(\d+) resources updated')


def chef_env():
    return {**os.environ, 'BUNDLE_GEMFILE': str(PROJECT / 'Gemfile'), 'CHEF_LICENSE': 'accept-no-persist',
            'LANG': 'C.UTF-8'}


def _chef_cli(*args, cwd=PROJECT):
    return run(['bundle', 'exec', 'chef-cli', *map(str, args)], cwd=cwd, env=chef_env())


def export_policy(lab):
    """Export the policy to state/policy from a copy of the Policyfile, its lock and the cookbooks
    (chef-cli rewrites the lock it exports from; the repository's copy stays as committed). The copy
    is locked when the lock is missing, and updated when the lock is older than the Policyfile."""
    source = lab.state_dir / 'policy-source'
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(PROJECT / 'cookbooks', source / 'cookbooks', ignore=shutil.ignore_patterns('spec'))
    shutil.copy2(POLICYFILE, source / POLICYFILE.name)
    if not LOCK.exists():
        _chef_cli('install', POLICYFILE.name, cwd=source)
    else:
        shutil.copy2(LOCK, source / LOCK.name)
        if LOCK.stat().st_mtime < POLICYFILE.stat().st_mtime:
            _chef_cli('update', POLICYFILE.name, cwd=source)
    export = lab.state_dir / 'policy'
    shutil.rmtree(export, ignore_errors=True)
    _chef_cli('export', POLICYFILE.name, export, cwd=source)
    return export


def _client_rb(lab, host, export):
    policy = json.loads((export / 'Policyfile.lock.json').read_text())['name']
    chef = lab.state_dir / 'chef' / host
    text = (f"local_mode true\nchef_repo_path '{export}'\nuse_policyfile true\n"
            f"policy_document_native_api true\npolicy_name '{policy}'\npolicy_group 'local'\n"
            f"cache_path '{chef}/cache'\nfile_cache_path '{chef}/cache'\n"
            f"file_backup_path '{chef}/backup'\nnode_path '{chef}/nodes'\n"
            f"ohai.disabled_plugins = [{', '.join(':' + name for name in OHAI_DISABLED)}]\n")
    path = lab.path('chef', host, 'client.rb')
    path.write_text(text)
    return path


def _attributes(lab):
    """The JSON attributes of every run: where the site file is, and the smoke-test iSCSI target (a
    sparse file in the state directory) that the compute hosts discover. The site itself is read from
    that file on each run and never stored in the node, whose saved copy (node_path) outlives the export."""
    path = lab.path('chef', 'attributes.json')
    probe = {'iqn': PROBE_IQN, 'path': str(lab.path('cinder', 'probe.img')), 'size_mb': 64}
    attributes = {'ipv6_edge': {'site_file': str(lab.site_file)},
                  'ipv6_rabbitmq': {'client_config': str(lab.state_dir / 'rabbitmq' / 'oslo_messaging.conf')},
                  'ipv6_cinder': {'probe_target': probe}}
    path.write_text(json.dumps(attributes, indent=2) + '\n')
    return path


def _start(lab, host, export, attributes, log):
    argv = lab.argv_in(host, ['bundle', 'exec', 'chef-client', '-z', '-c', _client_rb(lab, host, export),
                              '-N', host, '-j', attributes, '-n', lab.role(host),
                              '--slow-report', '15'])
    out = log.open('w')
    process = subprocess.Popen(argv, cwd=export, env=chef_env(), stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT)
    out.close()
    return process


def converge(lab, hosts, runs=2, say=print):
    """Run chef-client runs times on each host (hosts in parallel); the last run must change nothing.

    Returns a summary (resources updated per run); raises LabError naming the host and its log
    when a run fails or the last run updated resources.
    """
    export = export_policy(lab)
    attributes = _attributes(lab)
    updated_per_run = []
    for number in range(1, runs + 1):
        logs = {host: lab.path('logs', f'chef-{host}-run{number}.log') for host in hosts}
        processes = {host: _start(lab, host, export, attributes, logs[host]) for host in hosts}
        failed = [host for host, process in processes.items() if process.wait() != 0]
        if failed:
            raise LabError('; '.join(f'{host}: chef-client run {number} failed: '
                                     f'{_failure(logs[host].read_text())} (log {logs[host]})' for host in failed))
        updated_per_run.append(0)
        for host in hosts:
            finished = FINISHED.findall(logs[host].read_text())
            if not finished:
                raise LabError(f'{host}: chef-client run {number} printed no summary (log {logs[host]})')
            updated, total = map(int, finished[-1])
            say(f'  {host}: run {number}: {updated}/{total} resources updated')
            if number == runs and runs > 1 and updated:
                raise LabError(f'{host}: run {number} updated {updated} resources; a converge must be '
                               f'idempotent (see the updated resources in {logs[host]})')
            updated_per_run[-1] += updated
    return f"{len(hosts)} hosts; resources updated per run: {', '.join(map(str, updated_per_run))}"


def _failure(output):
    """The line that says why a chef-client run failed (its last FATAL, else ERROR, line)."""
    for marker in ('FATAL: ', 'ERROR: '):
        found = [line.split(marker, 1)[1].strip() for line in output.splitlines() if marker in line]
        if found:
            return found[-1]
    return output.strip().splitlines()[-1] if output.strip() else '(no output)'
