"""`edge-verify scan`: Debian's testssl.sh against every site endpoint, summarised per endpoint.

An external cross-check of the TLS checks: testssl judges protocols, ciphers, forward secrecy,
known vulnerabilities and headers on its own terms. Each endpoint is scanned on each of its host's
site addresses (`--ip`, with the endpoint's name for SNI) trusting the site's CA. The exit status is
1 when any finding is at --fail-on (default MEDIUM) or worse, or a scan fails.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edge_verify import site as site_mod

TESTSSL = "testssl"
SEVERITIES = ("OK", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
SUBSET = ("-p", "-s", "-f", "-U", "-h")  # protocols, cipher categories, forward secrecy, vulnerabilities, headers


def rank(severity):
    """Order of a testssl severity (WARN, DEBUG and unknown ones rank as INFO)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else SEVERITIES.index("INFO")


def testssl_argv(endpoint, address, ca_bundle, json_file, checks, timeout=10):
    return [TESTSSL, "--quiet", "--color", "0", "--warnings", "batch", "-6", "--ip", str(address),
            "--add-ca", str(ca_bundle), "--connect-timeout", str(timeout), "--openssl-timeout", str(timeout),
            "--jsonfile", str(json_file), *checks, f"https://{endpoint.fqdn}:{endpoint.port}"]


def summarise(findings, fail_on):
    """(counts per severity, findings at fail_on or worse) from testssl's flat JSON findings."""
    counts = collections.Counter(f.get("severity", "INFO") for f in findings)
    bad = [f for f in findings if rank(f.get("severity", "INFO")) >= rank(fail_on)]
    return counts, bad


def scan_endpoint(endpoint, address, ca_bundle, checks, workdir, run=subprocess.run):
    """testssl on one endpoint address: (findings, seconds, error or None)."""
    json_file = Path(workdir) / f"{endpoint.name}-{str(address).replace(':', '_')}.json"
    started = time.monotonic()
    done = run(testssl_argv(endpoint, address, ca_bundle, json_file, checks), capture_output=True, text=True)
    seconds = time.monotonic() - started
    try:
        findings = json.loads(json_file.read_text())
    except (OSError, ValueError):
        output = (done.stderr or done.stdout)[-500:]
        return [], seconds, f"testssl exited {done.returncode} without a JSON report: {output}"
    # testssl's exit status counts findings of its own choosing; the JSON report is what is judged.
    return findings, seconds, None


def main(argv):
    parser = argparse.ArgumentParser(prog="edge-verify scan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default=os.environ.get("EDGE_SITE", "site/lab.yml"),
                        help="site file, relative to the current directory (default $EDGE_SITE or site/lab.yml)")
    parser.add_argument("--ca-bundle", help="the CA clients trust (default: the site's pki.ca_bundle)")
    parser.add_argument("--endpoint", action="append", help="scan only this endpoint (repeatable)")
    parser.add_argument("--subset", action="store_true",
                        help=f"only testssl {' '.join(SUBSET)} (about a minute per endpoint, not 150 s)")
    parser.add_argument("--fail-on", default="MEDIUM", choices=SEVERITIES[2:],
                        help="fail on findings of this severity or worse (default MEDIUM)")
    parser.add_argument("--json", metavar="FILE", help="write the summary and every finding as JSON")
    args = parser.parse_args(argv)
    try:
        site = site_mod.load_option(os.path.abspath(args.site), os.getcwd())
    except site_mod.SiteError as error:
        print(f"edge-verify scan: the site file {args.site} is invalid:\n{error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"edge-verify scan: the site file {args.site} cannot be read: {error.strerror}", file=sys.stderr)
        return 2
    unknown = sorted(set(args.endpoint or ()) - set(site.endpoints))
    if unknown:
        print(f"edge-verify scan: no endpoint {', '.join(unknown)} in {site.source}; endpoints: "
              f"{', '.join(site.endpoints)}", file=sys.stderr)
        return 2
    ca_bundle = args.ca_bundle or site.ca_bundle
    checks = SUBSET if args.subset else ()
    endpoints = [site.endpoints[name] for name in (args.endpoint or sorted(site.endpoints))]
    results, failed = [], False
    with tempfile.TemporaryDirectory(prefix="edge-verify-scan-") as workdir:
        for endpoint in endpoints:
            for address in site.hosts[endpoint.host].addresses:
                findings, seconds, error = scan_endpoint(endpoint, address, ca_bundle, checks, workdir)
                counts, bad = summarise(findings, args.fail_on)
                failed = failed or bool(bad) or error is not None
                results.append({"endpoint": endpoint.name, "host": endpoint.host, "address": str(address),
                                "seconds": round(seconds, 1), "error": error, "counts": dict(counts),
                                "failing": bad, "findings": findings})
                print(f"{endpoint.name} [{address}]:{endpoint.port}  {seconds:.0f} s  "
                      + "  ".join(f"{s} {counts[s]}" for s in SEVERITIES if counts[s]), flush=True)
                for finding in bad:
                    print(f"  {finding.get('severity')}: {finding.get('id')}: {finding.get('finding')}")
                for finding in findings:
                    if finding.get("severity") == "LOW":
                        print(f"  LOW: {finding.get('id')}: {finding.get('finding')}")
                if error:
                    print(f"  ERROR: {error}")
    if args.json:
        Path(args.json).write_text(json.dumps({"site": site.source, "fail_on": args.fail_on, "checks": list(checks),
                                               "results": results}, indent=2) + "\n")
    verdict = "FAILED" if failed else "ok"
    print(f"scan {verdict}: {len(results)} endpoint address(es), failing at {args.fail_on} or worse")
    return 1 if failed else 0
