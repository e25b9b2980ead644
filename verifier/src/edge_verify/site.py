"""The site description: load a site YAML file, apply every rule of site/SCHEMA.md.

The Ruby loader (Ipv6Common::Site) applies the same rules; test/sites/ holds
examples that both must judge alike. A problem is reported with the key path,
a code from SCHEMA.md and a message "<path>: <what was found>; <the fix>".
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from pathlib import Path

import yaml

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
DNS_NAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\Z")
ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*\Z")

ROLES = ("controller", "compute", "dns", "ops")
CINDER_RELEASES = ("pike", "queens", "rocky", "stein", "train", "ussuri", "victoria", "wallaby",
                   "xena", "yoga", "zed", "antelope", "bobcat", "caracal", "dalmatian", "epoxy")
TARGET_HELPERS = ("tgtadm", "lioadm", "scstadmin", "iscsictl", "ietadm", "cxtadm", "nvmet")
CACHE_BACKENDS = ("oslo_cache.memcache_pool", "dogpile.cache.pymemcache")
DEFAULT_TTL = 300
DEFAULT_EXPIRY_WINDOW_DAYS = 30
POLICY_DEFAULTS = {"ipv4_loopback": "allow", "allowed_listeners": [], "preflight": True}
TLS_DEFAULTS = {
    "min_version": "TLSv1.2",
    "ciphers": ":".join((
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-CHACHA20-POLY1305")),
    "ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
    "hsts": True,
    "hsts_max_age": 63072000,
}
PKI_POLICY_DEFAULTS = {"min_rsa_bits": 2048, "min_ec_bits": 256, "signature_hashes": ["sha256", "sha384", "sha512"],
                       "max_validity_days": 398, "require_server_auth": True}
TLS_VERSIONS = ("TLSv1.2", "TLSv1.3")
HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")
PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+\Z")
VERSION_RE = re.compile(r"[A-Za-z0-9.+~:-]+\Z")


@dataclasses.dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str


class SiteError(Exception):
    """The site file breaks the schema; .problems lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(p.message for p in self.problems))


@dataclasses.dataclass(frozen=True)
class Host:
    name: str
    fqdn: str
    roles: list
    addresses: list  # ipaddress.IPv6Address, in site order


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    fqdn: str
    port: int
    backend_port: int
    cert: str
    key: str
    stand_in: bool = False


@dataclasses.dataclass(frozen=True)
class Site:
    name: str
    zone: str
    ttl: int
    dns_server: str
    ca_bundle: str
    expiry_window_days: int
    hosts: dict
    endpoints: dict
    services: dict
    policy: dict = dataclasses.field(default_factory=lambda: dict(POLICY_DEFAULTS))
    tls: dict = dataclasses.field(default_factory=lambda: dict(TLS_DEFAULTS))
    pki_policy: dict = dataclasses.field(default_factory=lambda: dict(PKI_POLICY_DEFAULTS))
    packages: dict = dataclasses.field(default_factory=dict)
    source: str = "site file"

    def host_of_address(self, addr):
        """The Host that owns the address (string or ipaddress object), or None."""
        wanted = ipaddress.ip_address(str(addr))
        for host in self.hosts.values():
            if wanted in host.addresses:
                return host
        return None

    def host_with_role(self, role):
        """The first host (in site order) that has the role, or None."""
        return next((h for h in self.hosts.values() if role in h.roles), None)

    def endpoints_on(self, host_name):
        """The endpoints served by a host, in site order."""
        return [e for e in self.endpoints.values() if e.host == host_name]

    def names(self):
        """Every DNS name the site publishes: (id, owning key, fqdn, expected addresses)."""
        found = [NameExpectation(h.name, f"hosts.{h.name}", h.fqdn, h.addresses) for h in self.hosts.values()]
        found += [NameExpectation(e.name, f"endpoints.{e.name}", e.fqdn, self.hosts[e.host].addresses)
                  for e in self.endpoints.values()]
        return found


