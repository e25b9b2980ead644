"""RabbitMQ on the controller: the preflight stops a converge before the broker is touched, the broker's own
behaviour without the preflight is recorded, a config-change restart loses no durable message, and AMQPS
(certificate, listener) broken behind Chef's back is seen by the verifier and repaired by a converge; a client
config without AMQPS and CLI tools without inet6 distribution are seen, and repaired with the saved file."""
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from lab_cli import failed_with, lab_command, lab_verify
from v6lab import dns, pki

CONF = '/etc/rabbitmq/rabbitmq.conf'
PID_FILE = '/run/rabbitmq/pid'
# The same restart as the doc formatter and as an INFO log line print it.
RESTART = (re.compile(r'- restart service service\[rabbitmq-server[^\]]*\]'),
           re.compile(r'service\[rabbitmq-server[^\]]*\] restarted'))


def restarts(log):
    return max(len(pattern.findall(log)) for pattern in RESTART)


def converge(lab, host, runs=1):
    result = lab_command(lab.state_dir, 'converge', '--host', host, f'--runs={runs}')
    return result.returncode, result.stdout + result.stderr


def in_host(lab, host, argv, **kwargs):
    """argv in host; the CompletedProcess, whatever its exit status."""
    return subprocess.run(lab.argv_in(host, argv), capture_output=True, text=True, **kwargs)


def broker_state(lab, host):
    """(OS pid of the broker, rabbitmq.conf mtime): what a touched broker would change."""
    pid = in_host(lab, host, ['cat', PID_FILE]).stdout.strip()
    mtime = in_host(lab, host, ['stat', '-c', '%Y.%y', CONF]).stdout.strip()
    return pid, mtime


def chef_log(lab, host, runs=(1,)):
    """The logs of the given chef-client runs of the last converge of host (a failed converge has only run 1;
    a later run's log may be left from an earlier converge)."""
    return ''.join(lab.path('logs', f'chef-{host}-run{number}.log').read_text() for number in runs)


KOMBU = r'''
import ssl, sys, kombu
from urllib.parse import urlsplit
url, action, queue_name, body, ca_file = sys.argv[1:6]
options = {}
if ca_file:
    options['ssl'] = {'ca_certs': ca_file, 'cert_reqs': ssl.CERT_REQUIRED, 'server_hostname': urlsplit(url).hostname}
url = ('amqps://' if ca_file else 'amqp://') + url.split('://', 1)[1]
with kombu.Connection(url, connect_timeout=5, **options) as connection:
    queue = kombu.Queue(queue_name, exchange=kombu.Exchange(queue_name, type='direct', durable=True),
                        routing_key=queue_name, durable=True, auto_delete=False)
    if action == 'publish':
        with connection.Producer() as producer:
            producer.publish(body, exchange=queue.exchange, routing_key=queue_name, declare=[queue],
                             delivery_mode=2)
    else:
        simple = connection.SimpleQueue(queue)
        message = simple.get(block=True, timeout=10)
        message.ack()
        print(message.payload)
        queue(connection.default_channel).delete()
'''


def client_config(lab):
    return Path(lab.state_dir, 'rabbitmq', 'oslo_messaging.conf').read_text()


def transport_url(lab):
    return re.search(r'^transport_url\s*=\s*(\S+)', client_config(lab), re.M).group(1)


def ssl_ca_file(lab):
    """The rendered [oslo_messaging_rabbit] ssl_ca_file ('' when the client config has no AMQPS)."""
    found = re.search(r'^ssl_ca_file\s*=\s*(\S+)', client_config(lab), re.M)
    return found.group(1) if found else ''


@pytest.fixture(scope='module')
def controller(edge):
    """The broker's host, in the shared lab with every host converged (the client config on the compute host
    included)."""
    return edge.hosts_with_role('controller')[0]


@pytest.mark.fault('an A record (192.0.2.11) for the broker host\'s name',
                   note='chef-client\'s preflight refuses it before the broker is touched (dns_a_record in its log, '
                   'or the record in its output); the record is removed, no converge after')
