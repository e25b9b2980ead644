"""The lab's stages: up, converge, verify, down, and cycle (all of them, timed)."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import yaml

import backends  # beside the lab script (test/lab)

from . import ansible, chef, credentials, dns, netns, pki, sshd, verifier
from .lab import PROJECT, Lab, LabError, resolve_site, stop_pids

DEFAULT_SITE = PROJECT / 'site' / 'lab.yml'
SUMMARY_DETAIL = 400  # characters of a stage's detail in the cycle summary
NO_TESTS_SELECTED = 5  # pytest's exit status when the selection leaves nothing
RUN_BEFORE = 'run-before.json'  # the machine's /run entries before `up`
KEPT = 'kept'  # written by `cycle --keep` when every stage passed: a converged, verified lab left up


def up(site_file, state_dir, say=print):
    """Install the verifier and check the site with it, clean any earlier lab, then build hosts, PKI,
    secrets, sshd, DNS and backends from the site."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='v6lab-verifier-') as staged:
        package = verifier.install(Path(staged) / 'verifier')
        verifier.check_site(package, site_file)
        down(state_dir, say=lambda message: None)
        run_before = sorted(os.listdir('/run'))  # what the machine had before the lab (test_down.py)
        site = resolve_site(yaml.safe_load(Path(site_file).read_text()), state_dir)
        Path(state_dir).mkdir(mode=0o700, parents=True)
        shutil.move(str(package), str(Path(state_dir) / 'verifier'))
        (Path(state_dir) / RUN_BEFORE).write_text(json.dumps(run_before) + '\n')
    say(f'  verifier: {time.monotonic() - started:.1f} s')
    lab = Lab(state_dir, site)
    lab.site_file.write_text(yaml.safe_dump(site, sort_keys=False))
    for what, start in (('namespaces', netns.create), ('PKI', pki.create), ('secrets', credentials.create),
                        ('sshd', sshd.start), ('DNS', dns.start), ('backends', backends.start)):
        started = time.monotonic()
        start(lab)
        say(f'  {what}: {time.monotonic() - started:.1f} s')
    return lab


def down(state_dir, say=print):
    """Stop every lab process and remove namespaces, links, mounts, /etc/netns entries and state."""
    state_dir = Path(state_dir)
    if (state_dir / 'site.yml').exists():
        lab = Lab.open(state_dir)
        backends.stop(lab)
        recorded = lab.recorded_pids()
    else:
        recorded = []
    in_namespaces = [pid for ns in netns.namespaces() for pid in netns.ns_pids(ns)]
    say(f'  stopping {len(set(recorded + in_namespaces))} processes')
    stop_pids(sorted(set(recorded + in_namespaces)))
    netns.destroy(state_dir)
    shutil.rmtree(state_dir, ignore_errors=True)


def converge(state_dir, hosts=None, say=print, runs=2, local=False):
    """chef-client runs times on every host (or hosts), in parallel: against the lab's Chef server, or in
    local mode (chef-client -z) with local."""
    lab = Lab.open(state_dir)
    unknown = sorted(set(hosts or ()) - set(lab.hosts))
    if unknown:
        raise LabError(f'no host {unknown} in {lab.site_file}; hosts: {", ".join(lab.hosts)}')
    return chef.converge(lab, hosts or list(lab.hosts), runs=runs, say=say, local=local)


def verify(state_dir, pytest_args=(), say=print, hosts=None):
    """Run the verifier's suites inside the ops host against every host over ssh, then its
    client-side checks again from every compute host (TLS and DNS as a compute node sees them),
    then the whole-zone DNS audit from the ops host (about a second: one AXFR per zone).

    hosts (testinfra's --hosts, e.g. `ssh://edgeop@[2001:db8:10::11]` with `--sudo` among pytest_args: the
    operator account, account.USER) replaces every lab host as root in the ops host's pass.

    Every pass runs even when an earlier one failed. With a narrowed selection (extra arguments or
    PYTEST_ADDOPTS) a pass may select nothing, but some pass must run a test; the DNS audit, which
    pytest's selection cannot narrow, runs only when nothing is narrowed."""
    lab = Lab.open(state_dir)
    targets = hosts or ','.join(f'ssh://root@[{lab.address(host)}]' for host in lab.hosts)
    transport = f"--transport-url-file={lab.state_dir / 'rabbitmq' / 'oslo_messaging.conf'}"
    passes = [(lab.hosts_with_role('ops')[0],
               [f'--hosts={targets}', f'--ssh-config={sshd.config_file(lab)}', transport])]
    passes += [(host, ['-m', 'client_side', transport]) for host in lab.hosts_with_role('compute')]
    narrowed = bool(pytest_args or os.environ.get('PYTEST_ADDOPTS'))
    counts, failed, selected = [], [], False
    for client, extra in passes:
        status, summary, report = _pytest_in(lab, client, [*extra, *pytest_args], say)
        counts.append(f'{client}: {summary}')
        if status == NO_TESTS_SELECTED and narrowed:
            continue
        selected = True
        if status != 0:
            failed.append(f'pytest in {client} exited {status} ({summary}); see {report}')
    if not selected:
        failed.append(f'the selection {" ".join(pytest_args) or os.environ["PYTEST_ADDOPTS"]} leaves no test')
    if not narrowed:
        try:
            counts.append(dns_audit(state_dir, say=say))
        except LabError as error:
            failed.append(str(error))
    if failed:
        raise LabError('; '.join(failed))
    return '; '.join(counts)


