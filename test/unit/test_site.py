"""The Python site loader: every SCHEMA.md code on a small inline site, defaults, readers."""
import copy
import ipaddress

import pytest

from edge_verify import site as site_mod

MINIMAL = {
    "name": "solo",
    "dns": {"zone": "solo.example.net", "server": "box1"},
    "pki": {"ca_bundle": "/etc/solo/ca.pem"},
    "hosts": {"box1": {"fqdn": "box1.solo.example.net", "roles": ["dns"], "addresses": ["2001:db8:20::1"]}},
}
ENDPOINT = {"host": "box1", "fqdn": "api.solo.example.net", "port": 443, "backend_port": 8443,
            "cert": "/etc/solo/api.crt", "key": "/etc/solo/api.key"}


def changed(edit):
    data = copy.deepcopy(MINIMAL)
    edit(data)
    return data


def box1(**fields):
    """MINIMAL with fields of hosts.box1 replaced."""
    return changed(lambda d: d["hosts"]["box1"].update(fields))


def found(data):
    return [(p.path, p.code) for p in site_mod.problems(data)]


def test_minimal_site_has_no_problem():
    assert found(MINIMAL) == []


CASES = [
    (["a list"], [(".", "not_yaml")]),
    (None, [(".", "not_yaml")]),
    (changed(lambda d: d["hosts"]["box1"].pop("fqdn")), [("hosts.box1.fqdn", "missing")]),
    (changed(lambda d: d.pop("name")), [("name", "missing")]),
    (changed(lambda d: d["dns"].update(zonee="x")), [("dns.zonee", "unknown_key")]),
    (changed(lambda d: d["dns"].update(ttl=True)), [("dns.ttl", "type")]),
    (changed(lambda d: d["dns"].update(ttl=30.5)), [("dns.ttl", "type")]),
    (box1(addresses="2001:db8:20::1"),
     [("hosts.box1.addresses", "type")]),
    (box1(addresses=[7]), [("hosts.box1.addresses[0]", "type")]),
    (changed(lambda d: d.update(pki="/etc/ca.pem")), [("pki", "type")]),
    (box1(roles=[]),
     [("dns.server", "not_dns_host"), ("hosts.box1.roles", "empty")]),
    (changed(lambda d: d.update(hosts={})), [("dns.server", "unknown_host"), ("hosts", "empty")]),
    (changed(lambda d: d.update(name="Solo")), [("name", "bad_name")]),
    (changed(lambda d: d["hosts"].update(Box2=d["hosts"].pop("box1"), box1={
        "fqdn": "box1.solo.example.net", "roles": ["dns"], "addresses": ["2001:db8:20::2"]})),
     [("hosts.Box2", "bad_name")]),
    (box1(fqdn="box1.solo.example.net."),
     [("hosts.box1.fqdn", "bad_name")]),
    (box1(fqdn="box1.example.net"), [("hosts.box1.fqdn", "out_of_zone")]),
    (box1(fqdn="solo.example.net"), [("hosts.box1.fqdn", "out_of_zone")]),
    (box1(roles=["dns", "db"]), [("hosts.box1.roles[1]", "bad_role")]),
    (changed(lambda d: d["pki"].update(ca_bundle="ca.pem")), [("pki.ca_bundle", "not_absolute")]),
    (changed(lambda d: d["dns"].update(ttl=86401)), [("dns.ttl", "out_of_range")]),
    (changed(lambda d: d["pki"].update(expiry_window_days=-1)), [("pki.expiry_window_days", "out_of_range")]),
    (changed(lambda d: d["dns"].update(server="box2")), [("dns.server", "unknown_host")]),
    (box1(roles=["ops"]), [("dns.server", "not_dns_host")]),
    (changed(lambda d: d.update(endpoints={"a": ENDPOINT, "b": dict(ENDPOINT, fqdn="b.solo.example.net")})),
     [("endpoints.b.port", "port_conflict")]),
    (box1(addresses=["2001:db8:20::1", "2001:DB8:20:0::1"]),
     [("hosts.box1.addresses[1]", "duplicate_address")]),
    (changed(lambda d: d.update(services={"rabbitmq": {"host": "box1", "users": {"u": {"password": "pw"}}}})),
     [("services.rabbitmq.users.u.password", "inline_secret")]),
    (changed(lambda d: d.update(services={"rabbitmq": {"host": "box1", "users": {
        "u": {"password": {"file": "rel/path"}}, "v": {"password": {"env": "A", "file": "/x"}},
        "w": {"password": {"vault": "x"}}}}})),
     [(f"services.rabbitmq.users.{u}.password", "bad_secret_ref") for u in "uvw"]),
    (changed(lambda d: d.update(services={"cinder": {"host": "box1", "release": "zed",
                                                     "target_helper": "iet"}})),
     [("services.cinder.target_helper", "bad_choice")]),
    (changed(lambda d: d.update(services={"cinder": {"host": "box1", "target_helper": "lioadm"}})),
     [("services.cinder.release", "missing")]),
    (changed(lambda d: d.update(services={"memcached": {"host": "box1", "port": 0}})),
     [("services.memcached.port", "out_of_range")]),
    (changed(lambda d: d.update(services={"redis": {}})), [("services.redis", "unknown_key")]),
]


