"""Fixtures of the suites: the facts of each testinfra host (gathered once per host per session), the
site host it stands for, and the client host names are resolved from. With --hosts left out, the
hosts come from the site (ssh to each host's first address)."""
import pytest
import testinfra

from edge_verify.facts import facts_for, probes
from edge_verify.plugin import site_or_none
from edge_verify.problem import Problem, render


HOSTS_FROM_SITE = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """Before testinfra parametrizes `host`: hosts from the site when --hosts is left out."""
    option = metafunc.config.option
    if option.hosts is None and "_testinfra_host" in metafunc.fixturenames:
        site = site_or_none(metafunc.config)
        if site is not None:
            option.hosts = ",".join(f"ssh://[{host.addresses[0]}]" for host in site.hosts.values())
            metafunc.config.stash[HOSTS_FROM_SITE] = True


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