@dataclasses.dataclass(frozen=True)
class NameExpectation:
    id: str
    key: str
    fqdn: str
    addresses: list


def load(path, source=None):
    """Read and validate a site file; raise SiteError with ALL problems.

    source is how messages name the file (default: path as given).
    """
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise SiteError([Problem(".", "not_yaml", f".: {path} does not parse as YAML ({first}); "
                                 "fix the YAML syntax")]) from exc
    found = problems(data)
    if found:
        raise SiteError(found)
    return _build(data, source or str(path))


@functools.lru_cache(maxsize=None)
def load_option(option, root):
    """load() for a command-line value: relative to root unless absolute; messages cite it from root."""
    path = Path(option)
    if not path.is_absolute():
        path = Path(root) / path
    try:
        source = str(path.resolve().relative_to(Path(root).resolve()))
    except ValueError:
        source = str(path)
    return load(path, source=source)


def problems(data):
    """Every SCHEMA.md problem in the parsed YAML, in file order."""
    return _Checker(data).run()


# How messages name a YAML value's type; bool before int (a bool is an int in Python).
_TYPE_NAMES = ((type(None), "null"), (bool, "a boolean"), (int, "an integer"), (float, "a float"),
               (str, "a string"), (list, "a list"), (dict, "a mapping"))


def _type_name(value):
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), type(value).__name__)


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def classify_address(value):
    """(canonical IPv6Address or None, problem code or None, what was found) for one site literal."""
    if not isinstance(value, str):
        return None, "type", f"{_type_name(value)} where a string is expected"
    if value.startswith("[") or value.endswith("]"):
        return None, "bracketed", f"{value} is written with brackets"
    if "%" in value or "/" in value:
        return None, "not_an_address", f"{value} is not a plain IPv6 literal (zone id or prefix)"
    try:
        ipaddress.IPv4Address(value)
        return None, "ipv4", f"{value} is IPv4"
    except ValueError:
        pass
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return None, "not_an_address", f"{value} is not an IPv6 address"
    if addr.ipv4_mapped is not None:
        return None, "ipv4_mapped", f"{value} is an IPv4-mapped address"
    for code, test, what in (("unspecified", addr.is_unspecified, "the unspecified address"),
                             ("loopback", addr.is_loopback, "the loopback address"),
                             ("link_local", addr.is_link_local, "link-local"),
                             ("multicast", addr.is_multicast, "multicast")):
        if test:
            return None, code, f"{value} is {what}"
    return addr, None, None


