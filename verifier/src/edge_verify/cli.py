"""The `edge-verify` command.

    edge-verify [PYTEST_ARGS ...]     the suites: `pytest --pyargs edge_verify.suites PYTEST_ARGS`
    edge-verify check-site FILE       validate a site file; print every problem, exit 1 if any
    edge-verify lint [PATH ...]       IPv6 lint of deployment code and rendered config (see edge_verify.lint)
    edge-verify scan [OPTIONS]        testssl.sh against every site endpoint (edge-verify scan --help)
    edge-verify dns-audit [OPTIONS]   the whole zone and its reverse zones against the site (--help)
    edge-verify import-ansible INVENTORY [-o SITE.yml] [--zone ZONE] [--role-map GROUP=ROLE ...]
                                      a site file skeleton from an Ansible inventory (INI or YAML); exit 1
                                      when a host is flagged (IPv4-only, a name, no role), 2 when the
                                      inventory cannot be read (edge-verify import-ansible --help)

With --ansible-inventory INV and --hosts left out, the suites run against every site host as
ansible://NAME, NAME being the inventory hostname equal to the site host's key or fqdn.
"""
import sys

from edge_verify import lint
from edge_verify import site as site_mod

SUITES = "edge_verify.suites"


def check_site(path):
    try:
        site_mod.load(path)
    except site_mod.SiteError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-site"]:
        if len(argv) != 2:
            print("usage: edge-verify check-site FILE", file=sys.stderr)
            return 2
        return check_site(argv[1])
    if argv[:1] == ["lint"]:
        return lint.main(argv[1:])
    if argv[:1] == ["scan"]:
        from edge_verify import scan
        return scan.main(argv[1:])
    if argv[:1] == ["dns-audit"]:
        from edge_verify import dns_audit
        return dns_audit.main(argv[1:])
    if argv[:1] == ["import-ansible"]:
        from edge_verify import import_ansible
        return import_ansible.main(argv[1:])
    if argv[:1] in (["-h"], ["--help"]) and len(argv) == 1:
        print(__doc__)
    import pytest  # here: the other commands start without it
    # `python -m edge_verify` imports the package before pytest could mark the plugin for rewriting.
    return pytest.main(["-W", "ignore::pytest.PytestAssertRewriteWarning", "--pyargs", SUITES, *argv])


if __name__ == "__main__":
    sys.exit(main())
