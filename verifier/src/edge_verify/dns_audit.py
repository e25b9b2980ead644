"""`edge-verify dns-audit`: the site's whole zone, and its reverse zones, against the site.

The zone is read with one AXFR when the server allows it; when the transfer is refused (or with
--no-axfr) the audit asks name by name instead: A and AAAA for every site name, PTR for every site
address. Reverse zones are found by asking the server for the SOA of each /64 of the site's
addresses, and transferred the same way. Then every site name must have the site's AAAA records
and no A record, every site address the PTR of its host's name, every other PTR a name whose AAAA
holds the address, and (AXFR only) every name of the zone must be one the site describes: a name
it does not know is a warning. The exit status is 1 when any problem is an error, 2 on a usage or
site error.
"""
from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import os
import sys
import time
from pathlib import Path

from edge_verify import site as site_mod
from edge_verify.checks import dns_audit as checks
from edge_verify.facts import zone as zone_mod
from edge_verify.facts.zone import PER_NAME, NoAnswer, TransferFailed, ZoneRecords
from edge_verify.problem import render

REPORT_FORMATS = ("json",)
NOT_AUTHORITATIVE = ("REFUSED", "NOTAUTH")  # a PTR query answered so: no reverse zone on the server


@dataclasses.dataclass
class Collected:
    """What the collector read: the forward zone, the reverse zones, and the site addresses no
    reverse zone on the server covers; failure when the server stopped answering."""
    forward: ZoneRecords = None
    reverse: list = dataclasses.field(default_factory=list)
    uncovered: list = dataclasses.field(default_factory=list)
    failure: str = ""

    def path(self):
        """axfr, per-name, or mixed (the zones that were read, each by its own path)."""
        paths = {records.path for records in [self.forward, *self.reverse] if records is not None}
        return paths.pop() if len(paths) == 1 else "mixed" if paths else "none"


def prefix_name(network):
    """The ip6.arpa name of a network on a nibble boundary (2001:db8:10::/64 -> 0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2...)."""
    nibbles = network.network_address.exploded.replace(":", "")[:network.prefixlen // 4]
    return ".".join(reversed(nibbles)) + ".ip6.arpa"


def site_addresses(site):
    return [address for host in site.hosts.values() for address in host.addresses]


def _per_name_forward(site, transport, why):
    records = ZoneRecords(zone=zone_mod.name_text(site.zone), path=PER_NAME,
                          source=f"A/AAAA queries to {transport.label}", why=why)
    for fqdn in checks.site_names(site):
        for rdtype in ("AAAA", "A"):
            records.add_answer(fqdn, rdtype, transport.query(fqdn, rdtype))
    return records


def _per_name_reverse(addresses, transport, zone, why, uncovered):
    records = ZoneRecords(zone=zone, path=PER_NAME, source=f"PTR queries to {transport.label}", why=why)
    for address in addresses:
        rname = zone_mod.reverse_name(address)
        answer = transport.query(rname, "PTR")
        if answer.rcode in NOT_AUTHORITATIVE:
            uncovered.append(address)
        else:
            records.add_answer(rname, "PTR", answer)
    return records


def _transfer(transport, zone):
    """(ZoneRecords, "") from an AXFR, or (None, why there is none)."""
    try:
        return zone_mod.records_from_rrsets(zone, transport.axfr(zone), f"AXFR of {zone} from {transport.label}"), ""
    except TransferFailed as error:
        return None, str(error)


def _reverse_zones(site, transport, uncovered):
    """{reverse zone: [site addresses in it]}, from the SOA the server gives for each /64 of the site's
    addresses (a zone for a longer prefix than /64 is not found this way)."""
    zones = {}
    by_prefix = {}
    for address in site_addresses(site):
        by_prefix.setdefault(ipaddress.IPv6Network(f"{address}/64", strict=False), []).append(address)
    for prefix, addresses in by_prefix.items():
        answer = transport.query(prefix_name(prefix), "SOA")
        if answer.rcode in ("NOERROR", "NXDOMAIN") and zone_mod.in_zone(answer.zone, "ip6.arpa"):
            zones.setdefault(answer.zone, []).extend(addresses)
        else:
            uncovered.extend(addresses)
    return zones


def collect(site, transport, axfr=True):
    """Read the site's zone and its reverse zones through transport (facts.zone.DnsTransport or any
    object with its axfr, query and label): AXFR first unless axfr is false, per-name on refusal."""
    found = Collected()
    try:
        forward, why = _transfer(transport, site.zone) if axfr else (None, "--no-axfr")
        found.forward = forward or _per_name_forward(site, transport, why)
        if axfr:
            for zone, addresses in _reverse_zones(site, transport, found.uncovered).items():
                records, why = _transfer(transport, zone)
                found.reverse.append(records or _per_name_reverse(addresses, transport, zone, why, found.uncovered))
        else:
            records = _per_name_reverse(site_addresses(site), transport, None, "--no-axfr", found.uncovered)
            if records.records or records.absent or records.failed:
                found.reverse.append(records)
        _ask_ptr_targets(site, found, transport)
    except NoAnswer as error:
        found.failure = str(error)
    return found


def _ask_ptr_targets(site, found, transport):
    """On a per-name forward path, the AAAA of the names transferred PTRs point to (the stray PTR check)."""
    if found.forward.complete:
        return
    zone = zone_mod.name_text(site.zone)
    for records in found.reverse:
        if not records.complete:
            continue
        for (owner, rdtype), targets in records.records.items():
            for target in targets if rdtype == "PTR" else ():
                if zone_mod.in_zone(target, zone) and found.forward.lookup(target, "AAAA")[0] == "not asked":
                    found.forward.add_answer(target, "AAAA", transport.query(target, "AAAA"))


def parse_server(text):
    """(address, port) from ADDR or ADDR#PORT; ValueError saying what is wrong."""
    address, _, port = text.partition("#")
    try:
        parsed = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        raise ValueError(f"--server {text}: {address!r} is no IP address (give ADDR or ADDR#PORT)") from None
    if parsed.version != 6:
        raise ValueError(f"--server {text}: {parsed} is IPv4; the site's DNS is served over IPv6")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"--server {text}: port {port!r} is not 1-65535")
    return parsed, int(port or 53)