class _Checker:
    def __init__(self, data):
        self.data = data
        self.found = []
        self.seen_addresses = {}
        self.zone = None
        self.hosts = None  # name -> raw host mapping, when `hosts` is a mapping
        self.endpoint_ports = {}  # (host, port) -> endpoint path

    def run(self):
        if not isinstance(self.data, dict):
            self.add(".", "not_yaml", f".: the top level is {_type_name(self.data)}; "
                     "a site file is a YAML mapping (see site/SCHEMA.md)")
            return self.found
        dns = self.data.get("dns")
        if isinstance(dns, dict) and isinstance(dns.get("zone"), str) and DNS_NAME_RE.match(dns["zone"]):
            self.zone = dns["zone"]
        if isinstance(self.data.get("hosts"), dict):
            self.hosts = self.data["hosts"]
        self.mapping(self.data, "", {
            "name": self.name, "dns": self.dns, "pki": self.pki, "hosts": self.host_map,
        }, {"endpoints": self.endpoint_map, "services": self.services, "policy": self.policy,
            "tls": self.tls, "packages": self.packages})
        return self.found

    def add(self, path, code, message):
        self.found.append(Problem(path, code, message))

    # generic shapes

    def mapping(self, value, path, required, optional=None):
        optional = optional or {}
        if not isinstance(value, dict):
            self.type_problem(value, path, "a mapping")
            return
        for key, item in value.items():
            child = _join(path, key)
            check = required.get(key) or optional.get(key)
            if check is None:
                self.add(child, "unknown_key", f"{child}: unknown key; remove it or correct its spelling "
                         "(see site/SCHEMA.md)")
            else:
                check(item, child)
        for key in required:
            if key not in value:
                child = _join(path, key)
                self.add(child, "missing", f"{child}: missing; add it (see site/SCHEMA.md)")

    def type_problem(self, value, path, expected):
        self.add(path, "type", f"{path}: {_type_name(value)} where {expected} is expected; write {expected}")

    def string(self, value, path):
        if isinstance(value, str):
            return True
        self.type_problem(value, path, "a string")
        return False

    def integer(self, low, high):
        def check(value, path):
            if isinstance(value, bool) or not isinstance(value, int):
                self.type_problem(value, path, "an integer")
            elif not low <= value <= high:
                self.add(path, "out_of_range", f"{path}: {value} is outside {low}..{high}; "
                         f"use a value in {low}..{high}")
        return check

    def choice(self, choices):
        def check(value, path):
            if self.string(value, path) and value not in choices:
                self.add(path, "bad_choice", f"{path}: {value} is not a known value; use one of "
                         f"{', '.join(choices)}")
        return check

    def name(self, value, path):
        if self.string(value, path) and not NAME_RE.match(value):
            self.bad_name(path, value, "[a-z0-9][a-z0-9-]*")

    def bad_name(self, path, value, pattern):
        self.add(path, "bad_name", f"{path}: {value!r} does not match {pattern}; rename it")

    def dns_name(self, value, path, in_zone=False):
        if not self.string(value, path):
            return
        if not DNS_NAME_RE.match(value):
            self.add(path, "bad_name", f"{path}: {value!r} is not a DNS name; write lower-case "
                     "dot-separated labels without a trailing dot")
        elif in_zone and self.zone and not value.endswith("." + self.zone):
            self.add(path, "out_of_zone", f"{path}: {value} is not inside the zone {self.zone}; "
                     f"use a name ending in .{self.zone}")

    def fqdn(self, value, path):
        self.dns_name(value, path, in_zone=True)

    def absolute(self, value, path):
        if self.string(value, path) and not value.startswith("/"):
            self.add(path, "not_absolute", f"{path}: {value} is not an absolute path; write the full path "
                     "starting with /")

    def host_ref(self, value, path):
        if not self.string(value, path) or self.hosts is None:
            return False
        if value not in self.hosts:
            self.add(path, "unknown_host", f"{path}: {value} is not a host of this site; use one of "
                     f"{', '.join(map(str, self.hosts))}")
            return False
        return True

    def non_empty_list(self, value, path, item_check):
        if not isinstance(value, list):
            self.type_problem(value, path, "a list")
        elif not value:
            self.add(path, "empty", f"{path}: empty list; give at least one item")
        else:
            for i, item in enumerate(value):
                item_check(item, f"{path}[{i}]")

    # sections

    def dns(self, value, path):
        self.mapping(value, path, {"zone": self.dns_name, "server": self.dns_server},
                     {"ttl": self.integer(1, 86400)})

    def dns_server(self, value, path):
        if self.host_ref(value, path):
            roles = self.hosts[value].get("roles") if isinstance(self.hosts[value], dict) else None
            if isinstance(roles, list) and "dns" not in roles:
                self.add(path, "not_dns_host", f"{path}: host {value} does not have the dns role; "
                         "name a host whose roles contain dns")

    def pki(self, value, path):
        self.mapping(value, path, {"ca_bundle": self.absolute},
                     {"expiry_window_days": self.integer(0, 3650), "policy": self.pki_policy})

    def boolean(self, value, path):
        if not isinstance(value, bool):
            self.type_problem(value, path, "true or false")

    def word(self, value, path):
        if self.string(value, path) and not value.strip():
            self.add(path, "empty", f"{path}: the string is empty; give a value")

    def policy(self, value, path):
        self.mapping(value, path, {}, {"ipv4_loopback": self.choice(("allow", "forbid")),
                                       "allowed_listeners": self.allowed_listeners, "preflight": self.boolean})

    def allowed_listeners(self, value, path):
        if not isinstance(value, list):
            self.type_problem(value, path, "a list")
            return
        for i, entry in enumerate(value):
            self.mapping(entry, f"{path}[{i}]", {"host": self.host_ref, "port": self.integer(1, 65535),
                                                 "process": self.word, "reason": self.word},
                         {"address": self.listener_address})

    def listener_address(self, value, path):
        addr, code, found = classify_address(value)
        if code == "type":
            self.type_problem(value, path, "a string")
        elif code and code not in ("unspecified", "loopback", "link_local"):
            self.add(path, code, f"{path}: {found}; use an IPv6 address")

    def tls(self, value, path):
        self.mapping(value, path, {}, {"min_version": self.choice(TLS_VERSIONS), "ciphers": self.word,
                                       "ciphersuites": self.word, "hsts": self.boolean,
                                       "hsts_max_age": self.integer(1, 2**31 - 1)})

    def pki_policy(self, value, path):
        def hashes(v, p):
            self.non_empty_list(v, p, self.choice(HASHES))
        self.mapping(value, path, {}, {"min_rsa_bits": self.integer(1024, 16384), "min_ec_bits": self.integer(160, 571),
                                       "signature_hashes": hashes, "max_validity_days": self.integer(1, 36500),
                                       "require_server_auth": self.boolean})

    def packages(self, value, path):
        if not isinstance(value, dict):
            self.type_problem(value, path, "a mapping")
            return
        for name, version in value.items():
            child = _join(path, name)
            if not isinstance(name, str) or not PACKAGE_RE.match(name):
                self.bad_name(child, name, "[a-z0-9][a-z0-9+.-]+")
            if self.string(version, child) and not VERSION_RE.match(version):
                self.bad_name(child, version, "[A-Za-z0-9.+~:-]+")

    def host_map(self, value, path):
        if not isinstance(value, dict):
            self.type_problem(value, path, "a mapping")
            return
        if not value:
            self.add(path, "empty", f"{path}: no hosts; describe at least one host")
        for key, host in value.items():
            child = _join(path, key)
            if not isinstance(key, str) or not NAME_RE.match(key):
                self.bad_name(child, key, "[a-z0-9][a-z0-9-]*")
            self.mapping(host, child, {"fqdn": self.fqdn, "roles": self.roles, "addresses": self.addresses})

    def roles(self, value, path):
        def role(item, item_path):
            if self.string(item, item_path) and item not in ROLES:
                self.add(item_path, "bad_role", f"{item_path}: {item} is not a role; use one of "
                         f"{', '.join(ROLES)}")
        self.non_empty_list(value, path, role)

    def addresses(self, value, path):
        self.non_empty_list(value, path, self.address)

    def address(self, value, path):
        addr, code, found = classify_address(value)
        if code == "type":
            self.type_problem(value, path, "a string")
        elif code:
            fix = ("write the bare literal; brackets are added per consumer" if code == "bracketed"
                   else "this site is IPv6-only, use the host's global IPv6 address")
            self.add(path, code, f"{path}: {found}; {fix}")
        elif addr in self.seen_addresses:
            self.add(path, "duplicate_address", f"{path}: {addr} is already used at "
                     f"{self.seen_addresses[addr]}; give each address to one host only")
        else:
            self.seen_addresses[addr] = path

    def endpoint_map(self, value, path):
        if not isinstance(value, dict):
            self.type_problem(value, path, "a mapping")
            return
        for key, endpoint in value.items():
            child = _join(path, key)
            if not isinstance(key, str) or not NAME_RE.match(key):
                self.bad_name(child, key, "[a-z0-9][a-z0-9-]*")
            self.mapping(endpoint, child, {
                "host": self.host_ref, "fqdn": self.fqdn, "port": self.integer(1, 65535),
                "backend_port": self.integer(1, 65535), "cert": self.absolute, "key": self.absolute,
            }, {"stand_in": self.boolean})
            if isinstance(endpoint, dict):
                self.port_conflict(endpoint, child)

    def port_conflict(self, endpoint, path):
        host, port = endpoint.get("host"), endpoint.get("port")
        if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
            return
        earlier = self.endpoint_ports.setdefault((host, port), path)
        if earlier != path:
            self.add(f"{path}.port", "port_conflict", f"{path}.port: {port} is already used on {host} by "
                     f"{earlier}; give each endpoint of a host its own port")

    def services(self, value, path):
        port = self.integer(1, 65535)
        self.mapping(value, path, {}, {
            "rabbitmq": lambda v, p: self.mapping(v, p, {"host": self.host_ref},
                                                  {"port": port, "users": self.users}),
            "memcached": lambda v, p: self.mapping(v, p, {"host": self.host_ref},
                                                   {"port": port, "backend": self.choice(CACHE_BACKENDS)}),
            "keystone": lambda v, p: self.mapping(v, p, {"host": self.host_ref, "admin_password": self.secret},
                                                  {"workers": self.integer(1, 64), "region": self.string}),
            "placement": lambda v, p: self.mapping(v, p, {"host": self.host_ref, "password": self.secret},
                                                   {"workers": self.integer(1, 64)}),
            "cinder": lambda v, p: self.mapping(v, p, {
                "host": self.host_ref, "release": self.choice(CINDER_RELEASES),
                "target_helper": self.choice(TARGET_HELPERS)}, {"target_port": port}),
        })

    def users(self, value, path):
        if not isinstance(value, dict):
            self.type_problem(value, path, "a mapping")
            return
        for key, user in value.items():
            self.mapping(user, _join(path, key), {"password": self.secret})

    def secret(self, value, path):
        if not isinstance(value, (dict, list)):
            self.add(path, "inline_secret", f"{path}: the secret is written in the site file; "
                     "refer to it with {file: /absolute/path} or {env: NAME}")
            return
        if isinstance(value, dict) and len(value) == 1:
            (kind, ref), = value.items()
            if kind == "file" and isinstance(ref, str) and ref.startswith("/"):
                return
            if kind == "env" and isinstance(ref, str) and ENV_NAME_RE.match(ref):
                return
        self.add(path, "bad_secret_ref", f"{path}: {value!r} is not a secret reference; write exactly "
                 "{file: /absolute/path} or {env: NAME} with NAME matching [A-Z_][A-Z0-9_]*")


def _build(data, source):
    dns, pki = data["dns"], data["pki"]
    hosts = {
        name: Host(name, raw["fqdn"], list(raw["roles"]),
                   [ipaddress.IPv6Address(a) for a in raw["addresses"]])
        for name, raw in data["hosts"].items()
    }
    endpoints = {name: Endpoint(name=name, **raw) for name, raw in (data.get("endpoints") or {}).items()}
    return Site(name=data["name"], zone=dns["zone"], ttl=dns.get("ttl", DEFAULT_TTL),
                dns_server=dns["server"], ca_bundle=pki["ca_bundle"],
                expiry_window_days=pki.get("expiry_window_days", DEFAULT_EXPIRY_WINDOW_DAYS),
                hosts=hosts, endpoints=endpoints, services=dict(data.get("services") or {}),
                policy={**POLICY_DEFAULTS, **(data.get("policy") or {})},
                tls={**TLS_DEFAULTS, **(data.get("tls") or {})},
                pki_policy={**PKI_POLICY_DEFAULTS, **(pki.get("policy") or {})},
                packages=dict(data.get("packages") or {}), source=source)
