"""OpenStack API services behind the edge: where they listen, the URLs rendered into their
configuration, Keystone's catalog against the site, memcached serving the token cache.

- OpenStack services (and memcached) listen only on ::1, v6only: the edge is their only way in.
- Each URL option of a rendered configuration parses with urllib.parse to a host the site describes.
- The catalog sends clients to https://FQDN:PORT of a site endpoint only, for every site endpoint.
- memcached's get_hits grows while tokens are validated (a wrong form or `localhost` fails quietly).
"""
from __future__ import annotations

import configparser
import ipaddress
from urllib.parse import urlsplit

from edge_verify.problem import Problem

LOOPBACK = ipaddress.IPv6Address("::1")
# Process names (ss -p) of the services checked here: uwsgi runs Keystone and Placement.
SERVICE_PROCESSES = ("uwsgi", "keystone", "placement", "memcached", "glance", "nova", "neutron", "cinder")
INTERFACES = ("public", "internal", "admin")
# The options whose values are URLs or server lists, per (section, option); DEFAULT holds transport_url.
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


def service_listener_problems(site, host_name, listeners, source="ss -Hltnuep"):
    """Every socket of an OpenStack service (or memcached) that is not v6only on ::1, and every endpoint
    of this host that is deployed (not a stand-in) with nothing on [::1]:<backend_port>."""
    problems = []
    where = f"{source} on {host_name}"
    for listener in listeners:
        if not listener.process.startswith(SERVICE_PROCESSES):
            continue
        if listener.address != LOOPBACK or listener.v6only is False:
            kind = "IPv4" if listener.address.version == 4 else "not ::1"
            problems.append(Problem(
                host_name, "api_not_loopback", f"{listener.process} on {listener.local or listener.address} ({kind})",
                "OpenStack services and memcached on [::1] only, behind the edge",
                "the service's bind (ipv6_openstack_api_bind bind_address, memcached -l ::1); converge the host",
                where))
    ports = {(listener.address, listener.port) for listener in listeners}
    for name, endpoint in sorted(site.endpoints.items()):
        if endpoint.host != host_name or endpoint.stand_in:
            continue
        if (LOOPBACK, endpoint.backend_port) not in ports:
            problems.append(Problem(
                host_name, "api_not_listening", f"nothing on [::1]:{endpoint.backend_port}",
                f"the {name} service there (endpoints.{name}.backend_port)",
                f"converge {host_name} (ipv6_openstack_api), or mark endpoints.{name}.stand_in in {site.source}",
                where))
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


def _option_value(parser, section, key):
    if section == "DEFAULT":
        return parser.defaults().get(key)
    return parser.get(section, key, fallback=None) if parser.has_section(section) else None


