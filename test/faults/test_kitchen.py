"""Test Kitchen: kitchen.yml (Docker, for CI) lists a suite per converged role of site/kitchen.yml; the lab
overlay converges and verifies. The Docker run itself is test/kitchen/test_kitchen_docker.py (tox -e kitchen)."""
import subprocess

import pytest
import yaml

from v6lab import dns
from v6lab.chef import chef_env
from v6lab.lab import PROJECT

# The roles kitchen converges; the site's dns and ops hosts are docker-up's companions.
ROLES = ('controller', 'compute')


def kitchen(*args, env=None, argv_in=None):
    """bundle exec kitchen ARGS in the project root (inside a lab host when argv_in is given)."""
    argv = ['bundle', 'exec', 'kitchen', *args]
    base = {key: value for key, value in chef_env().items() if key != 'KITCHEN_LOCAL_YAML'}
    result = subprocess.run(argv_in(argv) if argv_in else argv, cwd=PROJECT, env={**base, **(env or {})},
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_kitchen_yml_lists_a_docker_suite_per_site_role():
    """CI users run kitchen.yml as is: every converged role a host of the kitchen site has is a debian-12
    Docker suite."""
    site = yaml.safe_load((PROJECT / 'site' / 'kitchen.yml').read_text())
    roles = [role for role in ROLES if any(role in host['roles'] for host in site['hosts'].values())]
    status, output = kitchen('list', '--bare', )
    assert status == 0, output
    assert output.split() == [f'{role}-debian-12' for role in roles]


class _KitchenDump(yaml.SafeLoader):
    """`kitchen diagnose` dumps Ruby objects (IO handles) beside the config: read them as None."""


_KitchenDump.add_multi_constructor('!ruby/', lambda loader, suffix, node: None)


def test_kitchen_yml_docker_suite_converges_its_site_host():
    """The Docker suite for a role must converge that role's host: its IPv6 address and name from the
    site, on an IPv6 network, resolving with the site's name server, reading the site from the file uploaded
    with it (never from attributes), with the kitchen policy (the fixture first), and verified by the
    verify script (docker:// and the ops companion)."""
    status, output = kitchen('diagnose', 'controller')
    assert status == 0, output
    instance = yaml.load(output[output.index('---'):], Loader=_KitchenDump)['instances']['controller-debian-12']
    run_options = instance['driver']['run_options'].split()
    assert instance['driver']['name'] == 'docker' and instance['transport']['name'] == 'docker'
    assert '--ip6=2001:db8:30::11' in run_options and '--hostname=ctl1' in run_options, run_options
    assert '--network=ipv6-edge-kitchen' in run_options and '--dns=2001:db8:30::53' in run_options, run_options
    assert instance['provisioner']['named_run_list'] == 'controller'
    assert instance['provisioner']['client_rb']['node_name'] == 'ctl1'
    assert instance['provisioner']['policyfile_path'] == 'test/kitchen/Policyfile.rb'
    assert instance['provisioner']['enforce_idempotency'] is True
    assert instance['provisioner']['attributes']['ipv6_edge'] == {'site_file': '/tmp/kitchen/data/kitchen.yml'}
    assert instance['provisioner']['data_path'] == str(PROJECT / '.kitchen' / 'data')
    assert instance['verifier']['command'].endswith('test/kitchen/verify'), instance['verifier']['command']


def test_kitchen_yml_fails_without_its_site():
    """The suites' attributes come from the site file: a missing one is an error, not an empty site."""
    status, output = kitchen('list', env={'EDGE_SITE': '/nonexistent/site.yml'})
    assert status != 0 and '/nonexistent/site.yml' in output, output


@pytest.fixture
def lab_kitchen(lab):
    """kitchen with the lab overlay, run from the lab's ops host; destroys its instances afterwards."""
    env = {'KITCHEN_LOCAL_YAML': 'kitchen.lab.yml', 'V6LAB_STATE': str(lab.state_dir),
           'EDGE_SITE': str(lab.site_file)}
    client = lab.hosts_with_role('ops')[0]

    def run(*args):
        return kitchen(*args, env=env, argv_in=lambda argv: lab.argv_in(client, argv))
    yield run
    status, output = run('destroy')
    assert status == 0, output


def test_kitchen_converges_and_verifies_the_controller_on_the_lab(lab_kitchen):
    """The overlay converges once (the lab's own converge proves the second run changes nothing), then runs
    the integration suite."""
    status, output = lab_kitchen('converge', 'controller-lab')
    assert status == 0, output
    status, output = lab_kitchen('verify', 'controller-lab')
    assert status == 0, output


@pytest.mark.fault('an A record (192.0.2.11) for the controller\'s name, converged by kitchen with the lab overlay',
                   note='kitchen converge fails with the preflight\'s message; the record is removed, no converge '
                   'after')
def test_kitchen_converge_fails_on_the_lab_when_the_preflight_fails(lab, lab_kitchen):
    """A failed chef-client run on the lab host fails `kitchen converge` with the preflight's message."""
    host = lab.hosts_with_role('controller')[0]
    dns.set_extra_records(lab, [f"{lab.hosts[host]['fqdn']}. A 192.0.2.11"])
    try:
        status, output = lab_kitchen('converge', 'controller-lab')
    finally:
        dns.set_extra_records(lab, [])
    assert status != 0 and 'A record' in output, output
