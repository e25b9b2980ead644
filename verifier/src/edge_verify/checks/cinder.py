"""Cinder's iSCSI target: cinder.conf under the release's option names, the address in the form the target
helper needs, my_ip an address of the host, the portal v6only on the site address, discovery that works.

An unbracketed IPv6 portal makes iscsiadm take `2001:db8::11:3260` whole as the address (port -1):
discovery goes to another host, Cinder gives up and deletes the volume, the VM ends in ERROR. An option
name the release does not have (iscsi_ip_address on zed) is ignored without a word, and the portal falls
back to my_ip, or to 127.0.0.1 on a host without IPv4. The same table lives in
cookbooks/ipv6_cinder/libraries/release.rb.
"""
from __future__ import annotations

import configparser
import dataclasses
import ipaddress
import re

from edge_verify.checks._text import addresses_text, listener_text
from edge_verify.problem import Problem

PIKE = {"address": "iscsi_ip_address", "secondary": "iscsi_secondary_ip_addresses", "port": "iscsi_port",
        "helper": "iscsi_helper", "protocol": "iscsi_protocol"}
QUEENS = {"address": "target_ip_address", "secondary": "iscsi_secondary_ip_addresses", "port": "target_port",
          "helper": "target_helper", "protocol": "target_protocol"}
ANTELOPE = {**QUEENS, "secondary": "target_secondary_ip_addresses"}
RELEASES = {
    "pike": PIKE,
    **{r: QUEENS for r in ("queens", "rocky", "stein", "train", "ussuri", "victoria", "wallaby", "xena", "yoga",
                           "zed")},
    **{r: ANTELOPE for r in ("antelope", "bobcat", "caracal", "dalmatian", "epoxy")},
}
ALL_TARGET_OPTIONS = frozenset(name for family in (PIKE, QUEENS, ANTELOPE) for name in family.values())
BRACKETED_HELPERS = ("tgtadm", "lioadm", "ietadm", "scstadmin")
BARE_HELPERS = ("iscsictl", "cxtadm", "nvmet")
CONF = "/etc/cinder/cinder.conf"


@dataclasses.dataclass(frozen=True)
class CinderConf:
    """cinder.conf as sections of options (DEFAULT included), and the backends it enables."""
    sections: dict

    @property
    def backends(self):
        names = self.sections.get("DEFAULT", {}).get("enabled_backends", "")
        return [n.strip() for n in names.split(",") if n.strip()]

    def get(self, section, name):
        return self.sections.get(section, {}).get(name)


