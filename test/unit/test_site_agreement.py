"""Both loaders judge every site alike: the same problems with the same messages, the same normalised site.

Each bad example under test/sites/bad starts with `# expect: <path> <code>` lines, one per expected
problem. Beyond the examples, every good example is mutated deterministically (wrong types, missing
keys, unknown keys, swapped address families, added and dropped brackets, out-of-range ports, ...) and
both loaders must agree on each mutated site. The Ruby side (Ipv6Common::Site) runs once for all
sites, through test/sites/site_problems.rb.
"""
import copy
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
# Files that are no site at all: both loaders must still give one problem, never a traceback.
ODD = ["test/sites/no-such-site.yml", "test/sites", "site/lab.yml"]
EXPECT_RE = re.compile(r"^# expect: (\S+) (\S+)$", re.M)


def ruby(args, stdin=None):
    assert RUBY_SCRIPT.exists(), "test/sites/site_problems.rb is missing: the Ruby loader cannot be compared"
    result = subprocess.run(["bundle", "exec", "ruby", str(RUBY_SCRIPT), *args], cwd=REPO_ROOT, input=stdin,
                            capture_output=True, text=True, timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines, f"site_problems.rb failed (exit {result.returncode}): {result.stderr}"
    return [json.loads(line) for line in lines]


def outcome(judge):
    try:
        return {"problems": [], "site": judge().data}
    except site_mod.SiteError as exc:
        return {"problems": [{"path": p.path, "code": p.code, "message": p.message} for p in exc.problems],
                "site": None}


def rel(path):
    return str(Path(path).relative_to(REPO_ROOT)) if Path(path).is_absolute() else str(path)


FILES = [rel(p) for p in GOOD + BAD] + ODD


@pytest.fixture(scope="module")
def ruby_files():
    return dict(zip(FILES, ruby(FILES)))


def python_file(name):
    import os
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        return outcome(lambda: site_mod.load(name))
    finally:
        os.chdir(cwd)


def expected(path):
    return set(EXPECT_RE.findall(path.read_bytes().decode("utf-8", "replace")))


def test_examples_exist():
    assert GOOD and BAD


def test_every_problem_code_has_a_bad_example():
    codes = set(site_mod.MESSAGES)
    covered = {code for path in BAD for _, code in expected(path)}
    assert codes - covered == set()


@pytest.mark.parametrize("name", FILES)
def test_both_loaders_agree_on_the_file(name, ruby_files):
    assert python_file(name) == ruby_files[name]


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_example_loads(path, ruby_files):
    assert python_file(rel(path))["problems"] == []
    assert ruby_files[rel(path)]["site"] is not None


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_example_matches_expectation(path, ruby_files):
    assert expected(path), f"{path.name} has no `# expect: <path> <code>` line"
    found = {(p["path"], p["code"]) for p in python_file(rel(path))["problems"]}
    assert found == expected(path)
    assert {(p["path"], p["code"]) for p in ruby_files[rel(path)]["problems"]} == expected(path)


@pytest.mark.parametrize("name", ODD[:2])
def test_a_missing_file_or_directory_is_one_unreadable_problem(name, ruby_files):
    [problem] = ruby_files[name]["problems"]
    assert problem["code"] == "unreadable" and problem["message"].startswith(f".: {name} ")


# ---------------------------------------------------------------- mutations

ADDRESS_SWAPS = ["192.0.2.10", "::ffff:192.0.2.10", "::", "::1", "fe80::11", "ff02::1", "2001:db8::11/64",
                 "2001:db8::11%eth0", "2001:db8::11::2", "2001:DB8:0:0:0:0:0:11", "ctl1.example.net", ""]
INTEGERS = [0, -1, 65536, 2**31, 1.5, 30.0, True]
TYPES = [None, True, 7, 2.5, "x", [], {}, ["x"], {"x": 1}]


def paths(value, tokens=()):
    yield tokens, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, tokens + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, tokens + (i,))


def replaced(data, tokens, new):
    data = copy.deepcopy(data)
    if not tokens:
        return new
    parent = data
    for token in tokens[:-1]:
        parent = parent[token]
    parent[tokens[-1]] = new
    return data


