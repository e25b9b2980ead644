"""Ansible inventories: the reader agrees with Ansible's own, `edge-verify import-ansible` writes a site
skeleton the site loader refuses only for what is left to fill and for the hosts it flagged, and the
verifier's --ansible-inventory hosts are the site's hosts, matched by inventory hostname."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra

from edge_verify import cli, import_ansible, inventory
from edge_verify import site as site_mod
from edge_verify.facts import probes
from edge_verify.problem import CODES, Problem

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = Path(__file__).resolve().parent / "data" / "inventories"
ESTATE = ("estate.ini", "estate.yml")
LAB_SITE = ROOT / "site" / "lab.yml"
ZONE = "lab.example.net"

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
# What check-site says of a flagged host's entry, by key path: the loader's own refusal.
FLAGGED_PATHS = {
    "hosts.cmp3.addresses[0]": "not_an_address",
    "hosts.legacy1.addresses[0]": "ipv4",
    "hosts.ops1.addresses[0]": "not_an_address",
    "hosts.spare1.roles": "empty",
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


def run_import(*args, cwd=INVENTORIES):
    """The command as an operator runs it: (exit status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "edge_verify", "import-ansible", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def imported(name, zone=ZONE, role_map=None):
    return import_ansible.Importer(inventory.load(INVENTORIES / name), zone=zone, role_map=role_map).run()


def loader_problems(text):
    """{key path: code} of what the site loader says of a skeleton."""
    return {p.path: p.code for p in site_mod.problems(site_mod.load_text(text, "skeleton"))}


def warnings_of(stderr):
    """{(host, code)} of the warnings printed, read back from the Problem lines."""
    found = set()
    for line in stderr.splitlines():
        match = re.match(r"warning: (.+?): .* \[(\w+); .*\]$", line)
        if match:
            found.add((match.group(1), match.group(2)))
    return found


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


# ---------------------------------------------------------------- unreadable inventories

BAD_INVENTORIES = [
    ("hosts.ini", "[g:children]\nnope\n", "hosts.ini line 2: [g:children] names the group nope"),
    ("hosts.ini", "[g:vars]\nx=1\n", "hosts.ini line 1: [g:vars] is for the group g, which has no section"),
    ("hosts.ini", "[g:weird]\nx\n", "hosts.ini line 1: the section [g:weird] has an unknown type"),
    ("hosts.ini", "[g]\nh1 novalue\n", "hosts.ini line 2: expected key=value after the host h1, got novalue"),
    ("hosts.ini", "[g]\nh1 k=\"open\n", "hosts.ini line 2: cannot read the host line (No closing quotation)"),
    ("hosts.ini", "[g]\nh[1:x]\n", "hosts.ini line 2: the host range [1:x] is neither numeric nor single letters"),
    ("hosts.ini", "[g]\nh[01:100]\n", "hosts.ini line 2: the host range [01:100] is zero-padded"),
    ("hosts.ini", "[a:children]\nb\n[b:children]\na\n", "group a is its own descendant (a > b > a)"),
    ("hosts.ini", "[g]\n", "hosts.ini: holds no host"),
    ("hosts.yml", "all:\n  host:\n    a:\n", "hosts.yml line 2: the group all has the key host; use hosts"),
    ("hosts.yml", "all:\n  hosts: [a, b]\n", "hosts.yml line 2: the hosts of all must be a mapping"),
    ("hosts.yml", "- a\n", "hosts.yml line 1: the inventory must be a mapping of groups"),
    ("hosts.yml", "all:\n  hosts:\n    a: 5\n", "hosts.yml line 3: the host a must be a mapping"),
    ("hosts.yml", "all:\n  hosts:\n  a: [\n", "hosts.yml line 4: cannot be read as YAML"),
    ("hosts.yml", "plugin: amazon.aws.aws_ec2\n", "is an inventory plugin configuration (plugin:); export a static"),
    ("hosts.yml", "", "hosts.yml: holds nothing"),
    ("hosts", "$ANSIBLE_VAULT;1.1;AES256\n6162\n", "hosts: is vault-encrypted"),
]


@pytest.mark.parametrize("name, text, message", BAD_INVENTORIES,
                         ids=[re.sub(r"\W+", "-", m.split(": ", 1)[-1])[:40] for _, _, m in BAD_INVENTORIES])
def test_unreadable_inventory_is_one_line_and_exit_2(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    status, out, err = run_import(name, cwd=tmp_path)
    assert status == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("edge-verify import-ansible: ") and message in err, err


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "missing.ini: does not exist; check the path"),
    (lambda d: (d / "missing.ini").mkdir(), "missing.ini: is a directory; name the inventory file itself"),
    (lambda d: (d / "missing.ini").write_bytes(b"[g]\nh\xff\n"), "missing.ini: is not UTF-8 text (invalid byte at"),
])
def test_missing_or_undecodable_inventory_is_one_line_and_exit_2(tmp_path, setup, message):
    setup(tmp_path)
    status, out, err = run_import("missing.ini", cwd=tmp_path)
    assert (status, out, err.count("\n")) == (2, "", 1) and message in err, err