@pytest.mark.parametrize("data, expected", CASES,
                         ids=[f"{i}-{case[1][-1][1]}" for i, case in enumerate(CASES)])
def test_rule_is_reported_with_path_and_code(data, expected):
    assert found(data) == expected


@pytest.mark.parametrize("literal, code", [
    ("10.0.0.5", "ipv4"), ("::ffff:10.0.0.5", "ipv4_mapped"), ("::", "unspecified"), ("::1", "loopback"),
    ("fe80::1", "link_local"), ("febf::1", "link_local"), ("ff02::1", "multicast"),
    ("[2001:db8::1]", "bracketed"), ("2001:db8::1%eth0", "not_an_address"),
    ("2001:db8::/64", "not_an_address"),
    ("ctl1", "not_an_address"), ("2001:db8::1::2", "not_an_address"),
])
def test_address_literal_is_classified(literal, code):
    data = box1(addresses=[literal])
    assert found(data) == [("hosts.box1.addresses[0]", code)]


def test_message_names_path_finding_and_fix():
    data = box1(addresses=["10.0.0.5"])
    [problem] = site_mod.problems(data)
    assert problem.message == ("hosts.box1.addresses[0]: 10.0.0.5 is IPv4; this site is IPv6-only, "
                               "use the host's global IPv6 address")


def test_every_problem_is_reported_in_file_order():
    def edit(d):
        d["name"] = "Bad Name"
        d["dns"]["ttl"] = 0
        d["hosts"]["box1"]["addresses"] = ["10.0.0.1", "fe80::1"]
    assert found(changed(edit)) == [("name", "bad_name"), ("dns.ttl", "out_of_range"),
                                    ("hosts.box1.addresses[0]", "ipv4"),
                                    ("hosts.box1.addresses[1]", "link_local")]


def test_ipv6_literals_are_canonical_and_defaults_apply(tmp_path):
    path = tmp_path / "site.yml"
    path.write_text("name: solo\ndns: {zone: solo.example.net, server: box1}\npki: {ca_bundle: /ca.pem}\n"
                    "hosts:\n  box1: {fqdn: box1.solo.example.net, roles: [dns],"
                    " addresses: ['2001:DB8:20:0:0:0:0:1']}\n")
    loaded = site_mod.load(path)
    assert loaded.hosts["box1"].addresses == [ipaddress.IPv6Address("2001:db8:20::1")]
    assert str(loaded.hosts["box1"].addresses[0]) == "2001:db8:20::1"
    assert (loaded.ttl, loaded.expiry_window_days, loaded.endpoints, loaded.services) == (300, 30, {}, {})
    assert loaded.source == str(path)


