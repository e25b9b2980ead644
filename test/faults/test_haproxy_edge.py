"""The HAProxy edge under faults: bad certificates are refused before HAProxy sees them while it keeps
serving; the verifier catches an edge broken behind Chef's back (a bind, a served certificate, the TLS
versions, a header), and the saved files with a reload, or a converge, repair it; a new leaf is taken in
by a reload that lets a request in flight finish.
"""
import datetime
import os
import re
import select
import subprocess
from pathlib import Path

import pytest
from conftest import converge_host
from lab_cli import failed_with, lab_verify
from v6lab import pki
from v6lab.lab import run

EDGE_HOST = 'ctl1'
HAPROXY_ETC = Path('/etc/netns') / f'v6lab-{EDGE_HOST}' / 'haproxy'

# Runs in the ops host. `loop`: new connection, verified handshake, GET, read the status, again and
# again until the stop file exists; prints "ready" after the first success, then the counts.
# `slow`: one request the backend holds for DELAY seconds; prints "sent", then the status line.
CLIENT = r'''
import os, socket, ssl, sys
mode, address, port, name, cafile, path, stop = sys.argv[1:8]
context = ssl.create_default_context(cafile=cafile)
def request(timeout):
    sock = context.wrap_socket(socket.create_connection((address, int(port)), timeout=timeout),
                               server_hostname=name)
    with sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n".encode())
        if mode == "slow":
            print("sent", flush=True)
        return sock.makefile("rb").readline().decode().strip()
if mode == "slow":
    print(request(60), flush=True)
    sys.exit(0)
ok, failures = 0, []
while not os.path.exists(stop):
    try:
        status = request(5)
    except OSError as error:
        status = f"{type(error).__name__}: {error}"
    if status.startswith("HTTP/1.1 200"):
        ok += 1
        if ok == 1:
            print("ready", flush=True)
    else:
        failures.append(status)
print(f"ok={ok} failed={len(failures)} {failures[:3]}", flush=True)
'''


def converge(lab):
    """One chef-client run on the edge host: (exit status, log text, resources updated or None)."""
    return converge_host(lab, EDGE_HOST)


def read_line(process, timeout, what):
    """The client's next output line, or a failure naming what was awaited."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        pytest.fail(f'{what}: no answer from the client in {timeout} s', pytrace=False)
    return process.stdout.readline().strip()


def start_client(lab, mode, endpoint_name, path, stop_file):
    endpoint = lab.site['endpoints'][endpoint_name]
    client = lab.hosts_with_role('ops')[0]
    argv = ['/usr/bin/python3', '-c', CLIENT, mode, lab.address(endpoint['host']), endpoint['port'],
            endpoint['fqdn'], lab.site['pki']['ca_bundle'], path, stop_file]
    return subprocess.Popen(lab.argv_in(client, argv), stdout=subprocess.PIPE, text=True)


@pytest.fixture
def keystone_files(edge):
    """Keystone's certificate and key, restored byte for byte after the test."""
    endpoint = edge.site['endpoints']['keystone']
    saved = {path: Path(path).read_bytes() for path in (endpoint['cert'], endpoint['key'])}
    yield endpoint
    for path, data in saved.items():
        pki.write_private(path, data)


# fault: (options of Authority.issue, the file blamed, what the message must say, fix included)
CERT_FAULTS = {
    'self_signed': ({'self_signed': True}, 'cert',
                    'is self-signed; use a certificate issued by the organisation CA'),
    'expired': ({'expired': True}, 'cert', 'issue a new certificate'),
    'wrong_ca': ({'other_ca': True}, 'cert',
                 'does not chain to the CA bundle'),
    'san_mismatch': ({'san': ['identity.lab.example.net']}, 'cert',
                     'names identity.lab.example.net, not keystone.lab.example.net; '
                     'issue it with subjectAltName DNS:keystone.lab.example.net'),
    'key_mismatch': ({'mismatched_key': True}, 'key', 'install the key the certificate was issued for'),
    'missing_intermediate': ({'intermediate': False}, 'cert',
                             'append the intermediate certificate(s) after the leaf'),
    # PKI policy (site pki.policy, OpenSSL security level 2 as the floor): two representative rules.
    'weak_key': ({'weak_key': True}, 'cert',
                 'has a 1024-bit RSA key; the policy wants at least 2048 bits'),
    'sha1_signature': ({'sha1': True}, 'cert',
                       'is signed with ecdsa-with-SHA1; pki.policy.signature_hashes allows sha256, sha384, sha512'),
}