# ---------------------------------------------------------------- the import

def test_estate_skeleton_is_written_as_recorded():
    """The whole file, byte for byte: sorted hosts, the loader's verdict in the header, the commented keys
    to fill, the dual-stack note. (Regenerate estate-site.yml from the command when the format changes.)"""
    status, out, err = run_import("estate.ini", "--zone", ZONE)
    assert status == 1, err
    assert out == (INVENTORIES / "estate-site.yml").read_text()


def test_output_is_deterministic_whatever_the_inventory_order(tmp_path):
    """Hosts sorted by name, roles in the schema's order, groups sorted: a reordered inventory gives the
    same skeleton body."""
    blocks = (INVENTORIES / "estate.ini").read_text().rstrip("\n").split("\n\n")
    (tmp_path / "estate.ini").write_text("\n\n".join([blocks[0], *reversed(blocks[1:])]) + "\n")
    (tmp_path / "extra.ini").write_text("[ops]\nops1\n[controller]\nops1 ansible_host=2001:db8::31\n")
    (tmp_path / "extra2.ini").write_text("[controller]\nops1 ansible_host=2001:db8::31\n[ops]\nops1\n")
    body = lambda text: re.sub(r" line \d+", "", text.split("\n\n", 1)[1])  # noqa: E731 (lines differ)
    first, again = run_import("estate.ini", "--zone", ZONE), run_import("estate.ini", "--zone", ZONE)
    assert first == again
    assert body(run_import("estate.ini", "--zone", ZONE, cwd=tmp_path)[1]) == body(first[1])
    assert "roles: [controller, ops]" in run_import("extra.ini", cwd=tmp_path)[1]
    assert body(run_import("extra.ini", cwd=tmp_path)[1]) == body(run_import("extra2.ini", cwd=tmp_path)[1])


@pytest.mark.parametrize("name", ESTATE)
def test_estate_hosts_roles_and_addresses(name):
    result = imported(name)
    assert {key: (e.roles, e.addresses) for key, e in result.entries.items()} == \
        {key: (roles, addresses) for key, (roles, addresses, _) in ESTATE_HOSTS.items()}
    assert {(p.host, p.code) for p in result.problems if p.code in import_ansible.FLAG_CODES} == \
        {(host, code) for host, (_, _, codes) in ESTATE_HOSTS.items() for code in codes}


