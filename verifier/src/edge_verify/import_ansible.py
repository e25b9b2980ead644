"""`edge-verify import-ansible`: a site file skeleton from an Ansible inventory (INI or YAML).

    edge-verify import-ansible INVENTORY [-o SITE.yml [--force]] [--zone ZONE] [--role-map GROUP=ROLE ...]

For operators moving a fleet from Ansible to Chef. The inventory is read here, without Ansible:
groups, children, group and host variables (inline, in YAML, and in group_vars/ and host_vars/ beside
the file), host ranges such as cmp[1:3]. It writes what the inventory can say of each host, sorted
by name, to SITE.yml (or stdout):

  hosts.H            the inventory hostname (a name with dots gives H = its first label, fqdn = the name)
  hosts.H.addresses  the variable ipv6_address (an address or a list of them) when it is set, else
                     ansible_host, else the inventory hostname when it is an IPv6 literal; canonical
                     form, brackets removed. Names are never resolved.
  hosts.H.roles      every group the host is in (through children too) that names a role (controller,
                     compute, dns, ops: the Policyfile's named run lists), or that --role-map maps to one
  hosts.H.fqdn       H.ZONE with --zone (or the inventory hostname, when it has dots)
  dns.zone, .server  --zone; the host with the dns role, when there is exactly one

What it cannot say (name, pki.ca_bundle, and dns.zone and the fqdns without --zone) is left as a
commented line to fill in; the header lists every message `edge-verify check-site` gives for the
file as written.

A host the site cannot take as it is, is flagged: a warning on stderr naming the host and the
inventory line and variable, and the host written with the inventory's value, so that the site loader
refuses the file with its usual message until the operator fixes it (nothing is dropped):
  ipv4                     the only address is IPv4 (ansible_host=192.0.2.10): written under addresses
  inventory_name_only      ansible_host (or the hostname) is a DNS name: written under addresses
  inventory_bad_address    ipv6_address or ansible_host is no global IPv6 literal (link-local, loopback,
                           a number YAML read from an unquoted value, an address of another host)
  inventory_no_role        no group of the host maps to a role: written with roles: []
  inventory_bad_name       the hostname is no site host name (an address, upper case, underscores, two
                           hosts with one short name, outside --zone): written as it is
A dual-stack host (ansible_host=192.0.2.11 ipv6_address=2001:db8::11) is not flagged: the IPv6
address is taken and the IPv4 one noted in a comment. Groups that map to no role are reported on
stderr (inventory_unknown_group) and in the header; they do not change the exit status.

Exit status: 0 every host imported, 1 a host was flagged, 2 the inventory cannot be read (one line).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

import yaml

from edge_verify import inventory as inventory_mod
from edge_verify import site as site_mod
from edge_verify.problem import Problem

PROG = "edge-verify import-ansible"
ROLES = tuple(site_mod.SCHEMA["properties"]["hosts"]["additionalProperties"]["properties"]["roles"]["items"]["enum"])
ADDRESS_VAR = "ipv6_address"
CONNECT_VAR = "ansible_host"
FLAG_CODES = ("ipv4", "inventory_name_only", "inventory_bad_address", "inventory_no_role", "inventory_bad_name")
_NAME_LIKE = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_ADDRESS_TEXT = re.compile(r"[0-9A-Za-z:.%_-]+")
FILL = {  # what each key left to fill takes, written beside it
    "name": "the site's name, lower-case letters, digits and '-'",
    "pki.ca_bundle": "the absolute path of the organisation's CA bundle, the CAs clients trust",
    "dns.zone": "the DNS zone of the hosts (or run again with --zone ZONE)",
    "dns.server": "the host with the dns role that serves the zone",
    "fqdn": "the host's name inside dns.zone (or run again with --zone ZONE)",
}
TO_FILL = "(to fill)"


@dataclasses.dataclass
class Entry:
    """One site host as imported."""
    key: str
    inventory_name: str
    fqdn: str | None
    roles: list
    addresses: list  # canonical IPv6 text, or the inventory's value where the host is flagged
    address_source: str = ""  # where the addresses are written in the inventory, and the variable
    notes: list = dataclasses.field(default_factory=list)  # comment lines written above the host's keys


@dataclasses.dataclass
class Result:
    text: str  # the skeleton, header included
    entries: dict  # key -> Entry, sorted
    problems: list  # Problem: the flagged hosts, then the groups not imported
    verdict: list  # site.Problem: what the site loader says of the skeleton as written

    @property
    def flagged(self):
        """The hosts with an error-level problem (groups not imported are warnings)."""
        return sorted({p.host for p in self.problems if p.level == "error"})


def show(value):
    """A value from the inventory on one line, for messages and comments."""
    if isinstance(value, str) and _ADDRESS_TEXT.fullmatch(value):
        return value
    return json.dumps(value if isinstance(value, str) else site_mod.show(value), ensure_ascii=False)


def classify(value):
    """(canonical IPv6 text, None) for a usable address; else (None, code) with code ipv4, name, type or one
    of the site loader's address classes (link_local, loopback, not_an_address, ...)."""
    if not isinstance(value, str):
        return None, "type"
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    code = site_mod.address_class(text.split("%", 1)[0])
    if code is None and "%" not in text:
        return site_mod.canonical_address(text), None
    if code == "not_an_address" and ":" not in text and _NAME_LIKE.fullmatch(text) and \
            not re.fullmatch(r"[0-9.]+", text):
        return None, "name"
    return None, code or "not_an_address"