@pytest.mark.fault('a bad leaf at the site\'s paths for keystone: self-signed, expired, of another CA, for another '
                   'name, with a mismatched key, without its intermediate, with a 1024-bit key, signed with SHA-1',
                   note='chef-client refuses it before HAProxy is touched, and clients reconnecting all along see no '
                   'error; the files are put back, no converge after')
@pytest.mark.parametrize('fault', sorted(CERT_FAULTS))
def test_converge_refuses_bad_certificate_while_edge_keeps_serving(edge, keystone_files, fault, tmp_path):
    """A bad certificate must stop the run before HAProxy is touched: the message names the endpoint,
    the file and the fix, and clients reconnecting all along never see an error."""
    options, role, fix = CERT_FAULTS[fault]
    endpoint = keystone_files
    pem = HAPROXY_ETC / 'certs' / 'keystone.pem'
    served = pem.read_bytes()
    stop_file = tmp_path / 'stop'
    client = start_client(edge, 'loop', 'keystone', '/v3', stop_file)
    try:
        assert read_line(client, 30, 'the first request through the edge') == 'ready'
        pki.authority(edge).issue(endpoint['fqdn'], endpoint['cert'], endpoint['key'], **options)
        status, log, _ = converge(edge)
    finally:
        stop_file.touch()
    counts = read_line(client, 15, 'the reconnecting client to stop')
    client.wait(timeout=5)
    assert status != 0, f'converge passed with a {fault} certificate:\n{log[-2000:]}'
    named = f'endpoint keystone (endpoints.keystone.{role}): {endpoint[role]}'
    assert named in log and fix in log, log[-3000:]
    assert pem.read_bytes() == served, 'the served PEM changed although the converge was refused'
    assert re.fullmatch(r'ok=[1-9]\d* failed=0 \[\]', counts), (
        f'clients saw errors during the refused converge: {counts}')


def break_with_dual_stack_listener(lab):
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    cfg.write_text(cfg.read_text().replace('    default_backend keystone_backend\n',
                                           '    bind :::8443 ssl crt /etc/haproxy/certs/keystone.pem\n'
                                           '    default_backend keystone_backend\n'))


def break_with_self_signed_glance(lab):
    endpoint = lab.site['endpoints']['glance']
    work = lab.dir('faults')
    leaf = pki.authority(lab).issue(endpoint['fqdn'], work / 'glance.crt', work / 'glance.key',
                                    self_signed=True)
    pem = pki.pem(leaf) + (work / 'glance.key').read_bytes()
    pki.write_private(HAPROXY_ETC / 'certs' / 'glance.pem', pem)


def break_with_tls_1_0(lab):
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    text = re.sub(r'ssl-default-bind-options .*', 'ssl-default-bind-options ssl-min-ver TLSv1.0',
                  cfg.read_text())
    cfg.write_text(re.sub(r'ssl-default-bind-ciphers .*', 'ssl-default-bind-ciphers ALL:@SECLEVEL=0', text))


def break_forwarded_proto(lab):
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    cfg.write_text(cfg.read_text().replace('    http-request set-header X-Forwarded-Proto https\n', ''))


def break_with_other_name_on_cinder(lab):
    """A certificate from the organisation CA, for another endpoint's name: only a client that checks
    the host name sees it."""
    work = lab.dir('faults')
    pki.authority(lab).issue('glance.lab.example.net', work / 'cinder.crt', work / 'cinder.key')
    pki.write_private(HAPROXY_ETC / 'certs' / 'cinder.pem',
                      (work / 'cinder.crt').read_bytes() + (work / 'cinder.key').read_bytes())


def break_hsts(lab):
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    cfg.write_text(re.sub(r'    http-response set-header Strict-Transport-Security .*\n', '', cfg.read_text()))


def break_stats_socket_mode(lab):
    (lab.run_dir(EDGE_HOST) / 'haproxy' / 'admin.sock').chmod(0o666)


def serve_leaf(lab, name, **options):
    """Serve endpoint NAME a leaf issued with the options of pki.Authority.issue, as HAProxy reads a PEM: the
    certificate file (the leaf, then the intermediate unless left out), then the key."""
    endpoint = lab.site['endpoints'][name]
    work = lab.dir('faults')
    pki.authority(lab).issue(endpoint['fqdn'], work / f'{name}.crt', work / f'{name}.key', **options)
    pki.write_private(HAPROXY_ETC / 'certs' / f'{name}.pem',
                      (work / f'{name}.crt').read_bytes() + (work / f'{name}.key').read_bytes())


def _from_now(days):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


def break_with_expired_neutron(lab):
    serve_leaf(lab, 'neutron', expired=True)


