"""Hosts as network namespaces on one IPv6-only segment, with their own /etc files and hostname."""
import os
import shutil
from pathlib import Path

from . import account
from .lab import BRIDGE, HOST_VAR_DIRS, NS_PREFIX, LabError, run, wait_until

ETC = Path('/etc')
ETC_NETNS = Path('/etc/netns')
# /etc entries that Chef-managed daemons write, per role. Each host gets a private copy
# (ip netns exec mounts /etc/netns/NS/X over /etc/X), so a converge never touches the real /etc.
ETC_COPIES = {
    'controller': ('default', 'haproxy', 'rabbitmq', 'keystone', 'placement', 'memcached.conf', 'tgt',
                   'cinder'),
    'compute': ('default',),
    'dns': (),
    'ops': (),
}
# Directories daemons expect in /run (sshd's privilege separation directory, lock files).
RUN_DIRS = ('sshd', 'lock')
# Per-namespace sysctls: no duplicate address detection (addresses are usable at once),
# no router advertisements (addresses come only from the site).
SYSCTLS = [f'net.ipv6.conf.{dev}.{key}=0'
           for dev in ('all', 'default', 'lo', 'eth0') for key in ('accept_dad', 'accept_ra', 'disable_ipv6')]


def create(lab):
    """Create the bridge and, per host, its namespace, veth, addresses, /etc files (the operator account's
    included) and hostname."""
    too_long = [host for host in lab.hosts if len(NS_PREFIX + host) > 15]
    if too_long:
        raise LabError(f'host names {too_long} are too long for interface names ({NS_PREFIX}NAME '
                       'must fit in 15 characters); shorten them in the site file')
    run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'])
    _disable_ipv6(BRIDGE)
    run(['ip', 'link', 'set', BRIDGE, 'up'])
    operator_id = account.prepare(lab)
    for host in lab.hosts:
        _create_host(lab, host, operator_id)


def _disable_ipv6(link):
    """A host-side link carries the segment but takes no part in it."""
    Path(f'/proc/sys/net/ipv6/conf/{link}/disable_ipv6').write_text('1\n')


def _create_host(lab, host, operator_id):
    ns = lab.ns(host)
    run(['ip', 'netns', 'add', ns])
    run(['ip', 'link', 'add', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
    _disable_ipv6(ns)
    run(['ip', 'link', 'set', ns, 'master', BRIDGE, 'up'])
    run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', *SYSCTLS])
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    run(['ip', '-n', ns, 'address', 'del', '127.0.0.1/8', 'dev', 'lo'])
    for address in lab.hosts[host]['addresses']:
        run(['ip', '-n', ns, 'address', 'add', f'{address}/64', 'dev', 'eth0', 'nodad'])
    run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
    _write_etc(lab, host, operator_id)
    for directory in RUN_DIRS:
        lab.dir('hostrun', host, directory)
    _var_dirs(lab, host)
    uts = lab.path('uts', host)
    uts.touch()
    run(['unshare', f'--uts={uts}', 'hostname', host])


def _var_dirs(lab, host):
    """The host's own copies of HOST_VAR_DIRS, empty, owned and moded as the machine's (which the
    packages create); a directory the machine lacks is not copied."""
    for relative in HOST_VAR_DIRS:
        machine = Path('/var') / relative
        if not machine.is_dir():
            continue
        copy = lab.dir('hostvar', host, *relative.split('/'))
        info = machine.stat()
        os.chown(copy, info.st_uid, info.st_gid)
        copy.chmod(info.st_mode & 0o7777)


def _write_etc(lab, host, operator_id):
    etc = ETC_NETNS / lab.ns(host)
    etc.mkdir(parents=True)
    entry = lab.hosts[host]
    own = '\n'.join(f"{address} {entry['fqdn']} {host}" for address in entry['addresses'])
    (etc / 'hosts').write_text(f'::1 localhost ip6-localhost ip6-loopback\n{own}\n')
    nameservers = ''.join(f'nameserver {a}\n' for a in lab.hosts[lab.site['dns']['server']]['addresses'])
    (etc / 'resolv.conf').write_text(f"{nameservers}search {lab.site['dns']['zone']}\n")
    (etc / 'hostname').write_text(f'{host}\n')
    for name in sorted({name for role in entry['roles'] for name in ETC_COPIES[role]}):
        _private_copy(ETC / name, etc / name)
    account.write_etc(lab, operator_id, etc)


def _private_copy(source, target):
    """Copy source into the host's private /etc; an entry the machine lacks is skipped
    (`ip netns exec` needs an existing mount point, and the machine's /etc is never changed)."""
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    elif source.exists():
        shutil.copy2(source, target)


def destroy(lab_state_dir):
    """Remove every v6lab namespace, link, UTS mount and /etc/netns directory (any lab's)."""
    for link in _links():
        run(['ip', 'link', 'del', link])
    for ns in namespaces():
        run(['ip', 'netns', 'del', ns])
    wait_until('v6lab links to disappear', lambda: not _links(), timeout=10)
    for mount in mounts_under(lab_state_dir):
        run(['umount', mount])
    for etc in ETC_NETNS.glob(NS_PREFIX + '*'):
        shutil.rmtree(etc)


def namespaces():
    listing = run(['ip', 'netns', 'list'])
    return [line.split()[0] for line in listing.splitlines() if line.startswith(NS_PREFIX)]


def ns_pids(ns):
    return [int(pid) for pid in run(['ip', 'netns', 'pids', ns]).split()]


def _links():
    listing = run(['ip', '-o', 'link', 'show'])
    names = (line.split(': ')[1].split('@')[0] for line in listing.splitlines())
    return [name for name in names if name.startswith(NS_PREFIX)]


def mounts_under(directory):
    """Mount points at or below directory, deepest first (so they can be unmounted in order)."""
    prefix = str(directory).rstrip('/') + '/'
    points = [line.split()[4] for line in Path('/proc/self/mountinfo').read_text().splitlines()]
    return sorted((p for p in points if (p + '/').startswith(prefix)), key=len, reverse=True)
