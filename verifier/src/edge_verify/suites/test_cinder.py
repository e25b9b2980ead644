"""Cinder's iSCSI target, on the host of services.cinder: cinder.conf written for its release, the portal
address in the form the target helper needs, my_ip a host address, the portal v6only on the site address;
and from each client, a SendTargets discovery over IPv6 that finds the target."""
import socket

import pytest

from edge_verify.checks import cinder
from edge_verify.facts import cinder as cinder_facts
from edge_verify.facts.probes import ProbeError


@pytest.fixture(scope="module")
def cinder_site(site):
    if "cinder" not in site.services:
        pytest.fail(f"services.cinder is not described in {site.source}", pytrace=False)
    return site.services["cinder"]


def _on_cinder_host(site_host, cinder_site):
    return site_host.name == cinder_site["host"]


@pytest.fixture(scope="module")
def cinder_conf(host, site_host, cinder_site):
    if not _on_cinder_host(site_host, cinder_site):
        return None
    try:
        return cinder_facts.conf(host)
    except ProbeError as error:
        pytest.fail(str(error), pytrace=False)


def test_cinder_target_address_is_bracketed(site, site_host, cinder_site, cinder_conf, check):
    """With an unbracketed IPv6 portal iscsiadm takes ADDRESS:PORT whole as the address: discovery goes
    elsewhere, Cinder deletes the volume and the VM ends in ERROR. The option must be the release's own."""
    problems = [] if cinder_conf is None else cinder.target_option_problems(site, site_host.name, cinder_conf)
    check(problems, host=site_host.name)


def test_cinder_has_no_option_of_another_release(site, site_host, cinder_site, cinder_conf, check):
    """An option name the release does not have (iscsi_ip_address on zed) is ignored without a word; the
    portal then falls back to my_ip, or to 127.0.0.1 on a host without IPv4."""
    problems = [] if cinder_conf is None else cinder.foreign_option_problems(site, site_host.name, cinder_conf)
    check(problems, host=site_host.name)


def test_cinder_my_ip_is_an_address_of_the_host(site, site_host, cinder_site, cinder_conf, facts, check):
    """my_ip defaults to 127.0.0.1 without IPv4, and every $my_ip default (the target address among them)
    follows it."""
    problems = []
    if cinder_conf is not None:
        problems = cinder.my_ip_problems(site, site_host.name, cinder_conf, facts.addresses())
    check(problems, host=site_host.name)


def test_iscsi_portal_listens_v6only_on_site_address(site, site_host, cinder_site, facts, check):
    """tgtd binds every address by default (dual-stack, IPv4 included); the portal belongs on the site
    address only."""
    problems = []
    if _on_cinder_host(site_host, cinder_site):
        problems = cinder.portal_listener_problems(site, site_host.name, facts.listeners())
    check(problems, host=site_host.name)


@pytest.mark.client_side
def test_iscsi_discovery_finds_the_target(site, cinder_site, check):
    """What a compute node does before it attaches a volume: a SendTargets discovery of the site portal
    over IPv6 (libiscsi), which must list the target on that portal."""
    address = site.hosts[cinder_site["host"]].addresses[0]
    status, output, command = cinder_facts.discover(address, cinder_site["target_port"])
    here = socket.gethostname()
    check(cinder.discovery_problems(site, here, status, output, f"{command} on {here}"), host=here)