def test_orphaned_a_record_stops_converge_before_broker(edge, controller):
    lab = edge
    """The stale A record of dual-stack days must be named and stop the run; the broker keeps running untouched."""
    fqdn = lab.hosts[controller]['fqdn']
    before = broker_state(lab, controller)
    dns.set_extra_records(lab, [f'{fqdn}. 300 A 192.0.2.11'])
    try:
        status, output = converge(lab, controller)
    finally:
        dns.set_extra_records(lab, [])
    log = chef_log(lab, controller)
    assert status != 0, f'converge passed with an A record for {controller}:\n{output}'
    assert 'dns_a_record' in log or 'A 192.0.2.11' in output, output
    assert 'ipv6_rabbitmq_broker[' not in log and 'apt_package[rabbitmq-server]' not in log, log[-3000:]
    assert broker_state(lab, controller) == before


@pytest.mark.fault('a 127.0.1.1 line for the broker host\'s name in its /etc/hosts',
                   note='the preflight refuses it before the broker is configured; the line is removed, no converge '
                   'after')
def test_ipv4_hosts_line_stops_converge_before_broker(edge, controller):
    lab = edge
    """A 127.0.1.1 line maps the node name to IPv4; the run must stop before the broker is configured."""
    hosts_file = Path('/etc/netns') / lab.ns(controller) / 'hosts'
    original = hosts_file.read_text()
    before = broker_state(lab, controller)
    hosts_file.write_text(f"{original}127.0.1.1 {lab.hosts[controller]['fqdn']} {controller}\n")
    try:
        status, output = converge(lab, controller)
    finally:
        hosts_file.write_text(original)
    log = chef_log(lab, controller)
    assert status != 0, f'converge passed with 127.0.1.1 on {controller}:\n{output}'
    assert '127.0.1.1' in output
    assert 'ipv6_rabbitmq_broker[' not in log
    assert broker_state(lab, controller) == before


def test_durable_message_survives_config_change_restart(edge, controller):
    lab = edge
    """A converge that changes the broker's config restarts it once; a persistent message in a durable queue
    must still be there afterwards."""
    client = lab.hosts_with_role('compute')[0]
    url, queue, body = transport_url(lab), f'durable-{secrets.token_hex(4)}', secrets.token_hex(8)
    published = in_host(lab, client, ['/usr/bin/python3', '-c', KOMBU, url, 'publish', queue, body, ssl_ca_file(lab)])
    assert published.returncode == 0, published.stderr
    pid_before, _ = broker_state(lab, controller)
    # Drift on the live file: the converge puts the managed content back, which is a config change.
    conf = Path(in_host(lab, controller, ['readlink', '-f', CONF]).stdout.strip())
    in_host(lab, controller, ['sh', '-c', f'echo "# drift" >> {CONF}'])
    status, output = converge(lab, controller, runs=2)
    assert status == 0, output
    log = chef_log(lab, controller, runs=(1, 2))
    assert restarts(log) == 1, f'expected one restart of the broker, log:\n{log[-3000:]}'
    pid_after, _ = broker_state(lab, controller)
    assert pid_after != pid_before, f'the broker was not restarted ({conf})'
    consumed = in_host(lab, client, ['/usr/bin/python3', '-c', KOMBU, url, 'consume', queue, body, ssl_ca_file(lab)])
    assert consumed.returncode == 0 and consumed.stdout.strip() == body, consumed.stdout + consumed.stderr


@pytest.mark.fault('the guest user added back to the broker', codes=('guest_user',), note='repair: a converge')
def test_verifier_sees_the_guest_user(edge, controller):
    lab = edge
    """guest back on the broker must fail its check with guest_user; a converge removes it again."""
    selection = 'rabbitmq_has_no_guest_user'
    ops = lab.hosts_with_role('ops')[0]
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the check fails before the fault:\n{output}'
    added = in_host(lab, controller, ['rabbitmqctl', 'add_user', 'guest'], input='guest-fault-test\n')
    assert added.returncode == 0, added.stdout + added.stderr
    try:
        passed, output, failures = lab_verify(lab.state_dir, selection)
    finally:
        status, repaired = converge(lab, controller)
    assert not passed and failed_with(failures, ops, 'test_rabbitmq_has_no_guest_user', 'guest_user'), output
    assert status == 0, repaired
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'guest is still there after a converge:\n{output}'