def _pytest_in(lab, client, args, say, prefix='', env=None):
    """(exit status, test counts, where the log and JUnit report are) of the suite run in client; prefix names
    the reports and the log of another kind of pass (`lab_cli.lab_verify` reads report-*.json only)."""
    junit, report = lab.state_dir / f'{prefix}junit-{client}.xml', lab.state_dir / f'{prefix}report-{client}.json'
    junit.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    package = verifier.ensure(lab.state_dir / 'verifier')
    argv = lab.argv_in(client, ['/usr/bin/python3', '-m', 'pytest', '--pyargs', verifier.SUITES, '-p',
                                'no:cacheprovider', f'--site={lab.site_file}', f'--junitxml={junit}',
                                '--report', 'json', str(report), *args])
    log = lab.path('logs', f'{prefix}verify-{client}.log')
    status, _ = _run_logged(argv, log, client, say, {**verifier.env(package), **(env or {})})
    return status, junit_counts(junit), f'{log}, {junit} and {report}'


def _run_logged(argv, log, client, say, env):
    """Run argv, its output written to log and said line by line with the client's name: (exit status, its
    last non-empty line)."""
    last = ''
    with log.open('w') as out:
        process = subprocess.Popen(argv, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=env)
        for line in process.stdout:
            out.write(line)
            last = line.strip() or last
            say(f'  [{client}] {line.rstrip()}')
    return process.wait(), last


def verify_ansible(state_dir, host=None, pytest_args=(), say=print, inventory=None):
    """The verifier's host-side suites from the ops host through testinfra's ansible backend: the lab's hosts
    written as an Ansible inventory (v6lab.ansible), or the inventory file given, `--ansible-inventory` with
    --hosts left out, so the hosts are the site's, each as ansible://NAME. With host, only that host's tests
    run (`-k ansible://HOST`, joined to a -k of pytest_args). Reports: STATE/ansible-junit-OPS.xml,
    STATE/ansible-report-OPS.json."""
    lab = Lab.open(state_dir)
    if host is not None and host not in lab.hosts:
        raise LabError(f'no host {host} in {lab.site_file}; hosts: {", ".join(lab.hosts)}')
    if inventory is None:
        inventory = ansible.write(lab)
    else:
        ansible.configure(lab)
        inventory = Path(inventory).resolve()
    args = list(pytest_args) if host is None else select_host(pytest_args, host)
    client = lab.hosts_with_role('ops')[0]
    transport = f"--transport-url-file={lab.state_dir / 'rabbitmq' / 'oslo_messaging.conf'}"
    status, summary, report = _pytest_in(lab, client, [f'--ansible-inventory={inventory}', '-m', 'not client_side',
                                                       transport, *args], say, prefix='ansible-', env=ansible.env(lab))
    if status != 0:
        raise LabError(f'pytest in {client} with --ansible-inventory exited {status} ({summary}); see {report}')
    return f'{client}, --ansible-inventory {inventory}: {summary}'


def select_host(pytest_args, host):
    """pytest_args narrowed to the tests of one ansible:// host: `-k ansible://HOST`, joined with `and` to the
    last `-k EXPRESSION` among them."""
    args = list(pytest_args)
    selection = f'ansible://{host}'
    given = [i for i, arg in enumerate(args[:-1]) if arg == '-k']
    if given:
        args[given[-1] + 1] = f'({args[given[-1] + 1]}) and {selection}'
    else:
        args += ['-k', selection]
    return args


