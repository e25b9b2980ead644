"""bin/site-json: validates a site, prints or writes it as JSON, checks the files it names."""
import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkitools import issue

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE_JSON = REPO_ROOT / "bin" / "site-json"
GOOD = REPO_ROOT / "test" / "sites" / "good" / "minimal.yml"
BAD = REPO_ROOT / "test" / "sites" / "bad" / "ipv4.yml"


def run(*args):
    return subprocess.run([str(SITE_JSON), *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)


def test_help_names_every_option():
    result = run("--help")
    assert result.returncode == 0
    for option in ("--check", "--output", "--check-files", "--attributes"):
        assert option in result.stdout


def test_a_usage_error_exits_2_without_a_traceback():
    result = run("--no-such-option", GOOD)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "invalid option" in result.stderr


def test_a_good_site_prints_the_normalised_site():
    result = run(GOOD)
    assert result.returncode == 0, result.stderr
    site = json.loads(result.stdout)
    assert site["dns"]["ttl"] == 300 and site["tls"]["hsts"] is True and site["endpoints"] == {}


def test_a_bad_site_prints_every_problem_and_nothing_on_stdout():
    result = run(BAD)
    assert result.returncode == 1 and result.stdout == ""
    assert "hosts.box1.addresses[0]: 192.0.2.10 is IPv4" in result.stderr and "[ipv4]" in result.stderr


@pytest.mark.parametrize("target", ["missing.yml", "."], ids=["missing", "directory"])
def test_an_unreadable_file_is_one_problem(target):
    result = run(target)
    assert result.returncode == 1 and "[unreadable]" in result.stderr and "Error" not in result.stderr


def test_output_is_written_atomically_and_a_bad_site_leaves_it_alone(tmp_path):
    out = tmp_path / "site.json"
    assert run("-o", out, GOOD).returncode == 0
    good = out.read_bytes()
    assert json.loads(good)["name"] == "solo"
    result = run("-o", out, BAD)
    assert result.returncode == 1
    assert out.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.json"]


def test_output_into_a_missing_directory_is_a_clear_error(tmp_path):
    result = run("-o", tmp_path / "no" / "site.json", GOOD)
    assert result.returncode == 1 and "cannot be written" in result.stderr and "Traceback" not in result.stderr


def test_check_prints_nothing():
    result = run("--check", GOOD)
    assert (result.returncode, result.stdout) == (0, "")


def test_attributes_name_the_site_file():
    result = run("--attributes", GOOD)
    assert json.loads(result.stdout) == {"ipv6_edge": {"site_file": str(GOOD)}}


def site_with_files(tmp_path, cert_bytes, key_bytes, key_mode=0o600):
    (tmp_path / "ca.pem").write_bytes(CA.pem())
    (tmp_path / "api.crt").write_bytes(cert_bytes)
    (tmp_path / "api.key").write_bytes(key_bytes)
    os.chmod(tmp_path / "api.key", key_mode)
    site = tmp_path / "site.yml"
    text = GOOD.read_text().replace("ca_bundle: /etc/solo/ca.pem", f"ca_bundle: {tmp_path}/ca.pem")
    site.write_text(text + f"""\
endpoints:
  api:
    host: box1
    fqdn: api.solo.example.net
    port: 443
    backend_port: 8443
    cert: {tmp_path}/api.crt
    key: {tmp_path}/api.key
""")
    return site


CA = issue("Solo CA", ca=True)
LEAF = issue("api.solo.example.net", CA, sans=["api.solo.example.net"])
LEAF_DER = LEAF.cert.public_bytes(serialization.Encoding.DER)
KEY_DER = LEAF.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


@pytest.mark.parametrize("cert,key", [(LEAF.pem() + CA.pem(), LEAF.key_pem()), (LEAF_DER, KEY_DER)],
                         ids=["pem", "der"])
def test_check_files_accepts_pem_and_der(tmp_path, cert, key):
    result = run("--check-files", "--check", site_with_files(tmp_path, cert, key))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("cert,key,mode,message", [
    (b"not a certificate\n", None, 0o600, "endpoints.api.cert: {d}/api.crt holds no certificate"),
    (None, b"\x00\x01garbage", 0o600, "endpoints.api.key: {d}/api.key holds no unencrypted private key"),
    (None, None, 0o644, "endpoints.api.key: {d}/api.key has mode 0644"),
], ids=["bad-cert", "bad-key", "key-mode"])
def test_check_files_names_each_bad_file(tmp_path, cert, key, mode, message):
    site = site_with_files(tmp_path, cert or LEAF.pem(), key or LEAF.key_pem(), mode)
    result = run("--check-files", site)
    assert result.returncode == 1 and result.stdout == ""
    assert message.format(d=tmp_path) in result.stderr and "Traceback" not in result.stderr


def test_check_files_reports_a_missing_file(tmp_path):
    site = site_with_files(tmp_path, LEAF.pem(), LEAF.key_pem())
    (tmp_path / "ca.pem").unlink()
    result = run("--check-files", site)
    assert result.returncode == 1 and f"pki.ca_bundle: {tmp_path}/ca.pem does not exist" in result.stderr


def test_check_files_names_the_brokers_tls_files(tmp_path):
    site = site_with_files(tmp_path, LEAF.pem(), LEAF.key_pem())
    (tmp_path / "broker.key").write_bytes(LEAF.key_pem())
    os.chmod(tmp_path / "broker.key", 0o644)
    site.write_text(site.read_text() + f"""\
services:
  rabbitmq:
    host: box1
    tls: {{cert: {tmp_path}/broker.crt, key: {tmp_path}/broker.key}}
""")
    result = run("--check-files", site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"services.rabbitmq.tls.cert: {tmp_path}/broker.crt does not exist" in result.stderr
    assert f"services.rabbitmq.tls.key: {tmp_path}/broker.key has mode 0644" in result.stderr
