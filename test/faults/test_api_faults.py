"""The API services under faults, in the shared lab: each test breaks one property behind Chef's back,
sees the verifier's check fail with its code, repairs it (a converge, or undoing what it did: the saved file
back, the service started, the catalog entry set back), and sees the check pass again."""
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import converge_host
from lab_cli import failed_with, lab_verify
from v6lab.lab import wait_until

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


def backend_listening(lab, port):
    """True when something listens on [::1]:port in the API host."""
    return f'[::1]:{port}' in lab.run_in(API_HOST, ['ss', '-Hltn', f'sport = :{port}'])


@pytest.mark.fault('Placement stopped (its init script)', codes=('api_not_listening',),
                   note='repair: Placement started again')
def test_a_stopped_api_service_is_found_and_a_start_repairs_it(api):
    """The edge still answers for a service that is down (HAProxy's 503), so the host check must name the endpoint
    whose backend has nothing on [::1]."""
    port = api.site['endpoints']['placement']['backend_port']
    test = 'test_openstack_services_listen_only_on_loopback'
    api.run_in(API_HOST, ['/etc/init.d/placement-api', 'stop'])
    try:
        wait_until(f'nothing on [::1]:{port}', lambda: not backend_listening(api, port))
        passed, output, problems = verify(api, test)
    finally:
        api.run_in(API_HOST, ['/etc/init.d/placement-api', 'start'])
        wait_until(f'Placement on [::1]:{port} again', lambda: backend_listening(api, port), timeout=30)
    assert not passed and failed_with(problems, 'ops1', test, 'api_not_listening', f'[::1]:{port}'), output
    passed, output, _ = verify(api, test)
    assert passed, output


SAVED_BACK = 'repair: the saved file back (the services were not restarted)'
AUTH_URL = 'auth_url = https://keystone.lab.example.net:5000'


@pytest.mark.parametrize('conf, before, after, code, option', [
    pytest.param('placement/placement.conf', AUTH_URL, 'auth_url = http://keystone.lab.example.net:5000',
                 'url_http', 'auth_url', id='http-auth-url', marks=pytest.mark.fault(
                     'Placement\'s [keystone_authtoken] auth_url on http://', codes=('url_http',), note=SAVED_BACK)),
    pytest.param('placement/placement.conf', AUTH_URL, 'auth_url = https://localhost:5000',
                 'url_unknown_host', 'auth_url', id='localhost-auth-url', marks=pytest.mark.fault(
                     'Placement\'s [keystone_authtoken] auth_url on localhost', codes=('url_unknown_host',),
                     note=SAVED_BACK)),
    pytest.param('placement/placement.conf', AUTH_URL, 'auth_url = https://2001:db8:10::11:5000',
                 'url_unparsable', 'auth_url', id='unbracketed-auth-url', marks=pytest.mark.fault(
                     'Placement\'s [keystone_authtoken] auth_url on an unbracketed IPv6 literal',
                     codes=('url_unparsable',), note=SAVED_BACK)),
    pytest.param('keystone/keystone.conf', 'memcache_servers = inet6:[::1]:11211', 'memcache_servers = [::1]:11211',
                 'memcached_form', 'memcache_servers', id='cache-servers-without-inet6', marks=pytest.mark.fault(
                     'Keystone\'s [cache] memcache_servers without the inet6: prefix its oslo_cache.memcache_pool '
                     'backend needs', codes=('memcached_form',), note=SAVED_BACK)),
])
def test_rendered_url_fault_is_found_and_the_saved_file_repairs_it(api, conf, before, after, code, option):
    """Each URL a service reads must parse to a host the site describes, in the form its library needs; the check
    reads the files, so no service needs to restart to show it."""
    path = ETC / conf
    good = path.read_text()
    assert before in good, f'{path} has no {before!r}'
    test = 'test_rendered_urls_parse_to_expected_hosts'
    path.write_text(good.replace(before, after))
    try:
        passed, output, problems = verify(api, test)
    finally:
        path.write_text(good)
    assert not passed and failed_with(problems, 'ops1', test, code, option), output
    passed, output, _ = verify(api, test)
    assert passed, output


CATALOG_BACK = 'repair: the entry set back through the API'


@pytest.mark.parametrize('interface, option, value, code', [
    pytest.param('public', '--url', 'https://placement.lab.example.net:8443', 'catalog_wrong_port',
                 id='wrong-port', marks=pytest.mark.fault(
                     'Placement\'s public catalog entry on another port than the endpoint\'s',
                     codes=('catalog_wrong_port',), note=CATALOG_BACK)),
    pytest.param('internal', '--url', 'https://placement-old.lab.example.net:8778', 'catalog_unknown_name',
                 id='unknown-name', marks=pytest.mark.fault(
                     'Placement\'s internal catalog entry on a name that is no site endpoint',
                     codes=('catalog_unknown_name',), note=CATALOG_BACK)),
    pytest.param('admin', '--url', 'https://2001:db8:10::11:8778', 'catalog_unparsable',
                 id='unbracketed-literal', marks=pytest.mark.fault(
                     'Placement\'s admin catalog entry on an unbracketed IPv6 literal', codes=('catalog_unparsable',),
                     note=CATALOG_BACK)),
    pytest.param('admin', '--interface', 'internal', 'catalog_missing', id='admin-entry-moved',
                 marks=pytest.mark.fault(
                     'Placement\'s admin catalog entry moved to the internal interface, leaving no admin entry',
                     codes=('catalog_missing',), note=CATALOG_BACK)),
])
def test_catalog_entry_fault_is_found_and_setting_it_back_repairs_it(api, interface, option, value, code):
    """Clients go wherever the catalog sends them: every entry of every site endpoint must be there, on its name
    and its port, in a URL that parses."""
    [entry] = json.loads(openstack(api, 'endpoint', 'list', '--service', 'placement', '--interface', interface,
                                   '-f', 'json'))
    original = entry['URL'] if option == '--url' else interface
    test = 'test_catalog_matches_site'
    openstack(api, 'endpoint', 'set', option, value, entry['ID'])
    try:
        passed, output, problems = verify(api, test)
    finally:
        openstack(api, 'endpoint', 'set', option, original, entry['ID'])
    assert not passed and failed_with(problems, 'ops1', test, code, 'placement'), output
    passed, output, _ = verify(api, test)
    assert passed, output