def zone_lines(found):
    lines = []
    for kind, records in [("zone", found.forward), *(("reverse zone", r) for r in found.reverse)]:
        if records is None:
            continue
        how = records.path if records.complete else f"{records.path} ({records.why})"
        lines.append(f"  {kind} {records.zone or '(per address)'}: {how}, {records.record_count()} records read")
    if found.uncovered:
        prefixes = sorted({str(ipaddress.IPv6Network(f"{a}/64", strict=False)) for a in found.uncovered})
        lines.append(f"  no reverse zone served for {', '.join(prefixes)}: "
                     f"{len(found.uncovered)} site address(es) without a PTR check")
    if found.forward is not None and not found.forward.complete:
        lines.append("  names the site does not know: not looked for (they need the whole zone: AXFR)")
    return lines


def report_document(site, server, found, problems, queries, seconds, judged, status):
    def zone_entry(kind, records):
        return {"kind": kind, "zone": records.zone, "path": records.path, "why": records.why or None,
                "records": records.record_count()}
    zones = [zone_entry("forward", found.forward)] if found.forward is not None else []
    zones += [zone_entry("reverse", r) for r in found.reverse]
    return {"site": site.source, "server": server, "path": found.path(), "zones": zones,
            "uncovered": [str(a) for a in found.uncovered], "failure": found.failure or None,
            "queries": queries, "seconds": round(seconds, 4), "audit_seconds": round(judged, 4),
            "counts": {level: sum(p.level == level for p in problems) for level in ("error", "warning")},
            "problems": [{**p.to_dict(), "level": p.level} for p in problems], "exit_status": status}


def main(argv, transport_factory=zone_mod.DnsTransport):
    parser = argparse.ArgumentParser(prog="edge-verify dns-audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default=os.environ.get("EDGE_SITE", "site/lab.yml"),
                        help="site file, relative to the current directory (default $EDGE_SITE or site/lab.yml)")
    parser.add_argument("--server", metavar="ADDR[#PORT]",
                        help="the DNS server to audit (default: the first address of the site's dns.server, port 53)")
    parser.add_argument("--no-axfr", action="store_true",
                        help="ask name by name only (A, AAAA per site name, PTR per site address); names the site "
                             "does not know are then not looked for")
    parser.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                        help="per response (default 3); a server that does not answer ends the audit")
    parser.add_argument("--report", nargs=2, metavar=("FORMAT", "FILE"),
                        help="also write the zones read, the counts and every problem: `--report json FILE`")
    args = parser.parse_args(argv)
    if args.report and args.report[0] not in REPORT_FORMATS:
        parser.error(f"--report {args.report[0]}: the formats are {', '.join(REPORT_FORMATS)}")
    try:
        site = site_mod.load_option(os.path.abspath(args.site), os.getcwd())
    except site_mod.SiteError as error:
        print(f"edge-verify dns-audit: the site file {args.site} is invalid:\n{error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"edge-verify dns-audit: the site file {args.site} cannot be read: {error.strerror}", file=sys.stderr)
        return 2
    try:
        address, port = parse_server(args.server) if args.server else (site.hosts[site.dns_server].addresses[0], 53)
    except ValueError as error:
        parser.error(str(error))
    owner = site.host_of_address(address)
    transport = transport_factory(address, port, timeout=args.timeout)
    host = owner.name if owner else transport.label
    started = time.monotonic()
    try:
        found = collect(site, transport, axfr=not args.no_axfr)
    finally:
        getattr(transport, "close", lambda: None)()
    seconds = time.monotonic() - started
    started = time.monotonic()
    if found.failure:
        problems = [checks.unreachable_problem(site, host, transport.label, found.failure,
                                               f"DNS from this host to {transport.label}")]
    else:
        problems = checks.audit(site, found.forward, found.reverse, host=host, server=transport.label)
    judged = time.monotonic() - started
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    print(f"dns-audit of {site.zone} on {transport.label} ({site.source}):")
    print("\n".join(zone_lines(found)))
    if errors:
        print(render(errors))
    if warnings:
        print("warnings (the audit does not fail on them):")
        print(render(warnings))
    status = 1 if errors else 0
    names, addresses = len(checks.site_names(site)), len(site_addresses(site))
    print(f"dns-audit {'FAILED' if errors else 'ok'}: {len(errors)} error(s), {len(warnings)} warning(s); "
          f"path {found.path()}; {names} site names, {addresses} site addresses; {transport.queries} queries "
          f"in {seconds:.2f} s, judged in {judged:.3f} s")
    if args.report:
        document = report_document(site, transport.label, found, problems, transport.queries, seconds, judged,
                                   status)
        Path(args.report[1]).write_text(json.dumps(document, indent=2) + "\n")
    return status
