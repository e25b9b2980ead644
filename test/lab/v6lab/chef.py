"""Converge lab hosts with chef-client, every host in parallel inside its own namespaces.

Server mode (the default): chef-zero runs as the lab's Chef server in the ops host, on its site address over
TLS with a leaf of the lab PKI for the host's name (test/lab/chef-server); the policy is pushed to the
policy group `lab` and each host converges against the server's https URL on its AAAA name. Local mode
(`lab converge --local`): chef-client -z on an export of the policy, as before the server existed.
"""
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import pki
from .lab import PROJECT, LabError, pid_alive, run, wait_until

POLICYFILE = PROJECT / 'Policyfile.rb'
LOCK = PROJECT / 'Policyfile.lock.json'
COOKBOOKS = PROJECT / 'cookbooks'
SERVER_SCRIPT = PROJECT / 'test' / 'lab' / 'chef-server'
SERVER_PORT = 443
SERVER = 'chef-server'  # its pid file, log and state directory
POLICY_GROUP = 'lab'
ADMIN = 'lab-admin'  # the client chef-cli push signs as
SERVER_START_TIMEOUT = 60.0
PROBE_IQN = 'iqn.2010-10.org.openstack:probe'
# Ohai's programming-language plugins (each runs the language's interpreter, about 5 s in all here);
# nothing in the cookbooks reads node['languages'] other than Ruby's.
OHAI_DISABLED = ('C', 'Elixir', 'Erlang', 'Go', 'Groovy', 'Haskell', 'Java', 'Lua', 'Mono', 'Nodejs', 'Perl',
                 'PHP', 'Powershell', 'Python', 'Rust', 'Scala')
FINISHED = re.compile(r'(?:Chef Infra Client finished|Infra Phase complete), (\d+)/(\d+) resources updated')
LISTENING = 'is listening at '  # chef-zero's line once its listeners are open


def chef_env():
    return {**os.environ, 'BUNDLE_GEMFILE': str(PROJECT / 'Gemfile'), 'CHEF_LICENSE': 'accept-no-persist',
            'LANG': 'C.UTF-8'}


def _chef_cli(*args, cwd=PROJECT):
    return run(['bundle', 'exec', 'chef-cli', *map(str, args)], cwd=cwd, env=chef_env())


def policy_source(lab):
    """A copy of the Policyfile, its lock and the cookbooks in state/policy-source (chef-cli export and push
    rewrite the lock they read; the repository's copy stays as committed). The copy is locked when the lock
    is missing, and updated when the lock is older than the Policyfile."""
    source = lab.state_dir / 'policy-source'
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(COOKBOOKS, source / COOKBOOKS.name, ignore=shutil.ignore_patterns('spec'))
    shutil.copy2(POLICYFILE, source / POLICYFILE.name)
    if not LOCK.exists():
        _chef_cli('install', POLICYFILE.name, cwd=source)
    else:
        shutil.copy2(LOCK, source / LOCK.name)
        if LOCK.stat().st_mtime < POLICYFILE.stat().st_mtime:
            _chef_cli('update', POLICYFILE.name, cwd=source)
    return source


def export_policy(lab):
    """Export the policy to state/policy from the copy policy_source makes (local mode)."""
    source = policy_source(lab)
    export = lab.state_dir / 'policy'
    shutil.rmtree(export, ignore_errors=True)
    _chef_cli('export', POLICYFILE.name, export, cwd=source)
    return export


