"""Fixtures of the suites: the facts of each testinfra host (gathered once per host per session), the
site host it stands for, and the client host names are resolved from. With --hosts left out, the
hosts come from the site: ssh to each host's first address, or with --ansible-inventory INV each site
host as ansible://NAME, NAME the inventory hostname equal to the host's key or fqdn (every site host
must be in the inventory)."""
import os
import re
import shutil

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

from edge_verify import inventory
from edge_verify.facts import facts_for, probes
from edge_verify.plugin import defer_usage_error, site_or_none
from edge_verify.problem import Problem, render


HOSTS_FROM_SITE = pytest.StashKey()
_ANSIBLE_HOSTS = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """Before testinfra parametrizes `host`: hosts from the site when --hosts is left out."""
    option = metafunc.config.option
    if option.hosts is None and "_testinfra_host" in metafunc.fixturenames:
        site = site_or_none(metafunc.config)
        if site is None:
            return
        if option.ansible_inventory:
            specs = ansible_hosts(metafunc.config, site)
            if specs is None:
                return
            option.hosts = ",".join(specs)
        else:
            option.hosts = ",".join(f"ssh://[{host.addresses[0]}]" for host in site.hosts.values())
        metafunc.config.stash[HOSTS_FROM_SITE] = True


def inventory_names(path):
    """Every hostname of an Ansible inventory, as `ansible-inventory --list` gives them (through testinfra's
    runner, which the ansible:// backend uses too); pytest.UsageError when there are none."""
    if shutil.which("ansible-inventory") is None:
        raise pytest.UsageError(f"--ansible-inventory {path}: ansible-inventory is not installed (Debian: "
                                "apt-get install ansible-core; it is in packages.debian)")
    if not os.path.isfile(path):
        raise pytest.UsageError(f"--ansible-inventory {path}: no such file")
    try:
        return AnsibleRunner.get_runner(path).get_hosts("all")
    except (RuntimeError, AssertionError, ValueError) as error:
        status = re.match(r"Unexpected exit code (\d+)", str(error))
        why = f"exited {status.group(1)}" if status else str(error).splitlines()[0] if str(error) else "failed"
        raise pytest.UsageError(f"--ansible-inventory {path}: ansible-inventory lists no host ({why}); "
                                f"see `ansible-inventory -i {path} --list`") from None


def ansible_hosts(config, site):
    """The ansible:// specs of the site's hosts in --ansible-inventory, once per session; None (the usage
    error kept for the end of collection) when the inventory cannot be read or lacks a site host."""
    if _ANSIBLE_HOSTS not in config.stash:
        path = config.option.ansible_inventory
        try:
            specs, missing = inventory.site_hosts_in(site, inventory_names(path))
            if missing:
                raise pytest.UsageError("\n".join(
                    [f"--ansible-inventory {path} lacks site hosts (each site host is matched to the inventory "
                     "hostname equal to its key or fqdn):"]
                    + [str(Problem(key, "inventory_host_missing", f"no host {key} or {site.hosts[key].fqdn} in {path}",
                                   "every site host in the inventory", "the inventory, or name the hosts with "
                                   "--hosts=ansible://NAME,...", f"ansible-inventory -i {path} --list"))
                       for key in missing]))
        except pytest.UsageError as error:
            defer_usage_error(config, error)
            specs = None
        config.stash[_ANSIBLE_HOSTS] = specs
    return config.stash[_ANSIBLE_HOSTS]


def pytest_collection_modifyitems(items):
    """One xdist group per testinfra host, so that `--dist loadgroup` keeps a host's tests (and its
    facts) on one worker."""
    for item in items:
        host = getattr(item, "callspec", None) and item.callspec.params.get("_testinfra_host")
        if host is not None:
            item.add_marker(pytest.mark.xdist_group(host.backend.get_pytest_id()))


@pytest.fixture(scope="module")
def facts(host):
    """The session's facts of the testinfra host under test."""
    return facts_for(host)


@pytest.fixture(scope="module")
def site_host(host, site, facts):
    """The site's description of the testinfra host under test."""
    try:
        found = probes.site_host(host, site)
    except probes.ProbeError as error:
        pytest.fail(str(error), pytrace=False)
    if found is None:
        pytest.fail(render([Problem(facts.id, "not_a_site_host", f"{facts.id} is not a host of {site.source}",
                                    "each --hosts entry to be a site host, by address or `hostname -s`",
                                    f"--hosts, or hosts in {site.source}", "testinfra backend and hostname -s")]),
                    pytrace=False)
    return found


@pytest.fixture(scope="session")
def client(pytestconfig, site):
    """Where names are resolved from: the --hosts entry with the ops role (where the operators are), else
    the machine pytest runs on (a compute host in the lab, a CI runner in front of a kitchen instance,
    and when the hosts come from the site). Returns (HostFacts, name used in problems)."""
    option = pytestconfig.option
    if option.hosts and not pytestconfig.stash.get(HOSTS_FROM_SITE, False):
        hosts = testinfra.get_hosts(option.hosts.split(","), connection=option.connection,
                                    ssh_config=option.ssh_config, ssh_identity_file=option.ssh_identity_file,
                                    sudo=option.sudo, sudo_user=option.sudo_user,
                                    ansible_inventory=option.ansible_inventory,
                                    force_ansible=option.force_ansible)
        for host in hosts:
            owner = probes.site_host(host, site)
            if owner is not None and "ops" in owner.roles:
                return facts_for(host), owner.name
    local = facts_for(testinfra.get_host("local://"))
    owner = probes.site_host(local.host, site)
    return local, owner.name if owner else local.hostname()