@pytest.mark.fault('the orphaned A record, also in the broker host\'s /etc/hosts, with policy.preflight false',
                   note='records what the broker itself does; with the preflight back on the same converge is '
                   'refused, and once the record is gone the host converges')
def test_preflight_off_records_the_brokers_own_failure(edge, controller):
    lab = edge
    """Without the preflight nothing stops the orphaned A record: record what the broker itself does and prints,
    then show the preflight stopping the same converge first."""
    site_file = Path(lab.site_file)
    original = site_file.read_text()
    site = yaml.safe_load(original)
    site.setdefault('policy', {})['preflight'] = False
    fqdn = lab.hosts[controller]['fqdn']
    hosts_file = Path('/etc/netns') / lab.ns(controller) / 'hosts'
    hosts_original = hosts_file.read_text()
    record = Path(lab.state_dir, 'logs', 'rabbitmq-preflight-off.txt')
    site_file.write_text(yaml.safe_dump(site, sort_keys=False))
    dns.set_extra_records(lab, [f'{fqdn}. 300 A 192.0.2.11'])
    # The orphaned address as the host's own resolver sees it (DNS answers A; the hosts file holds it too,
    # as it did on the dual-stack host).
    hosts_file.write_text(''.join(line for line in hosts_original.splitlines(True)
                                  if not line.split()[1:2] == [fqdn]) + f'192.0.2.11 {fqdn} {controller}\n')
    try:
        in_host(lab, controller, ['sh', '-c', f'echo "# drift" >> {CONF}'])
        status, output = converge(lab, controller)
        ping = in_host(lab, controller, ['rabbitmq-diagnostics', '-q', 'ping'], timeout=120)
        startup = in_host(lab, controller, ['sh', '-c', 'tail -n 40 /var/log/rabbitmq/startup_err '
                                            '/var/log/rabbitmq/startup_log 2>&1'])
        record.write_text(f'converge exit {status}\n{output[-4000:]}\n--- rabbitmq-diagnostics -q ping: exit '
                          f'{ping.returncode}\n{ping.stdout}{ping.stderr}\n--- startup logs\n{startup.stdout}\n')
        print(record.read_text())
        assert 'policy.preflight is false' in chef_log(lab, controller)
    finally:
        site_file.write_text(original)
        hosts_file.write_text(hosts_original)
    try:
        status_on, output_on = converge(lab, controller)
    finally:
        dns.set_extra_records(lab, [])
    assert status_on != 0 and 'A 192.0.2.11' in output_on, output_on
    status, output = converge(lab, controller)
    assert status == 0, f'{controller} does not converge again once the record is gone:\n{output}'


AMQPS_CHECKS = 'amqps or amqp_client_round_trip'


def broker_tls_dir(lab, host):
    """The broker's own copies of its TLS files, as the host sees /etc/rabbitmq/tls."""
    return Path('/etc/netns') / lab.ns(host) / 'rabbitmq' / 'tls'


def restart_broker(lab, host):
    restarted = in_host(lab, host, ['/etc/init.d/rabbitmq-server', 'restart'], timeout=180)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr


def assert_amqps_clean(lab, why):
    passed, output, problems = lab_verify(lab.state_dir, AMQPS_CHECKS)
    assert passed, f'the AMQPS checks fail {why}:\n{output}\n{problems}'


@pytest.mark.fault('a self-signed pair in the broker\'s TLS files, the broker restarted',
                   codes=('self_signed', 'amqp_round_trip'), note='repair: a converge')