def server_url(host, port=SERVER_PORT):
    """The Chef server's https URL: a name as it is, an IPv6 literal in brackets (RFC 3986), no port for 443."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        authority = host
    else:
        if address.version != 6:
            raise LabError(f'{host}: the Chef server is reached over IPv6 only')
        authority = f'[{address}]'
    return f'https://{authority}' + ('' if port == 443 else f':{port}')


def _ruby_list(names):
    return '[' + ', '.join(':' + name for name in names) + ']'


def local_client_rb(chef_dir, export, policy):
    """client.rb of a local-mode run: the export as the repository, the node saved in chef_dir/nodes."""
    return (f"local_mode true\nchef_repo_path '{export}'\nuse_policyfile true\n"
            f"policy_document_native_api true\npolicy_name '{policy}'\npolicy_group 'local'\n"
            f"cache_path '{chef_dir}/cache'\nfile_cache_path '{chef_dir}/cache'\n"
            f"file_backup_path '{chef_dir}/backup'\nnode_path '{chef_dir}/nodes'\n"
            f"ohai.disabled_plugins = {_ruby_list(OHAI_DISABLED)}\n")


def server_client_rb(chef_dir, node, url, policy, group, ca_file):
    """client.rb of a run against a Chef server: the node's own key, the policy by name and group, TLS
    verified against the site CA (the server's name must be in its certificate)."""
    return (f"chef_server_url '{url}'\nnode_name '{node}'\nclient_key '{chef_dir}/client.pem'\n"
            f"use_policyfile true\npolicy_document_native_api true\n"
            f"policy_name '{policy}'\npolicy_group '{group}'\n"
            f"ssl_verify_mode :verify_peer\nverify_api_cert true\nssl_ca_file '{ca_file}'\n"
            f"trusted_certs_dir '{chef_dir}/trusted_certs'\n"
            f"cache_path '{chef_dir}/cache'\nfile_cache_path '{chef_dir}/cache'\n"
            f"file_backup_path '{chef_dir}/backup'\n"
            f"ohai.disabled_plugins = {_ruby_list(OHAI_DISABLED)}\n")


def push_config(url, admin, key, ca_file, trusted_certs_dir):
    """The config chef-cli push reads (-c): who signs, and the same TLS verification as the clients."""
    return (f"chef_server_url '{url}'\nnode_name '{admin}'\nclient_key '{key}'\n"
            f"ssl_verify_mode :verify_peer\nverify_api_cert true\nssl_ca_file '{ca_file}'\n"
            f"trusted_certs_dir '{trusted_certs_dir}'\n")


def _policy_name(lock):
    return json.loads(lock.read_text())['name']


def _attributes(lab):
    """The JSON attributes of every run: where the site file is, and the smoke-test iSCSI target (a
    sparse file in the state directory) that the compute hosts discover. The site itself is read from
    that file on each run and never stored in the node, whose saved copy (node_path in local mode, the
    server's store in server mode) outlives the policy."""
    path = lab.path('chef', 'attributes.json')
    probe = {'iqn': PROBE_IQN, 'path': str(lab.path('cinder', 'probe.img')), 'size_mb': 64}
    attributes = {'ipv6_edge': {'site_file': str(lab.site_file)},
                  'ipv6_rabbitmq': {'client_config': str(lab.state_dir / 'rabbitmq' / 'oslo_messaging.conf')},
                  'ipv6_cinder': {'probe_target': probe}}
    path.write_text(json.dumps(attributes, indent=2) + '\n')
    return path


# The Chef server

def server_host(lab):
    """The host the Chef server runs in: the ops host, reached by its AAAA name."""
    hosts = lab.hosts_with_role('ops')
    if not hosts:
        raise LabError(f'no host with role ops in {lab.site_file} to run the Chef server; converge with --local')
    return hosts[0]


def _server_dir(lab, *parts):
    return lab.dir(SERVER, *parts)


def _client_key(private_path, public_path):
    """An RSA key for a Chef client (Chef signs requests with RSA): the private key 0600, the public beside."""
    if private_path.exists() and public_path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pki.write_private(private_path, key.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                                      serialization.NoEncryption()))
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))


def _server_running(lab):
    """True when the pid recorded for the Chef server is alive and runs test/lab/chef-server."""
    pid_file = lab.state_dir / 'pids' / f'{SERVER}.pid'
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        command = Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
    except OSError:
        return False
    return pid_alive(pid) and str(SERVER_SCRIPT).encode() in command


