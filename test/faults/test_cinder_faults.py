"""Cinder's iSCSI target in the lab: the converged controller's portal is found over IPv6 from the compute
host, and each Cinder check sees its fault (break one property, see the code, repair, see it clean)."""
import pytest
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
