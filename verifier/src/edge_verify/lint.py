"""IPv6 lint: find IPv4 assumptions in deployment code and rendered configuration.

    edge-verify lint [--exclude GLOB ...] [PATH ...]

With no PATH it scans the project from the current directory: the cookbooks (their specs and docs
excepted), the site files, the Policyfile, the kitchen files and what kitchen runs around the suites
(test/cookbooks, test/kitchen). A PATH may be any file or directory,
such as a host's rendered /etc/keystone. Each finding is printed as `file:line:col: code: what; fix`,
and the exit status is 1 when anything is found, 0 when the scan is clean.

A line that must keep what a rule flags carries `ipv6-lint: allow <reason>` (in the line's own comment
syntax), on that line or alone on the line above it. A marker without a reason is itself a finding.
"""
import argparse
import fnmatch
import ipaddress
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOTS = ("cookbooks", "site", "Policyfile.rb", "kitchen.yml", "kitchen.lab.yml", "kitchen.docker-local.yml",
                 "test/cookbooks", "test/kitchen")
# Specs seed the violations the cookbooks refuse; prose and lock files are not deployed.
DEFAULT_EXCLUDES = ("*/spec/*", "*.md", "*.lock.json", "*/.kitchen/*", "*/.git/*")
MAX_BYTES = 2 * 1024 * 1024
# JSON has no comments: in a .json file, prose keys (a schema's descriptions and messages) are not scanned.
JSON_PROSE = re.compile(r'^\s*"(?:description|title|\$comment|x-[\w-]+)"\s*:\s*"')