def break_with_expiring_neutron(lab):
    """Valid today, and for a third of the site's expiry window (pki.expiry_window_days) more."""
    serve_leaf(lab, 'neutron', not_after=_from_now(lab.site['pki']['expiry_window_days'] / 3))


def break_with_neutron_not_yet_valid(lab):
    """Issued with a validity that starts tomorrow (a clock ahead on the issuing side)."""
    serve_leaf(lab, 'neutron', not_before=_from_now(1))


def break_with_other_ca_on_nova(lab):
    """A leaf and intermediate of a CA the site's bundle does not hold."""
    serve_leaf(lab, 'nova', other_ca=True)


def break_with_nova_without_intermediate(lab):
    serve_leaf(lab, 'nova', intermediate=False)


def break_with_tls_1_3_only(lab):
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    cfg.write_text(re.sub(r'(ssl-default-bind-options ssl-min-ver )\S+', r'\1TLSv1.3', cfg.read_text()))


def break_with_nova_on_another_port(lab):
    """The nova frontend bound to the endpoint's port + 10000: nothing answers where the site says."""
    port = lab.site['endpoints']['nova']['port']
    cfg = HAPROXY_ETC / 'haproxy.cfg'
    text = cfg.read_text()
    assert f']:{port} v6only' in text, f'no bind on port {port} in {cfg}'
    cfg.write_text(text.replace(f']:{port} v6only', f']:{port + 10000} v6only'))


OPS, CMP = 'ops1', 'cmp1'
# fault: (breaker, -k selection, [(client that must see it, test name prefix, problem code, offender)]).
# Client-side checks run from the ops host and again from the compute host: both must see the fault.
BEHIND_CHEFS_BACK = {
    'dual_stack_listener': (break_with_dual_stack_listener, 'haproxy_binds_only_site_v6_addresses', [
        (OPS, 'test_haproxy_binds_only_site_v6_addresses', 'unexpected_listener', '*:8443')]),
    'self_signed_glance': (break_with_self_signed_glance, 'glance and cert', [
        (client, test, 'self_signed', 'glance') for client in (OPS, CMP) for test in (
            'test_endpoint_cert_is_issued_named_and_not_expiring[glance]',
            'test_endpoint_cert_chains_to_org_ca[glance]')]),
    'other_name_on_cinder': (break_with_other_name_on_cinder, 'cinder and cert', [
        (client, test, 'san_mismatch', 'cinder') for client in (OPS, CMP) for test in (
            'test_endpoint_cert_chains_to_org_ca[cinder]',
            'test_endpoint_cert_is_issued_named_and_not_expiring[cinder]')]),
    'tls_1_0': (break_with_tls_1_0, 'refuses_tls_before_1_2 and keystone', [
        (client, 'test_endpoint_refuses_tls_before_1_2[keystone]', 'tls_version_accepted', 'accepts TLSv1')
        for client in (OPS, CMP)]),
    'no_hsts': (break_hsts, 'sends_hsts and keystone', [
        (client, 'test_endpoint_sends_hsts[keystone]', 'hsts', 'keystone')
        for client in (OPS, CMP)]),
    'http_links': (break_forwarded_proto, 'links_to_https and nova', [
        (client, 'test_api_through_edge_links_to_https[nova]', 'http_link', 'http://nova.lab.example.net:8774/')
        for client in (OPS, CMP)]),
    'expired_neutron': (break_with_expired_neutron, 'neutron and cert', [
        (client, test, 'expired', 'neutron') for client in (OPS, CMP) for test in (
            'test_endpoint_cert_chains_to_org_ca[neutron]',
            'test_endpoint_cert_is_issued_named_and_not_expiring[neutron]')]),
    'expiring_neutron': (break_with_expiring_neutron, 'neutron and cert', [
        (client, 'test_endpoint_cert_is_issued_named_and_not_expiring[neutron]', 'expiring', 'neutron')
        for client in (OPS, CMP)]),
    'neutron_not_yet_valid': (break_with_neutron_not_yet_valid, 'neutron and cert', [
        (client, test, 'not_yet_valid', 'neutron') for client in (OPS, CMP) for test in (
            'test_endpoint_cert_chains_to_org_ca[neutron]',
            'test_endpoint_cert_is_issued_named_and_not_expiring[neutron]')]),
    'other_ca_on_nova': (break_with_other_ca_on_nova, 'nova and cert', [
        (client, test, 'untrusted', 'nova') for client in (OPS, CMP) for test in (
            'test_endpoint_cert_chains_to_org_ca[nova]',
            'test_endpoint_cert_is_issued_named_and_not_expiring[nova]')]),
    # A verifying client says only "unable to get local issuer certificate" (untrusted); the presented chain
    # shows the intermediate is what is missing.
    'nova_without_intermediate': (break_with_nova_without_intermediate, 'nova and cert', [
        (client, 'test_endpoint_cert_is_issued_named_and_not_expiring[nova]', 'chain_incomplete', 'nova')
        for client in (OPS, CMP)]),
    'tls_1_3_only': (break_with_tls_1_3_only, 'refuses_tls_before_1_2 and keystone', [
        (client, 'test_endpoint_refuses_tls_before_1_2[keystone]', 'tls_version_refused', 'refuses TLSv1.2')
        for client in (OPS, CMP)]),
    # The site port refuses connections: the edge check misses the listener, a verifying client cannot
    # connect (no certificate to judge), and the API cannot be reached by name.
    'nova_on_another_port': (
        break_with_nova_on_another_port,
        'haproxy_binds_only_site_v6_addresses or (nova and (chains_to_org_ca or links_to_https))', [
            (OPS, 'test_haproxy_binds_only_site_v6_addresses', 'listener_missing', 'nova'),
            *[(client, 'test_endpoint_cert_chains_to_org_ca[nova]', 'tls_handshake', 'connection failed')
              for client in (OPS, CMP)],
            *[(client, 'test_api_through_edge_links_to_https[nova]', 'http_error', 'nova.lab.example.net:8774')
              for client in (OPS, CMP)]]),
}


