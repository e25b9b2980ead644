"""The whole-zone DNS audit on constructed zones (dns.zone.from_text): each finding injected into the lab's
zone or reverse zone gives its code, the clean zones give nothing; a refused transfer falls back to per-name
queries (the transport answers from the same zones, without a server)."""
import ipaddress
import json
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.xfr
import dns.zone
import pytest

from edge_verify import dns_audit
from edge_verify.checks import dns_audit as checks
from edge_verify.facts import zone as zone_mod

ZONE = "lab.example.net"
REVERSE = "0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
SERVER = "[2001:db8:10::53]:53"
HEADER = ["$TTL 300", f"@ SOA dns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 604800 300", f"@ NS dns1.{ZONE}."]


def forward_lines(site):
    """The zone the site describes: AAAA per host and per endpoint, no A record."""
    return [f"{name.fqdn}. AAAA {address}" for name in site.names() for address in name.addresses]


def reverse_lines(site):
    """The reverse zone the site describes: the host's name per host address."""
    return [f"{address.reverse_pointer}. PTR {host.fqdn}."
            for host in site.hosts.values() for address in host.addresses]


def zone_of(origin, lines, extra=(), without=()):
    missing = [line for line in without if line not in lines]
    assert not missing, f"not in the zone: {missing}"
    text = "\n".join([*HEADER, *(line for line in lines if line not in without), *extra]) + "\n"
    return dns.zone.from_text(text, origin=origin, relativize=False)


def transferred(zone):
    return zone_mod.records_from_zone(zone, f"AXFR of {zone_mod.name_text(zone.origin)} from {SERVER}")


def audit(site, extra=(), without=(), reverse_extra=(), reverse_without=()):
    forward = transferred(zone_of(ZONE, forward_lines(site), extra, without))
    reverse = transferred(zone_of(REVERSE, reverse_lines(site), reverse_extra, reverse_without))
    return checks.audit(site, forward, [reverse], server=SERVER)


def found(problems):
    return [(p.code, p.found) for p in problems]


def test_clean_zone_and_reverse_zone_pass(lab):
    assert audit(lab) == []


@pytest.mark.parametrize("fqdn, key", [("ctl1.lab.example.net", "hosts.ctl1"),
                                       ("keystone.lab.example.net", "endpoints.keystone")])
def test_a_record_on_a_site_name_is_dns_a_record(lab, fqdn, key):
    """IPv4-capable clients would take the A record; the edge has no IPv4 listener to meet them."""
    [problem] = audit(lab, extra=[f"{fqdn}. A 192.0.2.5"])
    assert (problem.code, problem.found, problem.level) == ("dns_a_record", f"{fqdn} has A 192.0.2.5", "error")
    assert problem.host == "dns1"
    assert problem.fix == f"remove the A record from the zone {ZONE} on dns1 (it publishes {key} of site/lab.yml)"
    assert problem.source == f"AXFR of lab.example.net from {SERVER}"


def test_other_or_extra_aaaa_is_dns_aaaa_mismatch(lab):
    wrong = audit(lab, extra=["ctl1.lab.example.net. AAAA 2001:db8:10::12"],
                  without=["ctl1.lab.example.net. AAAA 2001:db8:10::11"])
    extra = audit(lab, extra=["nova.lab.example.net. AAAA 2001:db8:10::99"])
    assert found(wrong) == [("dns_aaaa_mismatch", "ctl1.lab.example.net has AAAA 2001:db8:10::12")]
    assert found(extra) == [("dns_aaaa_mismatch", "nova.lab.example.net has AAAA 2001:db8:10::11, 2001:db8:10::99")]
    assert wrong[0].expects == "AAAA 2001:db8:10::11 and no A record for ctl1.lab.example.net"


def test_site_name_without_aaaa_is_dns_aaaa_missing(lab):
    gone = audit(lab, without=["cinder.lab.example.net. AAAA 2001:db8:10::11"])
    txt_only = audit(lab, extra=['cinder.lab.example.net. TXT "moved"'],
                     without=["cinder.lab.example.net. AAAA 2001:db8:10::11"])
    assert found(gone) == [("dns_aaaa_missing",
                            "cinder.lab.example.net has no AAAA record in the zone lab.example.net (no such name)")]
    assert found(txt_only) == [("dns_aaaa_missing",
                                "cinder.lab.example.net has no AAAA record in the zone lab.example.net (it has TXT)")]


