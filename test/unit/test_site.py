"""The Python site loader: every SCHEMA.md code on a small inline site, defaults, readers."""
import copy
import re
import time
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


# ---------------------------------------------------------------- files: every bad input is one problem

HEAD = "name: solo\ndns: {zone: solo.example.net, server: box1}\npki: {ca_bundle: /ca.pem}\n"


def host_line(addresses):
    return f"hosts:\n  box1: {{fqdn: box1.solo.example.net, roles: [dns], addresses: {addresses}}}\n"


def file_problems(tmp_path, content, name="site.yml"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(site_mod.SiteError) as err:
        site_mod.load(path)
    return [(p.path, p.code, p.message.replace(str(tmp_path), "DIR")) for p in err.value.problems]


@pytest.mark.parametrize("text,message", [
    ("name: [unclosed\n", r"is not valid YAML at line 1, column 7 \(did not find expected ',' or '\]'"),
    ("name: solo\n dns: 1\n", r"at line 2, column 5 \(mapping values are not allowed"),
    ("- a list\n", "holds a list, not a mapping"),
    ("", "holds nothing; write the site as a YAML mapping"),
    ("~\n", "holds nothing, not a mapping"),
    ("name: solo\n---\nname: other\n", "second YAML document at line 2, column 1"),
    ("a: &x 1\nb: *x\n", "uses a YAML alias at line 2, column 4"),
    ("a:\n  <<: {b: 1}\n", "uses a YAML merge key"),
    ("a: !!binary aGk=\n", "uses the YAML tag tag:yaml.org,2002:binary"),
    ("name: a\x01b\n", r"control character U\+0001 at line 1, column 8"),
], ids=["syntax", "indent", "list", "empty", "null", "second-document", "alias", "merge", "tag", "control"])
def test_a_file_that_is_no_site_is_one_not_yaml_problem(tmp_path, text, message):
    [(path, code, found)] = file_problems(tmp_path, text)
    assert (path, code) == (".", "not_yaml")
    assert re.search(message, found)


def test_a_duplicated_key_names_both_lines(tmp_path):
    text = HEAD + host_line("['2001:db8:20::1']") + \
        "  box1: {fqdn: b.solo.example.net, roles: [dns], addresses: ['2001:db8:20::2']}\n"
    assert file_problems(tmp_path, text) == [(
        "hosts.box1", "duplicate_key", "hosts.box1: the key box1 is written twice (line 6, column 3; first at line 5); "
        "keep one of them, YAML would silently keep only the second")]


def test_non_utf8_text_is_unreadable_with_the_offset(tmp_path):
    assert file_problems(tmp_path, b"name: caf\xe9\n") == [
        (".", "unreadable", ".: DIR/site.yml is not UTF-8 text (invalid byte at offset 9); save it as UTF-8")]


def test_a_missing_file_and_a_directory_are_unreadable(tmp_path):
    with pytest.raises(site_mod.SiteError) as err:
        site_mod.load(tmp_path / "nothing.yml")
    assert [p.message for p in err.value.problems] == [
        f".: {tmp_path}/nothing.yml does not exist; check the path, or create the site file (see site/SCHEMA.md)"]
    with pytest.raises(site_mod.SiteError) as err:
        site_mod.load(tmp_path)
    assert [p.code for p in err.value.problems] == ["unreadable"]
    assert "is a directory" in err.value.problems[0].message


@pytest.mark.parametrize("number", ["2001", "1e3", "20:13", "0x20"])
def test_an_address_yaml_reads_as_a_number_asks_to_quote_it(tmp_path, number):
    [(path, code, message)] = file_problems(tmp_path, HEAD + host_line(f"[{number}]"))
    assert (path, code) == ("hosts.box1.addresses[0]", "type")
    assert "quote it" in message


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    levels = "abcdefghi"
    text = "a: &a [" + ", ".join(["lol"] * 9) + "]\n"
    text += "".join(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n" for prev, name in zip(levels, levels[1:]))
    started = time.monotonic()
    [(_, code, message)] = file_problems(tmp_path, text)
    assert time.monotonic() - started < 0.5
    assert code == "not_yaml" and "uses a YAML alias at line 2, column 8" in message


def test_scalars_are_read_as_pyyaml_reads_them_and_dates_stay_strings():
    assert site_mod.load_text("a: [yes, Off, ~, '', 012, 0x1f, 1_000, 1.5, 2024-01-01, .inf]\n", "x") == {
        "a": [True, False, None, "", 10, 31, 1000, 1.5, "2024-01-01", float("inf")]}
