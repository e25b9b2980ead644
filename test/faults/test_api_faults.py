"""The API services under faults, in the shared lab: each test breaks one property behind Chef's back,
sees the verifier's check fail with its code, repairs it, and sees the check pass again."""
import os
import subprocess
from pathlib import Path

import pytest
from conftest import converge_host
from lab_cli import failed_with, lab_verify

API_HOST = 'ctl1'
ETC = Path('/etc/netns') / f'v6lab-{API_HOST}'


@pytest.fixture(scope='module')
def api(edge):
    """The shared lab with the controller converged: Keystone, Placement and memcached deployed by Chef."""
    return edge


@pytest.fixture
def saved(api):
    """saved(path): the file's bytes restored after the test."""
    kept = {}

    def save(path):
        kept.setdefault(path, path.read_bytes())
        return path
    yield save
    for path, data in kept.items():
        path.write_bytes(data)


def restart(lab, daemon):
    subprocess.run(lab.argv_in(API_HOST, [f'/etc/init.d/{daemon}', 'restart']), check=True, capture_output=True)


def verify(lab, test):
    passed, output, problems = lab_verify(lab.state_dir, test)
    return passed, output, problems


def repaired_by_converge(lab, test):
    """A converge of the API host succeeds and the check named test passes again."""
    status, log, _ = converge_host(lab, API_HOST)
    assert status == 0, log[-2000:]
    passed, output, _ = verify(lab, test)
    assert passed, output


def openstack(lab, *argv):
    endpoint = lab.site['endpoints']['keystone']
    password = Path(lab.site['services']['keystone']['admin_password']['file']).read_text().strip()
    env = {**os.environ, 'OS_AUTH_URL': f"https://{endpoint['fqdn']}:{endpoint['port']}/v3", 'OS_USERNAME': 'admin',
           'OS_PASSWORD': password, 'OS_PROJECT_NAME': 'admin', 'OS_USER_DOMAIN_NAME': 'Default',
           'OS_PROJECT_DOMAIN_NAME': 'Default', 'OS_IDENTITY_API_VERSION': '3',
           'OS_CACERT': lab.site['pki']['ca_bundle']}
    client = lab.hosts_with_role('ops')[0]
    done = subprocess.run(lab.argv_in(client, ['openstack', *argv]), env=env, capture_output=True, text=True)
    assert done.returncode == 0, f'openstack {" ".join(argv)}: {done.stderr}'
    return done.stdout.strip()


@pytest.mark.fault('memcached listening on :: (-l ::), restarted', codes=('api_not_loopback',),
                   note='repair: a converge')
def test_memcached_on_a_wildcard_is_found_and_converge_repairs_it(api, saved):
    conf = saved(ETC / 'memcached.conf')
    conf.write_text(conf.read_text().replace('-l ::1', '-l ::'))
    restart(api, 'memcached')
    passed, output, problems = verify(api, 'test_openstack_services_listen_only_on_loopback')
    assert not passed and failed_with(problems, 'ops1', 'test_openstack_services_listen_only_on_loopback',
                                      'api_not_loopback', 'memcached'), output
    repaired_by_converge(api, 'test_openstack_services_listen_only_on_loopback')


@pytest.mark.fault('Placement\'s [keystone_authtoken] auth_url on Keystone\'s address instead of its name',
                   codes=('url_ip_literal',), note='repair: a converge')
def test_address_in_authtoken_url_is_found(api, saved):
    conf = saved(ETC / 'placement' / 'placement.conf')
    conf.write_text(conf.read_text().replace('auth_url = https://keystone.lab.example.net:5000',
                                             'auth_url = https://[2001:db8:10::11]:5000'))
    passed, output, problems = verify(api, 'test_rendered_urls_parse_to_expected_hosts')
    assert not passed and failed_with(problems, 'ops1', 'test_rendered_urls_parse_to_expected_hosts',
                                      'url_ip_literal', 'auth_url'), output
    status, log, updated = converge_host(api, API_HOST)
    assert status == 0 and updated, log[-2000:]
    passed, output, _ = verify(api, 'test_rendered_urls_parse_to_expected_hosts')
    assert passed, output


@pytest.mark.fault('Placement\'s public catalog entry set to http://[2001:db8:10::11]:8778',
                   codes=('catalog_ip_literal', 'catalog_http'), note='repair: a converge')
def test_catalog_entry_on_an_address_is_found_and_converge_repairs_it(api):
    endpoint_id = openstack(api, 'endpoint', 'list', '--service', 'placement', '--interface', 'public',
                            '-f', 'value', '-c', 'ID')
    openstack(api, 'endpoint', 'set', '--url', 'http://[2001:db8:10::11]:8778', endpoint_id)
    passed, output, problems = verify(api, 'test_catalog_matches_site')
    assert not passed, output
    assert failed_with(problems, 'ops1', 'test_catalog_matches_site', 'catalog_ip_literal', 'placement'), output
    assert failed_with(problems, 'ops1', 'test_catalog_matches_site', 'catalog_http', 'placement'), output
    repaired_by_converge(api, 'test_catalog_matches_site')


@pytest.mark.fault('Keystone\'s memcache_servers on a port where no memcached listens, Keystone restarted',
                   codes=('memcached_no_hits',), note='repair: a converge')
def test_keystone_without_its_cache_is_found_and_converge_repairs_it(api, saved):
    conf = saved(ETC / 'keystone' / 'keystone.conf')
    conf.write_text(conf.read_text().replace('memcache_servers = inet6:[::1]:11211',
                                             'memcache_servers = inet6:[::1]:11299'))
    restart(api, 'keystone')
    passed, output, problems = verify(api, 'test_token_validates_and_memcached_hits_grow')
    assert not passed and failed_with(problems, 'ops1', 'test_token_validates_and_memcached_hits_grow',
                                      'memcached_no_hits'), output
    repaired_by_converge(api, 'test_token_validates_and_memcached_hits_grow')