def test_endpoint_by_cname_to_its_host_passes(lab):
    """A resolver follows the CNAME to the host's AAAA: the name resolves as the site says."""
    assert audit(lab, extra=["glance.lab.example.net. CNAME ctl1.lab.example.net."],
                 without=["glance.lab.example.net. AAAA 2001:db8:10::11"]) == []


def test_site_address_without_its_ptr_is_dns_ptr_mismatch(lab):
    [problem] = audit(lab, reverse_without=[f"{ipaddress.IPv6Address('2001:db8:10::21').reverse_pointer}. PTR "
                                            "cmp1.lab.example.net."])
    assert (problem.code, problem.found) == (
        "dns_ptr_mismatch", f"2001:db8:10::21 has no PTR record in the zone {REVERSE} (no such name)")
    assert problem.expects == "PTR cmp1.lab.example.net only for 2001:db8:10::21 (hosts.cmp1.addresses)"
    assert problem.fix == (f"the reverse zone {REVERSE} on dns1: PTR cmp1.lab.example.net for 2001:db8:10::21 "
                           "(hosts.cmp1 of site/lab.yml)")
    assert problem.source == f"AXFR of {REVERSE} from {SERVER}"


def test_site_address_whose_ptr_names_another_name_is_dns_ptr_mismatch(lab):
    pointer = ipaddress.IPv6Address("2001:db8:10::11").reverse_pointer
    assert found(audit(lab, reverse_extra=[f"{pointer}. PTR keystone.lab.example.net."],
                       reverse_without=[f"{pointer}. PTR ctl1.lab.example.net."])) == [
        ("dns_ptr_mismatch", "2001:db8:10::11 has PTR keystone.lab.example.net")]
    assert found(audit(lab, reverse_extra=[f"{pointer}. PTR keystone.lab.example.net."])) == [
        ("dns_ptr_mismatch", "2001:db8:10::11 has PTR ctl1.lab.example.net, keystone.lab.example.net")]


def test_ptr_to_a_name_whose_aaaa_lacks_the_address_is_dns_ptr_mismatch(lab):
    """A PTR left behind by a renumbered or removed host: the reverse zone says what the forward zone denies."""
    def pointer(address):
        return ipaddress.IPv6Address(address).reverse_pointer

    problems = audit(lab, reverse_extra=[f"{pointer('2001:db8:10::99')}. PTR ctl1.lab.example.net.",
                                         f"{pointer('2001:db8:10::98')}. PTR gone.lab.example.net.",
                                         f"{pointer('2001:db8:10::97')}. PTR www.example.org."])
    assert found(problems) == [
        ("dns_ptr_mismatch", "2001:db8:10::97 has PTR www.example.org, a name outside the zone lab.example.net"),
        ("dns_ptr_mismatch", "2001:db8:10::98 has PTR gone.lab.example.net, whose AAAA lookup gives NXDOMAIN"),
        ("dns_ptr_mismatch", "2001:db8:10::99 has PTR ctl1.lab.example.net, whose AAAA is 2001:db8:10::11")]
    assert problems[2].fix == (f"remove the PTR for 2001:db8:10::99 from the reverse zone {REVERSE} on dns1 "
                               "(ctl1.lab.example.net is hosts.ctl1 of site/lab.yml)")


def test_name_the_site_does_not_know_is_a_warning(lab):
    """A name the estate does not manage may be legitimate: it is shown, and the audit does not fail on it.
    Its own PTR, matching its AAAA, is no problem."""
    old = "2001:db8:10::96"
    problems = audit(lab, extra=["legacy.lab.example.net. A 192.0.2.6", f"old.lab.example.net. AAAA {old}"],
                     reverse_extra=[f"{ipaddress.IPv6Address(old).reverse_pointer}. PTR old.lab.example.net."])
    assert found(problems) == [
        ("dns_unknown_name", "legacy.lab.example.net (A 192.0.2.6) is no site host or endpoint"),
        ("dns_unknown_name", f"old.lab.example.net (AAAA {old}) is no site host or endpoint")]
    assert {p.level for p in problems} == {"warning"}
    assert problems[0].fix == ("remove legacy.lab.example.net from the zone lab.example.net on dns1, or describe it "
                               "in site/lab.yml if the estate serves it")


# ---------------------------------------------------------------- collecting: AXFR, per-name, transports