# The fault whose repair is a converge (Chef puts its managed files back and reloads); the others are
# repaired by putting the saved files back and reloading, which is all that converge would do for them.
CONVERGE_REPAIRS = 'tls_1_0'


def edge_files():
    """haproxy.cfg and the served PEMs: (bytes, mode, owner, group) of each."""
    saved = {}
    for path in [HAPROXY_ETC / 'haproxy.cfg', *(HAPROXY_ETC / 'certs').glob('*.pem')]:
        status = path.stat()
        saved[path] = (path.read_bytes(), status.st_mode & 0o7777, status.st_uid, status.st_gid)
    return saved


def restore(saved):
    for path, (data, mode, uid, gid) in saved.items():
        path.write_bytes(data)
        os.chown(path, uid, gid)
        os.chmod(path, mode)


SAVED_BACK = 'repair: the saved haproxy.cfg and PEMs back, a reload'


@pytest.mark.parametrize('fault', [
    pytest.param('dual_stack_listener', marks=pytest.mark.fault(
        'a dual-stack `bind :::8443` added to the keystone frontend', codes=('unexpected_listener',),
        note=SAVED_BACK)),
    pytest.param('self_signed_glance', marks=pytest.mark.fault(
        'a self-signed leaf served for glance', codes=('self_signed',), note=SAVED_BACK)),
    pytest.param('other_name_on_cinder', marks=pytest.mark.fault(
        'a leaf of the organisation CA for glance\'s name served for cinder', codes=('san_mismatch',),
        note=SAVED_BACK)),
    pytest.param('tls_1_0', marks=pytest.mark.fault(
        'TLS 1.0 and every cipher allowed (ssl-min-ver TLSv1.0, SECLEVEL=0)', codes=('tls_version_accepted',),
        note='repair: a converge')),
    pytest.param('no_hsts', marks=pytest.mark.fault(
        'the Strict-Transport-Security header removed from every frontend', codes=('hsts',), note=SAVED_BACK)),
    pytest.param('http_links', marks=pytest.mark.fault(
        'X-Forwarded-Proto no longer set, so the APIs behind the edge link to http://', codes=('http_link',),
        note=SAVED_BACK)),
    pytest.param('expired_neutron', marks=pytest.mark.fault(
        'an expired leaf of the organisation CA served for neutron', codes=('expired',), note=SAVED_BACK)),
    pytest.param('expiring_neutron', marks=pytest.mark.fault(
        'a leaf served for neutron that expires inside the site\'s expiry window (in a third of it)',
        codes=('expiring',), note=SAVED_BACK)),
    pytest.param('neutron_not_yet_valid', marks=pytest.mark.fault(
        'a leaf served for neutron whose validity starts tomorrow', codes=('not_yet_valid',), note=SAVED_BACK)),
    pytest.param('other_ca_on_nova', marks=pytest.mark.fault(
        'a leaf for nova\'s name, with its intermediate, from a CA the site\'s bundle does not hold',
        codes=('untrusted',), note=SAVED_BACK)),
    pytest.param('nova_without_intermediate', marks=pytest.mark.fault(
        'nova\'s leaf served without its intermediate', codes=('chain_incomplete',), note=SAVED_BACK)),
    pytest.param('tls_1_3_only', marks=pytest.mark.fault(
        'TLS 1.2 refused by the edge (ssl-min-ver TLSv1.3)', codes=('tls_version_refused',), note=SAVED_BACK)),
    pytest.param('nova_on_another_port', marks=pytest.mark.fault(
        'the nova frontend bound to another port than the endpoint\'s',
        codes=('listener_missing', 'tls_handshake', 'http_error'), note=SAVED_BACK)),
])
def test_verifier_sees_edge_broken_behind_chefs_back(edge, fault):
    """Each check must fail on the property it guards, from every client that runs it; after the repair
    (a converge for CONVERGE_REPAIRS) the same checks pass again."""
    breaker, selection, expected = BEHIND_CHEFS_BACK[fault]
    passed, output, _ = lab_verify(edge.state_dir, selection)
    assert passed, f'the checks fail before the fault:\n{output}'
    saved = edge_files()
    breaker(edge)
    edge.run_in(EDGE_HOST, ['/etc/init.d/haproxy', 'reload'])
    try:
        passed, output, failures = lab_verify(edge.state_dir, selection)
        missed = [item for item in expected if not failed_with(failures, *item)]
        assert not passed and not missed, f'the checks missed the {fault} fault: {missed}\n{output}'
    finally:
        if fault == CONVERGE_REPAIRS:
            status, log, updated = converge(edge)
        else:
            restore(saved)
            edge.run_in(EDGE_HOST, ['/etc/init.d/haproxy', 'reload'])
    if fault == CONVERGE_REPAIRS:
        assert status == 0 and updated, f'converge did not repair the edge:\n{log[-2000:]}'
    passed, output, _ = lab_verify(edge.state_dir, selection)
    assert passed, f'the edge is still broken after the repair:\n{output}'


