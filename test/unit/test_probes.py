"""Probes against a fake testinfra host and real servers on ::1 (DNS over UDP, TLS)."""
import ipaddress
import socket
import ssl
import threading
from types import SimpleNamespace

import dns.message
import dns.rrset
import pytest

from edge_verify.facts import probes
from pkitools import issue

V6 = ipaddress.IPv6Address


class FakeHost:
    """Answers host.run() from a table of command -> (rc, stdout); records what was run."""

    def __init__(self, outputs, spec_name=None):
        self.outputs = outputs
        self.commands = []
        self.backend = SimpleNamespace(host=SimpleNamespace(name=spec_name) if spec_name else None,
                                       get_pytest_id=lambda: f"ssh://{spec_name}")

    def run(self, command):
        self.commands.append(command)
        rc, stdout = self.outputs[command]
        return SimpleNamespace(rc=rc, stdout=stdout, stderr="" if rc == 0 else "failed")


def test_listeners_is_one_ss_command(data):
    host = FakeHost({"ss -Hltnuep": (0, data("ss-good-p.txt"))})
    assert [x.port for x in probes.listeners(host)] == [53, 5000, 5000, 5672]
    assert host.commands == ["ss -Hltnuep"]


def test_failed_command_is_an_error_not_an_empty_fact():
    host = FakeHost({"ss -Hltnuep": (1, "")}, "2001:db8:10::11")
    with pytest.raises(probes.ProbeError, match=r"ssh://2001:db8:10::11: `ss -Hltnuep` exited 1"):
        probes.listeners(host)


def test_interface_addresses(data):
    host = FakeHost({"ip -o addr": (0, data("ipaddr-bad.txt"))})
    assert len(probes.interface_addresses(host)) == 7


def test_getent_not_found_is_empty_and_other_errors_raise(data):
    host = FakeHost({"getent ahostsv4 ctl1.lab.example.net": (2, ""),
                     "getent ahostsv6 ctl1.lab.example.net": (0, data("getent-ahostsv6-ctl1.txt")),
                     "getent ahostsv6 'bad name'": (1, "")})
    assert probes.getent(host, "ahostsv4", "ctl1.lab.example.net") == []
    assert probes.getent(host, "ahostsv6", "ctl1.lab.example.net") == [V6("2001:db8:10::11")]
    with pytest.raises(probes.ProbeError):
        probes.getent(host, "ahostsv6", "bad name")


def test_site_host_by_backend_address(lab):
    assert probes.site_host(FakeHost({}, "2001:db8:10::21"), lab).name == "cmp1"


def test_site_host_by_hostname(lab):
    host = FakeHost({"hostname -s": (0, "ops1\n")}, "2001:db8:10::99")
    assert probes.site_host(host, lab).name == "ops1"
    assert probes.site_host(FakeHost({"hostname -s": (0, "ctl1\n")}), lab).name == "ctl1"
    assert probes.site_host(FakeHost({}, "dns1.lab.example.net"), lab).name == "dns1"


def test_unknown_host_maps_to_none(lab):
    assert probes.site_host(FakeHost({"hostname -s": (0, "web9\n")}, "web9"), lab) is None


@pytest.fixture
def dns_server():
    """A one-zone DNS server on [::1]: ctl1 has AAAA only, stale has A and AAAA."""
    records = {("ctl1.lab.example.net.", "AAAA"): ["2001:db8:10::11"],
               ("stale.lab.example.net.", "AAAA"): ["2001:db8:10::11"],
               ("stale.lab.example.net.", "A"): ["192.0.2.7"]}
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.bind(("::1", 0))
    sock.settimeout(5)

    def serve():
        while True:
            wire, peer = sock.recvfrom(4096)
            if not wire:  # the fixture's stop signal
                return
            query = dns.message.from_wire(wire)
            question = query.question[0]
            response = dns.message.make_response(query)
            rdtype = dns.rdatatype.to_text(question.rdtype)
            values = records.get((question.name.to_text(), rdtype))
            if values:
                response.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", rdtype, values))
            elif not any(name == question.name.to_text() for name, _ in records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield V6("::1"), sock.getsockname()[1]
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as signal:
        signal.sendto(b"", sock.getsockname())
    thread.join(5)
    sock.close()
    assert not thread.is_alive()


def test_dns_query(dns_server):
    address, port = dns_server

    def query(name, rdtype):
        return probes.dns_query(address, name, rdtype, port=port)
    assert query("ctl1.lab.example.net", "AAAA").addresses == [V6("2001:db8:10::11")]
    assert query("ctl1.lab.example.net", "A").status == "NODATA"
    assert query("stale.lab.example.net", "A").status == "ANSWER"
    assert query("gone.lab.example.net", "A").status == "NXDOMAIN"


@pytest.fixture
def tls_server(tmp_path, pki):
    """A TLS server on [::1] presenting the keystone leaf and the intermediate."""
    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki.leaf.pem() + pki.intermediate.pem())
    key = tmp_path / "leaf.key"
    key.write_bytes(pki.leaf.key_pem())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    listener.settimeout(5)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield V6("::1"), listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
    thread.join(5)
    listener.close()
    assert not thread.is_alive()


