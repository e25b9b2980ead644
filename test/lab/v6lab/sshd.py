"""An sshd per host on its IPv6 addresses only; root logs in with the lab key."""
import subprocess
from pathlib import Path

from .lab import run, wait_until


def key_file(lab):
    return lab.state_dir / 'ssh' / 'id_ed25519'


def config_file(lab):
    return lab.state_dir / 'ssh' / 'config'


def _sshd_config(lab, host):
    ssh = lab.state_dir / 'ssh'
    listen = ''.join(f'ListenAddress [{address}]:22\n' for address in lab.hosts[host]['addresses'])
    return (f'{listen}AddressFamily inet6\n'
            f'HostKey {ssh}/host_ed25519_key\n'
            f'PidFile {lab.state_dir}/run/sshd-{host}.pid\n'
            f'AuthorizedKeysFile {ssh}/authorized_keys\n'
            'PermitRootLogin prohibit-password\n'
            'PasswordAuthentication no\n'
            'KbdInteractiveAuthentication no\n'
            'UsePAM no\n'
            # The state directory may live under /tmp, which StrictModes refuses.
            'StrictModes no\n'
            'Subsystem sftp internal-sftp\n')


def _client_config(lab):
    blocks = [f"Host {host} {' '.join(entry['addresses'])}\n    HostName {entry['addresses'][0]}\n"
              for host, entry in lab.hosts.items()]
    return ''.join(blocks) + (f'Host *\n    User root\n    IdentityFile {key_file(lab)}\n'
                              '    IdentitiesOnly yes\n    BatchMode yes\n    UserKnownHostsFile /dev/null\n'
                              '    StrictHostKeyChecking no\n    LogLevel ERROR\n    ConnectTimeout 2\n')


def _keygen(path):
    run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'v6lab', '-f', path])


def start(lab):
    ssh = lab.dir('ssh')
    lab.dir('run')
    _keygen(key_file(lab))
    _keygen(ssh / 'host_ed25519_key')
    (ssh / 'authorized_keys').write_text(Path(f'{key_file(lab)}.pub').read_text())
    config_file(lab).write_text(_client_config(lab))
    for host in lab.hosts:
        config = ssh / f'sshd-{host}.conf'
        config.write_text(_sshd_config(lab, host))
        lab.spawn(host, f'sshd-{host}', ['/usr/sbin/sshd', '-D', '-e', '-f', config])
    client = lab.hosts_with_role('ops')[0]
    for host in lab.hosts:
        wait_until(f'sshd on {host} to accept the lab key from {client}',
                   lambda host=host: ssh_ok(lab, client, host))


def ssh_ok(lab, client, host):
    argv = lab.argv_in(client, ['ssh', '-F', config_file(lab), host, 'true'])
    return subprocess.run(argv, capture_output=True).returncode == 0
