"""HAProxy, the TLS edge: the site's endpoints on the site's IPv6 addresses only, with certificates
clients trust, modern TLS only, and the APIs behind it telling clients to stay on https.

Client-side checks (marked client_side) run from the pytest process: `lab verify` runs them in the
ops host and again in the compute host. They work whatever the endpoints are named.
"""
import socket
import ssl

import pytest
import requests

from edge_verify.checks import haproxy, tls
from edge_verify.facts import probes
from edge_verify.plugin import site_or_none
from edge_verify.problem import Problem

TLS_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
TIMEOUT = 5.0


def pytest_generate_tests(metafunc):
    """One test per site endpoint, named after it."""
    if "endpoint" in metafunc.fixturenames:
        site = site_or_none(metafunc.config)
        endpoints = sorted(site.endpoints.values(), key=lambda e: e.name) if site else []
        metafunc.parametrize("endpoint", endpoints, ids=[e.name for e in endpoints])


@pytest.fixture(scope="session")
def here():
    """How client-side sources name the machine pytest runs on."""
    return socket.gethostname()


def handshake_succeeds(address, port, server_name, version):
    """True when a handshake offering only `version` completes (certificate not judged here)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Let OpenSSL offer the old versions at all, so that a refusal is the server's.
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = version
    try:
        with socket.create_connection((str(address), port), timeout=TIMEOUT) as sock:
            with context.wrap_socket(sock, server_hostname=server_name):
                return True
    except (ssl.SSLError, ConnectionResetError):
        return False


def test_haproxy_binds_only_site_v6_addresses(site, site_host, facts, check):
    """An edge socket on a wildcard or dual-stack address takes IPv4 or answers where no one looks;
    every endpoint must be reachable on every site address of its host, v6only."""
    check(haproxy.haproxy_listener_problems(site, site_host.name, facts.listeners()), host=site_host.name)


def test_haproxy_stats_socket_is_root_only(site, site_host, facts, check):
    """The runtime API can disable servers and read traffic: a unix socket only root can open."""
    if not site.endpoints_on(site_host.name):
        check([], host=site_host.name)
        return
    modes = facts.file_modes([haproxy.STATS_SOCKET])
    check(haproxy.stats_socket_problems(site_host.name, modes), host=site_host.name)


@pytest.mark.client_side
def test_endpoint_cert_chains_to_org_ca(site, endpoint, ca_bundle_file, here, check):
    """Clients trust the organisation CA only; a chain that does not reach it (or a name mismatch)
    makes every OpenStack client fail, or worse, teaches operators to pass --insecure."""
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        source = f"verified TLS handshake from {here} to [{address}]:{endpoint.port}"
        try:
            reason = probes.verified_handshake(address, endpoint.port, endpoint.fqdn, ca_bundle_file, timeout=TIMEOUT)
            verified = True
        except OSError as error:
            reason, verified = f"connection failed: {error}", False
        problems += tls.handshake_problems(site, endpoint, address, reason, source, ca_name=ca_bundle_file,
                                           verified=verified)
    check(problems, host=endpoint.host)


@pytest.mark.client_side
def test_endpoint_cert_is_issued_named_and_not_expiring(site, endpoint, ca_bundle, ca_bundle_file, here, check):
    """A self-signed certificate, one that misses the endpoint's name, or one expiring inside the
    window is an outage waiting to happen, even if today's handshake passes."""
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        chain = probes.fetch_chain(address, endpoint.port, endpoint.fqdn, timeout=TIMEOUT)
        problems += tls.certificate_problems(site, endpoint, chain, ca_bundle, ca_name=ca_bundle_file,
                                             source=f"certificates presented to {here} on [{address}]:{endpoint.port}")
    check(problems, host=endpoint.host)


@pytest.mark.client_side
@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_endpoint_refuses_tls_before_1_2(site, endpoint, here, check):
    """TLS 1.0 and 1.1 are deprecated (RFC 8996): an edge that still speaks them invites downgrades."""
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        outcomes = {name: handshake_succeeds(address, endpoint.port, endpoint.fqdn, version)
                    for name, version in TLS_VERSIONS.items()}
        problems += tls.tls_version_problems(site, endpoint, outcomes,
                                             source=f"one handshake per version from {here} to [{address}]:"
                                                    f"{endpoint.port}")
    check(problems, host=endpoint.host)


def get_through_edge(endpoint, ca_bundle_file, here, check):
    """(response, source) of GET https://fqdn:port/ verified against the CA; (None, source) after
    reporting an http_error when the request fails."""
    url = f"https://{endpoint.fqdn}:{endpoint.port}/"
    source = f"GET {url} from {here}"
    try:
        return requests.get(url, verify=ca_bundle_file, timeout=TIMEOUT), source
    except requests.RequestException as error:
        check([Problem(endpoint.host, "http_error", f"GET {url} failed: {error}",
                       f"the API behind endpoints.{endpoint.name}", f"the {endpoint.name} frontend and its backend "
                       f"on {endpoint.host}", source)], host=endpoint.host)
        return None, source


@pytest.mark.client_side
def test_api_through_edge_links_to_https(site, endpoint, ca_bundle_file, here, check):
    """A request by name, verified against the site CA, reaches the API, whose version document must
    link back to https://fqdn:port (a backend unaware of TLS sends clients to http://). The broker's
    management endpoint answers with RabbitMQ's management UI instead."""
    response, source = get_through_edge(endpoint, ca_bundle_file, here, check)
    if response is None:
        return
    if endpoint.name == haproxy.management_endpoint(site):
        problems = haproxy.management_ui_problems(endpoint, response.status_code, response.text, source=source)
    else:
        problems = haproxy.version_document_problems(endpoint, response.status_code, response.text, source=source)
    check(problems, host=endpoint.host)


@pytest.mark.client_side
def test_endpoint_sends_hsts(site, endpoint, ca_bundle_file, here, check):
    """Strict-Transport-Security keeps clients on https once they have been there (tls.hsts)."""
    response, source = get_through_edge(endpoint, ca_bundle_file, here, check)
    if response is not None:
        check(haproxy.hsts_problems(site, endpoint, response.headers.get("Strict-Transport-Security"),
                                    source=source), host=endpoint.host)
