#!/usr/bin/python3
"""Check an OpenStack service's configuration file against the service's own option definitions.

    oslo_check.py --namespace nova.conf --namespace oslo.log ... [--ipv6-address DEFAULT.my_ip ...] FILE...

Every option of the file is looked up among the definitions the namespaces register (oslo.config's
entry points, as oslo-config-generator uses them) and its value is read through oslo.config, so an
unknown section or option and a value of the wrong type (an IPv6 address with brackets where a bare
one is needed, a port out of range) are errors. oslo.config does not judge what a string means, so
two IPv6-only rules are added: each option named with --ipv6-address must be a bare IPv6 literal
(not IPv4, not a wildcard, not bracketed), and every URL host in any value must be a DNS name or a
bracketed IPv6 literal (never IPv4, never an unbracketed IPv6 literal, which oslo cannot parse).
The definitions are loaded once for all the files given.
Exit 1 with one line per problem, 0 when clean. Lines name the option, never a URL's password.
"""
import argparse
import configparser
import copy
import ipaddress
import re
import sys

from oslo_config import cfg, generator

# Sections whose options are registered at run time by a library the service loads (keystoneauth's
# plugin options: username, password, ...), beside those the namespaces define: options the
# namespaces define are judged there, the others are not.
DYNAMIC_SECTIONS = {"keystone_authtoken"}

OWN_OPTIONS = {"config_file", "config_dir"}

# The authority part of every URL in a value (a transport_url may list several, comma-separated).
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\s]*)")


def load(namespaces):
    conf = cfg.ConfigOpts()
    for _namespace, groups in generator._list_opts(namespaces):
        for group, opts in groups:
            name = getattr(group, "name", group) or "DEFAULT"
            for opt in opts:
                # The oslo.config namespace lists the options ConfigOpts registers itself when called.
                if name == "DEFAULT" and opt.dest in OWN_OPTIONS:
                    continue
                # A plugin's required option (auth_url of an auth section) is required only where
                # the service uses that section; the file is judged on what it sets.
                if opt.required:
                    opt = copy.copy(opt)
                    opt.required = False
                try:
                    conf.register_opt(opt, group=None if name == "DEFAULT" else name)
                except cfg.DuplicateOptError:
                    pass
    return conf


def known(conf, section, key):
    if section != "DEFAULT" and section not in conf:
        return None
    for opt_info in (conf._opts if section == "DEFAULT" else conf._groups[section]._opts).values():
        opt = opt_info["opt"]
        if key in [opt.dest, opt.name] + [d.name for d in opt.deprecated_opts if d.name]:
            return opt.dest
    return None


def url_host_problem(authority):
    """What is wrong with one URL authority ([user[:password]@]host[:port]), or None."""
    hostport = authority.rsplit("@", 1)[-1]
    if hostport.startswith("["):
        return None if "]" in hostport else f"{hostport!r} opens a bracket it does not close"
    if hostport.count(":") > 1:
        return (f"{hostport!r} is an unbracketed IPv6 literal, which oslo cannot parse; "
                "write it bracketed, SCHEME://USER:PASSWORD@[2001:db8::11]:PORT/PATH")
    host = hostport.split(":", 1)[0]
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return None
    return f"{host!r} is IPv4; this control plane is IPv6-only: use a DNS name or a bracketed IPv6 literal"


def url_problems(value):
    found = []
    for match in URL.finditer(value):
        for authority in match.group(1).split(","):
            problem = url_host_problem(authority)
            if problem:
                found.append(problem)
    return found


def address_problem(value):
    """What is wrong with an option that must hold a bare IPv6 literal, or None."""
    text = value.strip()
    if text.startswith("[") or text.endswith("]"):
        return f"{text} is bracketed; write the bare literal, e.g. {text.strip('[]')}"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"{text} is not an IP address; write the bare IPv6 literal (::1 behind the edge)"
    if address.version == 4 or address.ipv4_mapped:
        return f"{text} is IPv4; this control plane is IPv6-only: write the bare IPv6 literal (::1 behind the edge)"
    if address.is_unspecified:
        return f"{text} is the wildcard; bind the one IPv6 address the service answers on (::1 behind the edge)"
    return None


def problems(path, namespaces, ipv6_addresses=(), conf=None):
    conf = conf or load(namespaces)
    conf(["--config-file", path], project="check", default_config_files=[])
    raw = configparser.RawConfigParser(strict=False, interpolation=None)
    raw.optionxform = str
    raw.read(path)
    wanted = {tuple(name.split(".", 1)) for name in ipv6_addresses}
    found = []
    for section in ["DEFAULT", *raw.sections()]:
        dynamic = section in DYNAMIC_SECTIONS
        if section != "DEFAULT" and section not in conf and not dynamic:
            found.append(f"{path}: [{section}] is not a section of {', '.join(namespaces)}; "
                         "remove it or correct its name")
            continue
        items = raw.defaults() if section == "DEFAULT" else {
            k: v for k, v in raw.items(section, raw=True) if k not in raw.defaults()}
        for key, value in items.items():
            found.extend(f"{path}: [{section}] {key}: {problem}" for problem in url_problems(value))
            if (section, key) in wanted:
                problem = address_problem(value)
                if problem:
                    found.append(f"{path}: [{section}] {key}: {problem}")
            dest = known(conf, section, key)
            if dest is None:
                if not dynamic:
                    found.append(f"{path}: [{section}] {key} is not an option of {', '.join(namespaces)}; "
                             "remove it or correct its name")
                continue
            try:
                getattr(conf if section == "DEFAULT" else conf[section], dest)
            except (cfg.ConfigFileValueError, ValueError) as error:
                found.append(f"{path}: [{section}] {key}: {error}")
    missing = sorted(wanted - {(s, k) for s in ["DEFAULT", *raw.sections()] for k in
                               (raw.defaults() if s == "DEFAULT" else dict(raw.items(s, raw=True)))})
    found.extend(f"{path}: [{s}] {k} is not set; the service's default is not an IPv6 address the site "
                 "allows: set it to the bare IPv6 literal" for s, k in missing)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespace", action="append", required=True)
    parser.add_argument("--ipv6-address", action="append", default=[], metavar="SECTION.OPTION",
                        help="an option that must hold a bare IPv6 literal (a bind address, my_ip)")
    parser.add_argument("file", nargs="+")
    args = parser.parse_args(argv)
    conf = load(args.namespace)
    found = [line for path in args.file for line in problems(path, args.namespace, args.ipv6_address, conf)]
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
