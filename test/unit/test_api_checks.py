"""API-service checks on recorded facts: each bad input gives its code, the good one nothing."""
import dataclasses

import pytest

from edge_verify.checks import api as api_checks
from edge_verify.facts import parsers

KEYSTONE_URL = "https://keystone.lab.example.net:5000"


def codes(problems):
    return sorted(p.code for p in problems)


def ss(*lines):
    return parsers.parse_ss("\n".join(lines))


GOOD_SS = (
    'tcp LISTEN 0 100 [::1]:5000 [::]:* users:(("uwsgi_python311",pid=10,fd=3)) uid:112 ino:1 sk:1 v6only:1 <->',
    'tcp LISTEN 0 100 [::1]:8778 [::]:* users:(("uwsgi_python311",pid=11,fd=3)) uid:113 ino:2 sk:2 v6only:1 <->',
    'tcp LISTEN 0 1024 [::1]:11211 [::]:* users:(("memcached",pid=12,fd=26)) uid:114 ino:3 sk:3 v6only:1 <->',
    # RabbitMQ's management, published by the edge as endpoints.rabbitmq-management
    'tcp LISTEN 0 1024 [::1]:15672 [::]:* users:(("beam.smp",pid=13,fd=39)) uid:115 ino:4 sk:4 v6only:1 <->',
)


def test_services_on_loopback_only_pass(lab):
    assert api_checks.service_listener_problems(lab, "ctl1", ss(*GOOD_SS)) == []


@pytest.mark.parametrize("line", [
    'tcp LISTEN 0 100 0.0.0.0:5000 0.0.0.0:* users:(("uwsgi_python311",pid=10,fd=3)) uid:112 ino:1 sk:1 <->',
    'tcp LISTEN 0 100 *:8778 *:* users:(("uwsgi_python311",pid=11,fd=3)) uid:113 ino:2 sk:2 v6only:0 <->',
    'tcp LISTEN 0 100 [2001:db8:10::11]:11211 [::]:* users:(("memcached",pid=12,fd=26)) ino:3 sk:3 v6only:1 <->',
], ids=["ipv4-wildcard", "dual-stack", "site-address"])
def test_service_listener_off_loopback_is_a_problem(lab, line):
    problems = api_checks.service_listener_problems(lab, "ctl1", ss(*GOOD_SS, line))
    assert codes(problems) == ["api_not_loopback"]
    assert str(problems[0]).startswith("ctl1: ")


def test_deployed_endpoint_without_listener_is_a_problem(lab):
    problems = api_checks.service_listener_problems(lab, "ctl1", ss(*GOOD_SS[1:]))
    assert [(p.code, p.found) for p in problems] == [("api_not_listening", "nothing on [::1]:5000")]


GOOD_CONF = f"""[DEFAULT]
transport_url = rabbit://openstack:pw@[2001:db8:10::11]:5672/openstack
[placement_database]
connection = sqlite:////var/lib/placement/placement.db
[cache]
backend = oslo_cache.memcache_pool
memcache_servers = inet6:[::1]:11211
[keystone_authtoken]
www_authenticate_uri = {KEYSTONE_URL}
auth_url = {KEYSTONE_URL}
memcached_servers = inet6:[::1]:11211
"""


def test_rendered_urls_with_expected_hosts_pass(lab):
    assert api_checks.config_url_problems(lab, "ctl1", "placement.conf", GOOD_CONF) == []


@pytest.mark.parametrize("old,new,code", [
    (f"auth_url = {KEYSTONE_URL}", "auth_url = http://keystone.lab.example.net:5000", "url_http"),
    (f"auth_url = {KEYSTONE_URL}", "auth_url = https://[2001:db8:10::11]:5000", "url_ip_literal"),
    (f"auth_url = {KEYSTONE_URL}", "auth_url = https://keystone.other.example:5000", "url_unknown_host"),
    ("[2001:db8:10::11]:5672", "2001:db8:10::11:5672", "url_unparsable"),
    ("memcache_servers = inet6:[::1]:11211", "memcache_servers = [::1]:11211", "memcached_form"),
    ("memcache_servers = inet6:[::1]:11211", "memcache_servers = localhost:11211", "url_unknown_host"),
    ("memcached_servers = inet6:[::1]:11211", "memcached_servers = ::1:11211", "url_unparsable"),
])
def test_rendered_url_faults_are_found(lab, old, new, code):
    problems = api_checks.config_url_problems(lab, "ctl1", "placement.conf", GOOD_CONF.replace(old, new))
    assert code in codes(problems)
    if code == "url_unparsable" and "rabbit" in GOOD_CONF.replace(old, new):
        assert all(":pw@" not in str(p) for p in problems)


def catalog(lab, **override):
    entries = []
    for name, endpoint in sorted(lab.endpoints.items()):
        for interface in ("public", "internal", "admin"):
            entries.append({"Service Name": name, "Interface": interface,
                            "URL": override.get(f"{name}.{interface}", f"https://{endpoint.fqdn}:{endpoint.port}/")})
    return entries


def test_catalog_as_the_site_passes(lab):
    assert api_checks.catalog_problems(lab, catalog(lab)) == []


@pytest.mark.parametrize("url,code", [
    ("https://[2001:db8:10::11]:8778", "catalog_ip_literal"),
    ("http://placement.lab.example.net:8778", "catalog_http"),
    ("https://placement.elsewhere.example:8778", "catalog_unknown_name"),
    ("https://placement.lab.example.net:8779", "catalog_wrong_port"),
])
def test_catalog_faults_are_found(lab, url, code):
    problems = api_checks.catalog_problems(lab, catalog(lab, **{"placement.public": url}))
    assert code in codes(problems)


def test_catalog_missing_an_interface_is_found(lab):
    entries = [e for e in catalog(lab) if not (e["Service Name"] == "nova" and e["Interface"] == "admin")]
    problems = api_checks.catalog_problems(lab, entries)
    assert [(p.code, p.found) for p in problems] == [("catalog_missing", "no admin entry for endpoints.nova")]


def test_memcached_hits_must_grow():
    before = api_checks.parse_memcached_stats("STAT pid 1\r\nSTAT get_hits 10\r\nEND\r\n")
    assert api_checks.memcached_hits_problems("ctl1", before, {"get_hits": "25"}, 5) == []
    problems = api_checks.memcached_hits_problems("ctl1", before, {"get_hits": "10"}, 5)
    assert codes(problems) == ["memcached_no_hits"]


def with_management_endpoint(lab):
    """The lab site with the broker's management UI published as endpoints.rabbitmq-management."""
    endpoint = dataclasses.replace(lab.endpoints["keystone"], name="rabbitmq-management",
                                   fqdn="rabbitmq.lab.example.net", port=15671, backend_port=15672)
    rabbitmq = {**lab.services["rabbitmq"], "management_endpoint": "rabbitmq-management"}
    return dataclasses.replace(lab, endpoints={**lab.endpoints, endpoint.name: endpoint},
                               services={**lab.services, "rabbitmq": rabbitmq})


def test_the_brokers_management_endpoint_stays_out_of_the_catalog(lab):
    """The management UI is no OpenStack API: Keystone's catalog without it is complete."""
    site = with_management_endpoint(lab)
    assert api_checks.catalog_problems(site, catalog(lab)) == []
    problems = api_checks.catalog_problems(site, [e for e in catalog(lab) if e["Service Name"] != "nova"])
    assert {p.found for p in problems} == {f"no {i} entry for endpoints.nova" for i in ("public", "internal", "admin")}
