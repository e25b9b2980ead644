"""Cinder's iSCSI target in the lab: the converged controller's portal is found over IPv6 from the compute
host, and each Cinder check sees its fault (break one property, see the code, repair, see it clean)."""
import pytest
import yaml
from lab_cli import failed_with, lab_verify
from v6lab.chef import PROBE_IQN
from v6lab.lab import wait_until
from v6lab.netns import ETC_NETNS

CINDER_TESTS = ('cinder_target_address_is_bracketed or cinder_has_no_option_of_another_release or '
                'cinder_my_ip_is_an_address_of_the_host or iscsi_portal_listens_v6only_on_site_address or '
                'iscsi_discovery_finds_the_target')


@pytest.fixture(scope='module')
def target(edge):
    """(lab, controller, compute host, portal URL) with the Cinder checks passing on the converged lab."""
    lab = edge
    controller = lab.hosts_with_role('controller')[0]
    compute = lab.hosts_with_role('compute')[0]
    cinder = lab.site['services']['cinder']
    portal = f"iscsi://[{lab.site['hosts'][cinder['host']]['addresses'][0]}]:{cinder['target_port']}"
    passed, output, _ = lab_verify(lab.state_dir, CINDER_TESTS)
    assert passed, f'the Cinder checks fail on the converged lab:\n{output}'
    return lab, controller, compute, portal


def conf_path(lab, host):
    return ETC_NETNS / lab.ns(host) / 'cinder' / 'cinder.conf'


def test_compute_host_discovers_the_target_and_reads_its_lun_over_ipv6(target):
    """A SendTargets discovery and a SCSI INQUIRY from cmp1 (libiscsi), the steps os-brick takes before
    it attaches a volume."""
    lab, _controller, compute, portal = target
    listed = lab.run_in(compute, ['iscsi-ls', '-s', portal])
    assert f'Target:{PROBE_IQN} Portal:{portal.removeprefix("iscsi://")},1' in listed, listed
    inquiry = lab.run_in(compute, ['iscsi-inq', f'{portal}/{PROBE_IQN}/1'])
    assert 'Peripheral Device Type:DIRECT_ACCESS' in inquiry, inquiry


SAVED_BACK = 'repair: the saved cinder.conf back'


@pytest.mark.parametrize('fault, before, after, expected', [
    pytest.param(
        'unbracketed target address', 'target_ip_address = [2001:db8:10::11]', 'target_ip_address = 2001:db8:10::11',
        [('test_cinder_target_address_is_bracketed', 'cinder_unbracketed', 'target_ip_address = 2001:db8:10::11')],
        id='unbracketed-target-address', marks=pytest.mark.fault(
            'the target address unbracketed in cinder.conf (tgtadm needs the brackets)', codes=('cinder_unbracketed',),
            note=SAVED_BACK)),
    pytest.param(
        'the old option name on zed', 'target_ip_address =', 'iscsi_ip_address =',
        [('test_cinder_target_address_is_bracketed', 'cinder_target_option', 'target_ip_address is not set'),
         ('test_cinder_has_no_option_of_another_release', 'cinder_foreign_option', 'iscsi_ip_address')],
        id='old-option-name', marks=pytest.mark.fault(
            'the target address under the option name of another release (iscsi_ip_address on zed)',
            codes=('cinder_target_option', 'cinder_foreign_option'), note=SAVED_BACK)),
    pytest.param(
        'my_ip not a site address', 'my_ip = 2001:db8:10::11', 'my_ip = 2001:db8:10::99',
        [('test_cinder_my_ip_is_an_address_of_the_host', 'cinder_my_ip', 'my_ip = 2001:db8:10::99')],
        id='my-ip-not-a-site-address', marks=pytest.mark.fault(
            'my_ip in cinder.conf on an address the site does not give the controller', codes=('cinder_my_ip',),
            note=SAVED_BACK)),
])
def test_cinder_conf_fault_is_reported(target, fault, before, after, expected):
    lab, controller, _compute, _portal = target
    path = conf_path(lab, controller)
    good = path.read_text()
    assert before in good, f'{path} has no {before!r}'
    path.write_text(good.replace(before, after))
    try:
        passed, output, failures = lab_verify(lab.state_dir, CINDER_TESTS)
    finally:
        path.write_text(good)
    ops = lab.hosts_with_role('ops')[0]
    missed = [item for item in expected if not failed_with(failures, ops, *item)]
    assert not passed and not missed, f'{fault}: the Cinder checks missed {missed}:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, CINDER_TESTS)
    assert passed, f'{fault}: the Cinder checks still fail after the repair:\n{output}'


@pytest.mark.fault('a tgtd portal on 0.0.0.0:3260 added with tgtadm', codes=('ipv4',),
                   note='repair: the portal deleted with tgtadm')
