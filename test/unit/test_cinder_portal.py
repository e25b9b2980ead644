"""The iSCSI portal an initiator receives, built by the real code from the cinder.conf the cookbook renders.

data/cinder-lab-zed.conf is what ipv6_cinder renders for the lab (its ChefSpec compares the two).
Cinder 21.3.1's target driver (python3-cinder) turns the file into the provider location and the
connection properties; os-brick 6.1.0 (python3-os-brick) turns those into the iscsiadm argv. Then
iscsiadm's own parser (open-iscsi) reads the portal both ways, inside a private network namespace
that holds only 2001:db8 addresses, so no packet leaves this machine.
"""
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from cinder.volume import driver as cinder_driver

DATA = Path(__file__).resolve().parent / "data"
RENDERED = DATA / "cinder-lab-zed.conf"
BACKEND = "lvm"
IQN = "iqn.2010-10.org.openstack:volume-00000001"
ADDRESS = "2001:db8:10::11"
BRACKETED_PORTAL = f"[{ADDRESS}]:3260"
UNBRACKETED_PORTAL = f"{ADDRESS}:3260"


def _backend_configuration(path):
    """The backend's configuration as cinder-volume builds it: the driver options registered
    under the backend's section of the file."""
    from cinder.volume import configuration
    from oslo_config import cfg

    conf = cfg.ConfigOpts()
    configuration.CONF = conf
    conf.register_opts(cinder_driver.volume_opts, group=BACKEND)
    conf.register_opts(cinder_driver.volume_opts, group="backend_defaults")
    conf.register_opt(cfg.HostAddressOpt("my_ip"))
    conf(args=[], project="cinder", default_config_files=[str(path)], default_config_dirs=[])
    config = configuration.Configuration(cinder_driver.volume_opts, config_group=BACKEND)
    return conf, config


def _target_portal(path):
    """target_portal as Cinder's TgtAdm driver hands it to the initiator (via provider_location)."""
    from cinder.volume.targets import tgt

    _conf, config = _backend_configuration(path)
    target = tgt.TgtAdm(configuration=config, executor=lambda *a, **k: ("", ""))
    location = target._iscsi_location(config.target_ip_address, 1, IQN, 1,
                                      config.iscsi_secondary_ip_addresses)
    volume = {"id": str(uuid.uuid4()), "name": "volume-00000001", "provider_location": location,
              "provider_auth": None, "provider_id": None}
    return location, target._get_iscsi_properties(volume)


def test_rendered_file_sets_the_target_address_bracketed():
    """The file itself, before any Cinder code runs, holds the bracketed form (the form every release reads)."""
    _conf, config = _backend_configuration(RENDERED)
    assert config.target_ip_address == f"[{ADDRESS}]"
    assert config.target_port == 3260
    assert config.target_helper == "tgtadm"


def test_cinder_target_driver_builds_a_bracketed_portal():
    """Cinder 21.3.1's target driver turns the rendered file into the portal the initiator receives."""
    location, props = _target_portal(RENDERED)
    assert location.startswith(f"{BRACKETED_PORTAL},1 {IQN} 1")
    assert props["target_portal"] == BRACKETED_PORTAL


def test_cinder_target_driver_brackets_a_bare_address_too(tmp_path):
    """21.3.1 brackets a bare address itself (sanitize_host); releases before 14.0.2 do not, so the
    cookbook brackets it for every release."""
    bare = tmp_path / "cinder.conf"
    bare.write_text(RENDERED.read_text().replace(f"[{ADDRESS}]", ADDRESS))
    _location, props = _target_portal(bare)
    assert props["target_portal"] == BRACKETED_PORTAL


def old_iscsi_location(ip, port, target, iqn, lun):
    """The provider location as Cinder <= 14.0.1 built it (iscsi.py before sanitize_host):
    "%s:%s,%s %s %s" % (ip, port, target, iqn, lun), with no brackets."""
    return "%s:%s,%s %s %s" % (ip, port, target, iqn, lun)


def test_seed_behaviour_old_cinder_with_a_bare_address_gives_an_unbracketed_portal():
    """What the seed's `iscsi_ip_address = <bare address>` gave on Cinder <= 14.0.1: iscsiadm misreads it."""
    location = old_iscsi_location(ADDRESS, 3260, 1, IQN, 1)
    assert location.split(",")[0] == UNBRACKETED_PORTAL


