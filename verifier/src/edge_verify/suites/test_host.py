"""Each host is IPv6-only: no IPv4 address, nothing IPv4 can reach, listeners only where the site says,
and its own names resolve, on the host itself, to its site IPv6 addresses only."""
from edge_verify.checks import dns, host


def test_no_ipv4_address_on_host(site, site_host, facts, policy, check):
    """An IPv4 address lets services fall back to IPv4 silently; the estate must not depend on it
    (127.0.0.0/8 on lo is allowed unless the site's policy.ipv4_loopback is forbid)."""
    check(host.ipv4_address_problems(site, site_host.name, facts.addresses(), policy), host=site_host.name)


def test_no_ipv4_listener_on_host(site, site_host, facts, policy, check):
    """A 0.0.0.0 or dual-stack socket still takes IPv4 (binding 0.0.0.0 works without any IPv4 address)."""
    check(host.ipv4_listener_problems(site, site_host.name, facts.listeners(), policy), host=site_host.name)


def test_listeners_are_v6only_on_site_addresses(site, site_host, facts, policy, check):
    """Only the host's site addresses and ::1 are meant to be reachable; anything else escapes the design
    (listeners the project does not manage go in policy.allowed_listeners, each with a reason)."""
    check(host.listener_problems(site, site_host.name, facts.listeners(), policy), host=site_host.name)


def test_host_resolves_its_own_names_to_site_v6_only(site, site_host, facts, check):
    """RabbitMQ, Keystone and the Erlang distribution look up the host's own name through its resolver
    (getent ahosts takes gethostbyname's path): a 127.0.1.1 line or an A record makes them use IPv4."""
    answers = facts.resolve(dns.self_names(site, site_host.name), dns.SELF_DATABASES)
    check(dns.self_resolution_problems(site, site_host.name, answers), host=site_host.name)
