"""Checks of the OpenStack API services behind the edge: pure functions from facts to Problems.

- where the services listen (only ::1 behind the edge),
- the URLs rendered into their configuration files (each parses, with the expected host),
- Keystone's catalog against the site (https, the endpoint's name, nothing the site lacks),
- memcached actually serving the token cache (get_hits grows while tokens are validated).

Each Problem's path is the host (or the catalog entry) and its message says what was found, what the
site expects, and where to fix it.
"""
from __future__ import annotations

import configparser
import ipaddress
from urllib.parse import urlsplit

from edge_verify.site import Problem

LOOPBACK = ipaddress.IPv6Address("::1")
# Process names (ss -p) of the services this checks: uwsgi runs Keystone and Placement.
SERVICE_PROCESSES = ("uwsgi", "keystone", "placement", "memcached", "glance", "nova", "neutron", "cinder")
INTERFACES = ("public", "internal", "admin")
# The options whose values are URLs or server lists, per section; DEFAULT holds transport_url.
URL_OPTIONS = {
    ("keystone_authtoken", "www_authenticate_uri"): "https",
    ("keystone_authtoken", "auth_url"): "https",
    ("DEFAULT", "transport_url"): "server",
    ("database", "connection"): "server",
    ("placement_database", "connection"): "server",
    ("cache", "memcache_servers"): "memcached",
    ("keystone_authtoken", "memcached_servers"): "memcached",
}
MEMCACHED_FORMS = {
    "oslo_cache.memcache_pool": "inet6:[ADDRESS]:PORT",
    "dogpile.cache.pymemcache": "[ADDRESS]:PORT",
}


def _literal(host):
    try:
        return ipaddress.ip_address((host or "").strip("[]"))
    except ValueError:
        return None


def service_listener_problems(site, host_name, listeners):
    """Every socket of an OpenStack service (or memcached) that is not v6only on ::1, and every
    deployed endpoint of this host (not a stand-in) with nothing on [::1]:<backend_port>."""
    problems = []
    for listener in listeners:
        if not listener.process.startswith(SERVICE_PROCESSES):
            continue
        if listener.address != LOOPBACK or listener.v6only is False:
            problems.append(Problem(host_name, "api_not_loopback", (
                f"{host_name}: {listener.process} listens on {listener.local or listener.address} "
                f"({'IPv4' if listener.address.version == 4 else 'not ::1'}); site expects OpenStack services "
                f"on [::1] only, behind the edge; fix the service's bind (ipv6_openstack_api_bind) for {host_name}")))
    ports = {(listener.address, listener.port) for listener in listeners}
    for name, endpoint in sorted(site.endpoints.items()):
        if endpoint.host != host_name or endpoint.stand_in:
            continue
        if (LOOPBACK, endpoint.backend_port) not in ports:
            problems.append(Problem(f"endpoints.{name}", "api_not_listening", (
                f"{host_name}: nothing listens on [::1]:{endpoint.backend_port}; site expects the {name} service "
                f"there (endpoints.{name}.backend_port); converge {host_name}")))
    return problems


def _split_server(value):
    """(host, port) of `[ADDR]:PORT`, `inet6:[ADDR]:PORT` or `NAME:PORT`; ValueError when it does not parse."""
    text = value.strip()
    if text.startswith("inet6:"):
        text = text[len("inet6:"):]
    parts = urlsplit(f"//{text}")
    port = parts.port  # raises ValueError on an unbracketed IPv6 literal
    if parts.hostname is None or port is None:
        raise ValueError(f"{value!r} has no host and port")
    return parts.hostname, port


