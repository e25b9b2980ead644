"""HAProxy, the TLS edge: the site's endpoints on the site's IPv6 addresses only, with certificates
clients trust, modern TLS only, and the APIs behind it telling clients to stay on https.

Client-side checks (marked client_side) run from the pytest process: `lab verify` runs them in the
ops host and again in the compute host.
"""
import socket
import ssl

import pytest
import requests

from edge_verify import checks, parsers, probes, tls_checks
from edge_verify.plugin import load_site

TLS_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
TIMEOUT = 5.0


def pytest_generate_tests(metafunc):
    """One test per site endpoint, named after it."""
    if "endpoint" in metafunc.fixturenames:
        site = load_site(metafunc.config)
        endpoints = sorted(site.endpoints.values(), key=lambda e: e.name)
        metafunc.parametrize("endpoint", endpoints, ids=[e.name for e in endpoints])


@pytest.fixture(scope="session")
def ca_bundle(site):
    with open(site.ca_bundle, "rb") as bundle:
        return parsers.load_pem_chain(bundle.read())


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


def test_haproxy_binds_only_site_v6_addresses(site, site_host, host_listeners):
    """An edge socket on a wildcard or dual-stack address takes IPv4 or answers where no one looks;
    every endpoint must be reachable on every site address of its host, v6only."""
    problems = tls_checks.haproxy_listener_problems(site, site_host.name, host_listeners)
    assert not problems, "\n".join(problems)


def test_haproxy_stats_socket_is_root_only(site, site_host, host):
    """The runtime API can disable servers and read traffic: a unix socket only root can open."""
    if not site.endpoints_on(site_host.name):
        return
    socket_file = host.file("/run/haproxy/admin.sock")
    assert socket_file.is_socket, f"{site_host.name}: /run/haproxy/admin.sock is missing; converge the host"
    assert (socket_file.user, socket_file.mode) == ("root", 0o600), (
        f"{site_host.name}: /run/haproxy/admin.sock is {socket_file.user} {socket_file.mode:o}; "
        "site expects root 600; fix the stats socket in ipv6_haproxy_config")


@pytest.mark.client_side
def test_endpoint_cert_chains_to_org_ca(site, endpoint):
    """Clients trust the organisation CA only; a chain that does not reach it (or a name mismatch)
    makes every OpenStack client fail, or worse, teaches operators to pass --insecure."""
    problems = [f"{endpoint.host}: {endpoint.name} at [{address}]:{endpoint.port}: {reason}; site expects "
                f"a chain to {site.ca_bundle} for {endpoint.fqdn}; fix endpoints.{endpoint.name}.cert"
                for address in site.hosts[endpoint.host].addresses
                for reason in [probes.verified_handshake(address, endpoint.port, endpoint.fqdn,
                                                         site.ca_bundle, timeout=TIMEOUT)] if reason]
    assert not problems, "\n".join(problems)


@pytest.mark.client_side
def test_endpoint_cert_is_issued_named_and_not_expiring(site, endpoint, ca_bundle):
    """A self-signed certificate, one that misses the endpoint's name, or one expiring inside the
    window is an outage waiting to happen, even if today's handshake passes."""
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        chain = probes.fetch_chain(address, endpoint.port, endpoint.fqdn, timeout=TIMEOUT)
        problems += checks.certificate_problems(site, endpoint.host, endpoint, chain, ca_bundle)
    assert not problems, "\n".join(problems)


@pytest.mark.client_side
@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_endpoint_refuses_tls_before_1_2(site, endpoint):
    """TLS 1.0 and 1.1 are deprecated (RFC 8996): an edge that still speaks them invites downgrades."""
    problems = []
    for address in site.hosts[endpoint.host].addresses:
        outcomes = {name: handshake_succeeds(address, endpoint.port, endpoint.fqdn, version)
                    for name, version in TLS_VERSIONS.items()}
        problems += tls_checks.tls_version_problems(site, endpoint, outcomes)
    assert not problems, "\n".join(problems)


@pytest.mark.client_side
def test_api_through_edge_links_to_https(site, endpoint):
    """A request by name, verified against the site CA, reaches the API, whose version document must
    link back to https://fqdn:port (a backend unaware of TLS sends clients to http://)."""
    url = f"https://{endpoint.fqdn}:{endpoint.port}/"
    try:
        response = requests.get(url, verify=site.ca_bundle, timeout=TIMEOUT)
    except requests.RequestException as error:
        pytest.fail(f"{endpoint.host}: GET {url} failed: {error}; site expects the API behind "
                    f"endpoints.{endpoint.name}", pytrace=False)
    problems = tls_checks.version_document_problems(endpoint, response.status_code, response.text)
    assert not problems, "\n".join(problems)


@pytest.mark.client_side
def test_keystone_answers_through_edge(site):
    """Keystone itself (not a stand-in) answers /v3 through the edge, with https links."""
    endpoint = site.endpoints.get("keystone")
    assert endpoint, f"no keystone endpoint in {site.source}; the edge exists for it"
    url = f"https://{endpoint.fqdn}:{endpoint.port}/v3"
    try:
        response = requests.get(url, verify=site.ca_bundle, timeout=TIMEOUT)
        version = response.json().get("version", {})
    except (requests.RequestException, ValueError, AttributeError) as error:
        pytest.fail(f"{endpoint.host}: GET {url} failed: {error}; site expects Keystone's v3 version "
                    "document through endpoints.keystone", pytrace=False)
    assert response.status_code == 200 and version.get("id", "").startswith("v3"), (
        f"{endpoint.host}: GET {url} gave HTTP {response.status_code} {response.text[:120]!r}; "
        "site expects Keystone's v3 version document")
    problems = tls_checks.version_document_problems(endpoint, response.status_code, response.text)
    assert not problems, "\n".join(problems)


def site_hsts(site):
    """(on, max-age) from the site's tls section: tls.hsts [true], tls.hsts_max_age [63072000]."""
    tls = getattr(site, "tls", None) or {}
    if not isinstance(tls, dict):
        tls = vars(tls)
    return tls.get("hsts", True), tls.get("hsts_max_age", 63072000)


@pytest.mark.client_side
def test_endpoint_sends_hsts(site, endpoint):
    """Without Strict-Transport-Security a browser or client that is once sent to http:// (a stale
    link, an active attacker) talks plain HTTP; with it, it refuses to for max-age seconds."""
    on, max_age = site_hsts(site)
    expected = f"max-age={max_age}; includeSubDomains" if on else None
    url = f"https://{endpoint.fqdn}:{endpoint.port}/"
    try:
        found = requests.get(url, verify=site.ca_bundle, timeout=TIMEOUT).headers.get("Strict-Transport-Security")
    except requests.RequestException as error:
        pytest.fail(f"{endpoint.host}: GET {url} failed: {error}; site expects the API behind "
                    f"endpoints.{endpoint.name}", pytrace=False)
    assert found == expected, (
        f"{endpoint.host}: {endpoint.name} on port {endpoint.port} sends Strict-Transport-Security {found!r}; "
        f"site expects {expected!r} (tls.hsts, tls.hsts_max_age in {site.source}); converge the host")