def test_fetch_chain_returns_presented_certificates(tls_server, pki):
    address, port = tls_server
    chain = probes.fetch_chain(address, port, "keystone.lab.example.net")
    assert chain == [pki.leaf.cert, pki.intermediate.cert]


def test_verified_handshake(tls_server, pki, tmp_path):
    address, port = tls_server
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.pem())
    other = tmp_path / "other.pem"
    other.write_bytes(issue("Other Root CA", ca=True).pem())

    def handshake(name, cafile):
        return probes.verified_handshake(address, port, name, str(cafile))
    assert handshake("keystone.lab.example.net", root) is None
    assert "Hostname mismatch" in handshake("glance.lab.example.net", root)
    assert "unable to get local issuer" in handshake("keystone.lab.example.net", other)


RESOLVE_OUTPUT = """== ahostsv6 ctl1.lab.example.net
2001:db8:10::11 STREAM ctl1.lab.example.net
2001:db8:10::11 DGRAM
== rc 0
== ahostsv4 ctl1.lab.example.net
== rc 2
== ahostsv6 ctl1
::ffff:127.0.1.1 STREAM ctl1
== rc 0
== ahostsv4 ctl1
127.0.1.1 STREAM ctl1
== rc 0
"""


class ScriptHost(FakeHost):
    """Answers any command with one output (the batched scripts)."""

    def __init__(self, rc, stdout):
        super().__init__({}, "2001:db8:10::11")
        self.answer = (rc, stdout)

    def run(self, command):
        self.commands.append(command)
        rc, stdout = self.answer
        return SimpleNamespace(rc=rc, stdout=stdout, stderr="" if rc == 0 else "failed")


def test_resolve_is_one_command_for_every_name_and_database():
    host = ScriptHost(0, RESOLVE_OUTPUT)
    answers = probes.resolve(host, ["ctl1.lab.example.net", "ctl1"], ("ahostsv6", "ahostsv4"))
    assert len(host.commands) == 1
    assert answers == {("ahostsv6", "ctl1.lab.example.net"): [V6("2001:db8:10::11")],
                       ("ahostsv4", "ctl1.lab.example.net"): [],
                       ("ahostsv6", "ctl1"): [V6("::ffff:127.0.1.1")],
                       ("ahostsv4", "ctl1"): [ipaddress.IPv4Address("127.0.1.1")]}


def test_resolve_failure_or_missing_answer_is_an_error():
    with pytest.raises(probes.ProbeError, match="getent ahostsv4 ctl1 exited 1"):
        probes.resolve(ScriptHost(0, "== ahostsv4 ctl1\n== rc 1\n"), ["ctl1"], ("ahostsv4",))
    with pytest.raises(probes.ProbeError, match="getent ahostsv6 other"):
        probes.resolve(ScriptHost(0, RESOLVE_OUTPUT), ["other"], ("ahostsv6",))


def test_file_modes_is_one_stat():
    host = ScriptHost(1, "socket|root|600|/run/haproxy/admin.sock\n")
    assert probes.file_modes(host, ["/run/haproxy/admin.sock", "/missing"]) == {
        "/run/haproxy/admin.sock": ("socket", "root", 0o600)}
    assert host.commands == ["stat -c '%F|%U|%a|%n' -- /run/haproxy/admin.sock /missing"]
