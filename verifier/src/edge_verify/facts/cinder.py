"""Probes for Cinder's target: cinder.conf from the host, a SendTargets discovery from the client."""
from __future__ import annotations

import shutil
import subprocess

from edge_verify.checks import cinder
from edge_verify.facts.probes import ProbeError

DISCOVERY_TIMEOUT = 15.0


def conf(host):
    """cinder.conf of a testinfra host, parsed; a missing file is a ProbeError (never an empty pass)."""
    result = host.run(f"cat {cinder.CONF}")
    if result.rc != 0:
        raise ProbeError(f"{host.backend.get_pytest_id()}: `cat {cinder.CONF}` exited {result.rc}: "
                         f"{result.stderr.strip()}")
    return cinder.parse_conf(result.stdout)


def discovery_url(address, port):
    return f"iscsi://[{address}]:{int(port)}"


def discover(address, port, timeout=DISCOVERY_TIMEOUT):
    """A real SendTargets discovery with libiscsi's iscsi-ls from this machine: (exit status, output, source)."""
    tool = shutil.which("iscsi-ls")
    if tool is None:
        raise ProbeError("iscsi-ls (Debian libiscsi-bin) is not installed on the client")
    argv = [tool, "-s", discovery_url(address, port)]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, f"no answer within {timeout:.0f} s", " ".join(argv)
    return result.returncode, result.stdout + result.stderr, " ".join(argv)