def test_tgt_listener_on_ipv4_wildcard_is_reported(target):
    """tgtd's default: a portal on 0.0.0.0:3260 (what Debian's unit starts when nothing binds it)."""
    lab, controller, _compute, _portal = target
    wildcard = ['tgtadm', '--lld', 'iscsi', '--mode', 'portal', '--param', 'portal=0.0.0.0:3260']
    lab.run_in(controller, wildcard[:3] + ['--op', 'new'] + wildcard[3:])
    try:
        wait_until('tgtd to listen on 0.0.0.0:3260',
                   lambda: '0.0.0.0:3260' in lab.run_in(controller, ['ss', '-Hltn', 'sport = :3260']), timeout=10)
        passed, output, failures = lab_verify(lab.state_dir, 'iscsi_portal_listens_v6only_on_site_address')
    finally:
        lab.run_in(controller, wildcard[:3] + ['--op', 'delete'] + wildcard[3:])
    ops = lab.hosts_with_role('ops')[0]
    assert not passed and failed_with(failures, ops, 'test_iscsi_portal_listens_v6only_on_site_address', 'ipv4',
                                      'tgtd on 0.0.0.0:3260'), output
    passed, output, _ = lab_verify(lab.state_dir, 'iscsi_portal_listens_v6only_on_site_address')
    assert passed, f'the portal check still fails after the repair:\n{output}'


@pytest.mark.fault('my_ip in cinder.conf on an address the site gives the controller (a second, planned one) but no '
                   'interface of it has', codes=('address_not_configured',), note=SAVED_BACK)
def test_my_ip_on_a_site_address_the_host_lacks_is_reported(target):
    """The site plans a second address for the controller before it is configured: a my_ip on it passes the site,
    yet the portal Cinder builds from it answers nowhere. Verified against that site, with my_ip on the planned
    address, then on the configured one."""
    lab, controller, _compute, _portal = target
    planned = '2001:db8:10::12'
    host = lab.site['hosts'][controller]
    assert planned not in host['addresses'], f'{planned} is already an address of {controller}'
    site = lab.path('faults', f'site-{controller}-planned-address.yml')
    site.write_text(yaml.safe_dump({**lab.site, 'hosts': {
        **lab.site['hosts'], controller: {**host, 'addresses': [*host['addresses'], planned]}}}, sort_keys=False))
    path = conf_path(lab, controller)
    good = path.read_text()
    before = f"my_ip = {host['addresses'][0]}"
    assert before in good, f'{path} has no {before!r}'
    selection = 'cinder_my_ip_is_an_address_of_the_host'
    path.write_text(good.replace(before, f'my_ip = {planned}'))
    try:
        passed, output, failures = lab_verify(lab.state_dir, selection, f'--site={site}')
    finally:
        path.write_text(good)
    ops = lab.hosts_with_role('ops')[0]
    assert not passed and failed_with(failures, ops, 'test_cinder_my_ip_is_an_address_of_the_host',
                                      'address_not_configured', f'my_ip = {planned}'), output
    passed, output, _ = lab_verify(lab.state_dir, selection, f'--site={site}')
    assert passed, f'the my_ip check still fails with the saved cinder.conf back:\n{output}'


@pytest.mark.fault('the controller\'s iSCSI portal deleted from tgtd (tgtadm)',
                   codes=('iscsi_discovery', 'listener_missing'), note='repair: the portal added again with tgtadm')
def test_portal_removed_from_tgtd_fails_discovery_from_every_client(target):
    """Compute hosts discover the target on the site portal before they attach a volume: with the portal gone
    discovery finds nothing, from every client, and the portal check misses its listener."""
    lab, controller, compute, portal = target
    address = portal.removeprefix('iscsi://')
    port = lab.site['services']['cinder']['target_port']
    tgtadm = ['tgtadm', '--lld', 'iscsi', '--mode', 'portal']
    selection = 'iscsi_discovery_finds_the_target or iscsi_portal_listens_v6only_on_site_address'

    def listening():
        return address in lab.run_in(controller, ['ss', '-Hltn', f'sport = :{port}'])
    lab.run_in(controller, [*tgtadm, '--op', 'delete', '--param', f'portal={address}'])
    try:
        wait_until(f'tgtd to close {address}', lambda: not listening(), timeout=10)
        passed, output, failures = lab_verify(lab.state_dir, selection)
    finally:
        lab.run_in(controller, [*tgtadm, '--op', 'new', '--param', f'portal={address}'])
        wait_until(f'tgtd to listen on {address} again', listening, timeout=10)
    ops = lab.hosts_with_role('ops')[0]
    expected = [(client, 'test_iscsi_discovery_finds_the_target', 'iscsi_discovery', 'gave no target')
                for client in (ops, compute)]
    expected.append((ops, 'test_iscsi_portal_listens_v6only_on_site_address', 'listener_missing', address))
    missed = [item for item in expected if not failed_with(failures, *item)]
    assert not passed and not missed, f'the portal checks missed {missed}:\n{output}'
    passed, output, _ = lab_verify(lab.state_dir, selection)
    assert passed, f'the portal checks still fail with the portal back:\n{output}'
