"""The IPv6 lint finds each seeded violation where it was put, honours reasoned exceptions, and
finds nothing in the project's own deployment code."""
import os
from pathlib import Path

import pytest

from edge_verify import cli, lint

ROOT = Path(__file__).resolve().parents[2]

SEEDED = [
    ("keystone.conf", "bind_host = 0.0.0.0", "ipv4", "0.0.0.0"),
    ("recipe.rb", "url = 'http://127.0.0.1:5000/v3'", "ipv4", "127.0.0.1"),
    ("site.yml", "    addresses: [10.0.0.5]", "ipv4", "10.0.0.5"),
    ("hosts", "::ffff:192.0.2.7 ctl1", "ipv4_mapped", "::ffff:192.0.2.7"),
    ("keystone.conf", "memcache_servers = ::1:11211", "unbracketed_host_port", "::1:11211"),
    ("rabbitmq.conf", "listeners.tcp.1 = 2001:db8::11:5672", "unbracketed_host_port", "2001:db8::11:5672"),
    ("haproxy.cfg", "    bind :::443 v6only", "unbracketed_host_port", ":::443"),
    ("nova.conf", "transport_url = rabbit://u:p@2001:db8::11:5672/", "unbracketed_host_port", "2001:db8::11"),
    ("nova.conf", "auth_url = https://2001:db8::11/v3", "unbracketed_host_port", "2001:db8::11"),
    ("keystone.conf", "memcache_servers = inet:[::1]:11211", "memcached_inet", "inet:"),
    ("glance-api.conf", "auth_url = http://localhost:5000", "localhost", "localhost"),
    ("keystone", 'DAEMON_ARGS="--http-socket :5000 --ini /etc/keystone/keystone-uwsgi.ini"', "wildcard_bind",
     ":5000"),
    ("uwsgi.ini", "http-socket = :8778", "wildcard_bind", ":8778"),
]


def codes(findings):
    return [f.code for f in findings]


@pytest.mark.parametrize("name,line,code,found", SEEDED, ids=[f"{s[2]}:{s[3]}" for s in SEEDED])
def test_lint_finds_seeded_violation(tmp_path, capsys, name, line, code, found):
    """Every IPv4 assumption the project has been bitten by is found, on its line, with a fix."""
    path = tmp_path / name
    path.write_text(f"# first line is clean\n{line}\n")
    assert cli.main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    finding = next(f for f in lint.scan([path]) if f.code == code)
    assert finding.line == 2
    assert line[finding.column - 1:].startswith(found)
    assert f"{path}:2:{finding.column}: {code}: " in out
    assert "; fix: " in out


@pytest.mark.parametrize("line", [
    "memcache_servers = inet6:[::1]:11211",
    "backend_argument = url:[::1]:11211",
    "transport_url = rabbit://u:p@[2001:db8::11]:5672/openstack",
    "www_authenticate_uri = https://keystone.lab.example.net:5000/v3",
    "DAEMON_ARGS=\"--http-socket [::1]:5000\"",
    "my_ip = 2001:db8::11",
    "    bind [2001:db8:10::11]:443 v6only ssl crt /etc/haproxy/certs/keystone.pem",
    "include Ipv6Common::Address",
    "version: 22.0.2, 1.2.3.4.5, timeout 12:30:45, mac 52:54:00:12:34:56",
])
def test_lint_passes_ipv6_forms(line):
    """The forms the project writes on purpose are not findings."""
    assert lint.scan_text("f.conf", line + "\n") == []


def test_allow_marker_on_the_line_or_above_with_a_reason():
    """An accepted exception stays quiet only where it is marked, and only with its reason."""
    text = (
        "listeners.tcp.1 = 2001:db8::11:5672  # ipv6-lint: allow RabbitMQ rejects a bracketed listener\n"
        "# ipv6-lint: allow the IPv4 line the preflight check looks for\n"
        "127.0.1.1 ctl1\n"
        "127.0.1.2 ctl2\n"
        "bind 0.0.0.0  # ipv6-lint: allow\n"
    )
    findings = lint.scan_text("f", text)
    assert [(f.line, f.code) for f in findings] == [(4, "ipv4"), (5, "allow_without_reason")]


def test_json_prose_keys_are_not_scanned():
    """JSON has no comments: a schema's descriptions may name what they forbid; values are still scanned."""
    text = '{\n  "description": "forbid: no listener on 127.0.0.0/8",\n  "default": "0.0.0.0"\n}\n'
    assert [(f.line, f.code) for f in lint.scan_text("schema.json", text)] == [(3, "ipv4")]


def test_lint_scans_directories_and_skips_excluded(tmp_path):
    (tmp_path / "etc" / "keystone").mkdir(parents=True)
    (tmp_path / "etc" / "keystone" / "keystone.conf").write_text("[cache]\nmemcache_servers = localhost:11211\n")
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "bind_spec.rb").write_text("bind '10.0.0.1'\n")
    (tmp_path / "blob").write_bytes(b"\0\x01 10.0.0.1")
    findings = lint.scan([tmp_path], excludes=("*/spec/*",))
    assert [(Path(f.path).name, f.line, f.code) for f in findings] == [("keystone.conf", 2, "localhost")]


def test_missing_path_is_a_usage_error(tmp_path):
    assert cli.main(["lint", str(tmp_path / "absent")]) == 2


def test_project_deployment_code_is_clean(capsys):
    """The cookbooks, templates, site files, Policyfile and kitchen files carry no IPv4 assumption."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = cli.main(["lint"])
    finally:
        os.chdir(cwd)
    assert status == 0, capsys.readouterr().out
