"""The pytest plugin (entry point pytest11): options, the session `site`, problem reports.

Options: --site (relative to the current directory), --ca-bundle (the operator's copy of the CA),
--report json FILE (every problem as JSON, beside --junitxml). With xdist (-n N) the tests of one
host go to one worker (--dist loadgroup unless --dist is given), so its facts are gathered once.
The terminal summary groups the results by host.
"""
from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pytest

from edge_verify import facts as facts_mod
from edge_verify import policy as policy_mod
from edge_verify import site as site_mod
from edge_verify.facts import parsers
from edge_verify.problem import render

DEFAULT_SITE = "site/lab.yml"
REPORT_FORMATS = ("json",)
PROPERTY = "edge_verify"


def pytest_addoption(parser):
    group = parser.getgroup("edge_verify", "IPv6 edge verifier")
    group.addoption("--site", default=os.environ.get("EDGE_SITE", DEFAULT_SITE),
                    help="site description file, relative to the current directory unless absolute "
                         f"(default: $EDGE_SITE or {DEFAULT_SITE})")
    group.addoption("--transport-url-file", dest="transport_url_file",
                    default=os.environ.get("EDGE_TRANSPORT_URL_FILE", "/etc/ipv6_edge/oslo_messaging.conf"),
                    help="the oslo.messaging config ipv6_rabbitmq::client renders (its transport_url is used "
                         "as is by the AMQP client check)")
    group.addoption("--ca-bundle", default=None, metavar="FILE",
                    help="the CA certificates clients trust (default: the site's pki.ca_bundle path, read "
                         "where pytest runs)")
    group.addoption("--report", nargs=2, metavar=("FORMAT", "FILE"), default=None,
                    help="also write every problem found to FILE (FORMAT: json)")


def pytest_configure(config):
    config.addinivalue_line("markers", "client_side: checks made from where pytest runs (TLS, DNS, "
                            "requests through the edge), so they can be repeated from another client host")
    report = config.getoption("report")
    if report and report[0] not in REPORT_FORMATS:
        raise pytest.UsageError(f"--report {report[0]}: the formats are {', '.join(REPORT_FORMATS)}")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Results(config), "edge_verify_results")


@pytest.hookimpl(trylast=True)
def pytest_cmdline_main(config):
    """Under xdist, keep each host's tests on one worker unless --dist was given."""
    given = any(arg == "--dist" or arg.startswith("--dist=") or arg in ("-d",)
                for arg in config.invocation_params.args)
    if getattr(config.option, "dist", "no") == "load" and not given:
        config.option.dist = "loadgroup"


def site_path(config):
    """--site as a path: relative to the current directory unless absolute."""
    return Path(os.path.abspath(config.getoption("site")))


def load_site(config):
    """The site named by --site; a bad or missing site is a usage error (one message, no traceback)."""
    path = site_path(config)
    try:
        return site_mod.load_option(str(path), os.getcwd())
    except site_mod.SiteError as error:
        raise pytest.UsageError(f"the site file {config.getoption('site')} is invalid:\n{error}") from None
    except OSError as error:
        raise pytest.UsageError(f"the site file {config.getoption('site')} cannot be read: "
                                f"{error.strerror}") from None


_SITE_ERROR = pytest.StashKey()


def defer_usage_error(config, error):
    """Keep a usage error met in a collection hook for pytest_collection_finish, so that it is one usage
    error and not one error per module (the first one kept)."""
    config.stash.setdefault(_SITE_ERROR, error)


def site_or_none(config):
    """load_site for collection hooks: None when the site is bad, the error kept for
    pytest_collection_finish."""
    try:
        return load_site(config)
    except pytest.UsageError as error:
        defer_usage_error(config, error)
        return None


def pytest_sessionstart(session):
    """An xdist controller collects nothing itself: check the site before the workers start."""
    config = session.config
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput") and \
            any("edge_verify" in str(arg) for arg in config.args):
        load_site(config)


def pytest_collection_finish(session):
    error = session.config.stash.get(_SITE_ERROR, None)
    if error is not None:
        raise error


@pytest.fixture(scope="session")
def site(pytestconfig):
    """The validated site description every suite reads its expectations from."""
    return load_site(pytestconfig)