def test_old_cinder_with_the_bracketed_address_gives_a_bracketed_portal():
    location = old_iscsi_location(f"[{ADDRESS}]", 3260, 1, IQN, 1)
    assert location.split(",")[0] == BRACKETED_PORTAL


class RecordingExecutor:
    """Stands in for processutils.execute: records each argv, runs nothing."""

    def __init__(self):
        self.calls = []

    def __call__(self, *argv, **kwargs):
        self.calls.append(list(argv))
        return "", ""


def test_os_brick_passes_the_bracketed_portal_to_iscsiadm_discovery():
    """os-brick 6.1.0 hands target_portal to `iscsiadm -p` unchanged: the bracket must come from Cinder."""
    from os_brick.initiator.connectors import iscsi

    _location, props = _target_portal(RENDERED)
    executor = RecordingExecutor()
    connector = iscsi.ISCSIConnector(root_helper="sudo", execute=executor)
    connector._discover_iscsi_portals(dict(props))
    discovery = [argv for argv in executor.calls if argv[:3] == ["iscsiadm", "-m", "discovery"]]
    assert discovery == [["iscsiadm", "-m", "discovery", "-t", "sendtargets", "-I", "default",
                          "-p", BRACKETED_PORTAL]]


# iscsiadm's portal parser, observed with -d 8 (no kernel module needed: it prints the parse first).
NETNS = f"cinder-parse-{os.getpid()}"
PARSE_DEADLINE = 10.0


@pytest.fixture(scope="module")
def private_netns():
    """A network namespace with one veth pair, 2001:db8:10::11/64 and 2001:db8:10::21/64, no IPv4."""
    if os.geteuid() != 0 or not shutil.which("iscsiadm"):
        pytest.fail("needs root and open-iscsi's iscsiadm (packages.debian)")
    steps = [
        ["ip", "netns", "add", NETNS],
        ["ip", "-n", NETNS, "link", "set", "lo", "up"],
        ["ip", "-n", NETNS, "addr", "del", "127.0.0.1/8", "dev", "lo"],
        ["ip", "-n", NETNS, "link", "add", "name", "cpa", "type", "veth", "peer", "name", "cpb"],
        ["ip", "-n", NETNS, "addr", "add", f"{ADDRESS}/64", "dev", "cpa", "nodad"],
        ["ip", "-n", NETNS, "addr", "add", "2001:db8:10::21/64", "dev", "cpb", "nodad"],
        ["ip", "-n", NETNS, "link", "set", "cpa", "up"],
        ["ip", "-n", NETNS, "link", "set", "cpb", "up"],
    ]
    try:
        for step in steps:
            subprocess.run(step, check=True, capture_output=True)
        yield NETNS
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


def iscsiadm_parse(netns, portal):
    """Run `iscsiadm -d 8 -m discovery -t st -p PORTAL` in netns until it prints its parse of the
    portal (the line `ip ..., port ..., tgpt ...`); stop it by pid then. Returns (parse line, output)."""
    process = subprocess.Popen(["ip", "netns", "exec", netns, "iscsiadm", "-d", "8", "-m", "discovery",
                                "-t", "st", "-p", portal],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + PARSE_DEADLINE
    lines, parsed = [], None
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("iscsiadm: ip ") and ", port " in line:
                parsed = line.strip()
            if "starting sendtargets discovery" in line or time.monotonic() > deadline:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=PARSE_DEADLINE)
    return parsed, lines


def test_iscsiadm_takes_an_unbracketed_portal_whole_as_the_address(private_netns):
    """The seed's failure: `2001:db8:10::11:3260` is itself a valid IPv6 address, so iscsiadm keeps the
    whole string as the address, leaves the port unset (-1, later 3260) and discovers the wrong host."""
    parsed, lines = iscsiadm_parse(private_netns, UNBRACKETED_PORTAL)
    assert parsed == f"iscsiadm: ip {UNBRACKETED_PORTAL}, port -1, tgpt -1", lines
    assert any(f"address {UNBRACKETED_PORTAL}:3260" in line for line in lines), lines


def test_iscsiadm_splits_a_bracketed_portal_into_address_and_port(private_netns):
    parsed, lines = iscsiadm_parse(private_netns, BRACKETED_PORTAL)
    assert parsed == f"iscsiadm: ip {ADDRESS}, port 3260, tgpt -1", lines
    assert any(f"address {ADDRESS}:3260" in line for line in lines), lines