@pytest.mark.parametrize("name", ESTATE)
def test_flagged_hosts_are_warned_on_stderr_naming_host_line_and_variable(name):
    status, out, err = run_import(name, "--zone", ZONE)
    assert status == 1
    assert {w for w in warnings_of(err) if not w[0].startswith("group ")} == \
        {(host, code) for host, (_, _, codes) in ESTATE_HOSTS.items() for code in codes}
    line = {"estate.ini": 29, "estate.yml": 46}[name]
    assert (f"warning: legacy1: ansible_host 198.51.100.7 is IPv4, and no ipv6_address is set; site expects a "
            f"global IPv6 address for every host (the site is IPv6-only); fix hosts.legacy1.addresses in the "
            f"skeleton, or ipv6_address of legacy1 in the inventory [ipv4; {name} line {line}, ansible_host]") in err
    assert re.search(r"warning: ops1: ansible_host ops1\.example\.net is a name \(not resolved\).*"
                     rf"\[inventory_name_only; {name} line \d+, ansible_host\]", err), err
    assert "cmp3: the inventory hostname cmp3 is a name (not resolved)" in err
    assert "4 flagged: cmp3, legacy1, ops1, spare1" in err.splitlines()[-1]


@pytest.mark.parametrize("name", ESTATE)
def test_ipv4_only_host_stays_in_the_skeleton_and_the_loader_refuses_it(name):
    """Never dropped: the IPv4 address is written where the site loader refuses it with its usual message."""
    result = imported(name)
    assert "  legacy1:\n    fqdn: legacy1.lab.example.net\n    roles: [ops]\n    addresses: ['198.51.100.7']\n" in \
        result.text
    assert ("#   hosts.legacy1.addresses[0]: 198.51.100.7 is IPv4; this site is IPv6-only, use the host's global "
            "IPv6 address") in result.text
    with pytest.raises(site_mod.SiteError, match=r"hosts\.legacy1\.addresses\[0\]: 198\.51\.100\.7 is IPv4"):
        site_mod.from_data(site_mod.load_text(result.text, "skeleton"))


@pytest.mark.parametrize("name", ESTATE)
def test_dual_stack_host_gets_its_ipv6_address_and_a_note(name):
    result = imported(name)
    ctl2 = result.entries["ctl2"]
    assert ctl2.addresses == ["2001:db8:10::12"]  # ipv6_address=2001:DB8:10:0::12, canonical
    assert not [p for p in result.problems if p.host == "ctl2"]
    note = r"  ctl2:\n    # ansible_host 192\.0\.2\.12 \([^()]*estate\.\w+ line \d+\) is IPv4: not imported\n"
    assert re.search(note, result.text)


@pytest.mark.parametrize("zone, to_fill", [
    (ZONE, {"name", "pki"}),
    (None, {"name", "pki", "dns.zone"} | {f"hosts.{h}.fqdn" for h in ESTATE_HOSTS}),
])
def test_skeleton_leaves_exactly_these_keys_to_fill(zone, to_fill):
    """Without --zone the zone and every fqdn are left to fill; the rest the loader refuses are the
    flagged hosts' entries."""
    result = imported("estate.ini", zone=zone)
    found = loader_problems(result.text)
    assert {path for path, code in found.items() if code == "missing"} == to_fill
    assert {path: code for path, code in found.items() if code != "missing"} == FLAGGED_PATHS
    assert [p.path for p in result.verdict] == list(found)


def fill(text, zone=None, **values):
    """What the operator does: each `(to fill)` line uncommented, with a value (fqdn: NAME.ZONE)."""
    values = {"name": "estate", "ca_bundle": "/etc/ipv6_edge/ca.pem", "zone": zone, **values}
    if zone:
        text = re.sub(r"^  (\S+):\n    # fqdn:  \(to fill\).*$", rf"  \1:\n    fqdn: \1.{zone}", text, flags=re.M)
    text = text.replace("# pki:\n#   ca_bundle:", "pki:\n  ca_bundle:")
    return re.sub(r"^( *)(?:# )?(name|ca_bundle|zone):  \(to fill\).*$",
                  lambda m: f"{m.group(1)}{m.group(2)}: {values[m.group(2)]}" if values[m.group(2)] else m.group(0),
                  text, flags=re.M)