class ZoneServer:
    """A transport that answers from constructed zones as an authoritative server would: AXFR when
    allowed, REFUSED for names outside its zones, NXDOMAIN/NODATA with the zone's SOA."""
    label = SERVER

    def __init__(self, zones, transfer=True, answering=True):
        self.zones = {zone.origin: zone for zone in zones}
        self.transfer, self.answering = transfer, answering
        self.queries, self.asked, self.transfers = 0, [], []

    def axfr(self, zone):
        self.queries += 1
        self.transfers.append(zone)
        if not self.transfer:
            raise zone_mod.TransferFailed("AXFR refused (REFUSED)")
        return zone_mod.zone_rrsets(self.zones[dns.name.from_text(zone)])

    def query(self, name, rdtype):
        self.queries += 1
        self.asked.append((name, rdtype))
        if not self.answering:
            raise zone_mod.NoAnswer(f"{rdtype} query for {name} to {SERVER}: no answer in 3 s")
        qname = dns.name.from_text(name)
        response = dns.message.make_response(dns.message.make_query(qname, rdtype))
        zone = next((z for origin, z in self.zones.items() if qname.is_subdomain(origin)), None)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return zone_mod.parse_answer(response, rdtype)
        node = zone.get_node(qname)
        rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype)) if node else None
        if rdataset is not None:
            response.answer.append(dns.rrset.from_rdata_list(qname, rdataset.ttl, list(rdataset)))
        else:
            below = any(n.derelativize(zone.origin).is_subdomain(qname) for n in zone.nodes)
            response.set_rcode(dns.rcode.NOERROR if node or below else dns.rcode.NXDOMAIN)
            soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
            response.authority.append(dns.rrset.from_rdata_list(zone.origin, soa.ttl, list(soa)))
        return zone_mod.parse_answer(response, rdtype)


def lab_zones(site, extra=(), reverse=True):
    zones = [zone_of(ZONE, forward_lines(site), extra)]
    return zones + [zone_of(REVERSE, reverse_lines(site))] if reverse else zones


