"""An sshd per host on its IPv6 addresses only; root and the operator account (account.USER) log in with the
lab key."""
import subprocess
from pathlib import Path

from . import account
from .lab import LabError, run, wait_until


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
    authorize(lab)
    config_file(lab).write_text(_client_config(lab))
    for host in lab.hosts:
        config = ssh / f'sshd-{host}.conf'
        config.write_text(_sshd_config(lab, host))
        lab.spawn(host, f'sshd-{host}', ['/usr/sbin/sshd', '-D', '-e', '-f', config])
    client = lab.hosts_with_role('ops')[0]
    for host in lab.hosts:
        wait_until(f'sshd on {host} to accept the lab key from {client}',
                   lambda host=host: ssh_ok(lab, client, host))
    for host in lab.hosts:
        ok, output = operator_sudo(lab, client, host)
        if not ok:
            raise LabError(f'the operator {account.USER} cannot run `sudo -n true` on {host} over ssh from '
                           f'{client}: {output}')


def authorize(lab):
    """The lab key's public half in STATE/ssh/authorized_keys, for root and the operator. sshd reads the file as
    the user logging in: the operator passes through STATE/ssh (searchable, not listable) and reads the file; the
    private key stays root's (ssh-keygen writes it 0600)."""
    ssh = lab.state_dir / 'ssh'
    authorized = ssh / 'authorized_keys'
    authorized.write_text(Path(f'{key_file(lab)}.pub').read_text())
    authorized.chmod(account.KEYS_MODE)
    ssh.chmod(account.TRAVERSE_MODE)
    return authorized


def ssh_ok(lab, client, host):
    argv = lab.argv_in(client, ['ssh', '-F', config_file(lab), host, 'true'])
    return subprocess.run(argv, capture_output=True).returncode == 0


def operator_sudo(lab, client, host):
    """(True, '') when the operator logs in to host from client and sudo runs a command as root there without a
    password or a tty; else (False, what ssh and sudo said)."""
    argv = lab.argv_in(client, ['ssh', '-F', config_file(lab), f'{account.USER}@{host}', 'sudo -n true'])
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode == 0:
        return True, ''
    return False, (done.stderr or done.stdout).strip() or f'exit {done.returncode}'