def parse_conf(text):
    """cinder.conf text -> CinderConf (oslo.config reads the same ini syntax)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(text)
    sections = {"DEFAULT": dict(parser.defaults())}
    for name in parser.sections():
        sections[name] = {k: v for k, v in parser[name].items() if k not in parser.defaults()}
    return CinderConf(sections)


def _fix(site):
    return f"services.cinder in {site.source} (release, target_helper) and converge the host"


def _expected_form(address, helper):
    return f"[{address}]" if helper in BRACKETED_HELPERS else str(address)


def target_option_problems(site, host_name, conf, source=f"cat {CONF}"):
    """Each enabled backend sets the release's target address option to a site address of the host, in
    the form the helper needs (bracketed for tgtadm, lioadm, ietadm, scstadmin; bare for the Chelsio target
    and nvmet); code cinder_target_option when the option is missing or wrong, cinder_unbracketed when
    only the brackets are."""
    cinder = site.services["cinder"]
    family = RELEASES[cinder["release"]]
    option = family["address"]
    helper = cinder["target_helper"]
    allowed = list(site.hosts[host_name].addresses)
    forms = [_expected_form(a, helper) for a in allowed]
    expects = f"{option} = {' or '.join(forms)} in each backend (Cinder {cinder['release']}, {helper})"
    found = []
    backends = conf.backends or ["DEFAULT"]
    for backend in backends:
        value = conf.get(backend, option) or conf.get("DEFAULT", option)
        where = f"[{backend}] {option}"
        if value is None:
            found.append(Problem(host_name, "cinder_target_option", f"{where} is not set (the portal falls back "
                                 "to my_ip)", expects, _fix(site), source))
            continue
        value = value.strip()
        if value in forms:
            continue
        bare = value.strip("[]")
        code = "cinder_target_option"
        if value == bare and f"[{bare}]" in forms:
            code = "cinder_unbracketed"
            what = f"{where} = {value} (unbracketed: iscsiadm takes ADDRESS:PORT whole as the address)"
        elif value != bare and bare in forms:
            what = f"{where} = {value} (bracketed; {helper} brackets it again)"
        else:
            what = f"{where} = {value} (not a site address of {host_name})"
        found.append(Problem(host_name, code, what, expects, _fix(site), source))
    return found


def foreign_option_problems(site, host_name, conf, source=f"cat {CONF}"):
    """No target option of another release: Cinder ignores it silently (code cinder_foreign_option)."""
    release = site.services["cinder"]["release"]
    own = set(RELEASES[release].values())
    found = []
    for section, options in sorted(conf.sections.items()):
        for name in sorted(set(options) & (ALL_TARGET_OPTIONS - own)):
            role = next(r for family in (PIKE, QUEENS, ANTELOPE) for r, n in family.items() if n == name)
            right = RELEASES[release][role]
            found.append(Problem(host_name, "cinder_foreign_option",
                                 f"[{section}] {name} = {options[name]} (Cinder {release} has no {name}; "
                                 "it is ignored)",
                                 f"{right} (the name in Cinder {release})", _fix(site), source))
    return found


def my_ip_problems(site, host_name, conf, configured, source=f"cat {CONF}; ip -o addr"):
    """my_ip is set, bare, one of the host's site addresses and configured on it (code cinder_my_ip):
    unset, Cinder uses 127.0.0.1 on a host without IPv4, and every default built from $my_ip with it."""
    allowed = list(site.hosts[host_name].addresses)
    expects = f"my_ip = one of {addresses_text(allowed)}, bare, configured on {host_name}"
    value = conf.get("DEFAULT", "my_ip")
    if value is None:
        return [Problem(host_name, "cinder_my_ip", "my_ip is not set (Cinder falls back to 127.0.0.1)", expects,
                        _fix(site), source)]
    try:
        address = ipaddress.IPv6Address(value.strip())
    except ValueError:
        return [Problem(host_name, "cinder_my_ip", f"my_ip = {value} (not a bare IPv6 address)", expects,
                        _fix(site), source)]
    if address not in allowed:
        return [Problem(host_name, "cinder_my_ip", f"my_ip = {value} (not a site address of {host_name})",
                        expects, f"hosts.{host_name}.addresses in {site.source}", source)]
    if address not in {a.address for a in configured}:
        return [Problem(host_name, "address_not_configured", f"my_ip = {value} is not configured on {host_name}",
                        expects, f"the host's network configuration ({host_name})", source)]
    return []


def portal_listener_problems(site, host_name, listeners, source="ss -Hltnuep"):
    """The target listens on target_port only on the host's site addresses, each v6only, and on each of
    them (codes listener_missing, and the host codes for a wildcard or IPv4 listener on the port)."""
    port = site.services["cinder"]["target_port"]
    allowed = list(site.hosts[host_name].addresses)
    expects = f"the iSCSI portal on {', '.join(f'[{a}]:{port}' for a in allowed)} only, v6only"
    fix = f"the target's bind address on {host_name} (converge: ipv6_cinder binds tgtd to the portals)"
    on_port = [listener for listener in listeners if listener.proto == "tcp" and listener.port == port]
    found = []
    for listener in on_port:
        address = listener.address
        if address.version == 4:
            code = "ipv4"
        elif address.ipv4_mapped is not None:
            code = "ipv4_mapped"
        elif address.is_unspecified:
            code = "dual_stack" if listener.v6only is not True else "not_site_address"
        elif listener.v6only is not True:
            code = "not_v6only"
        elif address not in allowed:
            code = "not_site_address"
        else:
            continue
        found.append(Problem(host_name, code, f"{listener_text(listener)} ({code.replace('_', ' ')})", expects,
                             fix, f"{source} on {host_name}"))
    listening = {listener.address for listener in on_port if listener.v6only is True}
    for address in allowed:
        if address not in listening:
            found.append(Problem(host_name, "listener_missing", f"nothing listens v6only on [{address}]:{port}",
                                 expects, fix, f"{source} on {host_name}"))
    return found


DISCOVERED = re.compile(r"^Target:(?P<iqn>\S+)\s+Portal:(?P<portal>\S+?)(?:,(?P<tpgt>\d+))?\s*$")


def parse_iscsi_ls(text):
    """libiscsi's `iscsi-ls -s URL` output -> [(iqn, portal)], portal as printed ([addr]:port)."""
    found = []
    for line in text.splitlines():
        match = DISCOVERED.match(line.strip())
        if match:
            found.append((match["iqn"], match["portal"]))
    return found


def discovery_problems(site, client, status, output, source):
    """A SendTargets discovery of the site portal from the client lists at least one target, each on the
    site portal (code iscsi_discovery)."""
    cinder = site.services["cinder"]
    address = site.hosts[cinder["host"]].addresses[0]
    portal = f"[{address}]:{cinder['target_port']}"
    expects = f"SendTargets discovery of {portal} from {client} to list targets on {portal}"
    fix = f"the target on {cinder['host']} (tgtd running, bound to {portal}) and services.cinder in {site.source}"
    targets = parse_iscsi_ls(output)
    if status != 0 or not targets:
        detail = output.strip().splitlines()[-1] if output.strip() else "no output"
        return [Problem(client, "iscsi_discovery", f"discovery of {portal} gave no target (exit {status}: "
                        f"{detail})", expects, fix, source)]
    wrong = [f"{iqn} on {p}" for iqn, p in targets if p != portal]
    if wrong:
        return [Problem(client, "iscsi_discovery", f"discovery lists {', '.join(wrong)}", expects, fix, source)]
    return []
