"""Facts are gathered once per host per session, and every remote command is counted."""
from types import SimpleNamespace

import pytest

from edge_verify import facts
from edge_verify.facts import probes


class Backend:
    def __init__(self, name, outputs):
        self.name, self.outputs, self.commands = name, outputs, []

    def get_pytest_id(self):
        return self.name

    def run(self, command, *args, **kwargs):
        self.commands.append(command)
        rc, stdout = self.outputs.get(command, (1, ""))
        return SimpleNamespace(rc=rc, stdout=stdout, stderr="failed" if rc else "")


class Host:
    """testinfra's Host.run goes through backend.run, as here."""

    def __init__(self, backend):
        self.backend = backend

    def run(self, command, *args, **kwargs):
        return self.backend.run(command, *args, **kwargs)


def test_each_fact_is_gathered_once_and_every_command_counted(data):
    backend = Backend("ssh://facts-test-1", {"ss -Hltnuep": (0, data("ss-good-p.txt")),
                                             "ip -o addr": (0, data("ipaddr-good.txt"))})
    host = Host(backend)
    first = facts.facts_for(host)
    assert facts.facts_for(host) is first
    for _ in range(3):
        assert len(first.listeners()) == 4
        first.addresses()
    assert backend.commands == ["ss -Hltnuep", "ip -o addr"]
    host.run("true")  # a command outside the facts is counted too (the backend's run is wrapped)
    assert facts.command_counts()["ssh://facts-test-1"] == 3


def test_a_failed_fact_fails_every_check_that_reads_it():
    backend = Backend("ssh://facts-test-2", {})
    host_facts = facts.facts_for(Host(backend))
    for _ in range(2):
        with pytest.raises(probes.ProbeError, match="`ss -Hltnuep` exited 1"):
            host_facts.listeners()
    assert backend.commands == ["ss -Hltnuep"]
