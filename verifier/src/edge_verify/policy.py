"""The site's verification policy (policy.ipv4_loopback, policy.allowed_listeners), with its defaults.

One accessor, policy_of(site): the loader's `site.policy` (defaults applied by the loader) as a Policy.
"""
from __future__ import annotations

import dataclasses
import ipaddress

DEFAULT_IPV4_LOOPBACK = "allow"


@dataclasses.dataclass(frozen=True)
class AllowedListener:
    """A listener the project does not manage (e.g. sshd on a jump host), allowed with a reason."""
    host: str
    port: int
    process: str
    reason: str
    address: object = None  # ipaddress object, or None for any address

    def matches(self, host_name, listener):
        return (self.host == host_name and self.port == listener.port and self.process == listener.process
                and (self.address is None or self.address == listener.address))


@dataclasses.dataclass(frozen=True)
class Policy:
    ipv4_loopback: str = DEFAULT_IPV4_LOOPBACK   # allow | forbid: 127.0.0.0/8 on lo and listeners on it
    allowed_listeners: tuple = ()

    @property
    def allows_ipv4_loopback(self):
        return self.ipv4_loopback == "allow"

    def allowance(self, host_name, listener):
        """The AllowedListener that covers listener on host_name, or None."""
        return next((a for a in self.allowed_listeners if a.matches(host_name, listener)), None)


def from_mapping(raw):
    raw = raw or {}
    allowed = []
    for item in raw.get("allowed_listeners") or []:
        address = item.get("address")
        allowed.append(AllowedListener(host=item["host"], port=int(item["port"]), process=item["process"],
                                       reason=item["reason"],
                                       address=ipaddress.ip_address(address) if address else None))
    return Policy(ipv4_loopback=raw.get("ipv4_loopback", DEFAULT_IPV4_LOOPBACK), allowed_listeners=tuple(allowed))


def policy_of(site):
    """The Policy of a loaded site (the loader applies the defaults; a site object without one gets them too)."""
    loaded = getattr(site, "policy", None)
    return loaded if isinstance(loaded, Policy) else from_mapping(dict(loaded or {}))
