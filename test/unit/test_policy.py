"""policy.ipv4_loopback and policy.allowed_listeners: from the loader when it has them, else the file."""
import ipaddress
from types import SimpleNamespace

from edge_verify.policy import AllowedListener, Policy, policy_of


def test_defaults_when_the_site_says_nothing(lab, tmp_path):
    site_file = tmp_path / "site.yml"
    site_file.write_text("name: x\n")
    assert policy_of(lab, site_file) == Policy(ipv4_loopback="allow", allowed_listeners=())
    assert policy_of(lab).allows_ipv4_loopback


def test_raw_policy_is_read_from_the_file(lab, tmp_path):
    site_file = tmp_path / "site.yml"
    site_file.write_text("policy:\n  ipv4_loopback: forbid\n  allowed_listeners:\n"
                         "    - {host: ops1, port: 22, process: sshd, reason: jump host, address: '::'}\n")
    policy = policy_of(lab, site_file)
    assert not policy.allows_ipv4_loopback
    assert policy.allowed_listeners == (AllowedListener("ops1", 22, "sshd", "jump host", ipaddress.ip_address("::")),)


def test_the_loaders_policy_wins():
    site = SimpleNamespace(policy={"ipv4_loopback": "forbid", "allowed_listeners": [], "preflight": True})
    assert policy_of(site, "/nonexistent") == Policy(ipv4_loopback="forbid")
