"""The whole-zone DNS audit: the site's zone and its reverse zones against the site, from record sets.

Pure functions of facts.zone.ZoneRecords (however they were read: AXFR or per-name queries):
every site name (hosts and endpoints) has exactly the site's AAAA and no A record; every site
address has the PTR of its host's name; every other PTR names a name whose AAAA holds the
address; and, when the whole zone was read, every name in it is one the site describes (a
warning: a name the estate does not manage may be legitimate).
"""
from __future__ import annotations

import ipaddress

from edge_verify.checks._text import addresses_text
from edge_verify.checks.dns import name_expects, zone_fix
from edge_verify.facts.zone import in_zone, name_text, reverse_address, reverse_name
from edge_verify.problem import Problem

ABSENT = ("NXDOMAIN", "NODATA")
SHOWN_VALUES = ("A", "AAAA", "CNAME", "PTR")


def site_names(site):
    """The site's names (site.names()), one per fqdn (the first key that publishes it)."""
    found = {}
    for name in site.names():
        found.setdefault(name_text(name.fqdn), name)
    return found


def _addresses(values):
    return sorted({ipaddress.ip_address(v) for v in values})


def _records_text(records, name, types):
    return ", ".join(f"{t} {', '.join(records[(name, t)])}" if t in SHOWN_VALUES else t for t in types)


def _absent_text(records, name, rdtype, status, what):
    """How a missing record reads: what the query gave, or what the transferred zone holds instead."""
    if not records.complete:
        return f"{what} {rdtype} query gave {status}"
    types = records.owners().get(name)
    held = f" (it has {_records_text(records.records, name, types)})" if types else " (no such name)"
    return f"{what} has no {rdtype} record in the zone {records.zone}{held}"


def forward_problems(site, forward, host, server):
    """A and AAAA of every site name in the forward zone's record sets."""
    found = []
    for fqdn, name in site_names(site).items():
        expects, fix = name_expects(fqdn, name.addresses), zone_fix(site, name.key)

        def problem(code, text, where=fix):
            found.append(Problem(host, code, text, expects, where, forward.source))

        status, values = forward.lookup(fqdn, "AAAA")
        if status == "ANSWER":
            if _addresses(values) != sorted(set(name.addresses)):
                problem("dns_aaaa_mismatch", f"{fqdn} has AAAA {addresses_text(_addresses(values))}")
        elif status in ABSENT:
            problem("dns_aaaa_missing", _absent_text(forward, fqdn, "AAAA", status, fqdn))
        else:
            problem("dns_unreachable", f"{fqdn} AAAA query gave {status}", f"the DNS server {server}")
        status, values = forward.lookup(fqdn, "A")
        if status == "ANSWER":
            problem("dns_a_record", f"{fqdn} has A {addresses_text(_addresses(values))}",
                    f"remove the A record from {fix}")
        elif status not in ABSENT:
            problem("dns_unreachable", f"{fqdn} A query gave {status}", f"the DNS server {server}")
    return found


def _zone_of(reverse, name):
    return next((records for records in reverse if records.covers(name)), None)


def site_ptr_problems(site, reverse, host, server):
    """Every site address in a served reverse zone has one PTR: its host's name."""
    found = []
    for host_name, site_host in site.hosts.items():
        fqdn = name_text(site_host.fqdn)
        for address in site_host.addresses:
            rname = reverse_name(address)
            records = _zone_of(reverse, rname)
            if records is None:
                continue  # no reverse zone served for it: the collector lists it as uncovered
            zone = f"the reverse zone {records.zone}" if records.zone else f"the reverse zone of {address}"
            expects = f"PTR {fqdn} only for {address} (hosts.{host_name}.addresses)"
            fix = f"{zone} on {site.dns_server}: PTR {fqdn} for {address} (hosts.{host_name} of {site.source})"
            status, values = records.lookup(rname, "PTR")
            if status == "ANSWER":
                if set(values) != {fqdn}:
                    found.append(Problem(host, "dns_ptr_mismatch", f"{address} has PTR {', '.join(values)}",
                                         expects, fix, records.source))
            elif status in ABSENT:
                found.append(Problem(host, "dns_ptr_mismatch", _absent_text(records, rname, "PTR", status, address),
                                     expects, fix, records.source))
            else:
                found.append(Problem(host, "dns_unreachable", f"PTR query for {address} gave {status}", expects,
                                     f"the DNS server {server}", records.source))
    return found


def stray_ptr_problems(site, forward, reverse, host):
    """Every other PTR of a transferred reverse zone names a name in the site's zone whose AAAA holds
    the address (a PTR left behind by a renumbered or removed host misleads every log reader)."""
    site_addresses = {a for h in site.hosts.values() for a in h.addresses}
    known = site_names(site)
    found = []
    for records in reverse:
        if not records.complete:
            continue
        for (owner, rdtype), targets in sorted(records.records.items()):
            address = reverse_address(owner) if rdtype == "PTR" else None
            if address is None or address in site_addresses:
                continue
            for target in targets:
                expects = f"a PTR for {address} only to a name whose AAAA is {address}"
                remove = f"remove the PTR for {address} from the reverse zone {records.zone} on {site.dns_server}"
                if not in_zone(target, site.zone):
                    found.append(Problem(host, "dns_ptr_mismatch",
                                         f"{address} has PTR {target}, a name outside the zone {site.zone}",
                                         expects, remove, records.source))
                    continue
                status, values = forward.lookup(target, "AAAA")
                if status == "ANSWER" and address in _addresses(values):
                    continue
                held = f"whose AAAA is {addresses_text(_addresses(values))}" if status == "ANSWER" else \
                    f"whose AAAA lookup gives {status}"
                if target in known:
                    fix = f"{remove} ({target} is {known[target].key} of {site.source})"
                else:
                    fix = f"{remove}, or publish {target} AAAA {address} in the zone {site.zone}"
                found.append(Problem(host, "dns_ptr_mismatch", f"{address} has PTR {target}, {held}", expects, fix,
                                     records.source))
    return found


def unknown_name_problems(site, forward, host):
    """Names of a transferred zone that are neither its apex nor a site host or endpoint (warnings)."""
    if not forward.complete:
        return []
    known = set(site_names(site)) | {forward.zone}
    expects = f"only the names of {site.source} (hosts and endpoints) in the zone {site.zone}"
    found = []
    for name, types in sorted(forward.owners().items()):
        if name in known:
            continue
        found.append(Problem(host, "dns_unknown_name",
                             f"{name} ({_records_text(forward.records, name, types)}) is no site host or endpoint",
                             expects, f"remove {name} from the zone {site.zone} on {site.dns_server}, or describe it "
                                      f"in {site.source} if the estate serves it", forward.source))
    return found


def audit(site, forward, reverse=(), host=None, server=None):
    """Every problem of the site's zone (forward, ZoneRecords) and the reverse zones read (reverse, a list
    of ZoneRecords; a site address none of them covers is not judged). host: where the problems are seen
    (default the site's DNS host); server: how the server is named in a fix."""
    host = host or site.dns_server
    server = server or site.dns_server
    return (forward_problems(site, forward, host, server) + site_ptr_problems(site, reverse, host, server)
            + stray_ptr_problems(site, forward, reverse, host) + unknown_name_problems(site, forward, host))


def unreachable_problem(site, host, server, reason, source):
    """The one problem of an audit the server did not answer."""
    return Problem(host, "dns_unreachable", reason, f"answers from the DNS server of the zone {site.zone}",
                   f"the DNS server {server} (dns.server {site.dns_server} of {site.source})", source)
