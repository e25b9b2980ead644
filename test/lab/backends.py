"""Stand-ins for the endpoints the site marks `stand_in: true` (on [::1] inside their host).

`lab up` calls start(lab) once the hosts, PKI and DNS are ready; `lab down` calls stop(lab)
before it stops every process in the lab's namespaces. Every other endpoint is deployed by
chef-client (Keystone and Placement by ipv6_openstack_api) during `lab converge`.

A stand-in is this file run as a script: it serves a JSON version document on
[::1]:<backend_port>; the links in it use X-Forwarded-Proto, as the OpenStack APIs do.

    /usr/bin/python3 backends.py NAME=PORT [NAME=PORT ...]
"""
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from v6lab.lab import stop_pids, wait_until

PID_PREFIX = 'backend-'
READY_TIMEOUT = 60.0


def stand_ins(site):
    """host => {endpoint name: backend port} for the endpoints the site marks as stand-ins."""
    by_host = {}
    for name, endpoint in (site.get('endpoints') or {}).items():
        if endpoint.get('stand_in'):
            by_host.setdefault(endpoint['host'], {})[name] = endpoint['backend_port']
    return by_host


def start(lab):
    """Start the stand-ins for the site's stand-in endpoints; return when every one answers."""
    by_host = stand_ins(lab.site)
    for host, ports in sorted(by_host.items()):
        lab.spawn(host, f'{PID_PREFIX}standins-{host}',
                  ['/usr/bin/python3', Path(__file__).resolve(),
                   *(f'{name}={port}' for name, port in sorted(ports.items()))])
    for host, ports in sorted(by_host.items()):
        for name, port in sorted(ports.items()):
            wait_until(f'{name} stand-in on [::1]:{port} in {host} (logs in {lab.state_dir / "logs"})',
                       lambda host=host, port=port: _answers(lab, host, port, '/'),
                       timeout=READY_TIMEOUT, interval=0.3)


def stop(lab):
    """Stop what start() started (its pids are recorded as pids/backend-*.pid), and a tgtd the
    converge started: with targets defined it ignores SIGTERM (the lab's stop would wait 10 s)."""
    for host in lab.hosts:
        if (lab.run_dir(host) / 'tgtd.pid').exists():
            subprocess.run(lab.argv_in(host, ['/etc/init.d/tgt', 'stop']), capture_output=True, timeout=30)
    pid_files = sorted((lab.state_dir / 'pids').glob(f'{PID_PREFIX}*.pid'))
    stop_pids([int(path.read_text()) for path in pid_files])
    for path in pid_files:
        path.unlink()


def admin_password(lab):
    """The Keystone admin's password (the secret services.keystone.admin_password refers to)."""
    ref = lab.site['services']['keystone']['admin_password']
    return Path(ref['file']).read_text().strip()


def _answers(lab, host, port, path):
    url = f'http://[::1]:{port}{path}'
    argv = lab.argv_in(host, ['curl', '-gsf', '-o', '/dev/null', '--max-time', '2', url])
    return subprocess.run(argv, capture_output=True).returncode == 0


class VersionHandler(BaseHTTPRequestHandler):
    """GET anything: the service's version document. ?delay=S holds the answer S seconds
    (at most 30), to keep a request in flight while the proxy in front of it reloads."""

    protocol_version = 'HTTP/1.1'
    # Headers and body leave in two writes: without TCP_NODELAY each keep-alive answer would
    # wait for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True

    def do_GET(self):
        delay = float(parse_qs(urlsplit(self.path).query).get('delay', ['0'])[0])
        time.sleep(min(max(delay, 0.0), 30.0))
        scheme = self.headers.get('X-Forwarded-Proto', 'http')
        host = self.headers.get('Host', f'[::1]:{self.server.server_port}')
        body = json.dumps({'versions': [{
            'id': 'v1.0', 'status': 'CURRENT', 'service': self.server.service,
            'links': [{'rel': 'self', 'href': f'{scheme}://{host}/v1.0/'}],
        }]}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002  (the base class's signature)
        """Quiet: health checks every two seconds would fill the log."""


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on [::1] only (IPv6, v6only)."""

    address_family = socket.AF_INET6
    daemon_threads = True

    def __init__(self, service, port):
        self.service = service
        super().__init__(('::1', port), VersionHandler)

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def serve(specs):
    """Serve NAME=PORT stand-ins until terminated."""
    servers = [LoopbackServer(name, int(port)) for name, port in (spec.split('=', 1) for spec in specs)]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    serve(sys.argv[1:])