def _what(code, value):
    if code == "type":
        return f"{site_mod.describe(value)}, not an address (quote it: YAML reads an unquoted address as a number)"
    if code == "not_an_address":
        return f"{show(value)}, not an IPv6 literal"
    return f"{show(value)} ({code.replace('_', '-')})"


class Importer:
    def __init__(self, inventory, zone=None, role_map=None, target="the skeleton"):
        self.inventory = inventory
        self.zone = zone
        self.role_map = {role: [role] for role in ROLES}
        self.role_map.update(role_map or {})
        self.target = target
        self.problems = []

    def flag(self, entry, code, found, expects, fix, where):
        self.problems.append(Problem(entry.key, code, found, expects, fix, str(where)))

    # ------------------------------------------------------------ per host

    def keys(self):
        """inventory hostname -> (site key, fqdn from the name or None, problem text or None), collisions
        left under the full name."""
        taken, out = {}, {}
        for name in sorted(self.inventory.hosts):
            if inventory_mod.is_ip(name):
                out[name] = (name, None, "is an address, not a name")
                continue
            short, dot, _ = name.partition(".")
            fqdn = name if dot else None
            if short in taken:
                out[name] = (name, fqdn, f"has the short name {short} of the inventory host {taken[short]}")
                continue
            taken[short] = name
            problem = None if site_mod.name_ok(short) else "is not a site host name"
            if problem is None and fqdn and not site_mod.dns_name_ok(fqdn):
                problem = "is not a DNS name in lower case"
            if problem is None and fqdn and self.zone and not fqdn.endswith("." + self.zone):
                problem = f"is outside the zone {self.zone}"
            out[name] = (short, fqdn, problem)
        return out

    def entry(self, name, key, fqdn, name_problem):
        host = self.inventory.hosts[name]
        variables = self.inventory.host_vars(name)
        if fqdn is None and self.zone and site_mod.name_ok(key):
            fqdn = f"{key}.{self.zone}"
        entry = Entry(key, name, fqdn, [], [])
        if name_problem:
            self.flag(entry, "inventory_bad_name", f"the inventory hostname {show(name)} {name_problem}",
                      "each host under its short name, lower-case letters, digits and '-' (the Chef node name), "
                      "with an fqdn inside dns.zone",
                      f"hosts.{key} in {self.target} (rename it), or the hostname in the inventory", host.where)
        self.roles_of(entry, host)
        self.addresses_of(entry, host, variables)
        return entry

    def roles_of(self, entry, host):
        groups = sorted(self.inventory.groups_of(host.name) - set(inventory_mod.IMPLICIT_GROUPS))
        roles = {role for group in groups for role in self.role_map.get(group, ())}
        entry.roles = [role for role in ROLES if role in roles]
        if not entry.roles:
            self.flag(entry, "inventory_no_role",
                      f"in no group that maps to a role (groups: {', '.join(groups) or 'none'})",
                      f"each host in a group named {', '.join(ROLES[:-1])} or {ROLES[-1]}, or mapped to one",
                      f"--role-map GROUP=ROLE, or hosts.{entry.key}.roles in {self.target}", host.where)

    def addresses_of(self, entry, host, variables):
        given = variables.get(ADDRESS_VAR)
        connect = variables.get(CONNECT_VAR)
        if connect is not None:
            connect_value, connect_what, connect_where = connect.value, CONNECT_VAR, connect.where
        else:
            connect_value, connect_what, connect_where = host.name, "the inventory hostname", host.where
        fix = f"hosts.{entry.key}.addresses in {self.target}, or {ADDRESS_VAR} of {host.name} in the inventory"
        expects = "a global IPv6 address for every host (the site is IPv6-only)"
        if given is not None:
            entry.address_source = f"{given.where}, {ADDRESS_VAR}"
            values = given.value if isinstance(given.value, list) else [given.value]
            if not values:
                entry.addresses = []
                self.flag(entry, "inventory_bad_address", f"{ADDRESS_VAR} is an empty list", expects, fix, given.where)
                return
            for value in values:
                canonical, code = classify(value)
                if canonical is not None:
                    if canonical not in entry.addresses:
                        entry.addresses.append(canonical)
                    continue
                entry.addresses.append(value)
                self.flag(entry, "ipv4" if code == "ipv4" else "inventory_bad_address",
                          f"{ADDRESS_VAR} {_what(code, value)}", expects, fix, entry.address_source)
            if connect is not None:
                canonical, code = classify(connect.value)
                if code == "ipv4":
                    entry.notes.append(f"{CONNECT_VAR} {show(connect.value)} ({connect.where}) is IPv4: not imported")
                elif canonical is not None and canonical not in entry.addresses:
                    entry.notes.append(f"{CONNECT_VAR} {canonical} ({connect.where}) is not in {ADDRESS_VAR}: "
                                       "add it if the host's services use it")
            return
        source = entry.address_source = f"{connect_where}, {connect_what}"
        canonical, code = classify(connect_value)
        if canonical is not None:
            entry.addresses = [canonical]
            return
        entry.addresses = [connect_value]
        if code == "ipv4":
            self.flag(entry, "ipv4", f"{connect_what} {show(connect_value)} is IPv4, and no {ADDRESS_VAR} is set",
                      expects, fix, source)
        elif code == "name":
            self.flag(entry, "inventory_name_only",
                      f"{connect_what} {show(connect_value)} is a name (not resolved), and no {ADDRESS_VAR} is set",
                      expects, fix, source)
        else:
            self.flag(entry, "inventory_bad_address", f"{connect_what} {_what(code, connect_value)}", expects, fix,
                      source)

    # ------------------------------------------------------------ the site

    def duplicates(self, entries):
        owners = {}
        for entry in entries.values():
            for address in entry.addresses:
                if not isinstance(address, str) or classify(address)[0] != address:
                    continue
                if address in owners:
                    self.flag(entry, "inventory_bad_address", f"{address} is also the address of {owners[address]}",
                              "each address on one host only",
                              f"hosts.{entry.key}.addresses in {self.target}, or the host's address in the inventory",
                              entry.address_source)
                else:
                    owners[address] = entry.key

    def unknown_groups(self):
        for name in sorted(set(self.inventory.groups) - set(inventory_mod.IMPLICIT_GROUPS) - set(self.role_map)):
            group = self.inventory.groups[name]
            members = self.inventory.members(name)
            self.problems.append(Problem(
                f"group {name}", "inventory_unknown_group",
                f"maps to no role (hosts: {', '.join(members) or 'none'})",
                f"groups named {', '.join(ROLES[:-1])} or {ROLES[-1]}, or mapped with --role-map",
                f"--role-map {name}=ROLE to import it as a role; else nothing: the group is not imported",
                str(group.where or inventory_mod.Where(self.inventory.source))))

    def run(self):
        entries = {}
        for name, (key, fqdn, problem) in self.keys().items():
            entries[key] = self.entry(name, key, fqdn, problem)
        entries = dict(sorted(entries.items()))
        self.duplicates(entries)
        self.unknown_groups()
        body = self.render(entries)
        verdict = site_mod.problems(site_mod.load_text(body, self.target))
        flags = sorted((p for p in self.problems if p.level == "error"), key=lambda p: (p.host, p.code, p.found))
        groups = [p for p in self.problems if p.level != "error"]
        return Result(self.header(verdict, groups) + body, entries, flags + groups, verdict)

    def dns_server(self, entries):
        servers = [e.key for e in entries.values() if "dns" in e.roles]
        return (servers[0], None) if len(servers) == 1 else (None, servers)

    def header(self, verdict, groups):
        lines = [f"# Site skeleton of the Ansible inventory {self.inventory.source} ({PROG}).",
                 f"# Addresses from {ADDRESS_VAR}, else {CONNECT_VAR}, else the hostname when it is an IPv6 literal;",
                 "# roles from the groups named after them or mapped with --role-map. Names were not resolved.",
                 "#"]
        if verdict:
            lines.append("# `edge-verify check-site` refuses this file until each of these is dealt with:")
            lines += [f"#   {problem.message}" for problem in verdict]
        else:
            lines.append("# `edge-verify check-site` accepts this file as it is.")
        if groups:
            lines += ["#", "# Groups not imported (they map to no role; --role-map GROUP=ROLE to import one):"]
            for problem in groups:
                name = problem.host.removeprefix("group ")
                lines.append(f"#   {name} ({problem.source}): {', '.join(self.inventory.members(name)) or 'no host'}")
        if self.inventory.unread:
            lines += ["#", "# Not read (vault-encrypted; decrypt a copy to import its variables):"]
            lines += [f"#   {where}" for where in self.inventory.unread]
        return "\n".join(lines) + "\n\n"

    def render(self, entries):
        out = [f"# name:  {TO_FILL} {FILL['name']}"]
        server, candidates = self.dns_server(entries)
        dns = []
        dns.append(f"  zone: {scalar(self.zone)}" if self.zone else f"  # zone:  {TO_FILL} {FILL['dns.zone']}")
        if server:
            dns.append(f"  server: {scalar(server)}")
        else:
            which = f" (one of {', '.join(candidates)})" if candidates else " (no host has the dns role)"
            dns.append(f"  # server:  {TO_FILL} {FILL['dns.server']}{which}")
        if all(line.lstrip().startswith("#") for line in dns):
            out += ["# dns:"] + [f"#   {line.strip().removeprefix('# ')}" for line in dns]
        else:
            out += ["dns:"] + dns
        out += ["# pki:", f"#   ca_bundle:  {TO_FILL} {FILL['pki.ca_bundle']}", "hosts:"]
        for entry in entries.values():
            out.append(f"  {scalar(entry.key)}:")
            out += [f"    # {note}" for note in entry.notes]
            out.append(f"    fqdn: {scalar(entry.fqdn)}" if entry.fqdn else f"    # fqdn:  {TO_FILL} {FILL['fqdn']}")
            out.append(f"    roles: [{', '.join(entry.roles)}]")
            out.append(f"    addresses: [{', '.join(address_scalar(a) for a in entry.addresses)}]")
        return "\n".join(out) + "\n"


