"""Pure parsers for the text the probes collect: ss, ip, /proc/net/if_inet6, getent, PEM, DNS."""
from __future__ import annotations

import dataclasses
import ipaddress
import re

import dns.rcode
import dns.rdatatype
from cryptography import x509

_PROCESS_RE = re.compile(r'users:\(\("([^"]+)"')
_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
_STATE_PROTO = {"LISTEN": "tcp", "UNCONN": "udp"}
_IF_INET6_SCOPES = {0x00: "global", 0x10: "host", 0x20: "link", 0x40: "site"}


@dataclasses.dataclass(frozen=True)
class Listener:
    """One listening socket from `ss -Hltnue` (optionally with -p)."""
    proto: str          # tcp or udp
    address: object     # ipaddress.IPv4Address or IPv6Address; `*` gives IPv6 :: with v6only False
    port: int
    v6only: object      # True/False for IPv6 sockets, None for IPv4 ones
    raw: str
    local: str = ""     # the local column as ss printed it, e.g. "*:5672", "[::1]:8000"
    interface: str = ""  # from "%eth0" when the socket is bound to a device
    process: str = ""   # from users:(("name",...)) when ss ran with -p

    @property
    def accepts_ipv4(self):
        """IPv4 clients can reach it: an IPv4 socket, an IPv4-mapped one, or a dual-stack wildcard."""
        if self.address.version == 4:
            return True
        if self.address.ipv4_mapped is not None:
            return True
        return self.address.is_unspecified and self.v6only is not True


def parse_ss(text):
    """Listeners from `ss -Hltnue`, `ss -Hlunue` or `ss -Hltnuep` output (numeric ports required)."""
    return [_parse_ss_line(line) for line in text.splitlines() if line.strip()]


def _parse_ss_line(line):
    fields = line.split()
    if fields[0] in _STATE_PROTO:  # a single protocol was asked for: no Netid column
        proto = _STATE_PROTO[fields[0]]
    else:
        proto = fields.pop(0)
    local, extras = fields[3], fields[5:]
    host, _, port = local.rpartition(":")
    interface = ""
    if "%" in host:
        host, interface = host.split("%", 1)
    if not port.isdigit():
        raise ValueError(f"ss printed a service name instead of a port (run it with -n): {line!r}")
    if host == "*":
        address = ipaddress.IPv6Address("::")
    else:
        address = ipaddress.ip_address(host.strip("[]"))
    v6only = None
    process = ""
    for extra in extras:
        if extra.startswith("v6only:"):
            v6only = extra == "v6only:1"
    match = _PROCESS_RE.search(line)
    if match:
        process = match.group(1)
    if host == "*" and v6only is None:
        v6only = False
    return Listener(proto=proto, address=address, port=int(port), v6only=v6only, raw=line.rstrip(),
                    local=local, interface=interface, process=process)


@dataclasses.dataclass(frozen=True)
class InterfaceAddress:
    """One address configured on an interface."""
    ifname: str
    interface: object   # ipaddress.IPv4Interface or IPv6Interface (address with prefix)
    scope: str          # global, host, link, site
    raw: str

    @property
    def address(self):
        return self.interface.ip


def parse_ip_addr(text):
    """Addresses from `ip -o addr` (one line per address)."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        ifname = fields[1].split("@", 1)[0]
        family, literal = fields[2], fields[3]
        if family not in ("inet", "inet6"):
            continue
        scope = fields[fields.index("scope") + 1] if "scope" in fields else ""
        found.append(InterfaceAddress(ifname, ipaddress.ip_interface(literal), scope, line.rstrip()))
    return found


def parse_if_inet6(text):
    """IPv6 addresses from /proc/net/if_inet6."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        hexaddr, _index, prefix, scope, _flags, ifname = line.split()
        addr = ipaddress.IPv6Address(int(hexaddr, 16))
        scope_name = _IF_INET6_SCOPES.get(int(scope, 16), scope)
        found.append(InterfaceAddress(ifname, ipaddress.IPv6Interface(f"{addr}/{int(prefix, 16)}"),
                                      scope_name, line.rstrip()))
    return found


def parse_getent(text):
    """Distinct addresses, in order, from `getent hosts|ahosts|ahostsv4|ahostsv6 NAME` output."""
    found = []
    for line in text.splitlines():
        if line.strip():
            addr = ipaddress.ip_address(line.split()[0])
            if addr not in found:
                found.append(addr)
    return found


def parse_resolve_script(text):
    """{(database, name): (getent exit status, [addresses])} from probes.resolve's script output."""
    found = {}
    key, lines = None, []
    for line in text.splitlines():
        if line.startswith("== rc "):
            if key is not None:
                found[key] = (int(line[len("== rc "):]), parse_getent("\n".join(lines)))
            key, lines = None, []
        elif line.startswith("== "):
            database, _, name = line[3:].partition(" ")
            key, lines = (database, name), []
        else:
            lines.append(line)
    return found


def parse_stat(text):
    """{path: (file type, owner, mode as int)} from `stat -c '%F|%U|%a|%n' PATHS`."""
    found = {}
    for line in text.splitlines():
        if line.count("|") >= 3:
            kind, owner, mode, path = line.split("|", 3)
            found[path] = (kind, owner, int(mode, 8))
    return found


def load_pem_chain(data):
    """Every certificate in a PEM text (str or bytes), in file order; ValueError when there is none."""
    if isinstance(data, str):
        data = data.encode()
    blocks = _PEM_RE.findall(data)
    if not blocks:
        raise ValueError("no PEM certificate found")
    return [x509.load_pem_x509_certificate(block) for block in blocks]


@dataclasses.dataclass(frozen=True)
class DnsAnswer:
    """What a DNS server said about one name and record type."""
    name: str
    rdtype: str         # "A" or "AAAA"
    rcode: str          # "NOERROR", "NXDOMAIN", "SERVFAIL", ...
    addresses: list     # ipaddress objects from the answer section

    @property
    def status(self):
        """ANSWER, NODATA (name exists, no record of the type), NXDOMAIN, or another rcode."""
        if self.rcode == "NOERROR":
            return "ANSWER" if self.addresses else "NODATA"
        return self.rcode


def parse_dns_answer(message, rdtype):
    """A DnsAnswer from a dnspython response message for a query of rdtype ("A" or "AAAA")."""
    wanted = dns.rdatatype.from_text(rdtype)
    addresses = []
    for rrset in message.answer:
        if rrset.rdtype == wanted:
            addresses.extend(ipaddress.ip_address(rdata.address) for rdata in rrset)
    name = message.question[0].name.to_text(omit_final_dot=True) if message.question else ""
    return DnsAnswer(name=name, rdtype=rdtype, rcode=dns.rcode.to_text(message.rcode()), addresses=addresses)
