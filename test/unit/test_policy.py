"""policy.ipv4_loopback and policy.allowed_listeners, as the site loader gives them."""
import ipaddress
from pathlib import Path
from types import SimpleNamespace

import yaml

from edge_verify import site as site_mod
from edge_verify.policy import AllowedListener, Policy, policy_of

LAB = Path(__file__).resolve().parents[2] / "site" / "lab.yml"


def load_lab_with(tmp_path, policy):
    data = yaml.safe_load(LAB.read_text())
    data.pop("policy", None)
    if policy is not None:
        data["policy"] = policy
    site_file = tmp_path / "site.yml"
    site_file.write_text(yaml.safe_dump(data))
    return site_mod.load(site_file)


def test_defaults_when_the_site_says_nothing(tmp_path):
    policy = policy_of(load_lab_with(tmp_path, None))
    assert policy == Policy(ipv4_loopback="allow", allowed_listeners=())
    assert policy.allows_ipv4_loopback


def test_the_lab_forbids_ipv4_loopback(lab):
    assert not policy_of(lab).allows_ipv4_loopback


def test_allowed_listeners_come_from_the_site(tmp_path):
    policy = policy_of(load_lab_with(tmp_path, {
        "ipv4_loopback": "forbid",
        "allowed_listeners": [{"host": "ops1", "port": 22, "process": "sshd", "reason": "jump host",
                               "address": "::"}]}))
    assert not policy.allows_ipv4_loopback
    assert policy.allowed_listeners == (AllowedListener("ops1", 22, "sshd", "jump host", ipaddress.ip_address("::")),)


def test_a_site_object_without_policy_gets_the_defaults():
    assert policy_of(SimpleNamespace()) == Policy()
    site = SimpleNamespace(policy={"ipv4_loopback": "forbid", "allowed_listeners": [], "preflight": True})
    assert policy_of(site) == Policy(ipv4_loopback="forbid")
