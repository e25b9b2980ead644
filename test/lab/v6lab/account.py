"""The operator account: a non-root user on every lab host who logs in with the lab key and runs commands as
root through sudo, as an operator of a real estate runs the verifier (`edge-verify --sudo`).

Only the hosts' private /etc has it (/etc/netns/NS): passwd, shadow and group are the machine's files plus one
line each, and sudoers.d is a copy of the machine's directory plus one rule (`ip netns exec` mounts each entry of
/etc/netns/NS over its /etc namesake, a directory over the whole directory). The machine's files never change.
A daemon keeps the files it started with: a file replaced by a rename is not the one mounted in it.

sshd runs without PAM, so it refuses an account whose shadow password starts with `!` (locked); `*` means no
password login and not locked, and the lab key is the only way in. sshd reads AuthorizedKeysFile as the user:
the state directory and its ssh directory are searchable by others (TRAVERSE_MODE) and the authorized keys
file readable (KEYS_MODE); the private key stays root's, 0600. The home directory is STATE/home/USER."""
import os
import shutil
import stat
from pathlib import Path

from .lab import LabError

USER = 'edgeop'
SHELL = '/bin/sh'
GECOS = 'lab operator'
FIRST_ID = 1000  # UID_MIN and GID_MIN of Debian's login.defs: the first id of an ordinary account
SUDO = Path('/usr/bin/sudo')
SUDOERS_DIR = 'sudoers.d'
SUDOERS_MODE = 0o440  # sudo ignores a sudoers file group or others can write; visudo writes 0440
TRAVERSE_MODE = 0o711  # others may pass through the state and ssh directories, not list them
KEYS_MODE = 0o644
HOME_MODE = 0o700


def used_ids(passwd_text, group_text):
    """Every uid of passwd and gid of passwd and group."""
    ids = set()
    for line in passwd_text.splitlines():
        fields = line.split(':')
        if len(fields) > 3:
            ids.update(int(field) for field in fields[2:4] if field.isdigit())
    for line in group_text.splitlines():
        fields = line.split(':')
        if len(fields) > 2 and fields[2].isdigit():
            ids.add(int(fields[2]))
    return ids


def free_id(passwd_text, group_text, first=FIRST_ID):
    """The smallest id from first that no account or group of the machine uses, for both the user and its
    group (USER's own lines, if the machine has any, do not count: the private copies replace them)."""
    used = used_ids(without_user(passwd_text), without_user(group_text))
    found = first
    while found in used:
        found += 1
    return found


def without_user(text, user=USER):
    """text without the lines of user (passwd, shadow and group lines start with `NAME:`)."""
    return ''.join(line for line in text.splitlines(keepends=True) if not line.startswith(f'{user}:'))


def lines(uid, home):
    """{account file: the operator's line in it}."""
    return {'passwd': f'{USER}:x:{uid}:{uid}:{GECOS}:{home}:{SHELL}',
            # `*`: no password, not locked; the empty fields turn password ageing off
            'shadow': f'{USER}:*:::::::',
            'group': f'{USER}:x:{uid}:'}


def with_line(text, line):
    """The machine's file text with USER's line (in place of any it has) at the end."""
    text = without_user(text)
    if text and not text.endswith('\n'):
        text += '\n'
    return f'{text}{line}\n'


def sudoers_rule():
    """The operator runs any command as any user, without a password (a login without a tty cannot give one)."""
    return f'{USER} ALL=(ALL) NOPASSWD: ALL\n'


def home(lab):
    return lab.state_dir / 'home' / USER


def unsearchable(path):
    """The first directory from / down to path (included) that others cannot pass through, or None."""
    path = Path(path).resolve()
    for directory in (*reversed(path.parents), path):
        if not directory.stat().st_mode & stat.S_IXOTH:
            return directory
    return None


def prepare(lab, etc=Path('/etc')):
    """The operator's id (the same on every host) and home; the state directory made searchable. Returns the
    id. LabError when sudo is missing or a directory above the state directory keeps the operator out."""
    if not (etc / SUDOERS_DIR).is_dir() or not SUDO.exists():
        raise LabError(f'sudo is not installed ({etc / SUDOERS_DIR} or {SUDO} is missing); bin/bootstrap '
                       'installs it (packages.debian)')
    lab.state_dir.chmod(TRAVERSE_MODE)
    blocked = unsearchable(lab.state_dir)
    if blocked is not None:
        raise LabError(f'the operator {USER} cannot reach the lab key under {lab.state_dir}: {blocked} is mode '
                       f'{stat.S_IMODE(blocked.stat().st_mode):04o}, others cannot pass through it; '
                       'choose a state directory under searchable directories (--state-dir)')
    uid = free_id((etc / 'passwd').read_text(), (etc / 'group').read_text())
    directory = home(lab)
    directory.mkdir(parents=True, exist_ok=True)
    directory.parent.chmod(TRAVERSE_MODE)
    os.chown(directory, uid, uid)
    directory.chmod(HOME_MODE)
    return uid


def write_etc(lab, uid, target, etc=Path('/etc')):
    """The operator's private account files and sudoers directory in a host's target (/etc/netns/NS), owned and
    moded as the machine's (shadow is never readable by others, not even while it is written)."""
    for name, line in lines(uid, home(lab)).items():
        source = etc / name
        info = source.stat()
        descriptor = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, 'w') as copy:
            copy.write(with_line(source.read_text(), line))
            os.fchown(descriptor, info.st_uid, info.st_gid)
            os.fchmod(descriptor, stat.S_IMODE(info.st_mode))
    sudoers = target / SUDOERS_DIR
    shutil.copytree(etc / SUDOERS_DIR, sudoers, symlinks=True)
    rule = sudoers / USER
    rule.write_text(sudoers_rule())
    rule.chmod(SUDOERS_MODE)


def target(lab, host):
    """The testinfra host of host as the operator (`--sudo` runs each command as root on it)."""
    return f'ssh://{USER}@[{lab.address(host)}]'
