"""Host checks: no IPv4 address, no socket IPv4 can reach, listeners only on the site's addresses.

The host is wrong here, not the site: the fix names the host (or the converge that restores it).
"""
from __future__ import annotations

from edge_verify.checks._text import LOOPBACK, addresses_text, listener_text
from edge_verify.policy import Policy
from edge_verify.problem import Problem

DEFAULT_POLICY = Policy()


def _ipv4_loopback_allowed(address, policy):
    address = getattr(address, "ipv4_mapped", None) or address
    return address.version == 4 and address.is_loopback and policy.allows_ipv4_loopback


def ipv4_address_problems(site, host_name, addresses, policy=DEFAULT_POLICY):
    """Every IPv4 address on the host; 127.0.0.0/8 on lo only when policy.ipv4_loopback is forbid."""
    allowed = addresses_text(site.hosts[host_name].addresses)
    expects = f"only IPv6 ({allowed})" + (", and 127.0.0.0/8 on lo" if policy.allows_ipv4_loopback else "")
    found = []
    for a in addresses:
        if a.address.version != 4 or (a.ifname == "lo" and _ipv4_loopback_allowed(a.address, policy)):
            continue
        fix = f"the host: `ip address del {a.interface} dev {a.ifname}` and its network configuration"
        if a.address.is_loopback:
            fix += f" (or set policy.ipv4_loopback: allow in {site.source})"
        found.append(Problem(host_name, "ipv4", f"{a.interface} on {a.ifname} (IPv4)", expects, fix,
                             f"ip -o addr on {host_name}"))
    return found


def _code(listener, allowed, policy):
    """The problem code of a listener, or None when it is v6-only on an allowed address."""
    address = listener.address
    if _ipv4_loopback_allowed(address, policy):
        return None
    if address.version == 4:
        return "ipv4"
    if address.ipv4_mapped is not None:
        return "ipv4_mapped"
    if address.is_unspecified and listener.v6only is not True:
        return "dual_stack"
    if listener.v6only is not True:
        return "not_v6only"
    if address not in allowed:
        return "not_site_address"
    return None


_FOUND = {"ipv4": "IPv4", "ipv4_mapped": "IPv4-mapped", "dual_stack": "dual-stack, takes IPv4",
          "not_v6only": "not v6only"}


def _listener_problems(site, host_name, listeners, policy, codes):
    allowed = list(site.hosts[host_name].addresses) + [LOOPBACK]
    expects = f"listeners only on {addresses_text(allowed)}, v6only"
    found = []
    for listener in listeners:
        code = _code(listener, allowed, policy)
        if code not in codes or policy.allowance(host_name, listener):
            continue
        reason = _FOUND.get(code) or ("any address" if listener.address.is_unspecified else "not a site address")
        found.append(Problem(host_name, code, f"{listener_text(listener)} ({reason})", expects,
                             f"the bind address of {listener.process or 'the service'} on {host_name} "
                             f"(or list it in policy.allowed_listeners of {site.source} with a reason)",
                             f"ss -Hltnuep on {host_name}"))
    return found


IPV4_CODES = ("ipv4", "ipv4_mapped", "dual_stack")
ALL_CODES = IPV4_CODES + ("not_v6only", "not_site_address")


def ipv4_listener_problems(site, host_name, listeners, policy=DEFAULT_POLICY):
    """Every socket IPv4 clients can reach: IPv4, IPv4-mapped, or a dual-stack wildcard (`*:P`)."""
    return _listener_problems(site, host_name, listeners, policy, IPV4_CODES)


def listener_problems(site, host_name, listeners, policy=DEFAULT_POLICY):
    """Every socket that is not v6only on one of the host's site addresses or ::1."""
    return _listener_problems(site, host_name, listeners, policy, ALL_CODES)