def test_verifier_sees_a_self_signed_amqps_certificate(lab, controller):
    """A self-signed pair swapped into the broker's TLS files behind Chef's back and the broker restarted: the
    certificate check reports self_signed on the broker host from every client, the AMQPS round trip fails;
    a converge puts the site's pair back (and restarts the broker once)."""
    ops, client = lab.hosts_with_role('ops')[0], lab.hosts_with_role('compute')[0]
    fqdn = lab.hosts[controller]['fqdn']
    assert_amqps_clean(lab, 'before the fault')
    tls_dir = broker_tls_dir(lab, controller)
    saved = Path(tempfile.mkdtemp(prefix='amqps-saved-'))
    rabbitmq = pwd.getpwnam('rabbitmq')
    try:
        for name in ('cert.pem', 'key.pem'):
            shutil.copy2(tls_dir / name, saved / name)
        pki.authority(lab).issue(fqdn, tls_dir / 'cert.pem', tls_dir / 'key.pem', self_signed=True, key_mode=0o400)
        os.chown(tls_dir / 'key.pem', rabbitmq.pw_uid, rabbitmq.pw_gid)
        restart_broker(lab, controller)
        passed, output, problems = lab_verify(lab.state_dir, AMQPS_CHECKS)
    finally:
        status, repaired = converge(lab, controller)
        shutil.rmtree(saved)
    assert not passed, output
    for name in (ops, client):
        assert failed_with(problems, name, 'test_amqps_cert_chains_to_org_ca_for_broker_name', 'self_signed'), problems
        assert failed_with(problems, name, 'test_amqp_client_round_trip', 'amqp_round_trip'), problems
    assert status == 0, repaired
    assert restarts(chef_log(lab, controller)) == 1, chef_log(lab, controller)[-3000:]
    assert_amqps_clean(lab, 'after the converge that repairs them')


@pytest.mark.fault('the AMQPS listener dropped from rabbitmq.conf, the broker restarted',
                   codes=('listener_missing', 'amqp_round_trip'), note='repair: a converge')
def test_verifier_sees_the_amqps_listener_removed(lab, controller):
    """The ssl listener dropped from rabbitmq.conf behind Chef's back and the broker restarted: the listener
    check reports listener_missing on the broker host, the round trip fails; a converge restores it."""
    client = lab.hosts_with_role('compute')[0]
    assert_amqps_clean(lab, 'before the fault')
    drop = r'/^listeners\.ssl\./d'
    edited = in_host(lab, controller, ['sed', '-i', drop, CONF])
    assert edited.returncode == 0, edited.stderr
    try:
        restart_broker(lab, controller)
        passed, output, problems = lab_verify(lab.state_dir, AMQPS_CHECKS)
    finally:
        status, repaired = converge(lab, controller)
    assert not passed, output
    assert failed_with(problems, lab.hosts_with_role('ops')[0], 'test_amqps_listens_v6only_on_site_addresses',
                       'listener_missing', ':5671'), problems
    assert failed_with(problems, client, 'test_amqp_client_round_trip', 'amqp_round_trip'), problems
    assert status == 0, repaired
    assert_amqps_clean(lab, 'after the converge that restores the listener')


@pytest.mark.fault('an unfit AMQPS pair at services.rabbitmq.tls: self-signed, for another name, expired, without '
                   'its intermediate, with a mismatched key',
                   note='the converge stops while the run list compiles, the broker untouched; putting the good pair '
                   'back is the whole repair')
@pytest.mark.parametrize('fault, message', [
    ({'self_signed': True}, 'is self-signed'),
    ({'san': ['rabbitmq.lab.example.net']}, 'not ctl1.lab.example.net'),
    ({'expired': True}, 'expired on'),
    ({'intermediate': False}, 'append the intermediate'),
    ({'mismatched_key': True}, 'does not belong to the certificate'),
], ids=['self-signed', 'san-mismatch', 'expired', 'unchained', 'key-mismatch'])
def test_unfit_broker_certificate_stops_converge_before_broker(lab, controller, fault, message):
    """The site's own pair unfit for service: the converge stops, naming services.rabbitmq.tls and the fix,
    before the package, the files or the service of the broker are touched. The refusal comes while the
    run list compiles, before any resource converges, so putting the good pair back is the whole repair."""
    tls = lab.site['services']['rabbitmq']['tls']
    fqdn = lab.hosts[controller]['fqdn']
    saved = Path(tempfile.mkdtemp(prefix='amqps-site-'))
    for name in ('cert', 'key'):
        shutil.copy2(tls[name], saved / name)
    before = broker_state(lab, controller)
    try:
        pki.authority(lab).issue(fqdn, tls['cert'], tls['key'], **fault)
        status, output = converge(lab, controller)
    finally:
        for name in ('cert', 'key'):
            shutil.copy2(saved / name, tls[name])
        shutil.rmtree(saved)
    log = chef_log(lab, controller)
    assert status != 0, f'converge passed with an unfit broker certificate ({fault}):\n{output}'
    said = log + output
    assert 'services.rabbitmq.tls.' in said and message in said, said[-3000:]
    assert 'ipv6_rabbitmq_broker[' not in log and 'apt_package[rabbitmq-server]' not in log, log[-3000:]
    assert broker_state(lab, controller) == before


