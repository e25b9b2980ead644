"""A zone's record sets as the DNS audit judges them: read whole by AXFR, or name by name.

ZoneRecords holds what was read, however it was read; records_from_rrsets (the record sets of an
AXFR), records_from_zone (a dns.zone.Zone, e.g. from zone-file text) and parse_answer (one response
message) are pure. DnsTransport is the network: one AXFR, or one query, to one server; the audit's
collector takes any object with the same two methods, so tests can answer from constructed zones.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import socket

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.xfr

AXFR, PER_NAME = "axfr", "per-name"
CNAME_DEPTH = 8  # CNAME links followed inside a transferred zone, as a resolver would


def name_text(name):
    """A DNS name as the audit compares it: lower case, no final dot."""
    text = name.to_text(omit_final_dot=True) if isinstance(name, dns.name.Name) else str(name).rstrip(".")
    return text.lower()


def reverse_name(address):
    """The ip6.arpa name of an IPv6 address (name_text form)."""
    return ipaddress.IPv6Address(str(address)).reverse_pointer


HEX = frozenset("0123456789abcdef")


def reverse_address(name):
    """The IPv6 address an ip6.arpa name of 32 nibbles stands for, or None for any other name."""
    nibbles = name.removesuffix(".ip6.arpa").split(".") if name.endswith(".ip6.arpa") else ()
    if len(nibbles) != 32 or not all(len(n) == 1 and n in HEX for n in nibbles):
        return None
    return ipaddress.IPv6Address(int("".join(reversed(nibbles)), 16))


def in_zone(name, zone):
    return name == zone or name.endswith("." + zone)


def _value(rdata):
    if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(ipaddress.ip_address(rdata.address))
    if rdata.rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME):
        return name_text(rdata.target)
    return rdata.to_text()


@dataclasses.dataclass
class ZoneRecords:
    """The record sets of one zone: every one (AXFR), or those of the names asked for (per-name).

    records: {(name, type): (value, ...)}, names in name_text form, addresses canonical, targets of
    PTR and CNAME as names. On the per-name path, absent holds NXDOMAIN/NODATA answers and failed
    the queries that gave another rcode."""
    zone: str           # the zone's name; None on the per-name path when no answer named it
    path: str           # AXFR or PER_NAME
    source: str         # how it was read, e.g. "AXFR of lab.example.net from [2001:db8:10::53]:53"
    records: dict = dataclasses.field(default_factory=dict)
    absent: dict = dataclasses.field(default_factory=dict)
    failed: dict = dataclasses.field(default_factory=dict)
    why: str = ""       # on the per-name path: why not AXFR ("--no-axfr", "AXFR refused (NOTAUTH)")
    _owners: dict = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def complete(self):
        """True when every name of the zone is known (a transfer)."""
        return self.path == AXFR

    def owners(self):
        """{name: sorted types} of every name that has records (kept until an answer is added)."""
        if self._owners is None:
            found = {}
            for name, rdtype in self.records:
                found.setdefault(name, set()).add(rdtype)
            self._owners = {name: sorted(types) for name, types in found.items()}
        return self._owners

    def covers(self, name):
        if self.complete:
            return in_zone(name, self.zone)
        return any((name, rdtype) in table for table in (self.records, self.absent, self.failed)
                   for rdtype in ("A", "AAAA", "PTR"))

    def lookup(self, name, rdtype):
        """(status, values) for a name and type: status ANSWER, NODATA, NXDOMAIN, another rcode, or
        "not asked" (per-name, a name the collector did not query). In a transferred zone a CNAME is
        followed as a resolver would."""
        seen = 0
        while self.complete and (name, rdtype) not in self.records and (name, "CNAME") in self.records:
            target = self.records[(name, "CNAME")][0]
            if seen == CNAME_DEPTH or not in_zone(target, self.zone):
                break
            name, seen = target, seen + 1
        if (name, rdtype) in self.records:
            return "ANSWER", list(self.records[(name, rdtype)])
        if self.complete:
            return ("NODATA" if name in self.owners() else "NXDOMAIN"), []
        key = (name, rdtype)
        return self.absent.get(key) or self.failed.get(key) or "not asked", []

    def add_answer(self, name, rdtype, answer):
        """Record one per-name Answer."""
        key = (name, rdtype)
        self._owners = None
        if answer.rcode == "NOERROR" and answer.values:
            self.records[key] = tuple(answer.values)
        elif answer.rcode in ("NOERROR", "NXDOMAIN"):
            self.absent[key] = "NODATA" if answer.rcode == "NOERROR" else "NXDOMAIN"
        else:
            self.failed[key] = answer.rcode
        if self.zone is None and answer.zone:
            self.zone = answer.zone

    def record_count(self):
        return sum(len(values) for values in self.records.values())


def records_from_rrsets(zone, rrsets, source):
    """ZoneRecords (AXFR path) of zone from (absolute owner name, rdataset) pairs: the answer sections of
    an AXFR (its SOA comes twice; a record set split over messages is joined) or a Zone's rdatasets."""
    found = ZoneRecords(zone=name_text(zone), path=AXFR, source=source)
    values = {}
    for name, rdataset in rrsets:
        key = (name_text(name), dns.rdatatype.to_text(rdataset.rdtype))
        values.setdefault(key, set()).update(_value(rdata) for rdata in rdataset)
    found.records = {key: tuple(sorted(found_values)) for key, found_values in values.items()}
    return found


