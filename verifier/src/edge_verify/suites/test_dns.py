"""Every name the site publishes resolves, from the client host, to its IPv6 addresses only."""
import pytest

from edge_verify.checks import dns
from edge_verify.facts import probes
from edge_verify.plugin import site_or_none

pytestmark = pytest.mark.client_side
CLIENT_DATABASES = ("ahostsv6", "ahostsv4")


def pytest_generate_tests(metafunc):
    if "published_name" in metafunc.fixturenames:
        site = site_or_none(metafunc.config)
        names = site.names() if site else []
        metafunc.parametrize("published_name", names, ids=[n.id for n in names])


def test_name_has_aaaa_and_no_a(site, client, published_name, check):
    """A stale A record beside a good AAAA sends IPv4-capable clients elsewhere, and getent ahostsv6 hides
    it; so the site's DNS server is asked for both types, and the client's resolver is checked too
    (one getent run on the client answers for every published name)."""
    facts, client_name = client
    server = site.hosts[site.dns_server].addresses[0]
    name = published_name
    problems = dns.name_problems(site, client_name, name.key, name.fqdn, name.addresses,
                                 aaaa=probes.dns_query(server, name.fqdn, "AAAA"),
                                 a=probes.dns_query(server, name.fqdn, "A"), server=f"[{server}]")
    answers = facts.resolve([n.fqdn for n in site.names()], CLIENT_DATABASES)
    problems += dns.getent_problems(site, client_name, name.key, name.fqdn, name.addresses,
                                    v6=answers[("ahostsv6", name.fqdn)], v4=answers[("ahostsv4", name.fqdn)])
    check(problems, host=client_name)