def test_axfr_path_reads_each_zone_once(lab):
    server = ZoneServer(lab_zones(lab))
    collected = dns_audit.collect(lab, server)
    assert (collected.path(), server.transfers, collected.uncovered) == ("axfr", [ZONE, REVERSE], [])
    assert server.asked == [("0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "SOA")]  # the /64's reverse zone
    assert checks.audit(lab, collected.forward, collected.reverse) == []


def test_refused_axfr_falls_back_to_per_name_queries(lab):
    """A, AAAA per site name, PTR per site address; what the names say is judged the same way, but names the
    site does not know cannot be seen."""
    server = ZoneServer(lab_zones(lab, extra=["keystone.lab.example.net. A 192.0.2.5",
                                              "legacy.lab.example.net. A 192.0.2.6"]), transfer=False)
    collected = dns_audit.collect(lab, server)
    names, addresses = len(checks.site_names(lab)), len(dns_audit.site_addresses(lab))
    assert collected.path() == "per-name"
    assert (collected.forward.why, collected.reverse[0].why) == ("AXFR refused (REFUSED)", "AXFR refused (REFUSED)")
    assert server.transfers == [ZONE, REVERSE]
    assert server.queries == 2 + 1 + 2 * names + addresses  # two refused transfers, one SOA, the per-name queries
    problems = checks.audit(lab, collected.forward, collected.reverse, server=SERVER)
    assert found(problems) == [("dns_a_record", "keystone.lab.example.net has A 192.0.2.5")]
    assert problems[0].source == f"A/AAAA queries to {SERVER}"


def test_per_name_path_sees_missing_records_and_ptrs(lab):
    pointer = f"{ipaddress.IPv6Address('2001:db8:10::31').reverse_pointer}. PTR ops1.lab.example.net."
    zones = [zone_of(ZONE, forward_lines(lab), without=["nova.lab.example.net. AAAA 2001:db8:10::11"]),
             zone_of(REVERSE, reverse_lines(lab), without=[pointer])]
    collected = dns_audit.collect(lab, ZoneServer(zones), axfr=False)
    assert found(checks.audit(lab, collected.forward, collected.reverse)) == [
        ("dns_aaaa_missing", "nova.lab.example.net AAAA query gave NXDOMAIN"),
        ("dns_ptr_mismatch", "2001:db8:10::31 PTR query gave NXDOMAIN")]


def test_no_axfr_sends_no_transfer(lab):
    server = ZoneServer(lab_zones(lab))
    collected = dns_audit.collect(lab, server, axfr=False)
    assert server.transfers == [] and collected.path() == "per-name" and collected.forward.why == "--no-axfr"
    assert server.queries == 2 * len(checks.site_names(lab)) + len(dns_audit.site_addresses(lab))
    assert checks.audit(lab, collected.forward, collected.reverse) == []


@pytest.mark.parametrize("axfr", [True, False])
def test_without_a_reverse_zone_ptrs_are_not_judged(lab, axfr):
    """The server has no reverse zone for the site's prefix (REFUSED): the addresses are listed, not failed."""
    collected = dns_audit.collect(lab, ZoneServer(lab_zones(lab, reverse=False)), axfr=axfr)
    assert collected.reverse == [] and collected.uncovered == dns_audit.site_addresses(lab)
    assert checks.audit(lab, collected.forward, collected.reverse) == []
    assert "  no reverse zone served for 2001:db8:10::/64: 4 site address(es) without a PTR check" in \
        dns_audit.zone_lines(collected)


def test_transferred_reverse_ptrs_to_names_asked_for_on_the_per_name_path(lab):
    """Forward AXFR refused, reverse allowed: the AAAA of a stray PTR's name is asked for."""
    zones = [zone_of(ZONE, forward_lines(lab)),
             zone_of(REVERSE, reverse_lines(lab),
                     [f"{ipaddress.IPv6Address('2001:db8:10::99').reverse_pointer}. PTR old.lab.example.net."])]
    server = ZoneServer(zones)
    server.axfr = lambda zone, transfer=server.axfr: (
        transfer(zone) if zone == REVERSE else (_ for _ in ()).throw(zone_mod.TransferFailed("AXFR refused (NOTAUTH)")))
    collected = dns_audit.collect(lab, server)
    assert (collected.forward.path, collected.reverse[0].path, collected.path()) == ("per-name", "axfr", "mixed")
    assert ("old.lab.example.net", "AAAA") in server.asked
    assert found(checks.audit(lab, collected.forward, collected.reverse)) == [
        ("dns_ptr_mismatch", "2001:db8:10::99 has PTR old.lab.example.net, whose AAAA lookup gives NXDOMAIN")]


def test_dns_transport_turns_a_refused_transfer_into_the_fallback_reason(monkeypatch):
    def refused(*args, **kwargs):
        raise dns.xfr.TransferError(dns.rcode.NOTAUTH)
        yield  # a generator, as dns.query.xfr is

    monkeypatch.setattr(dns.query, "xfr", refused)
    transport = zone_mod.DnsTransport("2001:db8:10::53")
    with pytest.raises(zone_mod.TransferFailed, match=r"^AXFR refused \(NOTAUTH\)$"):
        transport.axfr(ZONE)
    assert transport.queries == 1


def axfr_messages(site):
    """An AXFR as a server sends it: SOA first and last, ctl1's AAAA set split over two messages."""
    soa = f"{ZONE}. 300 IN SOA dns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 604800 300"
    names = [f"{line.split()[0]} 300 IN AAAA {line.split()[2]}" for line in forward_lines(site)]
    parts = [[soa, f"{ZONE}. 300 IN NS dns1.{ZONE}.", *names, f"ctl1.{ZONE}. 300 IN AAAA 2001:db8:10::11"],
             [f"ctl1.{ZONE}. 300 IN AAAA 2001:db8:10::12", soa]]
    return [dns.message.from_text("id 1\nopcode QUERY\nrcode NOERROR\nflags QR AA\n;QUESTION\n"
                                  f"{ZONE}. IN AXFR\n;ANSWER\n" + "\n".join(part) + "\n") for part in parts]


def test_dns_transport_reads_a_transfer_into_record_sets(lab, monkeypatch):
    monkeypatch.setattr(dns.query, "xfr", lambda *args, **kwargs: iter(axfr_messages(lab)))
    records = zone_mod.records_from_rrsets(ZONE, zone_mod.DnsTransport("2001:db8:10::53").axfr(ZONE), "AXFR")
    assert records.records[(ZONE, "SOA")] == (f"dns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 604800 300",)
    assert records.records[(f"ctl1.{ZONE}", "AAAA")] == ("2001:db8:10::11", "2001:db8:10::12")
    assert found(checks.audit(lab, records)) == [("dns_aaaa_mismatch",
                                                  "ctl1.lab.example.net has AAAA 2001:db8:10::11, 2001:db8:10::12")]


def test_dns_transport_reports_a_transfer_cut_off(monkeypatch):
    def cut_off(*args, **kwargs):
        yield dns.message.make_response(dns.message.make_query(ZONE, "AXFR"))
        raise EOFError

    monkeypatch.setattr(dns.query, "xfr", cut_off)
    with pytest.raises(zone_mod.TransferFailed, match=r"the server closed the connection"):
        zone_mod.DnsTransport("2001:db8:10::53").axfr(ZONE)


@pytest.mark.parametrize("name, address", [
    (ipaddress.IPv6Address("2001:db8:10::11").reverse_pointer, ipaddress.IPv6Address("2001:db8:10::11")),
    (REVERSE, None), ("1.0.0.0.ip6.arpa", None), (f"ctl1.{ZONE}", None),
    ("g" + ipaddress.IPv6Address("2001:db8:10::11").reverse_pointer[1:], None)])
def test_reverse_address_reads_only_whole_ip6_arpa_names(name, address):
    assert zone_mod.reverse_address(name) == address


def test_parse_answer_keeps_values_and_the_soa_zone():
    response = dns.message.from_text(f"""id 1
opcode QUERY
rcode NXDOMAIN
flags QR AA
;QUESTION
gone.{ZONE}. IN AAAA
;AUTHORITY
{ZONE}. 300 IN SOA dns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 604800 300
""")
    assert zone_mod.parse_answer(response, "AAAA") == zone_mod.Answer("NXDOMAIN", (), ZONE)


# ---------------------------------------------------------------- the command

def run_main(lab_file, server, *args, capsys):
    status = dns_audit.main([f"--site={lab_file}", *args], transport_factory=lambda *a, **k: server)
    return status, capsys.readouterr().out


@pytest.fixture
def lab_file():
    return str(Path(__file__).resolve().parents[2] / "site" / "lab.yml")


def test_command_exits_1_on_errors_and_reports_json(lab, lab_file, tmp_path, capsys):
    server = ZoneServer(lab_zones(lab, extra=["keystone.lab.example.net. A 192.0.2.5",
                                              "legacy.lab.example.net. A 192.0.2.6"]))
    report = tmp_path / "audit.json"
    status, out = run_main(lab_file, server, "--report", "json", str(report), capsys=capsys)
    lines = out.splitlines()
    assert status == 1
    assert lines[-1].startswith("dns-audit FAILED: 1 error(s), 1 warning(s); path axfr; 11 site names, "
                                "4 site addresses; 3 queries in ")
    assert any(line.startswith("dns1: keystone.lab.example.net has A 192.0.2.5; site expects") for line in lines)
    assert lines.index("warnings (the audit does not fail on them):") < \
        next(i for i, line in enumerate(lines) if line.startswith("dns1: legacy.lab.example.net"))
    document = json.loads(report.read_text())
    assert (document["path"], document["counts"], document["exit_status"]) == (
        "axfr", {"error": 1, "warning": 1}, 1)
    assert [(p["code"], p["level"]) for p in document["problems"]] == [
        ("dns_a_record", "error"), ("dns_unknown_name", "warning")]
    assert [(z["kind"], z["zone"], z["path"]) for z in document["zones"]] == [
        ("forward", ZONE, "axfr"), ("reverse", REVERSE, "axfr")]


def test_command_passes_with_warnings_only_and_names_the_path(lab, lab_file, capsys):
    server = ZoneServer(lab_zones(lab, extra=["legacy.lab.example.net. AAAA 2001:db8:10::77"]), transfer=False)
    status, out = run_main(lab_file, server, capsys=capsys)
    assert status == 0
    assert "  zone lab.example.net: per-name (AXFR refused (REFUSED)), 11 records read" in out
    assert out.splitlines()[-1].startswith("dns-audit ok: 0 error(s), 0 warning(s); path per-name; ")


def test_command_stops_at_a_silent_server(lab, lab_file, capsys):
    status, out = run_main(lab_file, ZoneServer(lab_zones(lab), transfer=False, answering=False), capsys=capsys)
    assert status == 1
    assert "[dns_unreachable; DNS from this host to [2001:db8:10::53]:53]" in out


@pytest.mark.parametrize("text, expected", [("2001:db8:10::53", ("2001:db8:10::53", 53)),
                                            ("::1#5353", ("::1", 5353)),
                                            ("[2001:db8::1]#53", ("2001:db8::1", 53))])
def test_server_option_takes_an_ipv6_address_and_port(text, expected):
    address, port = dns_audit.parse_server(text)
    assert (str(address), port) == expected


@pytest.mark.parametrize("text, message", [("192.0.2.53", "is IPv4"), ("dns1", "is no IP address"),
                                           ("::1#0", "is not 1-65535"), ("::1#x", "is not 1-65535")])
def test_server_option_refuses_other_values(text, message):
    with pytest.raises(ValueError, match=message):
        dns_audit.parse_server(text)


def test_help_describes_the_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        dns_audit.main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "--no-axfr" in out and "--report FORMAT FILE" in out and "name by name" in out
