"""The pytest plugin and the edge-verify command, run in a scratch directory (pytester)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_SITE = REPO / "site" / "lab.yml"
BAD_SITE = REPO / "test" / "sites" / "bad" / "ipv4.yml"

pytest_plugins = ["pytester"]


def edge_verify(*args, cwd):
    """The installed command, as an operator runs it (python -m edge_verify = edge-verify)."""
    return subprocess.run([sys.executable, "-m", "edge_verify", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("site, message", [
    ("missing.yml", "missing.yml does not exist; check the path, or create the site file"),
    (str(BAD_SITE), "is invalid:\nhosts.box1.addresses[0]: 192.0.2.10 is IPv4"),
])
def test_a_bad_site_is_one_clear_error(tmp_path, site, message):
    """No traceback, no collection error per module: one message and pytest's usage-error status."""
    done = edge_verify(f"--site={site}", "--hosts=local://", cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert message in output and "Traceback" not in output and output.count("ERROR") == 1, output


def test_site_is_relative_to_the_current_directory(tmp_path):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "here.yml").write_text(LAB_SITE.read_text())
    done = edge_verify("--site=sites/here.yml", "--hosts=local://", "--collect-only", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_endpoint_cert_chains_to_org_ca[keystone]" in done.stdout


def test_hosts_come_from_the_site_when_hosts_is_left_out(tmp_path):
    done = edge_verify(f"--site={LAB_SITE}", "--collect-only", "-q", "-k", "no_ipv4_address", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for address in ("2001:db8:10::53", "2001:db8:10::11", "2001:db8:10::21", "2001:db8:10::31"):
        assert f"test_no_ipv4_address_on_host[ssh://{address}]" in done.stdout, done.stdout


def test_report_json_holds_every_problem_and_summary_groups_by_host(pytester):
    pytester.makepyfile(test_checks='''
        from edge_verify.problem import Problem

        def test_bad(check):
            check([Problem("ctl1", "ipv4", "python3 on 0.0.0.0:7997 (IPv4)", "v6 only", "the host", "ss")],
                  host="ctl1")

        def test_good(check):
            check([], host="ops1")
    ''')
    result = pytester.runpytest(f"--site={LAB_SITE}", "--report", "json", "report.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["ctl1: python3 on 0.0.0.0:7997 (IPv4); site expects v6 only; fix the host [ipv4; ss]",
                                 "*edge-verify: results by host*", "ctl1 * 0 passed    1 failed*problems: ipv4 x1",
                                 "ops1 * 1 passed    0 failed*problems: -"])
    report = json.loads((pytester.path / "report.json").read_text())
    assert [p["code"] for p in report["problems"]] == ["ipv4"]
    assert {t["test"].split("::")[-1]: t["outcome"] for t in report["tests"]} == {"test_bad": "failed",
                                                                                  "test_good": "passed"}


def test_unknown_report_format_is_a_usage_error(pytester):
    result = pytester.runpytest("--report", "xml", "r.xml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--report xml: the formats are json*"])


def test_xdist_workers_report_to_junit_json_and_the_summary_by_host(pytester):
    """With -n 2 the problems and results of every worker reach the controller's summary and reports."""
    pytester.makepyfile(test_hosts='''
        import pytest
        from edge_verify.problem import Problem

        @pytest.mark.parametrize("name", ["ctl1", "cmp1", "ops1", "dns1"])
        def test_host(check, name):
            check([Problem(name, "dual_stack", "x on *:1", "v6only", "the host", "ss")] if name == "cmp1" else [],
                  host=name)
    ''')
    result = pytester.runpytest_subprocess(f"--site={LAB_SITE}", "-n", "2", "--junitxml=j.xml",
                                           "--report", "json", "r.json", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*edge-verify: results by host*", "cmp1 * 0 passed    1 failed*dual_stack x1",
                                 "ctl1 * 1 passed*", "dns1 * 1 passed*", "ops1 * 1 passed*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "r.json").read_text())
    assert sorted(t["host"] for t in report["tests"]) == ["cmp1", "ctl1", "dns1", "ops1"]
    assert "testcase" in (pytester.path / "j.xml").read_text()