def test_filled_skeleton_loads_once_the_flagged_hosts_are_fixed():
    result = imported("estate.ini")
    filled = fill(result.text, zone=ZONE)
    assert set(loader_problems(filled)) == set(FLAGGED_PATHS)
    data = site_mod.load_text(filled, "skeleton")
    data["hosts"]["cmp3"]["addresses"] = ["2001:db8:10::23"]
    data["hosts"]["legacy1"]["addresses"] = ["2001:db8:10::71"]
    data["hosts"]["ops1"]["addresses"] = ["2001:db8:10::31"]
    data["hosts"]["spare1"]["roles"] = ["compute"]
    site = site_mod.from_data(data)
    assert (site.name, site.zone, site.dns_server, site.ca_bundle) == ("estate", ZONE, "dns1", "/etc/ipv6_edge/ca.pem")
    assert {h.name: (h.fqdn, h.roles, [str(a) for a in h.addresses]) for h in site.hosts.values()} == {
        "cmp1": (f"cmp1.{ZONE}", ["compute"], ["2001:db8:10::21"]),
        "cmp2": (f"cmp2.{ZONE}", ["compute"], ["2001:db8:10::22"]),
        "cmp3": (f"cmp3.{ZONE}", ["compute"], ["2001:db8:10::23"]),
        "ctl1": (f"ctl1.{ZONE}", ["controller"], ["2001:db8:10::11"]),
        "ctl2": (f"ctl2.{ZONE}", ["controller"], ["2001:db8:10::12"]),
        "dns1": (f"dns1.{ZONE}", ["dns"], ["2001:db8:10::53"]),
        "legacy1": (f"legacy1.{ZONE}", ["ops"], ["2001:db8:10::71"]),
        "ops1": (f"ops1.{ZONE}", ["ops"], ["2001:db8:10::31"]),
        "spare1": (f"spare1.{ZONE}", ["compute"], ["2001:db8:10::99"]),
    }


def test_lab_inventory_imports_to_the_lab_sites_hosts(tmp_path):
    """A clean inventory: exit 0, nothing flagged, and once name and pki are filled the hosts are site/lab.yml's."""
    status, out, err = run_import("lab.ini", "--zone", ZONE, "-o", tmp_path / "site.yml")
    assert (status, out) == (0, ""), err
    assert "warning" not in err and "4 hosts from lab.ini to " in err and "0 flagged" in err
    written = (tmp_path / "site.yml").read_text()
    assert set(loader_problems(written)) == {"name", "pki"}
    site = site_mod.from_data(site_mod.load_text(fill(written, ca_bundle="/var/lib/v6lab/pki/ca.pem"), "skeleton"))
    lab = site_mod.load(LAB_SITE)
    assert site.hosts == lab.hosts and site.dns_server == lab.dns_server and site.zone == lab.zone


def test_output_file_is_not_replaced_without_force(tmp_path):
    target = tmp_path / "site.yml"
    target.write_text("name: kept\n")
    status, _, err = run_import("lab.ini", "-o", target)
    assert status == 2 and "site.yml: exists; give another -o, or --force to replace it" in err
    assert target.read_text() == "name: kept\n"
    assert run_import("lab.ini", "-o", target, "--force")[0] == 0
    assert "  ctl1:\n" in target.read_text()


def test_unknown_groups_are_reported_and_not_used():
    status, out, err = run_import("estate.ini", "--zone", ZONE)
    groups = {w for w in warnings_of(err) if w[0].startswith("group ")}
    assert groups == {("group region", "inventory_unknown_group"), ("group openstack", "inventory_unknown_group"),
                      ("group rack_a", "inventory_unknown_group")}
    assert "warning: group rack_a: maps to no role (hosts: cmp1, cmp2); " in err
    assert "#   rack_a (estate.ini line 20): cmp1, cmp2\n" in out
    assert "rack_a" not in out.split("\n\n", 1)[1] and "openstack" not in out.split("\n\n", 1)[1]