@pytest.fixture(scope="session")
def policy(pytestconfig, site):
    """What the site allows beyond the rules (policy.ipv4_loopback, policy.allowed_listeners)."""
    return policy_mod.policy_of(site)


@pytest.fixture(scope="session")
def ca_bundle_file(pytestconfig, site):
    """The CA bundle clients trust: --ca-bundle, else the site's pki.ca_bundle."""
    path = pytestconfig.getoption("ca_bundle") or site.ca_bundle
    if not os.path.isfile(path):
        hint = "" if pytestconfig.getoption("ca_bundle") else "; give the operator's copy with --ca-bundle FILE"
        pytest.fail(f"the CA bundle {path} is not a readable file{hint}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def ca_bundle(ca_bundle_file):
    """The certificates of the CA bundle."""
    with open(ca_bundle_file, "rb") as bundle:
        return parsers.load_pem_chain(bundle.read())


@pytest.fixture
def check(request):
    """check(problems, host=NAME): record the problems for the reports, fail with all of them if any."""

    def verdict(problems, host):
        problems = list(problems)
        request.node.user_properties.append((PROPERTY, json.dumps(
            {"host": host, "problems": [p.to_dict() for p in problems]})))
        if problems:
            pytest.fail(render(problems), pytrace=False)

    return verdict


def pytest_sessionfinish(session):
    """On an xdist worker: hand the remote command counts to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput[PROPERTY + "_commands"] = facts_mod.command_counts()


class Results:
    """Collects every test's host and problems (from the workers too, through user_properties);
    prints them grouped by host and writes --report."""

    def __init__(self, config):
        self.config = config
        self.tests = []
        self.worker_commands = collections.Counter()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """An xdist worker ends: add the remote commands it ran."""
        self.worker_commands.update((getattr(node, "workeroutput", None) or {}).get(PROPERTY + "_commands", {}))

    def remote_commands(self):
        """{host id: remote commands run}, over this process and every xdist worker."""
        return dict(collections.Counter(facts_mod.command_counts()) + self.worker_commands)

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and not (report.failed or report.skipped):
            return
        recorded = [json.loads(value) for name, value in report.user_properties if name == PROPERTY]
        host = recorded[-1]["host"] if recorded else None
        problems = [p for entry in recorded for p in entry["problems"]]
        nodeid = report.nodeid  # under --dist loadgroup xdist appends "@GROUP" to parametrized ids
        nodeid = nodeid[:nodeid.rindex("]@") + 1] if "]@" in nodeid else nodeid
        self.tests.append({"test": nodeid, "host": host, "outcome": report.outcome,
                           "when": report.when, "problems": problems,
                           "message": None if report.passed or problems else str(report.longrepr)[-2000:]})

    def pytest_terminal_summary(self, terminalreporter):
        if not any(test["host"] for test in self.tests):
            return
        by_host = collections.defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0, "codes": collections.Counter()})
        for test in self.tests:
            entry = by_host[test["host"] or "(no host)"]
            entry[test["outcome"]] = entry.get(test["outcome"], 0) + 1
            entry["codes"].update(p["code"] for p in test["problems"])
        terminalreporter.section("edge-verify: results by host")
        for host, entry in sorted(by_host.items()):
            codes = ", ".join(f"{code} x{n}" for code, n in sorted(entry["codes"].items())) or "-"
            terminalreporter.write_line(f"{host:<12} {entry['passed']:4d} passed {entry['failed']:4d} failed "
                                        f"{entry['skipped']:3d} skipped   problems: {codes}")
        counts = self.remote_commands()
        terminalreporter.write_line(f"remote commands: {sum(counts.values())} "
                                    f"({', '.join(f'{h} {n}' for h, n in sorted(counts.items())) or 'none'})")

    def pytest_sessionfinish(self, session, exitstatus):
        report = self.config.getoption("report")
        if not report:
            return
        problems = [p for test in self.tests for p in test["problems"]]
        document = {"site": self.config.getoption("site"), "exit_status": int(exitstatus),
                    "remote_commands": self.remote_commands(), "problems": problems, "tests": self.tests}
        Path(report[1]).write_text(json.dumps(document, indent=2) + "\n")
