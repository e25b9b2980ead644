"""How addresses and listeners read in problems."""
from __future__ import annotations

import ipaddress

LOOPBACK = ipaddress.IPv6Address("::1")


def address_text(address):
    """An address as people read it: an IPv4-mapped one keeps its IPv4 form (::ffff:192.0.2.5)."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped else str(address)


def addresses_text(addresses):
    return ", ".join(address_text(a) for a in addresses) or "nothing"


def listener_text(listener):
    who = listener.process or f"{listener.proto} socket"
    if listener.process and listener.proto != "tcp":
        who = f"{listener.process} ({listener.proto})"
    return f"{who} on {listener.local or listener.address}"
