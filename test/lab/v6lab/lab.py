"""The lab's state: its site, its state directory, and how to run things in a host."""
import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[3]
DEFAULT_STATE = Path('/var/lib/v6lab')
# Site files name lab files under this prefix; it is rewritten to the state directory.
SITE_STATE_PREFIX = '/var/lib/v6lab'
NS_PREFIX = 'v6lab-'
BRIDGE = 'v6lab-br0'
# Directories under /var the services of a host write (databases, logs): each host has its own copy
# (state/hostvar/HOST/...), bind-mounted like /run, so a converge never writes the machine's own.
HOST_VAR_DIRS = ('lib/keystone', 'lib/placement', 'log/keystone', 'log/placement')
# sh -c script: $1 = the host's /run, $2 = its /var copies, $3 = its UTS namespace file, the rest =
# the command.
ENTER_HOST = ('mount --bind "$1" /run && for d in ' + ' '.join(HOST_VAR_DIRS) + '; do '
              'if [ -d "$2/$d" ] && [ -d "/var/$d" ]; then mount --bind "$2/$d" "/var/$d" || exit 1; fi; done; '
              'uts=$3 && shift 3 && exec nsenter --uts="$uts" "$@"')
# Linux limits interface names to 15 characters; host-side veths are NS_PREFIX + host.
MAX_HOST_NAME = 15 - len(NS_PREFIX)


class LabError(Exception):
    """A lab stage failed; the message says what and where to look."""


def state_dir_from(option):
    """The state directory: the option, else $V6LAB_STATE, else /var/lib/v6lab."""
    return Path(option or os.environ.get('V6LAB_STATE') or DEFAULT_STATE).resolve()


def resolve_site(site, state_dir):
    """A copy of the site with every path under /var/lib/v6lab moved under state_dir."""
    if isinstance(site, dict):
        return {key: resolve_site(value, state_dir) for key, value in site.items()}
    if isinstance(site, list):
        return [resolve_site(value, state_dir) for value in site]
    if isinstance(site, str) and (site == SITE_STATE_PREFIX or site.startswith(SITE_STATE_PREFIX + '/')):
        return str(state_dir) + site[len(SITE_STATE_PREFIX):]
    return site


def run(argv, **kwargs):
    """Run a command; on failure raise LabError with its output."""
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise LabError(f"{' '.join(map(str, argv))} exited {done.returncode}: "
                       f"{(done.stderr or done.stdout).strip()}")
    return done.stdout


def wait_until(what, predicate, timeout=15.0, interval=0.1):
    """Poll predicate until it returns a true value; raise LabError naming what after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise LabError(f'timed out after {timeout:.0f} s waiting for {what}')
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f'/proc/{pid}/stat').read_text().split(') ')[-1].startswith('Z')


def stop_pids(pids, timeout=10.0):
    """SIGTERM each pid, then SIGKILL what is still alive at the deadline."""
    pids = [pid for pid in pids if pid_alive(pid)]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    try:
        wait_until('processes to exit', lambda: not any(map(pid_alive, pids)), timeout)
    except LabError:
        for pid in filter(pid_alive, pids):
            os.kill(pid, signal.SIGKILL)
        wait_until(f'killed processes {pids} to exit', lambda: not any(map(pid_alive, pids)), 5)


class Lab:
    """A lab described by its resolved site file in its state directory."""

    def __init__(self, state_dir, site):
        self.state_dir = Path(state_dir)
        self.site = site

    @classmethod
    def open(cls, state_dir):
        path = Path(state_dir) / 'site.yml'
        if not path.exists():
            raise LabError(f'no lab in {state_dir} ({path} is missing); run `lab up` first')
        return cls(state_dir, yaml.safe_load(path.read_text()))

    @property
    def site_file(self):
        return self.state_dir / 'site.yml'

    @property
    def hosts(self):
        return self.site['hosts']

    def address(self, host):
        return self.hosts[host]['addresses'][0]

    def role(self, host):
        return self.hosts[host]['roles'][0]

    def hosts_with_role(self, role):
        return [name for name, host in self.hosts.items() if role in host['roles']]

    def ns(self, host):
        return NS_PREFIX + host

    def uts_file(self, host):
        return self.state_dir / 'uts' / host

    def dir(self, *parts):
        """A directory in the state directory, created if missing."""
        path = self.state_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def path(self, *parts):
        """A path in the state directory, its parent directory created."""
        return self.dir(*parts[:-1]) / parts[-1]

    def run_dir(self, host):
        """host's own /run (pid files, sockets), so no daemon of a host writes the machine's /run."""
        return self.state_dir / 'hostrun' / host

    def var_dir(self, host):
        return self.state_dir / 'hostvar' / host

    def argv_in(self, host, argv):
        """argv run inside host's network namespace (its /etc/netns files), UTS namespace and /run.

        `ip netns exec` gives every command a mount namespace of its own, so the /run bind mount
        stays inside the command and the processes it starts (sshd sessions included)."""
        return ['ip', 'netns', 'exec', self.ns(host), 'sh', '-c', ENTER_HOST, 'enter',
                str(self.run_dir(host)), str(self.var_dir(host)), str(self.uts_file(host)), *map(str, argv)]

    def run_in(self, host, argv, **kwargs):
        return run(self.argv_in(host, argv), **kwargs)

    def spawn(self, host, name, argv):
        """Start a long-running process in host, its output in logs/NAME.log, its pid recorded."""
        log = self.path('logs', f'{name}.log').open('ab')
        process = subprocess.Popen(self.argv_in(host, argv), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.path('pids', f'{name}.pid').write_text(f'{process.pid}\n')
        return process.pid

    def recorded_pids(self):
        pid_dir = self.state_dir / 'pids'
        return sorted(int(p.read_text()) for p in pid_dir.glob('*.pid')) if pid_dir.is_dir() else []