def scalar(value):
    """A YAML scalar that reads back as the same string."""
    if _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def address_scalar(value):
    """An address as the site files write them ('2001:db8::11'); a value that is not text as YAML reads it."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    text = value if isinstance(value, str) else show(value)
    return f"'{text}'" if _ADDRESS_TEXT.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def role_map_item(text):
    group, equals, role = text.partition("=")
    if not equals or not group:
        raise argparse.ArgumentTypeError(f"{text!r} is not GROUP=ROLE")
    if role not in ROLES:
        raise argparse.ArgumentTypeError(f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    return group, role


def zone_value(text):
    if not site_mod.dns_name_ok(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a DNS name (lower-case labels, no trailing dot)")
    return text


def parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inventory", metavar="INVENTORY", help="the Ansible inventory file (INI, or YAML by "
                        "its .yml/.yaml/.json extension or its content)")
    parser.add_argument("-o", "--output", metavar="SITE.yml", help="write the skeleton here (default: stdout)")
    parser.add_argument("--force", action="store_true", help="let -o replace a file that exists")
    parser.add_argument("--zone", type=zone_value, help="the DNS zone: dns.zone, and each host's fqdn NAME.ZONE")
    parser.add_argument("--role-map", type=role_map_item, action="append", default=[], metavar="GROUP=ROLE",
                        help=f"import the hosts of GROUP with ROLE ({', '.join(ROLES)}); repeatable, and a group may "
                             "get several roles. A group named after a role has that role unless mapped here")
    return parser


def main(argv):
    args = parser().parse_args(argv)
    role_map = {}
    for group, role in args.role_map:
        role_map.setdefault(group, [])
        if role not in role_map[group]:
            role_map[group].append(role)
    target = args.output or "the skeleton"
    try:
        inventory = inventory_mod.load(args.inventory)
        if args.output and Path(args.output).exists() and not args.force:
            raise inventory_mod.InventoryError(f"{args.output}: exists; give another -o, or --force to replace it")
        unknown = sorted(set(role_map) - set(inventory.groups))
        if unknown:
            raise inventory_mod.InventoryError(f"--role-map {unknown[0]}=...: {args.inventory} has no group "
                                               f"{unknown[0]}; its groups: {', '.join(sorted(inventory.groups))}")
        result = Importer(inventory, zone=args.zone, role_map=role_map, target=target).run()
        if args.output:
            Path(args.output).write_text(result.text, encoding="utf-8")
        else:
            sys.stdout.write(result.text)
    except inventory_mod.InventoryError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{PROG}: {error.filename or args.output}: {error.strerror}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for where in inventory.unread:
        print(f"warning: {where}: vault-encrypted, not read: its variables are not imported", file=sys.stderr)
    flagged = result.flagged
    print(f"{PROG}: {len(result.entries)} hosts from {args.inventory} to {args.output or 'stdout'}, "
          f"{len(flagged)} flagged{': ' + ', '.join(flagged) if flagged else ''}; "
          f"check-site gives {len(result.verdict)} messages (in the header)", file=sys.stderr)
    return 1 if flagged else 0