def test_role_map_gives_a_group_its_roles():
    result = imported("estate.ini", role_map={"region": ["ops"], "rack_a": ["controller"], "dns": ["compute"]})
    roles = {key: entry.roles for key, entry in result.entries.items()}
    assert roles["cmp1"] == ["controller", "compute", "ops"] and roles["cmp3"] == ["compute", "ops"]
    assert roles["dns1"] == ["compute", "ops"] and roles["spare1"] == []  # a mapped dns group is no dns role
    assert "# server:  (to fill)" in result.text
    assert {p.host for p in result.problems if p.code == "inventory_unknown_group"} == {"group openstack"}


@pytest.mark.parametrize("args, message", [
    (["--role-map", "rack_a=frontend"], "'frontend' is not a role; use one of controller, compute, dns, ops"),
    (["--role-map", "rack_a"], "'rack_a' is not GROUP=ROLE"),
    (["--role-map", "rack_b=compute"], "--role-map rack_b=...: estate.ini has no group rack_b"),
    (["--zone", "Lab.Example.NET."], "'Lab.Example.NET.' is not a DNS name"),
])
def test_bad_options_exit_2(args, message):
    status, out, err = run_import("estate.ini", *args)
    assert (status, out) == (2, "") and message in err, err


def test_inventory_by_fqdn_with_vars_directories():
    """Hosts by FQDN: key = first label, fqdn = the name. ipv6_address lists from host_vars/ files and
    directories; a link-local ansible_host is flagged, the loader refusing it as it is."""
    result = imported("by-fqdn/hosts")
    assert {k: (e.fqdn, e.roles, e.addresses) for k, e in result.entries.items()} == {
        "cmp01": (f"cmp01.{ZONE}", ["compute"], ["2001:db8:20::21"]),
        "cmp02": (f"cmp02.{ZONE}", ["compute"], ["fe80::21%eth0"]),
        "cmp03": (f"cmp03.{ZONE}", ["compute"], [f"cmp03.{ZONE}"]),
        "ctl1": (f"ctl1.{ZONE}", ["controller"], ["2001:db8:20::11", "2001:db8:20::1:11"]),
        "dns1": (f"dns1.{ZONE}", ["dns"], ["2001:db8:20::53"]),
    }
    flags = {(p.host, p.code): p for p in result.problems}
    assert set(flags) == {("cmp02", "inventory_bad_address"), ("cmp03", "inventory_name_only")}
    assert flags["cmp02", "inventory_bad_address"].found == "ansible_host fe80::21%eth0 (link-local)"
    assert flags["cmp02", "inventory_bad_address"].source == \
        f"{INVENTORIES}/by-fqdn/host_vars/cmp02.lab.example.net.yaml line 2, ansible_host"
    assert loader_problems(result.text) == {"hosts.cmp02.addresses[0]": "not_an_address",
                                            "hosts.cmp03.addresses[0]": "not_an_address",
                                            "name": "missing", "pki": "missing"}