def deleted(data, tokens):
    data = copy.deepcopy(data)
    parent = data
    for token in tokens[:-1]:
        parent = parent[token]
    del parent[tokens[-1]]
    return data


def variants(value):
    """The mutations of one value, by its kind."""
    if isinstance(value, bool):
        return [None, "yes", 1]
    if isinstance(value, int):
        return INTEGERS + [str(value), None]
    if isinstance(value, str):
        if ":" in value and " " not in value and "." not in value.split(":")[-1]:
            return ADDRESS_SWAPS + [f"[{value}]", value.upper(), 2001]
        if value.startswith("["):
            return [value.strip("[]")]
        found = [value.upper(), value + ".", "", 7, ["x"], "-" + value, "a" * 64 + "." + value]
        if value.startswith("/"):
            found.append(value.lstrip("/"))
        return found
    if isinstance(value, list):
        return [[], "x", {}, value + value[:1], value + [7]]
    if isinstance(value, dict):
        return [[], "x", {}, None]
    return [7]


def mutations():
    """(id, data) for every mutation of every good example, in a fixed order."""
    found = []
    for path in GOOD:
        base = site_mod.read(path)
        found.append((f"{path.stem}", base))
        for tokens, value in paths(base):
            where = ".".join(map(str, tokens)) or "."
            for i, new in enumerate(variants(value)):
                found.append((f"{path.stem}:{where}:swap{i}", replaced(base, tokens, new)))
            if tokens and isinstance(tokens[-1], str):
                found.append((f"{path.stem}:{where}:delete", deleted(base, tokens)))
            if isinstance(value, dict):
                found.append((f"{path.stem}:{where}:unknown", replaced(base, tokens, {**value, "colour": "blue"})))
                if value:
                    first = next(iter(value))
                    renamed = {("Upper_" + k if k == first else k): v for k, v in value.items()}
                    found.append((f"{path.stem}:{where}:rename", replaced(base, tokens, renamed)))
    return found


MUTATIONS = mutations()


@pytest.fixture(scope="module")
def ruby_mutations():
    lines = "".join(json.dumps(data) + "\n" for _, data in MUTATIONS)
    return ruby(["--json"], stdin=lines)


def test_at_least_200_mutated_sites():
    assert len(MUTATIONS) >= 200


def test_both_loaders_agree_on_every_mutated_site(ruby_mutations):
    assert len(ruby_mutations) == len(MUTATIONS)
    disagree = []
    for (ident, data), theirs in zip(MUTATIONS, ruby_mutations):
        theirs = {k: theirs[k] for k in ("problems", "site")}
        ours = outcome(lambda: site_mod.from_data(data))
        if ours != theirs:
            disagree.append(f"{ident}:\n  python {ours['problems'] or 'valid'}\n  ruby   {theirs['problems'] or 'valid'}")
    print(f"mutated sites: {len(MUTATIONS)}, both loaders agree on {len(MUTATIONS) - len(disagree)}")
    assert disagree == [], f"{len(disagree)} of {len(MUTATIONS)} mutated sites judged differently:\n" + \
        "\n".join(disagree[:20])


def test_mutations_exercise_many_codes(ruby_mutations):
    codes = {p["code"] for result in ruby_mutations for p in result["problems"]}
    assert len(codes) >= 20, sorted(codes)


def test_the_fast_check_and_the_schema_libraries_give_the_same_verdict(ruby_mutations):
    """A valid site skips the library; so the fast check must accept exactly what the library accepts."""
    differ = []
    for (ident, data), theirs in zip(MUTATIONS, ruby_mutations):
        if not isinstance(data, dict):
            continue
        library = not any(site_mod.VALIDATOR.iter_errors(data))
        fast = site_mod.fast_valid(site_mod.COMPILED, data)
        if not library == fast == theirs["fast_valid"] == theirs["library_valid"]:
            differ.append((ident, library, fast, theirs["fast_valid"], theirs["library_valid"]))
    assert differ == []