@pytest.mark.fault('the runtime API socket opened to every user (mode 666)', codes=('socket_mode',),
                   note='repair: a reload recreates it')
def test_verifier_sees_a_stats_socket_others_can_open(edge):
    """The runtime API socket opened to every user must fail its check (HAProxy recreates it with
    the configured mode on its next reload)."""
    selection = 'stats_socket_is_root_only'
    passed, output, _ = lab_verify(edge.state_dir, selection)
    assert passed, f'the check fails before the fault:\n{output}'
    break_stats_socket_mode(edge)
    try:
        passed, output, failures = lab_verify(edge.state_dir, selection)
    finally:
        edge.run_in(EDGE_HOST, ['/etc/init.d/haproxy', 'reload'])
    assert not passed and failed_with(failures, OPS, 'test_haproxy_stats_socket_is_root_only', 'socket_mode',
                                      'root 666'), output
    passed, output, _ = lab_verify(edge.state_dir, selection)
    assert passed, f'the socket is still open to others after a reload:\n{output}'


def test_second_converge_changes_nothing(edge):
    """A converge that changes something every run would reload HAProxy every run."""
    status, log, updated = converge(edge)
    assert (status, updated) == (0, 0), f'the converge changed {updated} resources:\n{log[-2000:]}'


def test_leaf_rotation_reloads_without_dropping_a_request_in_flight(edge, tmp_path):
    """A new leaf from the same CA is taken in by a reload (never a restart): a request already in
    flight on the old process completes, and new handshakes get the new certificate."""
    endpoint = edge.site['endpoints']['glance']
    client = start_client(edge, 'slow', 'glance', '/?delay=12', stop_file=tmp_path / 'unused')
    assert read_line(client, 15, 'the slow request to be sent') == 'sent'
    leaf = pki.authority(edge).issue(endpoint['fqdn'], endpoint['cert'], endpoint['key'])
    status, log, updated = converge(edge)
    assert status == 0, f'converge with a rotated leaf failed:\n{log[-2000:]}'
    assert 'reload service service[haproxy]' in log and 'restart service' not in log, log[-2000:]
    assert read_line(client, 30, 'the answer to the request in flight') == 'HTTP/1.1 200 OK'
    served = run(edge.argv_in(edge.hosts_with_role('ops')[0], [
        'sh', '-c', f'openssl s_client -connect [{edge.address(EDGE_HOST)}]:{endpoint["port"]} '
                    f'-servername {endpoint["fqdn"]} </dev/null 2>/dev/null | openssl x509 -noout -serial']))
    assert int(served.strip().split('=')[1], 16) == leaf.serial_number, served