@pytest.mark.parametrize("text, host, code, found", [
    ("[compute]\ncmp1 ansible_host=2001:db8::21\ncmp2 ansible_host=2001:db8:0::21\n", "cmp2",
     "inventory_bad_address", "2001:db8::21 is also the address of cmp1"),
    ("[compute]\ncmp1 ipv6_address=::1\n", "cmp1", "inventory_bad_address", "ipv6_address ::1 (loopback)"),
    ("[compute]\ncmp1 ipv6_address=192.0.2.21\n", "cmp1", "ipv4", "ipv6_address 192.0.2.21 (ipv4)"),
    ("[compute]\ncmp1 ipv6_address=\"[]\"\n", "cmp1", "inventory_bad_address", "ipv6_address is an empty list"),
    ("compute:\n  hosts:\n    cmp1: {ansible_host: 1:2:3:4:5:6:7:8}\n", "cmp1", "inventory_bad_address",
     "ansible_host an integer (2895057742028), not an address (quote it: YAML reads an unquoted address as a number)"),
    ("[compute]\nCmp_1 ansible_host=2001:db8::21\n", "Cmp_1", "inventory_bad_name",
     "the inventory hostname Cmp_1 is not a site host name"),
    ("[compute]\n2001:db8::21\n", "2001:db8::21", "inventory_bad_name",
     "the inventory hostname 2001:db8::21 is an address, not a name"),
    ("[compute]\ncmp1 ansible_host=2001:db8::21\ncmp1.lab.example.net ansible_host=2001:db8::22\n",
     "cmp1.lab.example.net", "inventory_bad_name",
     "the inventory hostname cmp1.lab.example.net has the short name cmp1 of the inventory host cmp1"),
    ("[compute]\ncmp1.other.example.net ansible_host=2001:db8::21\n", "cmp1", "inventory_bad_name",
     "the inventory hostname cmp1.other.example.net is outside the zone lab.example.net"),
])
def test_host_the_site_cannot_take_is_flagged_and_refused_by_the_loader(tmp_path, text, host, code, found):
    name = "hosts.yml" if text.startswith("compute:") else "hosts.ini"
    (tmp_path / name).write_text(text)
    status, out, err = run_import(name, "--zone", ZONE, cwd=tmp_path)
    assert status == 1, err
    assert f"warning: {host}: {found}; site expects " in err and f" [{code}; {name} line " in err, err
    refused = set(loader_problems(out)) - {"name", "pki", "dns.server"}  # left to fill: no dns host here
    assert refused and all(path.startswith("hosts.") for path in refused), refused  # the host's entry


def test_vault_encrypted_vars_file_is_reported_not_read(tmp_path):
    (tmp_path / "hosts.ini").write_text("[controller]\nctl1 ansible_host=2001:db8::11\n")
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "ctl1.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162636465\n")
    status, out, err = run_import("hosts.ini", cwd=tmp_path)
    assert status == 0
    assert "warning: host_vars/ctl1.yml: vault-encrypted, not read: its variables are not imported" in err
    assert "# Not read (vault-encrypted; decrypt a copy to import its variables):\n#   host_vars/ctl1.yml\n" in out


def test_roles_are_the_policyfiles_named_run_lists():
    named = re.findall(r"^named_run_list :(\w+)", (ROOT / "Policyfile.rb").read_text(), flags=re.M)
    assert import_ansible.ROLES == tuple(named)
    assert set(import_ansible.FLAG_CODES) | {"inventory_unknown_group"} <= CODES
    assert {Problem("h", code, "", "", "", "").level for code in import_ansible.FLAG_CODES} == {"error"}
    assert Problem("group g", "inventory_unknown_group", "", "", "", "").level == "warning"


def test_help_says_what_is_read_and_what_becomes_of_an_ipv4_only_host(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import-ansible", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for text in ("ipv6_address", "ansible_host", "the site loader", "refuses the file", "Names are never resolved",
                 "ipv4  ", "Exit status: 0 every host imported, 1 a host was flagged, 2 the inventory cannot be read",
                 "--role-map GROUP=ROLE", "--zone ZONE"):
        assert text in out, text
    assert "import-ansible INVENTORY" in cli.__doc__


# ---------------------------------------------------------------- the verifier's hosts from an inventory

def test_site_hosts_are_matched_to_inventory_hostnames_by_key_then_fqdn(lab):
    names = ["ctl1", "cmp1.lab.example.net", "ops1", "ops1.lab.example.net", "other"]
    assert inventory.site_hosts_in(lab, names) == (["ansible://ctl1", "ansible://cmp1.lab.example.net",
                                                    "ansible://ops1"], ["dns1"])
    assert inventory.site_hosts_in(lab, ["dns1", "ctl1", "cmp1", "ops1"]) == \
        (["ansible://dns1", "ansible://ctl1", "ansible://cmp1", "ansible://ops1"], [])


def edge_verify(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "edge_verify", "-p", "no:cacheprovider", *map(str, args)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=ansible_env(tmp_path))


def collected_hosts(output, test="test_no_ipv4_address_on_host"):
    return sorted(re.findall(rf"{test}\[([^\]]+)\]", output))