@pytest.mark.fault('the client config without AMQPS: transport_url on the cleartext AMQP port, no ssl, no ssl_ca_file',
                   codes=('amqp_cleartext',), note='repair: the saved client config back')
def test_verifier_sees_a_client_config_without_amqps(lab, controller):
    """Where the site turns AMQPS on, a client config on the cleartext port still gets its messages through (the
    broker listens there too) and sends the service's password in clear: the round trip passes, so the client
    check must name the config, from every client that reads it."""
    ops, client = lab.hosts_with_role('ops')[0], lab.hosts_with_role('compute')[0]
    path = Path(lab.state_dir, 'rabbitmq', 'oslo_messaging.conf')
    good = path.read_text()
    service = lab.site['services']['rabbitmq']
    tls_port, plain_port = service['tls'].get('port', 5671), service.get('port', 5672)
    url = transport_url(lab)
    assert f':{tls_port}/' in url and ssl_ca_file(lab), f'{path} does not use AMQPS before the fault:\n{good}'
    cleartext = good.replace(url, url.replace(f':{tls_port}/', f':{plain_port}/'))
    path.write_text(re.sub(r'^ssl(_ca_file)? = .*\n', '', cleartext, flags=re.M))
    try:
        passed, output, problems = lab_verify(lab.state_dir, 'amqp_client_round_trip')
    finally:
        path.write_text(good)
    assert not passed, output
    for name in (ops, client):
        assert failed_with(problems, name, 'test_amqp_client_round_trip', 'amqp_cleartext',
                           f'transport_url on port {plain_port}'), problems
    passed, output, problems = lab_verify(lab.state_dir, 'amqp_client_round_trip')
    assert passed, f'the client check still fails with the saved client config back:\n{output}\n{problems}'


@pytest.mark.fault('CTL_ERL_ARGS (the CLI tools\' inet6 distribution) dropped from rabbitmq-env.conf',
                   codes=('broker_unreachable',), note='repair: the saved rabbitmq-env.conf back')
def test_verifier_sees_the_cli_tools_without_inet6_distribution(lab, controller):
    """On a host without IPv4 the CLI tools reach the node over inet6 distribution only: without it operators (and
    the init script's status) lose rabbitmqctl while the broker runs on. The CLI reads the file on every call, so
    neither the fault nor the repair needs a restart."""
    env_conf = Path('/etc/netns') / lab.ns(controller) / 'rabbitmq' / 'rabbitmq-env.conf'
    good = env_conf.read_text()
    assert re.search(r'^CTL_ERL_ARGS=', good, re.M), f'{env_conf} sets no CTL_ERL_ARGS:\n{good}'
    selection = 'rabbitmq_diagnostics_work_over_inet6'
    ops = lab.hosts_with_role('ops')[0]
    env_conf.write_text(re.sub(r'^CTL_ERL_ARGS=.*\n', '', good, flags=re.M))
    try:
        passed, output, problems = lab_verify(lab.state_dir, selection)
    finally:
        env_conf.write_text(good)
    assert not passed and failed_with(problems, ops, 'test_rabbitmq_diagnostics_work_over_inet6',
                                      'broker_unreachable', 'rabbitmq-diagnostics -q ping'), output
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the CLI checks still fail with the saved rabbitmq-env.conf back:\n{output}'
