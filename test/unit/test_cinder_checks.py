"""Cinder target checks on recorded outputs: the lab's rendered cinder.conf, tgtd listeners, discovery."""
import re
from pathlib import Path

import pytest

from edge_verify.checks import cinder
from edge_verify.facts import parsers

GOOD = "cinder-lab-zed.conf"


def conf(data, name=GOOD, edit=lambda text: text):
    return cinder.parse_conf(edit(data(name)))


def codes(problems):
    return [p.code for p in problems]


def test_rendered_conf_passes_every_check(lab, data):
    parsed = conf(data)
    addresses = parsers.parse_ip_addr(data("ipaddr-good.txt"))
    assert cinder.target_option_problems(lab, "ctl1", parsed) == []
    assert cinder.foreign_option_problems(lab, "ctl1", parsed) == []
    assert cinder.my_ip_problems(lab, "ctl1", parsed, addresses) == []


def test_unbracketed_target_address_is_reported(lab, data):
    unbracketed = ("target_ip_address = [2001:db8:10::11]", "target_ip_address = 2001:db8:10::11")
    parsed = conf(data, edit=lambda t: t.replace(*unbracketed))
    problems = cinder.target_option_problems(lab, "ctl1", parsed)
    assert codes(problems) == ["cinder_unbracketed"]
    assert "ctl1: [lvm] target_ip_address = 2001:db8:10::11 (unbracketed" in str(problems[0])
    assert "target_ip_address = [2001:db8:10::11]" in problems[0].expects


def test_old_option_name_on_zed_is_reported_twice(lab, data):
    """The seed's iscsi_ip_address on zed: the release's option is missing and the old one is ignored."""
    parsed = conf(data, edit=lambda t: t.replace("target_ip_address =", "iscsi_ip_address ="))
    assert codes(cinder.target_option_problems(lab, "ctl1", parsed)) == ["cinder_target_option"]
    foreign = cinder.foreign_option_problems(lab, "ctl1", parsed)
    assert codes(foreign) == ["cinder_foreign_option"]
    assert "[lvm] iscsi_ip_address = [2001:db8:10::11] (Cinder zed has no iscsi_ip_address" in str(foreign[0])
    assert foreign[0].expects == "target_ip_address (the name in Cinder zed)"


def test_a_target_address_that_is_not_the_hosts(lab, data):
    other = ("target_ip_address = [2001:db8:10::11]", "target_ip_address = [2001:db8:10::99]")
    parsed = conf(data, edit=lambda t: t.replace(*other))
    assert codes(cinder.target_option_problems(lab, "ctl1", parsed)) == ["cinder_target_option"]


@pytest.mark.parametrize("value, code", [
    ("[2001:db8:10::11]", "cinder_my_ip"),
    ("2001:db8:10::99", "cinder_my_ip"),
    ("127.0.0.1", "cinder_my_ip"),
])
def test_my_ip_must_be_a_bare_site_address(lab, data, value, code):
    parsed = conf(data, edit=lambda t: t.replace("my_ip = 2001:db8:10::11", f"my_ip = {value}"))
    addresses = parsers.parse_ip_addr(data("ipaddr-good.txt"))
    assert codes(cinder.my_ip_problems(lab, "ctl1", parsed, addresses)) == [code]


def test_unset_my_ip_is_reported(lab, data):
    parsed = conf(data, edit=lambda t: t.replace("my_ip = 2001:db8:10::11\n", ""))
    problems = cinder.my_ip_problems(lab, "ctl1", parsed, [])
    assert codes(problems) == ["cinder_my_ip"] and "127.0.0.1" in problems[0].found


def test_tgtd_on_the_site_address_only_passes(lab, data):
    assert cinder.portal_listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-tgtd-good.txt"))) == []


def test_tgtd_on_the_wildcard_is_reported(lab, data):
    """Debian's tgtd starts bare: 0.0.0.0:3260 and [::]:3260, and nothing on the site address itself."""
    problems = cinder.portal_listener_problems(lab, "ctl1", parsers.parse_ss(data("ss-tgtd-wildcard.txt")))
    assert codes(problems) == ["ipv4", "not_site_address", "listener_missing"]
    assert "tgtd on 0.0.0.0:3260" in problems[0].found


def test_no_tgtd_is_reported(lab):
    assert codes(cinder.portal_listener_problems(lab, "ctl1", [])) == ["listener_missing"]


def test_discovery_that_lists_the_target_passes(lab, data):
    expected = [("iqn.2010-10.org.openstack:probe", "[2001:db8:10::11]:3260")]
    assert cinder.parse_iscsi_ls(data("iscsi-ls-probe.txt")) == expected
    assert cinder.discovery_problems(lab, "cmp1", 0, data("iscsi-ls-probe.txt"), "iscsi-ls") == []


@pytest.mark.parametrize("status, output", [
    (0, ""),
    (1, "iscsi_connect failed. Failed to connect to iSCSI socket. Connection refused\n"),
])
def test_discovery_without_a_target_is_reported(lab, status, output):
    problems = cinder.discovery_problems(lab, "cmp1", status, output, "iscsi-ls")
    assert codes(problems) == ["iscsi_discovery"]
    assert problems[0].host == "cmp1"


def test_python_release_table_matches_the_cookbook():
    """The option names per release here and in cookbooks/ipv6_cinder/libraries/release.rb agree."""
    ruby = (Path(__file__).resolve().parents[2] / "cookbooks/ipv6_cinder/libraries/release.rb").read_text()
    for family in (cinder.PIKE, cinder.QUEENS, cinder.ANTELOPE):
        for name in family.values():
            assert f"'{name}'" in ruby
    ruby_releases = re.findall(r"'(\w+)' => \[(?:PIKE|QUEENS|TRAIN|ANTELOPE)", ruby)
    assert set(cinder.RELEASES) == set(ruby_releases)
