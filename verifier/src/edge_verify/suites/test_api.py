"""The OpenStack API services behind the edge: on ::1 only, configured with URLs that parse to the
expected hosts, registered in Keystone's catalog as the site describes them, caching tokens in
memcached, and usable by the real OpenStack client over the IPv6-only TLS edge.

Client-side checks (marked client_side) run from the pytest process, so `lab verify` repeats them
from the compute host. They sign in as Keystone's admin with the password the site's
services.keystone.admin_password refers to.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from edge_verify.checks import api as api_checks

TIMEOUT = 10.0
# The settings file of each service the site deploys, read on the service's host only (elsewhere a
# package's untouched default is not the deployment's).
CONFIG_FILES = {"keystone": "/etc/keystone/keystone.conf", "placement": "/etc/placement/placement.conf"}
VALIDATIONS = 5
MEMCACHED_STATS = ("/usr/bin/python3 -c \"import socket; s = socket.create_connection(('::1', {port}), 3); "
                   "s.sendall(b'stats\\r\\nquit\\r\\n'); print(s.makefile().read())\"")


def _keystone(site):
    service = site.services.get("keystone")
    if not service or "keystone" not in site.endpoints:
        pytest.fail(f"{site.source} describes no services.keystone and endpoints.keystone; the API checks "
                    "need both", pytrace=False)
    return service, site.endpoints["keystone"]


def _secret(site, ref, key):
    kind, target = next(iter(ref.items()))
    value = Path(target).read_text().strip() if kind == "file" and Path(target).is_file() else (
        os.environ.get(target, "").strip() if kind == "env" else "")
    if not value:
        pytest.fail(f"{key}: the secret {kind} {target} cannot be read here; run the verifier where the "
                    f"site's secrets are readable ({site.source})", pytrace=False)
    return value


def _auth(site):
    service, endpoint = _keystone(site)
    password = _secret(site, service["admin_password"], "services.keystone.admin_password")
    return f"https://{endpoint.fqdn}:{endpoint.port}/v3", password


def _issue_token(site, ca_bundle_file):
    url, password = _auth(site)
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    response = requests.post(f"{url}/auth/tokens", json=body, verify=ca_bundle_file, timeout=TIMEOUT)
    assert response.status_code == 201, (
        f"keystone: POST {url}/auth/tokens through the edge answered {response.status_code}; site expects a "
        "token for the admin (services.keystone.admin_password); see /var/log/keystone on the Keystone host")
    return url, response.headers["X-Subject-Token"]


def test_openstack_services_listen_only_on_loopback(site, site_host, facts, check):
    """A service reachable beside the edge skips TLS and the edge's limits; a wildcard bind takes IPv4."""
    check(api_checks.service_listener_problems(site, site_host.name, facts.listeners()), host=site_host.name)


def test_rendered_urls_parse_to_expected_hosts(site, site_host, host, check):
    """An unbracketed literal, an address where a name is meant, or `localhost` fails at run time,
    often quietly; every URL a service was given must parse to a host the site describes."""
    problems = []
    for service, path in CONFIG_FILES.items():
        if (site.services.get(service) or {}).get("host") != site_host.name:
            continue
        conf = host.file(path)
        if conf.exists:
            problems += api_checks.config_url_problems(site, site_host.name, path, conf.content_string)
    check(problems, host=site_host.name)


@pytest.mark.client_side
def test_catalog_matches_site(site, client, ca_bundle_file, check):
    """Clients go wherever the catalog sends them: an address, http, or a name the site lacks sends
    them around the edge, to a certificate mismatch, or nowhere."""
    url, token = _issue_token(site, ca_bundle_file)
    headers = {"X-Auth-Token": token}
    services = requests.get(f"{url}/services", headers=headers, verify=ca_bundle_file, timeout=TIMEOUT).json()
    endpoints = requests.get(f"{url}/endpoints", headers=headers, verify=ca_bundle_file, timeout=TIMEOUT).json()
    names = {s["id"]: s["name"] for s in services["services"]}
    entries = [{"Service Name": names.get(e["service_id"], e["service_id"]), "Interface": e["interface"],
                "URL": e["url"]} for e in endpoints["endpoints"]]
    check(api_checks.catalog_problems(site, entries, client=client[1], source=f"GET {url}/endpoints"),
          host=client[1])


def test_token_validates_and_memcached_hits_grow(site, site_host, host, ca_bundle_file, check):
    """GET /v3 answers even when the cache is broken; only validating tokens shows that Keystone
    uses memcached (a wrong server form or `localhost` fails quietly and makes validation 10x slower)."""
    memcached = site.services.get("memcached")
    if not memcached or memcached.get("host") != site_host.name:
        return  # this host runs no memcached
    port = memcached.get("port", 11211)
    before = api_checks.parse_memcached_stats(host.check_output(MEMCACHED_STATS.format(port=port)))
    url, token = _issue_token(site, ca_bundle_file)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    for _ in range(VALIDATIONS):
        response = requests.get(f"{url}/auth/tokens", headers=headers, verify=ca_bundle_file, timeout=TIMEOUT)
        assert response.status_code == 200, (
            f"keystone: validating a token through the edge answered {response.status_code}; site expects 200")
    after = api_checks.parse_memcached_stats(host.check_output(MEMCACHED_STATS.format(port=port)))
    check(api_checks.memcached_hits_problems(site_host.name, before, after, VALIDATIONS), host=site_host.name)


@pytest.mark.client_side
@pytest.mark.parametrize("command", [
    ["token", "issue"], ["endpoint", "list"], ["resource", "provider", "list"],
], ids=["token-issue", "endpoint-list", "resource-provider-list"])
def test_openstack_client_works_over_the_edge(site, ca_bundle_file, command):
    """Operators use python3-openstackclient: it must work over https with the organisation's CA
    bundle and nothing else (no --insecure, no IPv4)."""
    url, password = _auth(site)
    env = {**os.environ, "OS_AUTH_URL": url, "OS_USERNAME": "admin", "OS_PASSWORD": password,
           "OS_PROJECT_NAME": "admin", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
           "OS_IDENTITY_API_VERSION": "3", "OS_CACERT": ca_bundle_file, "OS_INTERFACE": "public"}
    try:
        result = subprocess.run(["openstack", *command, "-f", "json"], env=env, capture_output=True, text=True,
                                timeout=60)
    except FileNotFoundError:
        pytest.fail("the openstack command is missing; install python3-openstackclient and python3-osc-placement",
                    pytrace=False)
    assert result.returncode == 0, (
        f"openstack {' '.join(command)} against {url} exited {result.returncode}: {result.stderr.strip()[-400:]}")
    json.loads(result.stdout)
