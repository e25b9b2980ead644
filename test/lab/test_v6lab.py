"""The lab's pure parts, without a lab: zone, site rewriting, secret references, certificate options, Chef
configuration, the collection of parallel runs, the Ansible inventory of its hosts and the operator account."""
import datetime
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.zone as dns_zone
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from edge_verify import site as site_mod
from edge_verify.checks import dns_audit
from edge_verify.facts import zone as zone_facts
from testinfra.utils.ansible_runner import AnsibleRunner

from v6lab import account, ansible, chef, credentials, dns, pki, sshd, stages
from v6lab.lab import ENTER_HOST, PROJECT, Lab, LabError, resolve_site, run

SITE = yaml.safe_load((PROJECT / 'site' / 'lab.yml').read_text())


def records(zone_text):
    return [line.split() for line in zone_text.splitlines() if not line.startswith('$')]


def test_zone_has_aaaa_for_every_host_and_endpoint_and_no_a():
    """Clients must find every name over IPv6 and nothing over IPv4."""
    found = records(dns.zone_text(SITE, 7))
    aaaa = {(name, value) for name, rtype, value in (r for r in found if r[1] == 'AAAA')}
    expected = {(f"{h['fqdn']}.", a) for h in SITE['hosts'].values() for a in h['addresses']}
    expected |= {(f"{e['fqdn']}.", SITE['hosts'][e['host']]['addresses'][0]) for e in SITE['endpoints'].values()}
    assert aaaa == expected
    assert [r[1] for r in found if r[1] != 'AAAA'] == ['SOA', 'NS']
    assert found[0][4] == '7'


def test_zone_extra_records_are_served_verbatim():
    """Fault tests inject records through this; an A record must reach the zone."""
    assert records(dns.zone_text(SITE, 1, ['ctl1.lab.example.net. A 192.0.2.1']))[-1] == \
        ['ctl1.lab.example.net.', 'A', '192.0.2.1']