def ensure_server(lab, say=print):
    """Start the Chef server in the ops host unless it runs; return its URL.

    First start: a leaf of the lab CA for the ops host's name, a client key per host (state/chef/HOST/
    client.pem) and one for the admin that pushes, every public key registered. The data (policies,
    cookbooks, nodes) is kept in state/chef-server/data, so a restart loses nothing; `lab down` stops it."""
    host = server_host(lab)
    name = lab.hosts[host]['fqdn']
    url = server_url(name)
    if _server_running(lab):
        return url
    tls = _server_dir(lab, 'tls')
    if not (tls / 'server.crt').exists():
        pki.authority(lab).issue(name, tls / 'server.crt', tls / 'server.key')
    clients = _server_dir(lab, 'clients')
    for client in lab.hosts:
        _client_key(lab.path('chef', client, 'client.pem'), clients / f'{client}.pub')
    _client_key(_server_dir(lab) / f'{ADMIN}.pem', clients / f'{ADMIN}.pub')
    log = lab.path('logs', f'{SERVER}.log')
    offset = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    argv = ['env', f'BUNDLE_GEMFILE={PROJECT / "Gemfile"}', 'LANG=C.UTF-8',
            'bundle', 'exec', 'ruby', SERVER_SCRIPT, *(f'--host={a}' for a in lab.hosts[host]['addresses']),
            f'--port={SERVER_PORT}', f"--cert={tls / 'server.crt'}", f"--key={tls / 'server.key'}",
            f"--file-store={_server_dir(lab, 'data')}", f'--clients={clients}']
    pid = lab.spawn(host, SERVER, argv)

    def listening():
        text = log.read_bytes()[offset:].decode(errors='replace')
        if not pid_alive(pid):
            raise LabError(f'the Chef server in {host} exited: {text.strip()[-500:] or "(no output)"} (log {log})')
        return LISTENING in text
    wait_until(f'the Chef server in {host} to listen (log {log})', listening, timeout=SERVER_START_TIMEOUT)
    say(f'  Chef server: {url} in {host} (pid {pid}), started in {time.monotonic() - started:.1f} s')
    return url


