"""Site delivery without stale state: what the site file no longer holds is gone from the next converge.

Chef saves the node after every run and deep-merges the next run's normal attributes into it, so a site
passed as attributes would keep a removed endpoint alive. The recipes read the site from a file instead;
the node saved by the previous run (in the lab Chef server's store, or STATE/chef/HOST/nodes in local mode; kept
across converges either way) carries nothing of it.
"""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import converge_host
from v6lab import chef

EDGE_HOST = 'ctl1'
REMOVED = 'glance'
HAPROXY_CFG = Path('/etc/netns') / f'v6lab-{EDGE_HOST}' / 'haproxy' / 'haproxy.cfg'
REMOVED_PEM = HAPROXY_CFG.parent / 'certs' / f'{REMOVED}.pem'

# Runs in the ops host: THREADS threads, each sending GET /v3 to keystone over one keep-alive connection
# (http.client reopens it when the server ends it with Connection: close), until the stop file exists.
# A request on a reused connection that the server closed before answering is sent again once on a new
# connection, as HTTP clients do for idempotent requests (RFC 9112 9.3.1); any other error or a status
# other than 200 is a failure. Prints "ready" after the first answer, then the counts as JSON.
CLIENT = r'''
import http.client, json, os, ssl, sys, threading, time
name, port, cafile, stop = sys.argv[1:5]
THREADS = 2
context = ssl.create_default_context(cafile=cafile)
lock = threading.Lock()
counts = {"ok": 0, "reconnects": 0, "failed": 0, "failures": []}
ready = threading.Event()

def fail(what):
    with lock:
        counts["failed"] += 1
        if len(counts["failures"]) < 5:
            counts["failures"].append(what)

def loop():
    conn = None
    while not os.path.exists(stop):
        for attempt in (1, 2):
            reused = conn is not None
            if conn is None:
                conn = http.client.HTTPSConnection(name, int(port), context=context, timeout=10)
            try:
                conn.request("GET", "/v3")
                response = conn.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                conn.close()
                conn = None
                if reused and attempt == 1:
                    with lock:
                        counts["reconnects"] += 1
                    continue
                fail(f"{type(error).__name__}: {error}")
                break
            except OSError as error:
                conn.close()
                conn = None
                fail(f"{type(error).__name__}: {error}")
                break
            if response.status == 200:
                with lock:
                    counts["ok"] += 1
                ready.set()
            else:
                fail(f"HTTP {response.status}")
            if response.will_close:
                conn.close()
                conn = None
            break

threads = [threading.Thread(target=loop) for _ in range(THREADS)]
for thread in threads:
    thread.start()
if ready.wait(30):
    print("ready", flush=True)
for thread in threads:
    thread.join()
print(json.dumps(counts), flush=True)
'''


def converge(lab):
    """`lab converge --host ctl1` (two runs, the second must change nothing): (run-1 log, updated)."""
    status, log, updated = converge_host(lab, EDGE_HOST)
    if status != 0:
        second = lab.state_dir / 'logs' / f'chef-{EDGE_HOST}-run2.log'
        detail = second.read_text()[-3000:] if second.exists() else '(no second run)'
        pytest.fail(f'converge failed; run 1:\n{log[-2000:]}\nrun 2:\n{detail}', pytrace=False)
    return log, updated


def frontend_listening(lab, port):
    """True when something listens on port at the edge host's site address (the stand-in backends
    listen on [::1], often on the same port number)."""
    out = lab.run_in(EDGE_HOST, ['ss', '-Hltn'])
    local = {line.split()[3] for line in out.splitlines() if line.strip()}
    return f'[{lab.address(EDGE_HOST)}]:{port}' in local


def wait_for(what, predicate, timeout=15.0):
    """Poll until predicate() is true; fail naming what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f'timed out after {timeout:.0f} s waiting for {what}', pytrace=False)
        time.sleep(0.2)


def start_client(lab, stop_file):
    endpoint = lab.site['endpoints']['keystone']
    client = lab.hosts_with_role('ops')[0]
    argv = ['/usr/bin/python3', '-c', CLIENT, endpoint['fqdn'], endpoint['port'], lab.site['pki']['ca_bundle'],
            stop_file]
    return subprocess.Popen(lab.argv_in(client, argv), stdout=subprocess.PIPE, text=True)


def test_endpoint_removed_from_site_is_gone_after_converge_while_keystone_serves(edge, tmp_path):
    """Removing an endpoint from the site and converging again must remove its frontend and its listener
    (no stale merge with the node saved by the last run), and the reload that does it must not fail a
    single request of a client kept connected to another endpoint all along."""
    lab = edge
    original = lab.site_file.read_text()
    endpoint = lab.site['endpoints'][REMOVED]
    assert f'frontend {REMOVED}' in HAPROXY_CFG.read_text()
    assert frontend_listening(lab, endpoint['port'])
    saved_node = chef.saved_node(lab, EDGE_HOST)
    assert saved_node.exists(), f'no node saved at {saved_node}: the test would not see a stale merge'
    assert 'endpoints' not in json.dumps(json.loads(saved_node.read_text()).get('normal', {})), (
        f'the site is stored in the node ({saved_node}): a removed endpoint would live on')

    stop_file = tmp_path / 'stop'
    client = start_client(lab, stop_file)
    try:
        assert client.stdout.readline().strip() == 'ready', 'the keep-alive client got no answer from keystone'
        site = yaml.safe_load(original)
        del site['endpoints'][REMOVED]
        lab.site_file.write_text(yaml.safe_dump(site, sort_keys=False))
        log, updated = converge(lab)
        wait_for(f'the {REMOVED} frontend on port {endpoint["port"]} to close in {EDGE_HOST}',
                 lambda: not frontend_listening(lab, endpoint['port']))
    finally:
        stop_file.touch()
        counts_line = client.stdout.readline()
        client.wait(timeout=30)
        lab.site_file.write_text(original)

    config = HAPROXY_CFG.read_text()
    assert not re.search(rf'\b{REMOVED}\b', config), f'{REMOVED} is still in {HAPROXY_CFG}:\n{config}'
    assert 'frontend keystone' in config
    assert not REMOVED_PEM.exists(), f'{REMOVED_PEM} (a private key nothing serves) is still there'
    assert updated and 'reload service service[haproxy]' in log and 'restart service' not in log, log[-3000:]
    counts = json.loads(counts_line)
    print(f'keep-alive client: {counts}')
    assert counts['failed'] == 0 and counts['ok'] > 0, f'the client kept connected to keystone saw failures: {counts}'

    # Repair: the endpoint is back with the site, and listening again.
    converge(lab)
    assert f'frontend {REMOVED}' in HAPROXY_CFG.read_text() and REMOVED_PEM.exists()
    wait_for(f'port {endpoint["port"]} to listen again in {EDGE_HOST}',
             lambda: frontend_listening(lab, endpoint['port']))