ALLOW = re.compile(r"ipv6-lint:\s*allow\b[ \t:,-]*(?P<reason>.*)")
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){OCTET}(?:\.{OCTET}){{3}}(?![\w.])")
MAPPED = re.compile(rf"(?i)::ffff:{OCTET}(?:\.{OCTET}){{3}}(?![\w.])")
# Runs of characters an address with a port is made of; each run is judged whole.
HOSTPORT = re.compile(r"(?<![\w.:\[/])(?P<run>[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:\d{1,5})(?![\w.:\]])")
URL_HOST = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/@\s\[]*@)?(?P<host>[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)")
MEMCACHED_INET = re.compile(r"(?<![\w])inet:(?=[\[\w])")
LOCALHOST = re.compile(r"(?i)(?<![\w.-])localhost(?![\w-])")
WILDCARD_BIND = re.compile(
    r"(?P<opt>(?:--)?(?:http-socket|socket|http|bind|listen))\b[ \t]*=?[ \t]*['\"]?(?P<addr>\*?:\d{1,5})\b")
# Ports an unbracketed `address:port` is most often written with; a run ending in one of these is
# judged a host:port even where the run happens to parse as an IPv6 address as well.
SERVICE_PORTS = {22, 53, 80, 443, 3260, 3306, 4369, 5000, 5432, 5672, 6080, 8000, 8080, 8774, 8775, 8776,
                 8778, 9292, 9696, 11211, 15672, 25672, 35357}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    found: str
    fix: str

    def __str__(self):
        return f"{self.path}:{self.line}:{self.column}: {self.code}: {self.found}; fix: {self.fix}"


def _ipv4_fix(text):
    address = ipaddress.IPv4Address(text)
    if address == ipaddress.IPv4Address("0.0.0.0"):
        return ("0.0.0.0 is every IPv4 address", "bind the host's IPv6 address from the site, or ::1 for a "
                "backend behind the edge (`::` only with v6only)")
    if address.is_loopback:
        return (f"{text} is IPv4 loopback", "write ::1 (bracketed in a URL or host:port: [::1])")
    return (f"{text} is an IPv4 address", "use the host's or endpoint's IPv6 address or name from the site")


def _is_v6(text):
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _host_port(run):
    """(address, port) when the run is an IPv6 address followed by a port, else None."""
    address, _, port = run.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536 or not _is_v6(address):
        return None
    if not _is_v6(run) or int(port) in SERVICE_PORTS:
        return address, port
    return None


def line_findings(path, number, line):
    """Findings on one line, before exceptions are applied."""
    found = []

    def add(match, code, what, fix, group=0):
        found.append(Finding(path, number, match.start(group) + 1, code, what, fix))

    mapped_spans = []
    for match in MAPPED.finditer(line):
        mapped_spans.append(match.span())
        add(match, "ipv4_mapped", f"{match.group(0)} is an IPv4-mapped address",
            "use the IPv6 address itself; a mapped address carries IPv4 traffic")
    for match in IPV4.finditer(line):
        if any(start <= match.start() < end for start, end in mapped_spans):
            continue
        what, fix = _ipv4_fix(match.group(0))
        add(match, "ipv4", what, fix)
    url_hosts = set()
    for match in URL_HOST.finditer(line):
        host = match.group("host").rstrip(":")
        if host.count(":") >= 2:
            url_hosts.add(match.start("host"))
            add(match, "unbracketed_host_port", f"URL host {host} is an unbracketed IPv6 literal",
                f"bracket the literal in the URL: [{host}] (then :port)",
                group="host")
    for match in HOSTPORT.finditer(line):
        if match.start("run") in url_hosts:
            continue
        pair = _host_port(match.group("run"))
        if pair:
            add(match, "unbracketed_host_port", f"{match.group('run')} is an IPv6 address and port without brackets",
                f"write [{pair[0]}]:{pair[1]} (a consumer that needs the bare form takes an allow marker)",
                group="run")
    for match in MEMCACHED_INET.finditer(line):
        add(match, "memcached_inet", "memcached server in the IPv4 `inet:` form",
            "inet6:[::1]:11211 for oslo_cache.memcache_pool, [::1]:11211 for dogpile.cache.pymemcache "
            "and keystonemiddleware")
    for match in LOCALHOST.finditer(line):
        add(match, "localhost", "`localhost` resolves to 127.0.0.1 only in Debian's /etc/hosts",
            "write [::1] in a URL or host:port, ::1 in a bind option")
    for match in WILDCARD_BIND.finditer(line):
        add(match, "wildcard_bind", f"{match.group('opt')} {match.group('addr')} binds every IPv4 address",
            f"bind [::1]{match.group('addr').lstrip('*')} (or the host's bracketed IPv6 address)", group="addr")
    return found


def scan_text(path, text):
    findings = []
    allowed_next = False
    json_file = str(path).endswith(".json")
    for number, line in enumerate(text.splitlines(), 1):
        if json_file and JSON_PROSE.match(line):
            continue
        marker = ALLOW.search(line)
        allowed_here = allowed_next
        allowed_next = False
        if marker:
            if not marker.group("reason").strip(" \t#*/->"):
                findings.append(Finding(path, number, marker.start() + 1, "allow_without_reason",
                                        "an ipv6-lint exception gives no reason",
                                        "write `ipv6-lint: allow <why this line must stay>`"))
                continue
            own = line[:marker.start()].strip(" \t#/*-<!;")
            if own:
                allowed_here = True
            else:
                allowed_next = True
                continue
        if allowed_here:
            continue
        findings.extend(line_findings(path, number, line))
    return findings


def _excluded(path, excludes):
    text = path.as_posix()
    return any(fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch("/" + text, pattern) for pattern in excludes)


def _files(root, excludes):
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not _excluded(path, excludes):
            yield path


def _read_text(path):
    try:
        data = path.read_bytes()[:MAX_BYTES]
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def scan(paths, excludes=DEFAULT_EXCLUDES):
    findings = []
    for root in paths:
        for path in _files(Path(root), excludes):
            text = _read_text(path)
            if text is not None:
                findings.extend(scan_text(str(path), text))
    return findings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="edge-verify lint", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or directories (default: the project's deployment code)")
    parser.add_argument("--exclude", action="append", default=None, metavar="GLOB",
                        help="skip files matching GLOB (repeatable; replaces the default "
                        f"{' '.join(DEFAULT_EXCLUDES)})")
    args = parser.parse_args(argv)
    paths = args.paths or [root for root in DEFAULT_ROOTS if Path(root).exists()]
    if not paths:
        print("edge-verify lint: nothing to scan (run it from the project's top directory or give paths)",
              file=sys.stderr)
        return 2
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"edge-verify lint: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    findings = scan(paths, tuple(args.exclude) if args.exclude is not None else DEFAULT_EXCLUDES)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
        return 1
    return 0