def _tree_digest(root):
    """A digest of every file under root, by relative path and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob('*') if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b'\0' + path.read_bytes() + b'\0')
    return digest.hexdigest()


def push_policy(lab, source, url, group=POLICY_GROUP, say=print):
    """chef-cli push GROUP from the policy source, run in the server's host (an admin's workstation would
    do the same from anywhere that resolves the name and trusts the CA). A revision the server's data holds
    for the group already (the server keeps its data across restarts) is not pushed again."""
    revision = json.loads((source / LOCK.name).read_text())['revision_id']
    pushed, key = _server_dir(lab) / f'pushed-{group}', f'{revision} {_tree_digest(source / COOKBOOKS.name)}'
    if pushed.exists() and pushed.read_text().strip() == key:
        say(f'  policy {_policy_name(source / LOCK.name)} {revision[:10]} already in group {group}')
        return
    config = _server_dir(lab) / 'push.rb'
    config.write_text(push_config(url, ADMIN, _server_dir(lab) / f'{ADMIN}.pem', lab.site['pki']['ca_bundle'],
                                  _server_dir(lab, 'trusted_certs')))
    started = time.monotonic()
    lab.run_in(server_host(lab), ['bundle', 'exec', 'chef-cli', 'push', group, LOCK.name, '-c', config],
               cwd=source, env=chef_env())
    pushed.write_text(f'{key}\n')
    say(f'  policy {_policy_name(source / LOCK.name)} {revision[:10]} pushed to group {group} '
        f'in {time.monotonic() - started:.1f} s')


def saved_node(lab, host):
    """Where the node host's last run saved is kept: the server's store, or node_path in local mode."""
    mode = lab.state_dir / 'chef' / 'mode'
    if mode.exists() and mode.read_text().strip() == 'local':
        return lab.state_dir / 'chef' / host / 'nodes' / f'{host}.json'
    return lab.state_dir / SERVER / 'data' / 'organizations' / 'chef' / 'nodes' / host


# Runs

def _client_argv(lab, host, client_rb_text, attributes, local):
    """chef-client in host with its client.rb (state/chef/HOST/client.rb), its node name and named run list."""
    client_rb = lab.path('chef', host, 'client.rb')
    client_rb.write_text(client_rb_text)
    return lab.argv_in(host, ['bundle', 'exec', 'chef-client', *(['-z'] if local else []), '-c', client_rb,
                              '-N', host, '-j', attributes, '-n', lab.role(host), '--slow-report', '15'])


def _start(argv, cwd, log):
    out = log.open('w')
    process = subprocess.Popen(argv, cwd=cwd, env=chef_env(), stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT)
    out.close()
    return process


def run_in_parallel(commands, logs, say=print, number=1):
    """Start every host's command at once, each writing its own log; as each ends, say so with its time.
    Returns {host: exit status}. commands: {host: (argv, cwd)}."""
    started = time.monotonic()
    processes = {host: _start(argv, cwd, logs[host]) for host, (argv, cwd) in commands.items()}
    statuses = {}
    while len(statuses) < len(processes):
        for host, process in processes.items():
            if host not in statuses and process.poll() is not None:
                statuses[host] = process.returncode
                say(f'  {host}: run {number} ended in {time.monotonic() - started:.1f} s'
                    + ('' if process.returncode == 0 else f' (exit {process.returncode})'))
        time.sleep(0.2)
    return {host: statuses[host] for host in commands}


def run_results(number, runs, outcomes):
    """Judge run `number` of `runs` from {host: (exit status, log text, log path)}, in the hosts' order.

    Returns (lines, resources updated in all, problems): a line per host that printed its summary, and a
    problem per host whose run failed, printed no summary, or, as the last of two or more runs, updated
    anything (a converge must be idempotent)."""
    lines, problems, updated_in_all = [], [], 0
    failed = [(host, log, path) for host, (status, log, path) in outcomes.items() if status != 0]
    if failed:
        return lines, 0, [f'{host}: chef-client run {number} failed: {_failure(log)} (log {path})'
                          for host, log, path in failed]
    for host, (_, log, path) in outcomes.items():
        finished = FINISHED.findall(log)
        if not finished:
            problems.append(f'{host}: chef-client run {number} printed no summary (log {path})')
            continue
        updated, total = map(int, finished[-1])
        lines.append(f'  {host}: run {number}: {updated}/{total} resources updated')
        if number == runs and runs > 1 and updated:
            problems.append(f'{host}: run {number} updated {updated} resources; a converge must be '
                            f'idempotent (see the updated resources in {path})')
        updated_in_all += updated
    return lines, updated_in_all, problems


def converge(lab, hosts, runs=2, say=print, local=False):
    """Run chef-client runs times on each host (hosts in parallel); the last run must change nothing.

    Server mode unless local: the Chef server started if it is not running, the policy pushed, every host
    against the server. Returns a summary (resources updated per run); raises LabError naming the host and
    its log when a run fails or the last run updated resources.
    """
    attributes = _attributes(lab)
    lab.path('chef', 'mode').write_text('local\n' if local else 'server\n')
    if local:
        export = export_policy(lab)
        policy, how = _policy_name(export / LOCK.name), 'chef-client -z'
        commands = {host: (_client_argv(lab, host, local_client_rb(lab.dir('chef', host), export, policy),
                                        attributes, local), export)
                    for host in hosts}
    else:
        source = policy_source(lab)
        url = ensure_server(lab, say)
        push_policy(lab, source, url, say=say)
        policy, how = _policy_name(source / LOCK.name), f'the Chef server {url}, policy group {POLICY_GROUP}'
        ca_file = lab.site['pki']['ca_bundle']
        commands = {}
        for host in hosts:
            chef_dir = lab.dir('chef', host)
            lab.dir('chef', host, 'trusted_certs')
            text = server_client_rb(chef_dir, host, url, policy, POLICY_GROUP, ca_file)
            commands[host] = (_client_argv(lab, host, text, attributes, local), chef_dir)
    updated_per_run = []
    for number in range(1, runs + 1):
        logs = {host: lab.path('logs', f'chef-{host}-run{number}.log') for host in hosts}
        statuses = run_in_parallel(commands, logs, say, number)
        lines, updated, problems = run_results(
            number, runs, {host: (statuses[host], logs[host].read_text(), logs[host]) for host in hosts})
        for line in lines:
            say(line)
        if problems:
            raise LabError('; '.join(problems))
        updated_per_run.append(updated)
    return (f"{len(hosts)} hosts through {how}; resources updated per run: "
            f"{', '.join(map(str, updated_per_run))}")


def _failure(output):
    """The line that says why a chef-client run failed (its last FATAL, else ERROR, line)."""
    for marker in ('FATAL: ', 'ERROR: '):
        found = [line.split(marker, 1)[1].strip() for line in output.splitlines() if marker in line]
        if found:
            return found[-1]
    return output.strip().splitlines()[-1] if output.strip() else '(no output)'