def test_reverse_zone_has_the_hosts_name_for_every_host_address():
    """The DNS audit checks each site address's PTR; the lab serves one reverse zone per /64."""
    zones = dns.reverse_zones(SITE)
    assert list(zones) == ['0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa']
    found = records(dns.reverse_zone_text(SITE, '0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 3))
    ptr = {(name, value) for name, rtype, value in (r for r in found if r[1] == 'PTR')}
    assert ptr == {(f"{ipaddress.IPv6Address(a).reverse_pointer}.", f"{h['fqdn']}.")
                   for h in SITE['hosts'].values() for a in h['addresses']}
    assert [r[1] for r in found if r[1] != 'PTR'] == ['SOA', 'NS'] and found[0][4] == '3'


def test_knot_transfers_every_zone_to_the_ops_host_only(tmp_path):
    """The audit from the ops host reads each zone with one AXFR; any other host is refused (and asks per name)."""
    text = dns._config_text(Lab(tmp_path, SITE))
    assert "address: [2001:db8:10::31]\n    action: transfer" in text
    for zone in ('lab.example.net', *dns.reverse_zones(SITE)):
        assert f'  - domain: {zone}\n    file: "{zone}.zone"\n    acl: transfer_to_ops\n' in text


def test_lab_zones_pass_the_dns_audit():
    """What the lab's Knot serves is what the site describes: the audit finds nothing in it."""
    forward = dns_zone.from_text(dns.zone_text(SITE, 1), relativize=False)
    reverse = [dns_zone.from_text(dns.reverse_zone_text(SITE, zone, 1), relativize=False)
               for zone in dns.reverse_zones(SITE)]
    site = site_mod.load(PROJECT / 'site' / 'lab.yml')
    assert dns_audit.audit(site, zone_facts.records_from_zone(forward, 'AXFR'),
                           [zone_facts.records_from_zone(r, 'AXFR') for r in reverse]) == []


def test_zone_leaves_out_the_omitted_names_only():
    """Fault tests take a name's AAAA record away through this; every other name keeps its records."""
    found = records(dns.zone_text(SITE, 2, omit=['keystone.lab.example.net']))
    names = {r[0] for r in found if r[1] == 'AAAA'}
    assert 'keystone.lab.example.net.' not in names
    assert names == {f"{h['fqdn']}." for h in SITE['hosts'].values()} | {
        f"{e['fqdn']}." for e in SITE['endpoints'].values() if e['fqdn'] != 'keystone.lab.example.net'}


def test_resolve_site_moves_only_state_paths(tmp_path):
    resolved = resolve_site(SITE, tmp_path)
    assert resolved['pki']['ca_bundle'] == f'{tmp_path}/pki/ca.pem'
    assert resolved['endpoints']['keystone']['key'] == f'{tmp_path}/pki/keystone.key'
    assert resolved['hosts'] == SITE['hosts']
    assert resolve_site({'a': '/var/lib/v6labx/f'}, tmp_path) == {'a': '/var/lib/v6labx/f'}


def test_file_references_finds_every_secret_file():
    assert sorted(credentials.file_references(SITE['services'])) == [
        '/var/lib/v6lab/secrets/keystone-admin', '/var/lib/v6lab/secrets/placement',
        '/var/lib/v6lab/secrets/rabbitmq-cookie', '/var/lib/v6lab/secrets/rabbitmq-openstack']
    assert credentials.file_references({'u': {'password': {'env': 'X'}}}) == []


def test_broker_certificate_is_issued_for_the_broker_hosts_name(tmp_path):
    """AMQPS clients connect to the broker host by its AAAA-only name: the lab issues its leaf for that name,
    at the paths of services.rabbitmq.tls (moved into the state directory)."""
    resolved = resolve_site(SITE, tmp_path)
    assert pki.broker_tls(resolved) == ('ctl1.lab.example.net', f'{tmp_path}/pki/rabbitmq.crt',
                                        f'{tmp_path}/pki/rabbitmq.key')
    without = yaml.safe_load(yaml.safe_dump(SITE))
    del without['services']['rabbitmq']['tls']
    assert pki.broker_tls(without) is None


TOMORROW = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)


@pytest.fixture(scope='module')
def ca():
    return pki.Authority.create()


def issue(ca, tmp_path, **options):
    cert, key = tmp_path / 'leaf.crt', tmp_path / 'leaf.key'
    ca.issue('keystone.lab.example.net', cert, key, **options)
    marker = b'-----END CERTIFICATE-----\n'
    chain = [x509.load_pem_x509_certificate(part + marker) for part in cert.read_bytes().split(marker)[:-1]]
    return chain, serialization.load_pem_private_key(key.read_bytes(), None), key


def public(thing):
    return thing.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_default_leaf_is_good(ca, tmp_path):
    chain, key, key_file = issue(ca, tmp_path)
    leaf, intermediate = chain
    assert intermediate == ca.intermediate and leaf.issuer == ca.intermediate.subject
    assert public(leaf) == public(key)
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ['keystone.lab.example.net']
    assert leaf.not_valid_after > datetime.datetime.utcnow() + datetime.timedelta(days=300)
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize('options, broken', [
    ({'self_signed': True}, lambda chain, key, ca: chain[0].issuer == chain[0].subject),
    ({'expired': True}, lambda chain, key, ca: chain[0].not_valid_after < datetime.datetime.utcnow()),
    ({'not_before': TOMORROW}, lambda chain, key, ca: chain[0].not_valid_before > datetime.datetime.utcnow()),
    ({'other_ca': True}, lambda chain, key, ca: chain[1].subject == chain[0].issuer and chain[1] != ca.intermediate),
    ({'intermediate': False}, lambda chain, key, ca: len(chain) == 1),
    ({'mismatched_key': True}, lambda chain, key, ca: public(chain[0]) != public(key)),
    ({'san': ['other.lab.example.net']}, lambda chain, key, ca: chain[0].extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == ['other.lab.example.net']),
], ids=['self_signed', 'expired', 'not_yet_valid', 'other_ca', 'no_intermediate', 'mismatched_key', 'san'])
def test_issue_option_breaks_its_property(ca, tmp_path, options, broken):
    chain, key, _ = issue(ca, tmp_path, **options)
    assert broken(chain, key, ca)


def test_key_mode_option(ca, tmp_path):
    assert issue(ca, tmp_path, key_mode=0o644)[2].stat().st_mode & 0o777 == 0o644


def test_commands_in_a_host_get_its_own_run_directory(tmp_path):
    """Daemons in lab hosts write pid files and sockets under /run: each host's must be its own, in the
    state directory, so hosts do not share them and `lab down` leaves none in the machine's /run."""
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    argv = lab.argv_in('ctl1', ['haproxy', '-c'])
    assert argv[:4] == ['ip', 'netns', 'exec', 'v6lab-ctl1']
    assert argv[-5:] == [str(tmp_path / 'hostrun' / 'ctl1'), str(tmp_path / 'hostvar' / 'ctl1'),
                         str(tmp_path / 'uts' / 'ctl1'), 'haproxy', '-c']
    assert 'mount --bind "$1" /run' in argv[argv.index('-c') + 1]


def test_service_databases_and_logs_are_per_host():
    """Keystone's and Placement's databases and logs live in the host's own copy of their /var
    directories, so a lab never writes the machine's and each lab starts from empty databases."""
    script = ENTER_HOST
    for relative in ('lib/keystone', 'lib/placement', 'log/keystone', 'log/placement'):
        assert relative in script
    assert 'mount --bind "$2/$d" "/var/$d"' in script


def settings(client_rb):
    """client.rb's `key value` lines as a dict (values as written, quotes included)."""
    return dict(line.split(' ', 1) for line in client_rb.splitlines() if ' ' in line and '=' not in line)


@pytest.mark.parametrize('host, port, url', [
    ('ops1.lab.example.net', 443, 'https://ops1.lab.example.net'),
    ('ops1.lab.example.net', 8443, 'https://ops1.lab.example.net:8443'),
    ('2001:db8:10::31', 443, 'https://[2001:db8:10::31]'),
    ('2001:db8:10:0:0:0:0:31', 8889, 'https://[2001:db8:10::31]:8889'),
])
def test_server_url_is_the_name_or_a_bracketed_literal(host, port, url):
    """An IPv6 literal in a URL needs brackets (RFC 3986); the lab itself passes the server's AAAA name."""
    assert chef.server_url(host, port) == url


def test_server_url_refuses_ipv4():
    with pytest.raises(LabError, match='IPv6 only'):
        chef.server_url('192.0.2.1')


def test_lab_server_is_the_ops_host_by_its_name(tmp_path):
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    assert chef.server_host(lab) == 'ops1'
    assert chef.server_url(lab.hosts[chef.server_host(lab)]['fqdn']) == 'https://ops1.lab.example.net'


def test_server_client_rb_verifies_the_server_and_names_the_policy(tmp_path):
    """A run against the server: its own key, the policy by name and group, TLS checked against the site CA
    (a name the certificate holds; nothing falls back to an unverified connection), nothing of local mode."""
    text = chef.server_client_rb(tmp_path, 'ctl1', 'https://ops1.lab.example.net', 'ipv6_edge', 'lab',
                                 '/var/lib/v6lab/pki/ca.pem')
    found = settings(text)
    assert found['chef_server_url'] == "'https://ops1.lab.example.net'"
    assert found['node_name'] == "'ctl1'" and found['client_key'] == f"'{tmp_path}/client.pem'"
    assert (found['policy_name'], found['policy_group'], found['use_policyfile']) == ("'ipv6_edge'", "'lab'", 'true')
    assert (found['ssl_verify_mode'], found['verify_api_cert']) == (':verify_peer', 'true')
    assert found['ssl_ca_file'] == "'/var/lib/v6lab/pki/ca.pem'"
    assert found['trusted_certs_dir'] == f"'{tmp_path}/trusted_certs'"
    assert not {'local_mode', 'chef_repo_path', 'node_path'} & set(found)
    assert 'ohai.disabled_plugins = [:C, ' in text


def test_local_client_rb_runs_on_the_export(tmp_path):
    found = settings(chef.local_client_rb(tmp_path, tmp_path / 'policy', 'ipv6_edge'))
    assert (found['local_mode'], found['chef_repo_path'], found['policy_group']) == (
        'true', f"'{tmp_path}/policy'", "'local'")
    assert found['node_path'] == f"'{tmp_path}/nodes'" and 'chef_server_url' not in found


def test_push_config_signs_as_the_admin_and_verifies_the_server(tmp_path):
    found = settings(chef.push_config('https://ops1.lab.example.net', 'lab-admin', tmp_path / 'lab-admin.pem',
                                      '/ca.pem', tmp_path / 'trusted'))
    assert found == {'chef_server_url': "'https://ops1.lab.example.net'", 'node_name': "'lab-admin'",
                     'client_key': f"'{tmp_path}/lab-admin.pem'", 'ssl_verify_mode': ':verify_peer',
                     'verify_api_cert': 'true', 'ssl_ca_file': "'/ca.pem'",
                     'trusted_certs_dir': f"'{tmp_path}/trusted'"}


def test_saved_node_follows_the_mode_of_the_last_converge(tmp_path):
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    server_store = tmp_path / 'chef-server' / 'data' / 'organizations' / 'chef'
    assert chef.saved_node(lab, 'ctl1') == server_store / 'nodes' / 'ctl1'
    lab.path('chef', 'mode').write_text('local\n')
    assert chef.saved_node(lab, 'ctl1') == tmp_path / 'chef' / 'ctl1' / 'nodes' / 'ctl1.json'


def finished(updated, total):
    return f'Recipe: x\nInfra Phase complete, {updated}/{total} resources updated in 12 seconds\n'


def test_run_results_count_every_host_in_order():
    lines, updated, problems = chef.run_results(1, 2, {'ctl1': (0, finished(60, 70), 'l1'),
                                                       'ops1': (0, finished(3, 9), 'l2')})
    assert lines == ['  ctl1: run 1: 60/70 resources updated', '  ops1: run 1: 3/9 resources updated']
    assert (updated, problems) == (63, [])


def test_run_results_name_each_failed_host_its_reason_and_log():
    """Every host that failed is named, with its last FATAL line (else ERROR), not only the first."""
    fatal = ('ERROR: shard_seed: no dmidecode\n'
             'FATAL: RuntimeError: preflight: ctl1 resolves to IPv4 (/etc/hosts)\n')
    lines, _, problems = chef.run_results(1, 2, {'ctl1': (1, fatal, 'log-ctl1'), 'cmp1': (0, finished(1, 5), 'x'),
                                                 'ops1': (1, 'ERROR: SSL Validation failure\n', 'log-ops1')})
    assert problems == ['ctl1: chef-client run 1 failed: RuntimeError: preflight: ctl1 resolves to IPv4 '
                        '(/etc/hosts) (log log-ctl1)',
                        'ops1: chef-client run 1 failed: SSL Validation failure (log log-ops1)']
    assert lines == []


def test_run_results_want_the_last_run_to_change_nothing():
    _, _, problems = chef.run_results(2, 2, {'ctl1': (0, finished(0, 70), 'a'), 'cmp1': (0, finished(2, 9), 'b')})
    assert problems == ['cmp1: run 2 updated 2 resources; a converge must be idempotent '
                        '(see the updated resources in b)']
    assert chef.run_results(1, 1, {'cmp1': (0, finished(2, 9), 'b')})[2] == []
    assert chef.run_results(1, 2, {'cmp1': (0, 'no summary here', 'b')})[2] == [
        'cmp1: chef-client run 1 printed no summary (log b)']


def test_runs_in_parallel_keep_one_log_per_host(tmp_path):
    """Hosts run at once (the slowest host sets the time, not the sum), each output in its own log, each exit
    status kept, and the result in the given order whatever order they end in."""
    def command(seconds, status):
        script = f'import sys, time; time.sleep({seconds}); print("done {seconds}"); sys.exit({status})'
        return [sys.executable, '-c', script], tmp_path
    logs = {host: tmp_path / f'{host}.log' for host in ('ctl1', 'cmp1', 'ops1')}
    said = []
    started = time.monotonic()
    statuses = chef.run_in_parallel({'ctl1': command(1.5, 0), 'cmp1': command(1.0, 3), 'ops1': command(1.0, 0)},
                                    logs, said.append, 2)
    assert time.monotonic() - started < 3.0
    assert list(statuses.items()) == [('ctl1', 0), ('cmp1', 3), ('ops1', 0)]
    assert logs['ctl1'].read_text() == 'done 1.5\n' and logs['cmp1'].read_text() == 'done 1.0\n'
    assert said[-1].startswith('  ctl1: run 2 ended in ') and any('cmp1' in s and '(exit 3)' in s for s in said)


def test_ansible_inventory_reaches_each_host_at_its_site_address_with_the_lab_key(tmp_path, monkeypatch):
    """`lab verify-ansible` reaches the hosts through the inventory it writes: each host under its site name
    in its roles' groups, ansible_host its first site address, root with the lab's key and ssh config (read
    by Ansible itself; testinfra's ssh command from it); the verifier's hosts from it are the site's."""
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    lab.site_file.write_text(yaml.safe_dump(lab.site, sort_keys=False))
    path = ansible.write(lab)
    for key, value in ansible.env(lab).items():
        monkeypatch.setenv(key, value)
    listed = json.loads(run(['ansible-inventory', '-i', str(path), '--list']))
    key, config = str(tmp_path / 'ssh' / 'id_ed25519'), str(tmp_path / 'ssh' / 'config')
    assert listed['_meta']['hostvars'] == {
        host: {'ansible_host': entry['addresses'][0], 'ansible_user': 'root', 'ansible_ssh_private_key_file': key,
               'ansible_ssh_common_args': f'-F {config}'} for host, entry in SITE['hosts'].items()}
    assert {group: listed[group]['hosts'] for group in ('controller', 'compute', 'dns', 'ops')} == \
        {role: [h for h, e in SITE['hosts'].items() if role in e['roles']] for role in ('controller', 'compute', 'dns',
                                                                                        'ops')}
    command, args = AnsibleRunner(str(path)).get_host('ctl1').backend._build_ssh_command('true')
    assert ' '.join(command) % tuple(args) == (f'ssh -F {config} -o User=root -i {key} -o ConnectTimeout=10 '
                                               '-o ControlMaster=auto -o ControlPersist=60s 2001:db8:10::11 true')
    done = subprocess.run([sys.executable, '-m', 'edge_verify', '-p', 'no:cacheprovider', f'--site={lab.site_file}',
                           f'--ansible-inventory={path}', '--collect-only', '-q', '-k', 'no_ipv4_address_on_host'],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.findall(r'\[(ansible://\w+)\]', done.stdout) == [f'ansible://{h}' for h in sorted(SITE['hosts'])]


@pytest.mark.parametrize('args, narrowed', [
    ([], ['-k', 'ansible://ctl1']),
    (['-k', 'haproxy', '-x'], ['-k', '(haproxy) and ansible://ctl1', '-x']),
    (['-k', 'a', '-k', 'b or c'], ['-k', 'a', '-k', '(b or c) and ansible://ctl1']),
])
def test_verify_ansible_narrows_to_one_host_keeping_the_selection(args, narrowed):
    assert stages.select_host(args, 'ctl1') == narrowed


MACHINE_PASSWD = ('root:x:0:0:root:/root:/bin/bash\n'
                  'alice:x:1000:1000::/home/alice:/bin/sh\n'
                  'bob:x:1001:1002::/home/bob:/bin/sh\n')
MACHINE_GROUP = 'root:x:0:\nalice:x:1000:\nstaff:x:1003:\n'


def test_operator_lines_give_a_login_without_password_and_not_locked():
    """sshd without PAM refuses an account whose password starts with `!`; `*` lets the key in and no password;
    empty ageing fields: no expiry, no forced change."""
    found = account.lines(1004, Path('/var/lib/v6lab/home/edgeop'))
    assert found == {'passwd': 'edgeop:x:1004:1004:lab operator:/var/lib/v6lab/home/edgeop:/bin/sh',
                     'shadow': 'edgeop:*:::::::',
                     'group': 'edgeop:x:1004:'}
    assert [len(found[name].split(':')) for name in ('passwd', 'shadow', 'group')] == [7, 9, 4]


def test_operator_id_is_used_by_no_account_or_group_of_the_machine():
    assert account.used_ids(MACHINE_PASSWD, MACHINE_GROUP) == {0, 1000, 1001, 1002, 1003}
    assert account.free_id(MACHINE_PASSWD, MACHINE_GROUP) == 1004
    assert account.free_id(MACHINE_PASSWD + 'edgeop:x:1004:1004::/:/bin/sh\n', MACHINE_GROUP) == 1004
    assert account.free_id('', '') == account.FIRST_ID


def test_operator_line_is_added_once_to_the_machines_file():
    line = account.lines(1004, Path('/h'))['passwd']
    assert account.with_line(MACHINE_PASSWD, line) == MACHINE_PASSWD + line + '\n'
    assert account.with_line(MACHINE_PASSWD.rstrip('\n'), line) == MACHINE_PASSWD + line + '\n'
    assert account.with_line(MACHINE_PASSWD + 'edgeop:x:7:7::/old:/bin/sh\n', line) == MACHINE_PASSWD + line + '\n'
    assert account.with_line('edgeopx:x:9:9::/:/bin/sh\n', line).startswith('edgeopx:')


def machine_etc(root):
    """A stand-in for the machine's /etc: the account files (shadow 0640) and a sudoers.d with one file."""
    etc = root / 'etc'
    (etc / 'sudoers.d').mkdir(parents=True)
    (etc / 'passwd').write_text(MACHINE_PASSWD)
    (etc / 'group').write_text(MACHINE_GROUP)
    (etc / 'shadow').write_text('root:*:19000:0:99999:7:::\n')
    (etc / 'shadow').chmod(0o640)
    (etc / 'sudoers.d' / 'README').write_text('#includedir\n')
    (etc / 'sudoers.d' / 'README').chmod(0o440)
    return etc


def test_operator_files_are_private_copies_with_one_sudoers_rule(tmp_path):
    """Each host's /etc/netns/NS gets passwd, shadow and group (the machine's plus the operator's line, owned and
    moded as the machine's) and a copy of sudoers.d with a NOPASSWD rule, 0440 as sudo wants it; the machine's
    files stay as they were."""
    etc, target = machine_etc(tmp_path), tmp_path / 'netns'
    target.mkdir()
    lab = Lab(tmp_path / 'state', resolve_site(SITE, tmp_path / 'state'))
    account.write_etc(lab, 1004, target, etc=etc)
    home = tmp_path / 'state' / 'home' / 'edgeop'
    assert (target / 'passwd').read_text() == MACHINE_PASSWD + f'edgeop:x:1004:1004:lab operator:{home}:/bin/sh\n'
    assert (target / 'shadow').read_text().splitlines()[-1] == 'edgeop:*:::::::'
    assert (target / 'group').read_text() == MACHINE_GROUP + 'edgeop:x:1004:\n'
    assert (target / 'shadow').stat().st_mode & 0o7777 == 0o640
    rule = target / 'sudoers.d' / 'edgeop'
    assert rule.read_text() == 'edgeop ALL=(ALL) NOPASSWD: ALL\n' and rule.stat().st_mode & 0o7777 == 0o440
    assert (target / 'sudoers.d' / 'README').read_text() == '#includedir\n'
    assert (etc / 'passwd').read_text() == MACHINE_PASSWD and sorted(p.name for p in (etc / 'sudoers.d').iterdir()) \
        == ['README']


def test_operator_target_names_the_account_and_a_bracketed_address(tmp_path):
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    assert account.target(lab, 'ctl1') == 'ssh://edgeop@[2001:db8:10::11]'


@pytest.fixture
def open_dir():
    """A directory under /tmp, which others can pass through (pytest's tmp_path is under a 0700 directory)."""
    directory = Path(tempfile.mkdtemp(prefix='v6lab-account-'))
    directory.chmod(0o711)
    yield directory
    shutil.rmtree(directory)


def test_a_directory_others_cannot_pass_through_is_named(open_dir):
    closed = open_dir / 'closed'
    (closed / 'state').mkdir(parents=True)
    (closed / 'state').chmod(0o700)
    closed.chmod(0o700)
    assert account.unsearchable(closed / 'state') == closed
    closed.chmod(0o711)
    assert account.unsearchable(closed / 'state') == closed / 'state'
    (closed / 'state').chmod(0o711)
    assert account.unsearchable(closed / 'state') is None


@pytest.mark.skipif(os.geteuid() != 0, reason='the operator\'s home is given to its id (root only)')
def test_prepare_makes_the_state_directory_searchable_and_the_home_the_operators(open_dir):
    state = open_dir / 'state'
    state.mkdir(mode=0o700)
    uid = account.prepare(Lab(state, resolve_site(SITE, state)))
    home = state / 'home' / 'edgeop'
    assert state.stat().st_mode & 0o7777 == 0o711 and home.parent.stat().st_mode & 0o7777 == 0o711
    assert (home.stat().st_uid, home.stat().st_gid, home.stat().st_mode & 0o7777) == (uid, uid, 0o700)
    assert uid not in account.used_ids(Path('/etc/passwd').read_text(), Path('/etc/group').read_text())
    closed = open_dir / 'closed'
    (closed / 'state').mkdir(parents=True)
    closed.chmod(0o700)
    with pytest.raises(LabError, match=f'{closed} is mode 0700'):
        account.prepare(Lab(closed / 'state', SITE))


def test_the_lab_key_is_readable_by_the_operator_and_its_private_half_is_not(tmp_path):
    """sshd reads authorized_keys as the user logging in."""
    lab = Lab(tmp_path, resolve_site(SITE, tmp_path))
    ssh = lab.dir('ssh')
    ssh.chmod(0o700)
    (ssh / 'id_ed25519.pub').write_text('ssh-ed25519 AAAA v6lab\n')
    authorized = sshd.authorize(lab)
    assert authorized.read_text() == 'ssh-ed25519 AAAA v6lab\n'
    assert authorized.stat().st_mode & 0o7777 == 0o644 and ssh.stat().st_mode & 0o7777 == 0o711
