"""Each lab host is IPv6-only: no IPv4 address, nothing IPv4 can reach, listeners only where the site says."""
from edge_verify import checks


def test_no_ipv4_address_on_host(site, site_host, host_addresses):
    """An IPv4 address lets services fall back to IPv4 silently; the estate must not depend on it."""
    problems = checks.ipv4_address_problems(site, site_host.name, host_addresses)
    assert not problems, "\n".join(problems)


def test_no_ipv4_listener_on_host(site, site_host, host_listeners):
    """A 0.0.0.0 or dual-stack socket still takes IPv4 (binding 0.0.0.0 works without any IPv4 address)."""
    problems = checks.ipv4_listener_problems(site, site_host.name, host_listeners)
    assert not problems, "\n".join(problems)


def test_listeners_are_v6only_on_site_addresses(site, site_host, host_listeners):
    """Only the host's site addresses and ::1 are meant to be reachable; anything else escapes the design."""
    problems = checks.listener_problems(site, site_host.name, host_listeners)
    assert not problems, "\n".join(problems)
