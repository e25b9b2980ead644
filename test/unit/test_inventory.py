"""Ansible inventories read without Ansible: groups, children, variables and ranges as Ansible reads them."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from edge_verify import inventory

INVENTORIES = Path(__file__).resolve().parent / "data" / "inventories"
ESTATE = ("estate.ini", "estate.yml")

# What estate.ini and estate.yml say of each host: (roles, addresses as written, flag codes).
ESTATE_HOSTS = {
    "cmp1": (["compute"], ["2001:db8:10::21"], []),
    "cmp2": (["compute"], ["2001:db8:10::22"], []),
    "cmp3": (["compute"], ["cmp3"], ["inventory_name_only"]),
    "ctl1": (["controller"], ["2001:db8:10::11"], []),
    "ctl2": (["controller"], ["2001:db8:10::12"], []),
    "dns1": (["dns"], ["2001:db8:10::53"], []),
    "legacy1": (["ops"], ["198.51.100.7"], ["ipv4"]),
    "ops1": (["ops"], ["ops1.example.net"], ["inventory_name_only"]),
    "spare1": ([], ["2001:db8:10::99"], ["inventory_no_role"]),
}


def ansible_env(tmp_path):
    """Ansible's commands kept off the machine's configuration and home (and in a UTF-8 locale, which
    Ansible requires)."""
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    return {**os.environ, "ANSIBLE_CONFIG": str(config), "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_VERBOSITY": "0", "LC_ALL": "C.UTF-8",
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": os.environ.get("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")}


def ansible_inventory(path, tmp_path):
    """`ansible-inventory --list` of path: Ansible's own reading (Debian's ansible-core, packages.debian)."""
    if shutil.which("ansible-inventory") is None:
        pytest.fail("ansible-inventory is missing: apt-get install --no-install-recommends ansible-core "
                    "(it is in packages.debian)", pytrace=False)
    done = subprocess.run(["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True,
                          env=ansible_env(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ansible_members(listed, group):
    hosts = set(listed.get(group, {}).get("hosts", []))
    for child in listed.get(group, {}).get("children", []):
        hosts |= ansible_members(listed, child)
    return hosts


# ---------------------------------------------------------------- the reader

@pytest.mark.parametrize("name", [*ESTATE, "by-fqdn/hosts", "lab.ini"])
def test_reader_agrees_with_ansible_inventory(tmp_path, name):
    """Groups through children, every host's merged variables (group vars at each depth, host vars inline,
    in YAML and in group_vars/ and host_vars/), ranges: as Ansible itself reads the same file."""
    listed = ansible_inventory(INVENTORIES / name, tmp_path)
    read = inventory.load(INVENTORIES / name)
    assert {h: {k: v.value for k, v in read.host_vars(h).items()} for h in read.hosts} == listed["_meta"]["hostvars"]
    groups = [g for g in listed if g != "_meta"]
    assert sorted(g for g in read.groups if read.members(g)) == sorted(g for g in groups if ansible_members(listed, g))
    for group in groups:
        assert set(read.members(group)) == ansible_members(listed, group), group


def test_estate_reads_the_same_in_ini_and_yaml():
    ini, yml = (inventory.load(INVENTORIES / name) for name in ESTATE)
    assert sorted(ini.hosts) == sorted(yml.hosts) == sorted(ESTATE_HOSTS)
    for host in ini.hosts:
        assert ini.groups_of(host) == yml.groups_of(host), host
        assert {k: v.value for k, v in ini.host_vars(host).items()} == \
            {k: v.value for k, v in yml.host_vars(host).items()}, host


@pytest.mark.parametrize("pattern, names, port", [
    ("cmp[1:3]", ["cmp1", "cmp2", "cmp3"], None),
    ("cmp[08:10]", ["cmp08", "cmp09", "cmp10"], None),
    ("cmp[1:7:3]", ["cmp1", "cmp4", "cmp7"], None),
    ("rack[a:c]", ["racka", "rackb", "rackc"], None),
    ("r[1:2]-n[a:b]", ["r1-na", "r1-nb", "r2-na", "r2-nb"], None),
    ("cmp[1:2].lab.example.net:2222", ["cmp1.lab.example.net", "cmp2.lab.example.net"], 2222),
    ("ctl1:2222", ["ctl1"], 2222),
    ("2001:db8::11", ["2001:db8::11"], None),
    ("[2001:db8::11]:2222", ["2001:db8::11"], 2222),
    ("cmp[3:1]", [], None),
])
def test_host_patterns_expand_as_ansible_expands_them(pattern, names, port):
    assert inventory.parse_pattern(pattern, inventory.Where("hosts", 1)) == (names, port)


def test_host_line_and_vars_section_values_are_read_as_ansible_reads_them():
    read = inventory.read_ini("[g]\nh1 a=5 b='x y' c=[1,2] d=2001:db8::1 # comment\n[g:vars]\ne=x # y\nf=\"q\"\n",
                              "hosts").finish()
    assert {k: v.value for k, v in read.host_vars("h1").items()} == \
        {"a": 5, "b": "x y", "c": [1, 2], "d": "2001:db8::1", "e": "x # y", "f": "q"}
    assert read.host_vars("h1")["d"].where == inventory.Where("hosts", 2)
