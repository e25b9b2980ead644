"""Name checks: every name the site publishes has its AAAA records and no A record, and resolvers
(the client's, and each host's own) give the site's IPv6 addresses only."""
from __future__ import annotations

from edge_verify.checks._text import address_text, addresses_text
from edge_verify.problem import Problem


def name_expects(fqdn, expected):
    """What the site expects of a name it publishes."""
    return f"AAAA {addresses_text(expected)} and no A record for {fqdn}"


def zone_fix(site, key):
    """Where a name's records are fixed: the site's zone on its DNS host."""
    return f"the zone {site.zone} on {site.dns_server} (it publishes {key} of {site.source})"


def name_problems(site, client, key, fqdn, expected, aaaa, a, server=None):
    """DNS answers (parsers.DnsAnswer) for fqdn: AAAA equal to the site's addresses and no A record.

    key is the site key that owns the name (hosts.ctl1, endpoints.keystone)."""
    server = server or site.dns_server
    source = f"DNS queries to {server} from {client}"
    expects = name_expects(fqdn, expected)
    fix_zone = zone_fix(site, key)
    found = []

    def problem(code, text, fix=fix_zone):
        found.append(Problem(client, code, text, expects, fix, source))

    if aaaa.status in ("NXDOMAIN", "NODATA"):
        problem("dns_aaaa_missing", f"{fqdn} AAAA query gave {aaaa.status}")
    elif aaaa.status != "ANSWER":
        problem("dns_unreachable", f"{fqdn} AAAA query gave {aaaa.status}", f"the DNS server {server}")
    elif sorted(aaaa.addresses) != sorted(expected):
        problem("dns_aaaa_mismatch", f"{fqdn} has AAAA {addresses_text(aaaa.addresses)}")
    if a.status == "ANSWER":
        problem("dns_a_record", f"{fqdn} has A {addresses_text(a.addresses)}",
                f"remove the A record from {fix_zone}")
    elif a.status not in ("NODATA", "NXDOMAIN"):
        problem("dns_unreachable", f"{fqdn} A query gave {a.status}", f"the DNS server {server}")
    return found


def getent_problems(site, client, key, fqdn, expected, v6, v4):
    """What the client's resolver returns (getent ahostsv6 / ahostsv4): exactly the site's addresses.

    An IPv4-only name shows up in ahostsv6 as ::ffff: addresses. ahostsv4 only shows A records when
    the client itself has an IPv4 address (AI_ADDRCONFIG), so the DNS query in name_problems is what
    proves there is no A record."""
    source = f"getent ahostsv6/ahostsv4 {fqdn} on {client}"
    expects = f"{addresses_text(expected)} only for {fqdn} ({key})"
    fix = f"{client}'s /etc/hosts and resolver configuration"
    found = []
    mapped = [a for a in v6 if a.ipv4_mapped is not None]
    if mapped:
        found.append(Problem(client, "ipv4_mapped", f"getent ahostsv6 {fqdn} gives {addresses_text(mapped)}",
                             expects, fix, source))
    elif sorted(v6) != sorted(expected):
        found.append(Problem(client, "resolver_mismatch", f"getent ahostsv6 {fqdn} gives {addresses_text(v6)}",
                             expects, fix, source))
    if v4:
        found.append(Problem(client, "ipv4", f"getent ahostsv4 {fqdn} gives {addresses_text(v4)} (IPv4)",
                             expects, fix, source))
    return found


SELF_DATABASES = ("ahosts", "ahostsv6")


def self_names(site, host_name):
    """The names a host must resolve for itself: its FQDN and its short name."""
    return [site.hosts[host_name].fqdn, host_name]


def self_resolution_problems(site, host_name, answers):
    """The host's own resolver (getent ahosts: the path gethostbyname takes) gives its FQDN and short name
    the site's IPv6 addresses only: no IPv4 (a 127.0.1.1 hosts line, an A record), no ::ffff: address.

    answers: {(database, name): [addresses]} from probes.resolve for SELF_DATABASES."""
    expected = sorted(site.hosts[host_name].addresses)
    expects = f"{addresses_text(expected)} only (hosts.{host_name}.addresses)"
    fix = (f"{host_name}'s /etc/hosts (no IPv4 line for its name) and the zone {site.zone} "
           f"(AAAA only); the next converge's preflight refuses the host until then")
    found = []
    for name in self_names(site, host_name):
        source = f"getent ahosts/ahostsv6 {name} on {host_name}"
        every = answers.get(("ahosts", name), []) + answers.get(("ahostsv6", name), [])
        ipv4 = [a for a in every if a.version == 4]
        mapped = [a for a in every if a.version == 6 and a.ipv4_mapped is not None]
        plain = sorted({a for a in every if a.version == 6 and a.ipv4_mapped is None})
        if ipv4:
            found.append(Problem(host_name, "ipv4", f"{name} resolves to {addresses_text(ipv4)} (IPv4)",
                                 expects, fix, source))
        if mapped:
            found.append(Problem(host_name, "ipv4_mapped",
                                 f"{name} resolves to {', '.join(sorted({address_text(a) for a in mapped}))}",
                                 expects, fix, source))
        if plain != expected:
            found.append(Problem(host_name, "resolver_mismatch",
                                 f"{name} resolves to IPv6 {addresses_text(plain)}", expects, fix, source))
    return found
