"""The lab's Chef server (test/lab/chef-server, chef-zero) on [::1], without a lab: it serves the leaf the
lab PKI issued for its name, with the intermediate, so a client that trusts only the root and checks the
name connects; it knows the clients it was given; it refuses an IPv4 address to listen on."""
import http.client
import json
import shutil
import socket
import ssl
import subprocess

import pytest
from cryptography import x509

from v6lab import chef, pki
from v6lab.lab import PROJECT, wait_until

NAME = 'chef.test.example.net'

pytestmark = pytest.mark.skipif(shutil.which('bundle') is None, reason='needs the gems of Gemfile.lock (bundle)')


def free_port():
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(('::1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """(port, root CA file, leaf, public key of client node1) of a chef-server running on [::1]."""
    tmp = tmp_path_factory.mktemp('chef-server')
    ca = pki.Authority.create('test')
    (tmp / 'ca.pem').write_bytes(pki.pem(ca.root))
    leaf = ca.issue(NAME, tmp / 'server.crt', tmp / 'server.key')
    (tmp / 'clients').mkdir()
    chef._client_key(tmp / 'node1.pem', tmp / 'clients' / 'node1.pub')
    port = free_port()
    log = tmp / 'server.log'
    with log.open('w') as out:
        process = subprocess.Popen(['bundle', 'exec', 'ruby', chef.SERVER_SCRIPT, '--host=::1', f'--port={port}',
                                    f"--cert={tmp / 'server.crt'}", f"--key={tmp / 'server.key'}",
                                    f"--file-store={tmp / 'data'}", f"--clients={tmp / 'clients'}"],
                                   cwd=PROJECT, env=chef.chef_env(), stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until('chef-server to listen', lambda: chef.LISTENING in log.read_text() or process.poll() is not None,
                   timeout=60)
        assert process.poll() is None, log.read_text()
        yield port, tmp / 'ca.pem', leaf, (tmp / 'clients' / 'node1.pub').read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)


def get(server, path):
    port, ca_file = server[:2]
    context = ssl.create_default_context(cafile=str(ca_file))
    connection = http.client.HTTPSConnection(NAME, port, context=context, timeout=10)
    connection.sock = context.wrap_socket(socket.create_connection(('::1', port), timeout=10), server_hostname=NAME)
    connection.request('GET', path, headers={'Accept': 'application/json'})
    response = connection.getresponse()
    body = response.read().decode()
    peer = x509.load_der_x509_certificate(connection.sock.getpeercert(binary_form=True))
    connection.close()
    return response.status, body, peer


def test_serves_the_lab_leaf_verified_by_name_against_the_root(server):
    """The handshake verifies: the chain reaches the root through the intermediate the server sends, and the
    leaf holds the name (a self-signed certificate, chef-zero's own --ssl, would fail here)."""
    status, body, peer = get(server, '/version')
    assert (status, body.strip()) == (200, 'chef-zero 15.1.11')
    assert peer == server[2]


def test_knows_the_clients_it_was_given(server):
    status, body, _ = get(server, '/clients/node1')
    assert status == 200 and json.loads(body)['public_key'] == server[3]


def test_a_wrong_name_fails_the_handshake(server):
    port, ca_file = server[:2]
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection(('::1', port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match='Hostname mismatch'):
            context.wrap_socket(raw, server_hostname='other.test.example.net')


def test_refuses_an_ipv4_address(tmp_path):
    pki.Authority.create('test').issue(NAME, tmp_path / 'c', tmp_path / 'k')
    done = subprocess.run(['bundle', 'exec', 'ruby', chef.SERVER_SCRIPT, '--host=::1', '--host=127.0.0.1',
                           f'--cert={tmp_path}/c', f'--key={tmp_path}/k', f'--file-store={tmp_path}'],
                          cwd=PROJECT, env=chef.chef_env(), capture_output=True, text=True)
    assert done.returncode != 0 and 'IPv6 addresses only' in done.stderr, done.stderr