@pytest.mark.parametrize("source", ["lab.ini", "lab-fqdn.yml"])
def test_hosts_left_out_come_from_the_site_through_the_ansible_inventory(tmp_path, source):
    """--ansible-inventory without --hosts: every site host, as ansible://<inventory hostname>; nothing is
    connected to (collection only)."""
    if source == "lab-fqdn.yml":
        lab_ini = inventory.load(INVENTORIES / "lab.ini")
        hosts = {f"{h}.{ZONE}": {"ansible_host": lab_ini.host_vars(h)["ansible_host"].value} for h in lab_ini.hosts}
        (tmp_path / source).write_text(json.dumps({"all": {"hosts": hosts}}))
        path, expected = tmp_path / source, [f"ansible://{h}.{ZONE}" for h in ("cmp1", "ctl1", "dns1", "ops1")]
    else:
        path, expected = INVENTORIES / source, ["ansible://cmp1", "ansible://ctl1", "ansible://dns1", "ansible://ops1"]
    ansible_inventory(path, tmp_path)  # ansible-inventory is there and reads it
    done = edge_verify(tmp_path, f"--site={LAB_SITE}", f"--ansible-inventory={path}", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert collected_hosts(done.stdout) == expected, done.stdout
    assert collected_hosts(done.stdout, "test_haproxy_binds_only_site_v6_addresses") == expected


def test_a_site_host_missing_from_the_ansible_inventory_is_one_usage_error(tmp_path):
    (tmp_path / "three.ini").write_text("\n".join(line for line in (INVENTORIES / "lab.ini").read_text().splitlines()
                                                  if not line.startswith("cmp1")) + "\n")
    done = edge_verify(tmp_path, f"--site={LAB_SITE}", "--ansible-inventory=three.ini", "-q")
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("ERROR") == 1 and "Traceback" not in output, output
    assert ("cmp1: no host cmp1 or cmp1.lab.example.net in three.ini; site expects every site host in the inventory; "
            "fix the inventory, or name the hosts with --hosts=ansible://NAME,... [inventory_host_missing; "
            "ansible-inventory -i three.ini --list]") in output


@pytest.mark.parametrize("text, unparsed_failed, message", [
    (None, "true", "--ansible-inventory missing.ini: no such file"),
    ("all:\n  hosts: [a]\n", "true", "--ansible-inventory missing.ini: ansible-inventory lists no host (exited 1); "
     "see `ansible-inventory -i missing.ini --list`"),
    ("all:\n  hosts: [a]\n", "false", "--ansible-inventory missing.ini: ansible-inventory lists no host (No "
     "inventory was parsed (missing file ?), only implicit localhost is available); see `ansible-inventory -i"),
])
def test_an_unreadable_ansible_inventory_is_one_usage_error(tmp_path, monkeypatch, text, unparsed_failed, message):
    """With Ansible's default (an unparsed inventory is no error) or inventory_unparsed_failed."""
    if text is not None:
        (tmp_path / "missing.ini").write_text(text)
    monkeypatch.setenv("ANSIBLE_INVENTORY_UNPARSED_FAILED", unparsed_failed)
    done = edge_verify(tmp_path, f"--site={LAB_SITE}", "--ansible-inventory=missing.ini", "-q")
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR and output.count("ERROR") == 1, output
    assert message in output and "Traceback" not in output, output


def test_ansible_backend_host_is_its_site_host_by_inventory_hostname(lab, tmp_path, monkeypatch):
    """The ansible backend keeps the inventory hostname: the site host is found from it, without a command."""
    for key, value in ansible_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for name, expected in (("ctl1", "ctl1"), ("ops1.lab.example.net", "ops1")):
        host = testinfra.get_host(f"ansible://{name}", ansible_inventory=str(INVENTORIES / "lab.ini"))

        def no_command(*args, **kwargs):
            raise AssertionError("site_host ran a command")
        monkeypatch.setattr(host.backend, "run", no_command)
        assert probes.site_host(host, lab).name == expected