def scan(state_dir, endpoints=(), full=False, say=print):
    """`edge-verify scan` (testssl.sh) from the ops host against the endpoints (default: all of them),
    with the quick subset of checks unless full; LabError when a finding is MEDIUM or worse."""
    lab = Lab.open(state_dir)
    unknown = sorted(set(endpoints) - set(lab.site.get('endpoints', {})))
    if unknown:
        raise LabError(f'no endpoint {unknown} in {lab.site_file}')
    package = verifier.ensure(lab.state_dir / 'verifier')
    client = lab.hosts_with_role('ops')[0]
    report = lab.state_dir / 'scan.json'
    argv = lab.argv_in(client, ['/usr/bin/python3', '-m', 'edge_verify', 'scan', f'--site={lab.site_file}',
                                *(f'--endpoint={name}' for name in endpoints), *([] if full else ['--subset']),
                                '--json', str(report)])
    log = lab.path('logs', 'scan.log')
    status, last = _run_logged(argv, log, client, say, verifier.env(package))
    if status != 0:
        raise LabError(f'{last}; see {log} and {report}')
    return last


def dns_audit_report(lab, client):
    return lab.state_dir / f'dns-audit-{client}.json'


def dns_audit(state_dir, client=None, no_axfr=False, say=print):
    """`edge-verify dns-audit` from client (default the ops host, which Knot allows to transfer the zones;
    from any other host the transfer is refused and the audit asks per name). Returns its summary line;
    LabError when it finds an error (warnings pass). Report: STATE/dns-audit-CLIENT.json."""
    lab = Lab.open(state_dir)
    client = client or lab.hosts_with_role('ops')[0]
    if client not in lab.hosts:
        raise LabError(f'no host {client} in {lab.site_file}; hosts: {", ".join(lab.hosts)}')
    package = verifier.ensure(lab.state_dir / 'verifier')
    report = dns_audit_report(lab, client)
    report.unlink(missing_ok=True)
    argv = lab.argv_in(client, ['/usr/bin/python3', '-m', 'edge_verify', 'dns-audit', f'--site={lab.site_file}',
                                '--report', 'json', str(report), *(['--no-axfr'] if no_axfr else [])])
    log = lab.path('logs', f'dns-audit-{client}.log')
    status, last = _run_logged(argv, log, client, say, verifier.env(package))
    if status != 0:
        raise LabError(f'{client}: {last}; see {log} and {report}')
    return f'{client}: {last}'


def junit_counts(junit):
    if not junit.exists():
        return 'no junit report'
    suite = ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == 'testsuite' else suite.find('testsuite')
    keys = ('tests', 'failures', 'errors', 'skipped')
    return ', '.join(f'{suite.get(key, "0")} {key}' for key in keys)


def cycle(site_file, state_dir, say=print, scan_endpoints=(), keep=False, local=False):
    """up, converge, verify (and scan, when endpoints are given), then down whatever happened (with keep,
    a lab that passed every stage stays up, marked as kept, for the fault tests to take over); print a
    summary; return the exit status."""
    stages = [('up', lambda: f'{len(up(site_file, state_dir, say).hosts)} hosts'),
              ('converge', lambda: converge(state_dir, say=say, local=local)),
              ('verify', lambda: verify(state_dir, say=say))]
    if scan_endpoints:
        stages.append(('scan', lambda: scan(state_dir, scan_endpoints, say=say)))
    results = []
    for name, stage in stages:
        if results and results[-1][1] != 'ok':
            results.append((name, 'not run', 0.0, ''))
        else:
            results.append(_timed(name, stage, say))
    if keep and all(r[1] == 'ok' for r in results):
        (Path(state_dir) / KEPT).write_text(f'{Path(site_file).resolve()}\n')
        say(f'  the lab stays up in {state_dir} (`lab down` ends it; the fault tests take it over)')
    else:
        results.append(_timed('down', lambda: down(state_dir, say), say))
    say('\nstage      result    seconds  detail')
    for name, result, seconds, detail in results:
        say(f'{name:<10} {result:<8} {seconds:8.1f}  {_shorten(detail)}')
    say(f'{"total":<10} {"":<8} {sum(r[2] for r in results):8.1f}')
    return 0 if all(r[1] == 'ok' for r in results) else 1


def _shorten(detail, limit=SUMMARY_DETAIL):
    """The summary keeps to one screen: a long failure was printed in full when its stage ended."""
    return detail if len(detail) <= limit else detail[:limit - 30] + ' ... (in full above)'


def _timed(name, stage, say):
    """(name, 'ok' or 'FAILED', seconds, detail) for one stage; the stage's exceptions become FAILED."""
    say(f'==> {name}')
    started = time.monotonic()
    try:
        detail, result = stage() or '', 'ok'
    except Exception as error:  # cycle reports every failure and still runs down
        detail, result = f'{type(error).__name__}: {error}', 'FAILED'
    seconds = time.monotonic() - started
    say(f'<== {name} {result} in {seconds:.1f} s' + ('' if result == 'ok' else f': {detail}'))
    return name, result, seconds, detail
