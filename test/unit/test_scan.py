"""edge-verify scan: the testssl command line and the verdict on its JSON findings (no testssl run)."""
import json
from types import SimpleNamespace

from edge_verify import scan

FINDINGS = [{"id": "TLS1_3", "severity": "OK", "finding": "offered"},
            {"id": "HSTS", "severity": "LOW", "finding": "not offered"},
            {"id": "BREACH", "severity": "MEDIUM", "finding": "potentially VULNERABLE"},
            {"id": "scanTime", "severity": "WARN", "finding": "3"}]


def test_argv_scans_the_site_address_by_name_trusting_the_site_ca(lab):
    argv = scan.testssl_argv(lab.endpoints["keystone"], "2001:db8:10::11", "/ca.pem", "/tmp/k.json", scan.SUBSET)
    assert argv[0] == "testssl" and argv[-1] == "https://keystone.lab.example.net:5000"
    assert argv[argv.index("--ip") + 1] == "2001:db8:10::11" and argv[argv.index("--add-ca") + 1] == "/ca.pem"
    assert ["-p", "-s", "-f", "-U", "-h"] == argv[-6:-1]


def test_medium_or_worse_fails_and_low_is_reported_only():
    counts, bad = scan.summarise(FINDINGS, "MEDIUM")
    assert counts == {"OK": 1, "LOW": 1, "MEDIUM": 1, "WARN": 1}
    assert [f["id"] for f in bad] == ["BREACH"]
    assert scan.summarise(FINDINGS, "HIGH")[1] == []
    assert [f["id"] for f in scan.summarise(FINDINGS, "LOW")[1]] == ["HSTS", "BREACH"]


def test_a_scan_without_a_report_is_an_error(lab, tmp_path):
    def no_report(argv, **kwargs):
        return SimpleNamespace(returncode=245, stdout="", stderr="can't connect")
    findings, _, error = scan.scan_endpoint(lab.endpoints["nova"], "2001:db8:10::11", "/ca.pem", (), tmp_path,
                                            run=no_report)
    assert findings == [] and "testssl exited 245 without a JSON report: can't connect" in error


def test_a_scan_reads_its_json_report(lab, tmp_path):
    def writes_report(argv, **kwargs):
        with open(argv[argv.index("--jsonfile") + 1], "w") as report:
            json.dump(FINDINGS, report)
        return SimpleNamespace(returncode=1, stdout="", stderr="")
    findings, _, error = scan.scan_endpoint(lab.endpoints["nova"], "2001:db8:10::11", "/ca.pem", (), tmp_path,
                                            run=writes_report)
    assert error is None and findings == FINDINGS


def test_unknown_endpoint_is_refused(capsys):
    assert scan.main(["--site", "site/lab.yml", "--endpoint", "keystnoe"]) == 2
    assert "no endpoint keystnoe in site/lab.yml" in capsys.readouterr().err