def zone_rrsets(zone):
    """(absolute owner name, rdataset) of every record set of a dns.zone.Zone."""
    return [(name.derelativize(zone.origin), rdataset) for name, rdataset in zone.iterate_rdatasets()]


def records_from_zone(zone, source):
    """ZoneRecords (AXFR path) from a dns.zone.Zone (e.g. dns.zone.from_text)."""
    return records_from_rrsets(zone.origin, zone_rrsets(zone), source)


@dataclasses.dataclass(frozen=True)
class Answer:
    """One response, as the per-name path keeps it."""
    rcode: str      # NOERROR, NXDOMAIN, REFUSED, ..., or "no answer in 3 s"
    values: tuple   # the answer's records of the type asked for (any owner: a CNAME chain's end)
    zone: str = ""  # the zone the SOA of the answer or authority section names, when there is one


def parse_answer(message, rdtype):
    """An Answer from a dnspython response to a query of rdtype."""
    wanted = dns.rdatatype.from_text(rdtype)
    values = sorted({_value(rdata) for rrset in message.answer if rrset.rdtype == wanted for rdata in rrset})
    zone = next((name_text(rrset.name) for rrset in (*message.answer, *message.authority)
                 if rrset.rdtype == dns.rdatatype.SOA), "")
    return Answer(rcode=dns.rcode.to_text(message.rcode()), values=tuple(values), zone=zone)


class NoAnswer(Exception):
    """The server gave no answer at all (timeout, connection refused, unreachable)."""


class TransferFailed(Exception):
    """No zone transfer: refused by the server, or no answer; the message says which."""


class DnsTransport:
    """One DNS server: AXFR over TCP, queries over UDP (TCP when truncated), counted."""

    def __init__(self, address, port=53, timeout=3.0):
        self.address, self.port, self.timeout = str(address), port, timeout
        self.queries = 0
        self._socket = None

    @property
    def label(self):
        return f"[{self.address}]:{self.port}"

    def axfr(self, zone):
        """Every record set of the zone, as (owner name, rrset); TransferFailed saying why when there is
        none (refused, no answer, cut off). The messages are read to the end before anything is built
        from them: a server closes a transfer its client reads too slowly."""
        self.queries += 1
        try:
            messages = list(dns.query.xfr(self.address, zone, port=self.port, timeout=self.timeout,
                                          lifetime=max(self.timeout, 60.0), relativize=False))
            return [(rrset.name, rrset) for message in messages for rrset in message.answer]
        except dns.xfr.TransferError as error:
            raise TransferFailed(f"AXFR refused ({dns.rcode.to_text(error.rcode)})") from error
        except EOFError as error:
            raise TransferFailed("AXFR failed (the server closed the connection)") from error
        except (dns.exception.DNSException, OSError) as error:
            raise TransferFailed(f"AXFR failed ({_reason(error, self.timeout)})") from error

    def query(self, name, rdtype):
        """An Answer for one name and type."""
        self.queries += 1
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
            self._socket = socket.socket(family, socket.SOCK_DGRAM)
            self._socket.setblocking(False)  # as dns.query.udp requires of a socket it is given
        message = dns.message.make_query(name, rdtype)
        try:
            response = dns.query.udp(message, self.address, port=self.port, timeout=self.timeout,
                                     sock=self._socket)
            if response.flags & dns.flags.TC:
                response = dns.query.tcp(message, self.address, port=self.port, timeout=self.timeout)
        except (dns.exception.Timeout, OSError) as error:
            raise NoAnswer(f"{rdtype} query for {name} to {self.label}: {_reason(error, self.timeout)}") from error
        return parse_answer(response, rdtype)

    def close(self):
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _reason(error, timeout):
    if isinstance(error, dns.exception.Timeout):
        return f"no answer in {timeout:g} s"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
