"""Facts gathered once per host (module scope follows testinfra's `host`), and the client host."""
import pytest
import testinfra

from edge_verify import probes


@pytest.fixture(scope="module")
def site_host(host, site):
    """The site's description of the testinfra host under test."""
    found = probes.site_host(host, site)
    if found is None:
        pytest.fail(f"{host.backend.get_pytest_id()} is not a host of {site.source}: neither its address "
                    "nor `hostname -s` matches a key of hosts", pytrace=False)
    return found


@pytest.fixture(scope="module")
def host_listeners(host):
    """One `ss` per host: every listening socket."""
    return probes.listeners(host)


@pytest.fixture(scope="module")
def host_addresses(host):
    """One `ip -o addr` per host: every configured address."""
    return probes.interface_addresses(host)


@pytest.fixture(scope="session")
def client(pytestconfig, site):
    """Where names are resolved from: the --hosts entry with the ops role (where the operators are), else
    the machine pytest runs on (a compute host in the lab, a CI runner in front of a kitchen instance).
    Returns (testinfra host, name used in messages)."""
    option = pytestconfig.option
    if option.hosts:
        hosts = testinfra.get_hosts(option.hosts.split(","), connection=option.connection,
                                    ssh_config=option.ssh_config, ssh_identity_file=option.ssh_identity_file,
                                    sudo=option.sudo, sudo_user=option.sudo_user,
                                    ansible_inventory=option.ansible_inventory,
                                    force_ansible=option.force_ansible)
        for host in hosts:
            owner = probes.site_host(host, site)
            if owner is not None and "ops" in owner.roles:
                return host, owner.name
    local = testinfra.get_host("local://")
    owner = probes.site_host(local, site)
    return local, owner.name if owner else local.check_output("hostname -s")
