"""Facts about a host, gathered once per host per session: one remote command per fact.

HostFacts wraps a testinfra host. Each fact (listeners, addresses, the resolver's answers for a set
of names, file modes) is fetched on first use and kept; every check of the session reads the same
copy. The testinfra backend's run is wrapped to count remote commands (see command_counts).
"""
from __future__ import annotations

import collections
import functools
import threading

from edge_verify.facts import probes

_COUNTS = collections.Counter()
_FACTS = {}
_LOCK = threading.Lock()


def host_id(host):
    return host.backend.get_pytest_id()


def count_commands(host):
    """Wrap host's backend run (once) so that every remote command is counted under host's id."""
    backend = host.backend
    if getattr(backend, "_edge_verify_counted", False):
        return host
    run = backend.run
    name = host_id(host)

    @functools.wraps(run)
    def counted(command, *args, **kwargs):
        _COUNTS[name] += 1
        return run(command, *args, **kwargs)

    backend.run = counted
    backend._edge_verify_counted = True
    return host


def command_counts():
    """{host id: remote commands run so far in this process}."""
    return dict(_COUNTS)


class HostFacts:
    """The facts of one testinfra host; each one is gathered on first use, then kept."""

    def __init__(self, host):
        self.host = count_commands(host)
        self.id = host_id(host)
        self._cache = {}

    def _fact(self, key, gather):
        if key not in self._cache:
            try:
                self._cache[key] = (gather(), None)
            except probes.ProbeError as error:
                self._cache[key] = (None, error)
        value, error = self._cache[key]
        if error is not None:
            raise error
        return value

    def listeners(self):
        """Every listening socket (`ss -Hltnuep`)."""
        return self._fact("listeners", lambda: probes.listeners(self.host))

    def addresses(self):
        """Every interface address (`ip -o addr`)."""
        return self._fact("addresses", lambda: probes.interface_addresses(self.host))

    def hostname(self):
        return self._fact("hostname", lambda: probes.hostname(self.host))

    def resolve(self, names, databases):
        """{(database, name): [addresses]} for every name and database, in one command for the set."""
        key = ("resolve", tuple(names), tuple(databases))
        return self._fact(key, lambda: probes.resolve(self.host, list(names), list(databases)))

    def file_modes(self, paths):
        key = ("file_modes", tuple(paths))
        return self._fact(key, lambda: probes.file_modes(self.host, list(paths)))


def facts_for(host):
    """The session's one HostFacts for host."""
    with _LOCK:
        name = host_id(host)
        if name not in _FACTS:
            _FACTS[name] = HostFacts(host)
        return _FACTS[name]
