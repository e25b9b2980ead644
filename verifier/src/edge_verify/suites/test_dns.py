"""Every name the site publishes resolves, from the client host, to its IPv6 addresses only."""
import pytest

from edge_verify import checks, probes
from edge_verify.plugin import load_site

pytestmark = pytest.mark.client_side


def pytest_generate_tests(metafunc):
    if "published_name" in metafunc.fixturenames:
        site = load_site(metafunc.config)
        names = site.names()
        metafunc.parametrize("published_name", names, ids=[n.id for n in names])


def test_name_has_aaaa_and_no_a(site, client, published_name):
    """A stale A record beside a good AAAA sends IPv4-capable clients elsewhere, and getent ahostsv6 hides
    it; so the site's DNS server is asked for both types, and the client's resolver is checked too."""
    host, client_name = client
    server = site.hosts[site.dns_server].addresses[0]
    name = published_name
    problems = checks.name_problems(site, client_name, name.key, name.fqdn, name.addresses,
                                    aaaa=probes.dns_query(server, name.fqdn, "AAAA"),
                                    a=probes.dns_query(server, name.fqdn, "A"))
    problems += checks.getent_problems(site, client_name, name.key, name.fqdn, name.addresses,
                                       v6=probes.getent(host, "ahostsv6", name.fqdn),
                                       v4=probes.getent(host, "ahostsv4", name.fqdn))
    assert not problems, "\n".join(problems)