def config_url_problems(site, host_name, path, text):
    """Each URL option of a rendered OpenStack configuration file parses with urllib.parse to a host the
    site expects: the https name of a site endpoint for Keystone URLs, ::1 or a site address for servers,
    and memcached servers in the form the file's [cache] backend needs."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text, source=path)
    names = {e.fqdn for e in site.endpoints.values()}
    addresses = {LOOPBACK} | {a for h in site.hosts.values() for a in h.addresses}
    backend = parser.get("cache", "backend", fallback="")
    problems = []

    def add(code, option, value, why, fix):
        problems.append(Problem(f"{path} [{option[0]}] {option[1]}", code,
                                f"{host_name}: {path} [{option[0]}] {option[1]} = {value}: {why}; {fix}"))

    for (section, key), kind in URL_OPTIONS.items():
        raw = parser.defaults().get(key) if section == "DEFAULT" else (
            parser.get(section, key, fallback=None) if parser.has_section(section) else None)
        if not raw:
            continue
        option = (section, key)
        if kind == "https":
            parts = urlsplit(raw)
            try:
                parts.port
            except ValueError:
                add("url_unparsable", option, raw, "the host does not parse", "bracket an IPv6 literal")
                continue
            if parts.scheme != "https":
                add("url_http", option, raw, f"scheme {parts.scheme or 'none'}",
                    "use the https URL of the identity endpoint's name")
            if _literal(parts.hostname):
                add("url_ip_literal", option, raw, "the host is an address; the certificate is for the name",
                    "use the identity endpoint's fqdn")
            elif parts.hostname not in names:
                add("url_unknown_host", option, raw, f"{parts.hostname} is not an endpoint name of the site",
                    f"use one of {', '.join(sorted(names))}")
        elif kind == "server":
            parts = urlsplit(raw)
            try:
                parts.port
            except ValueError:
                add("url_unparsable", option, "(not shown: it may carry a password)",
                    "the host does not parse (an unbracketed IPv6 literal?)", "bracket the literal: [2001:db8::11]")
                continue
            literal = _literal(parts.hostname)
            if parts.hostname and literal is not None and literal not in addresses:
                add("url_unknown_host", option, parts.hostname, f"{parts.hostname} is not an address of the site",
                    "use a site host's address or name")
        else:
            for server in raw.split(","):
                try:
                    host, _port = _split_server(server)
                except ValueError:
                    add("url_unparsable", option, server, "the server does not parse", "bracket the IPv6 literal")
                    continue
                literal = _literal(host)
                if literal is None or literal not in addresses:
                    add("url_unknown_host", option, server, f"{host} is not ::1 or a site address",
                        "write [::1] (localhost may resolve to IPv4 only)")
                if section == "cache" and backend in MEMCACHED_FORMS:
                    wants_prefix = backend == "oslo_cache.memcache_pool"
                    if server.strip().startswith("inet6:") != wants_prefix:
                        add("memcached_form", option, server, f"not the form {backend} parses "
                            "(it fails quietly)", f"write {MEMCACHED_FORMS[backend]}")
    return problems


def catalog_problems(site, entries):
    """Keystone's catalog against the site. entries: dicts with `Service Name`, `Interface` and `URL`
    (as `openstack endpoint list -f json` prints them). Every URL is https on the name of the site
    endpoint of that service with its public port; every site endpoint is there on every interface."""
    problems = []
    by_fqdn = {e.fqdn: e for e in site.endpoints.values()}
    seen = set()
    for entry in entries:
        service, interface, url = entry.get("Service Name"), entry.get("Interface"), entry.get("URL", "")
        where = f"catalog {service} {interface}"
        parts = urlsplit(url)
        try:
            port = parts.port or 443
        except ValueError:
            problems.append(Problem(where, "catalog_unparsable", f"{where}: {url} does not parse; "
                                    f"register https://FQDN:PORT from endpoints.{service} of {site.source}"))
            continue
        if parts.scheme != "https":
            problems.append(Problem(where, "catalog_http", f"{where}: {url} is {parts.scheme or 'not a URL'}; "
                                    "the catalog sends clients to the TLS edge only; register the https URL"))
        if _literal(parts.hostname):
            problems.append(Problem(where, "catalog_ip_literal", f"{where}: {url} names an address; clients "
                                    "check the certificate against the name; register the endpoint's fqdn"))
            continue
        endpoint = by_fqdn.get(parts.hostname)
        if endpoint is None:
            problems.append(Problem(where, "catalog_unknown_name", f"{where}: {parts.hostname} is not an endpoint "
                                    f"of {site.source}; remove the entry or describe the endpoint in the site"))
            continue
        if port != endpoint.port:
            problems.append(Problem(where, "catalog_wrong_port", f"{where}: {url} uses port {port}; site expects "
                                    f"{endpoint.port} (endpoints.{endpoint.name}.port)"))
        seen.add((endpoint.name, interface))
    for name in sorted(site.endpoints):
        for interface in INTERFACES:
            if (name, interface) not in seen:
                problems.append(Problem(f"endpoints.{name}", "catalog_missing", (
                    f"catalog: no {interface} entry for {site.endpoints[name].fqdn}; site describes "
                    f"endpoints.{name}; converge the Keystone host (ipv6_openstack_api)")))
    return problems


def parse_memcached_stats(text):
    """`stats` output: {name: value} from the `STAT name value` lines."""
    return {fields[1]: fields[2] for fields in (line.split() for line in text.splitlines())
            if len(fields) == 3 and fields[0] == "STAT"}


def memcached_hits_problems(host_name, before, after, validations):
    """While `validations` tokens were validated, memcached's get_hits must grow: no growth means the
    services are not using the cache (a wrong server form, `localhost`, a wrong port: all quiet)."""
    grown = int(after.get("get_hits", 0)) - int(before.get("get_hits", 0))
    if grown > 0:
        return []
    return [Problem(host_name, "memcached_no_hits", (
        f"{host_name}: memcached get_hits grew by {grown} while {validations} tokens were validated; site "
        "expects the token cache on [::1]; fix memcache_servers (services.memcached) and its form for the backend"))]