def config_url_problems(site, host_name, path, text):
    """Each URL option of a rendered OpenStack configuration file parses with urllib.parse to a host the
    site expects: an endpoint's https name for Keystone URLs, ::1 or a site address for servers, and
    memcached servers in the form the file's [cache] backend needs."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text, source=path)
    names = {e.fqdn for e in site.endpoints.values()}
    addresses = {LOOPBACK} | {a for h in site.hosts.values() for a in h.addresses}
    backend = parser.get("cache", "backend", fallback="")
    problems = []

    def add(code, option, found, expects, fix):
        problems.append(Problem(host_name, code, f"[{option[0]}] {option[1]} = {found}", expects,
                                f"{fix} (ipv6_openstack_api_bind); converge {host_name}", f"{path} on {host_name}"))

    for option, kind in URL_OPTIONS.items():
        raw = _option_value(parser, *option)
        if not raw:
            continue
        if kind == "https":
            parts = urlsplit(raw)
            try:
                parts.port
            except ValueError:
                add("url_unparsable", option, raw, "a URL urllib.parse can read", "bracket an IPv6 literal")
                continue
            if parts.scheme != "https":
                add("url_http", option, raw, "https to the identity endpoint's name", "write the https URL")
            if _literal(parts.hostname):
                add("url_ip_literal", option, raw, "a name (the certificate is for the name)",
                    "use the identity endpoint's fqdn")
            elif parts.hostname not in names:
                add("url_unknown_host", option, raw, f"one of {', '.join(sorted(names))}",
                    "use a site endpoint's fqdn")
        elif kind == "server":
            parts = urlsplit(raw)
            try:
                parts.port
            except ValueError:
                add("url_unparsable", option, "(not shown: it may carry a password)",
                    "a URL urllib.parse can read", "bracket the IPv6 literal: [2001:db8::11]")
                continue
            literal = _literal(parts.hostname)
            if parts.hostname and literal is not None and literal not in addresses:
                add("url_unknown_host", option, parts.hostname, "::1, a site address or a name",
                    "use a site host's address or name")
        else:
            for server in raw.split(","):
                try:
                    host, _port = _split_server(server)
                except ValueError:
                    add("url_unparsable", option, server, "[ADDRESS]:PORT", "bracket the IPv6 literal")
                    continue
                literal = _literal(host)
                if literal is None or literal not in addresses:
                    add("url_unknown_host", option, server, "memcached on [::1] (localhost may be IPv4 only)",
                        "write [::1]")
                if option[0] == "cache" and backend in MEMCACHED_FORMS:
                    if server.strip().startswith("inet6:") != (backend == "oslo_cache.memcache_pool"):
                        add("memcached_form", option, server, f"the form {backend} parses, "
                            f"{MEMCACHED_FORMS[backend]} (a mismatch fails quietly)",
                            f"write {MEMCACHED_FORMS[backend]}")
    return problems


def catalog_problems(site, entries, client="client", source="GET /v3/endpoints"):
    """Keystone's catalog against the site. entries: dicts with `Service Name`, `Interface` and `URL`
    (as `openstack endpoint list -f json` prints them). Every URL is https on the name of a site endpoint
    with its public port, and every site endpoint is there on every interface (the broker's management UI,
    services.rabbitmq.management_endpoint, is no OpenStack API and stays out)."""
    problems = []
    by_fqdn = {e.fqdn: e for e in site.endpoints.values()}
    seen = set()
    fix = "the catalog: converge the Keystone host (ipv6_openstack_api registers the site's endpoints)"
    for entry in entries:
        service, interface, url = entry.get("Service Name"), entry.get("Interface"), entry.get("URL", "")
        found = f"catalog {service} {interface} {url}"
        parts = urlsplit(url)
        try:
            port = parts.port or 443
        except ValueError:
            problems.append(Problem(client, "catalog_unparsable", found, "https://FQDN:PORT of a site endpoint",
                                    fix, source))
            continue
        if parts.scheme != "https":
            problems.append(Problem(client, "catalog_http", found, "https only (clients go to the TLS edge)",
                                    fix, source))
        if _literal(parts.hostname):
            problems.append(Problem(client, "catalog_ip_literal", found,
                                    "the endpoint's name (clients check the certificate against it)", fix, source))
            continue
        endpoint = by_fqdn.get(parts.hostname)
        if endpoint is None:
            problems.append(Problem(client, "catalog_unknown_name", found, f"names of endpoints in {site.source}",
                                    f"{fix}, and remove the entry or describe the endpoint in the site", source))
            continue
        if port != endpoint.port:
            problems.append(Problem(client, "catalog_wrong_port", found,
                                    f"port {endpoint.port} (endpoints.{endpoint.name}.port)", fix, source))
        seen.add((endpoint.name, interface))
    management = (site.services.get("rabbitmq") or {}).get("management_endpoint")
    for name in sorted(n for n in site.endpoints if n != management):
        for interface in INTERFACES:
            if (name, interface) not in seen:
                problems.append(Problem(client, "catalog_missing", f"no {interface} entry for endpoints.{name}",
                                        f"{site.endpoints[name].fqdn} on public, internal and admin", fix, source))
    return problems


def parse_memcached_stats(text):
    """`stats` output: {name: value} from the `STAT name value` lines."""
    return {fields[1]: fields[2] for fields in (line.split() for line in text.splitlines())
            if len(fields) == 3 and fields[0] == "STAT"}


def memcached_hits_problems(host_name, before, after, validations, source="memcached stats"):
    """While `validations` tokens were validated, memcached's get_hits must grow: no growth means the
    services are not using the cache (a wrong server form, `localhost`, a wrong port: all quiet)."""
    grown = int(after.get("get_hits", 0)) - int(before.get("get_hits", 0))
    if grown > 0:
        return []
    return [Problem(host_name, "memcached_no_hits",
                    f"get_hits grew by {grown} while {validations} tokens were validated",
                    "the token cache in memcached on [::1]",
                    "memcache_servers and its form for the backend (services.memcached); converge the host",
                    f"{source} on {host_name}")]
