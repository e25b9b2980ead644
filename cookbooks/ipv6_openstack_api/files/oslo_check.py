#!/usr/bin/python3
"""Check an OpenStack service's configuration file against the service's own option definitions.

    oslo_check.py --namespace keystone --namespace oslo.cache ... FILE

Every option of the file is looked up among the definitions the namespaces register (oslo.config's
entry points, as oslo-config-generator uses them) and its value is read through oslo.config, so an
unknown section or option and a value of the wrong type (an IPv6 address with brackets where a bare
one is needed, a port out of range) are errors. Exit 1 with one line per problem, 0 when clean.
"""
import argparse
import configparser
import sys

from oslo_config import cfg, generator

# Sections whose options are registered at run time by a library the service loads (not through a
# namespace): their contents are not judged.
DYNAMIC_SECTIONS = {"keystone_authtoken"}


def load(namespaces):
    conf = cfg.ConfigOpts()
    for _namespace, groups in generator._list_opts(namespaces):
        for group, opts in groups:
            name = getattr(group, "name", group) or "DEFAULT"
            for opt in opts:
                try:
                    conf.register_opt(opt, group=None if name == "DEFAULT" else name)
                except cfg.DuplicateOptError:
                    pass
    return conf


def known(conf, section, key):
    group = conf if section == "DEFAULT" else conf[section] if section in conf else None
    if group is None:
        return None
    names = {key}
    for opt_info in (conf._opts if section == "DEFAULT" else conf._groups[section]._opts).values():
        opt = opt_info["opt"]
        if key in [opt.dest, opt.name] + [d.name for d in opt.deprecated_opts if d.name]:
            return opt.dest
    del names
    return None


def problems(path, namespaces):
    conf = load(namespaces)
    conf(["--config-file", path], project="check", default_config_files=[])
    raw = configparser.RawConfigParser(strict=False, interpolation=None)
    raw.optionxform = str
    raw.read(path)
    found = []
    for section in ["DEFAULT", *raw.sections()]:
        if section != "DEFAULT" and section not in conf and section not in DYNAMIC_SECTIONS:
            found.append(f"{path}: [{section}] is not a section of {', '.join(namespaces)}")
            continue
        if section in DYNAMIC_SECTIONS:
            continue
        items = raw.defaults() if section == "DEFAULT" else {
            k: v for k, v in raw.items(section, raw=True) if k not in raw.defaults()}
        for key in items:
            dest = known(conf, section, key)
            if dest is None:
                found.append(f"{path}: [{section}] {key} is not an option of {', '.join(namespaces)}")
                continue
            try:
                getattr(conf if section == "DEFAULT" else conf[section], dest)
            except (cfg.ConfigFileValueError, ValueError) as error:
                found.append(f"{path}: [{section}] {key}: {error}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespace", action="append", required=True)
    parser.add_argument("file")
    args = parser.parse_args(argv)
    found = problems(args.file, args.namespace)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