def test_load_raises_with_all_problems(tmp_path):
    path = tmp_path / "site.yml"
    path.write_text("name: Solo\ndns: {zone: solo.example.net, server: box1}\n")
    with pytest.raises(site_mod.SiteError) as err:
        site_mod.load(path)
    found_codes = [(p.path, p.code) for p in err.value.problems]
    assert found_codes == [("name", "bad_name"), ("hosts", "missing"), ("pki", "missing")]
    assert str(err.value).splitlines()[0].startswith('name: "Solo" is not a valid name')


def test_unparsable_yaml_is_not_yaml(tmp_path):
    path = tmp_path / "site.yml"
    path.write_text("name: [solo\n")
    with pytest.raises(site_mod.SiteError) as err:
        site_mod.load(path)
    assert [(p.path, p.code) for p in err.value.problems] == [(".", "not_yaml")]


def test_lab_site_readers(lab):
    assert (lab.name, lab.zone, lab.dns_server, lab.ttl) == ("lab", "lab.example.net", "dns1", 300)
    assert lab.endpoints["keystone"].port == 5000 and lab.endpoints["keystone"].host == "ctl1"
    assert lab.host_of_address("2001:db8:10::11").name == "ctl1"
    assert lab.host_of_address("2001:db8:10::99") is None
    assert lab.host_with_role("ops").name == "ops1"
    assert lab.services["rabbitmq"]["port"] == 5672


def test_names_cover_hosts_and_endpoints(lab):
    names = {n.id: n for n in lab.names()}
    assert set(names) == set(lab.hosts) | set(lab.endpoints)
    assert names["keystone"].key == "endpoints.keystone"
    assert names["keystone"].addresses == lab.hosts["ctl1"].addresses
    assert names["dns1"].fqdn == "dns1.lab.example.net"


def test_load_option_resolves_against_root_and_cites_relative_path(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "x.yml").write_text(
        "name: solo\ndns: {zone: solo.example.net, server: box1}\npki: {ca_bundle: /ca.pem}\n"
        "hosts: {box1: {fqdn: box1.solo.example.net, roles: [dns], addresses: ['2001:db8:20::1']}}\n")
    assert site_mod.load_option("site/x.yml", str(tmp_path)).source == "site/x.yml"


def test_policy_tls_pki_policy_and_packages_defaults():
    site = site_mod.from_data(MINIMAL, "inline")
    assert site.policy == {"ipv4_loopback": "allow", "allowed_listeners": [], "preflight": True}
    assert site.tls["min_version"] == "TLSv1.2" and site.tls["hsts"] is True
    assert site.tls["hsts_max_age"] == 63072000
    assert site.pki_policy == {"min_rsa_bits": 2048, "min_ec_bits": 256,
                               "signature_hashes": ["sha256", "sha384", "sha512"],
                               "max_validity_days": 398, "require_server_auth": True}
    assert site.packages == {}


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d.update(policy={"ipv4_loopback": "deny"}), [("policy.ipv4_loopback", "bad_choice")]),
    (lambda d: d.update(tls={"min_version": "TLSv1.1"}), [("tls.min_version", "bad_choice")]),
    (lambda d: d.update(tls={"hsts_max_age": 0}), [("tls.hsts_max_age", "out_of_range")]),
    (lambda d: d["pki"].update(policy={"min_rsa_bits": 512}), [("pki.policy.min_rsa_bits", "out_of_range")]),
    (lambda d: d.update(packages={"haproxy": 2.6}), [("packages.haproxy", "type")]),
])
def test_new_sections_are_checked(edit, expected):
    assert found(changed(edit)) == expected


def test_an_integral_float_is_an_integer_in_the_normalised_site():
    site = site_mod.from_data(changed(lambda d: d["dns"].update(ttl=30.0)))
    assert site.ttl == 30 and isinstance(site.ttl, int)
