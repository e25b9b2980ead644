"""Check a staged cinder.conf with the option definitions of the Cinder installed on this host.

Usage: /usr/bin/python3 check_cinder_conf.py --release zed --backend lvm FILE

oslo-config-validator only looks at option names; it never parses values, so
`my_ip = [2001:db8::11]` or `target_port = 99999` pass it. This script
registers Cinder's own options (cinder.opts, plus the oslo libraries cinder.conf
uses), parses FILE with them and reads every option of every group, so a value
of the wrong type or out of range fails here, before the file replaces the live
one. It also fails on:
  - a key no registered option (or deprecated name) reads: Cinder ignores it;
  - a target option of another release (e.g. iscsi_ip_address on zed);
  - an installed Cinder of another release than --release.
Exit 0 when the file is fit; 1 with one line per problem on stderr.
"""
import argparse
import configparser
import sys

# The major version of the python3-cinder package of each release.
MAJOR = {
    "pike": 11, "queens": 12, "rocky": 13, "stein": 14, "train": 15, "ussuri": 16, "victoria": 17,
    "wallaby": 18, "xena": 19, "yoga": 20, "zed": 21, "antelope": 22, "bobcat": 23, "caracal": 24,
    "dalmatian": 25, "epoxy": 26,
}
# Every target option name some release uses (see libraries/release.rb).
TARGET_OPTIONS = {
    "iscsi_ip_address", "target_ip_address", "iscsi_port", "target_port", "iscsi_helper", "target_helper",
    "iscsi_protocol", "target_protocol", "iscsi_secondary_ip_addresses", "target_secondary_ip_addresses",
}


def register(conf, backend, sections):
    """Register the options of the groups the file has (and DEFAULT): groups it leaves
    out keep their defaults, and their required options (keystoneauth's) must not fail it."""
    import cinder.opts
    import oslo_concurrency.opts
    import oslo_db.options
    import oslo_messaging.opts

    groups = list(cinder.opts.list_opts())
    groups += list(oslo_messaging.opts.list_opts())
    groups += list(oslo_concurrency.opts.list_opts())
    groups.append(("database", oslo_db.options.database_opts))
    for group, opts in groups:
        opts = list(opts)
        name = "DEFAULT" if group in (None, "DEFAULT") else group
        if name == "DEFAULT" or name in sections:
            register_group(conf, name, opts)
        if name == "backend_defaults" and backend in sections:
            # Cinder registers the driver options under each enabled backend's section.
            register_group(conf, backend, opts)


def register_group(conf, group, opts):
    from oslo_config import cfg

    for opt in opts:
        try:
            if group == "DEFAULT":
                conf.register_opt(opt)
            else:
                conf.register_opt(opt, group=group)
        except cfg.DuplicateOptError:
            pass


def known_names(conf, group):
    """Option names and deprecated names readable in a section of the file."""
    opts = conf._opts if group == "DEFAULT" else conf._groups[group]._opts
    names = set()
    for info in opts.values():
        opt = info["opt"]
        names.add(opt.dest)
        names.add(opt.name.replace("-", "_"))
        for old in opt.deprecated_opts:
            if old.group in (None, group) and old.name:
                names.add(old.name.replace("-", "_"))
    return names


def release_problems(release):
    import cinder.version

    version = cinder.version.version_info.version_string()
    want = MAJOR.get(release)
    if want is None:
        return [f"--release {release!r} is not a Cinder release; use one of {', '.join(MAJOR)}"]
    if int(version.split(".")[0]) != want:
        return [f"installed Cinder is {version}, not {release} ({want}.x): the file would be checked with "
                f"another release's options; install {release}'s packages or fix services.cinder.release"]
    return []


def check(path, release, backend):
    from oslo_config import cfg

    problems = release_problems(release)
    raw = configparser.ConfigParser(interpolation=None, strict=False)
    raw.optionxform = str
    try:
        with open(path, encoding="utf-8") as handle:
            raw.read_file(handle)
    except (OSError, configparser.Error) as exc:
        return problems + [f"{path}: {exc}"]
    sections = ["DEFAULT"] + raw.sections()

    conf = cfg.ConfigOpts()
    register(conf, backend, set(sections))
    try:
        conf(args=[], project="cinder", default_config_files=[path], default_config_dirs=[])
    except cfg.Error as exc:
        return problems + [f"{path}: {exc}"]

    for section in sections:
        keys = raw.defaults().keys() if section == "DEFAULT" else \
            set(raw[section].keys()) - set(raw.defaults().keys())
        if section != "DEFAULT" and section not in conf._groups:
            problems.append(f"{path}: section [{section}] holds no Cinder options; Cinder ignores it")
            continue
        known = known_names(conf, section)
        for key in sorted(keys):
            if key in TARGET_OPTIONS and key not in known:
                problems.append(f"{path}: [{section}] {key} is not an option of Cinder {release}: it would be "
                                "ignored and the target would fall back to the default")
            elif key not in known:
                problems.append(f"{path}: [{section}] {key} is not a Cinder option; Cinder ignores it")

    # Read every value: oslo.config converts (and range-checks) on access only.
    for group in [None] + sorted(conf._groups):
        opts = conf._opts if group is None else conf._groups[group]._opts
        for name in sorted(opts):
            try:
                (conf if group is None else conf[group])[name]
            except (cfg.Error, ValueError) as exc:
                where = "DEFAULT" if group is None else group
                problems.append(f"{path}: [{where}] {name}: {exc}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", required=True)
    parser.add_argument("--backend", default="")
    parser.add_argument("path")
    args = parser.parse_args(argv)
    problems = check(args.path, args.release, args.backend)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
