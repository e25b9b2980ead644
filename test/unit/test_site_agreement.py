"""Both loaders judge every example under test/sites/ alike: good ones clean, bad ones as annotated.

Each bad example starts with `# expect: <path> <code>` lines, one per expected problem. The Ruby
side comes from test/sites/site_problems.rb (Ipv6Common::Site), run with plain `ruby`.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest

from edge_verify import site as site_mod

REPO_ROOT = Path(__file__).resolve().parents[2]
SITES = REPO_ROOT / "test" / "sites"
RUBY_SCRIPT = SITES / "site_problems.rb"
GOOD = sorted((SITES / "good").glob("*.yml"))
BAD = sorted((SITES / "bad").glob("*.yml"))
EXPECT_RE = re.compile(r"^# expect: (\S+) (\S+)$", re.M)


def python_problems(path):
    try:
        site_mod.load(path)
    except site_mod.SiteError as exc:
        return {(p.path, p.code) for p in exc.problems}
    return set()


def ruby_problems(path):
    assert RUBY_SCRIPT.exists(), "test/sites/site_problems.rb is missing: the Ruby loader cannot be compared"
    result = subprocess.run(["ruby", str(RUBY_SCRIPT), str(path)], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    try:
        found = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"site_problems.rb printed no JSON for {path.name} (exit {result.returncode}): "
                    f"{result.stderr.strip()}")
    return {(p["path"], p["code"]) for p in found}


def expected(path):
    return set(EXPECT_RE.findall(path.read_text()))


def test_examples_exist():
    assert GOOD and BAD


def test_every_schema_code_has_a_bad_example():
    problems_table = (REPO_ROOT / "site" / "SCHEMA.md").read_text().split("## Problems", 1)[1]
    codes = set(re.findall(r"^\| `([a-z_0-9]+)` \|", problems_table, re.M))
    assert codes, "no problem codes found in site/SCHEMA.md"
    covered = {code for path in BAD for _, code in expected(path)}
    assert codes - covered == set()


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_example_has_no_problem_in_python(path):
    assert python_problems(path) == set()


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_example_has_no_problem_in_ruby(path):
    assert ruby_problems(path) == set()


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_example_matches_expectation_in_python(path):
    assert expected(path), f"{path.name} has no `# expect: <path> <code>` line"
    assert python_problems(path) == expected(path)


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_example_matches_expectation_in_ruby(path):
    assert ruby_problems(path) == expected(path)
