"""The fault catalogue (test/faults/catalogue.py, docs/fault-catalogue.md): every problem code the verifier
emits has a fault test that injects it in the lab, the committed catalogue is the one the tests state, and
the fault markers name known codes only. Each check is also run on a small made-up project, to show it fails."""
import importlib.util
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "test" / "faults" / "catalogue.py"


def _load():
    """The script as a module (test/faults is no package, and nothing here imports the fault tests)."""
    spec = importlib.util.spec_from_file_location("fault_catalogue", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogue = _load()


def assert_every_emitted_code_has_a_fault_test(root):
    uncovered = catalogue.read(root).uncovered
    assert not uncovered, (
        f"the verifier emits {', '.join(uncovered)} but no fault test in test/faults sees it: write one that "
        "breaks that property in the lab, sees the code, repairs and sees it gone, and mark it "
        "@pytest.mark.fault('what is broken', codes=(...))")


def assert_markers_name_known_codes(root):
    errors = catalogue.read(root).errors
    assert not errors, "fault markers the catalogue cannot use:\n" + "\n".join(errors)


def assert_committed_catalogue_is_current(root):
    text = catalogue.render(catalogue.read(root))
    assert not catalogue.stale(root, text), (
        f"{catalogue.TABLE} is stale: run test/faults/catalogue.py and commit what it writes")


def test_every_emitted_code_has_a_fault_test():
    assert_every_emitted_code_has_a_fault_test(ROOT)


def test_fault_markers_name_known_codes_only():
    assert_markers_name_known_codes(ROOT)


def test_committed_catalogue_is_current():
    assert_committed_catalogue_is_current(ROOT)


def test_the_script_checks_the_committed_catalogue():
    done = subprocess.run([str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_catalogue_reads_the_code_lists_with_their_comments():
    codes = catalogue.read(ROOT).codes
    assert codes["not_v6only"].catches == "a socket on a specific IPv6 address without IPV6_V6ONLY"
    assert all(code.catches for code in codes.values()), [c.name for c in codes.values() if not c.catches]


PROBLEM = '''
SHARED_CODES = frozenset((
    "ipv4",          # an IPv4 address
    "key_mode",      # a readable key
))
VERIFIER_CODES = frozenset((
    "covered",       # what covered catches
    "missing_code",  # what missing_code catches
    "half",          # seen, its repair not checked
    "attribute",     # only ever an attribute name
))
CODES = SHARED_CODES | VERIFIER_CODES
'''
CHECKS = '''
from problem import Problem
def check(address):
    found = [Problem("h", "covered", "", "", "", ""), Problem("h", "missing_code", "", "", "", "")]
    found.append(Problem("h", "half" if getattr(address, "attribute", None) else "ipv4", "", "", "", ""))
    return found
'''
FAULTS = '''
import pytest
from lab_cli import failed_with

SAVED = 'repair: the saved file back'


@pytest.mark.fault('a broken property', codes=('covered',), note=SAVED)
def test_sees_covered(lab):
    assert failed_with([], 'ops1', 'test_x', 'covered')


@pytest.mark.parametrize('fault', [
    pytest.param('first', marks=pytest.mark.fault('the first way', codes=('covered', 'ipv4'))),
    pytest.param('second', 'x', id='the-second', marks=[pytest.mark.fault('the second way', unrepaired=('half',))]),
])
def test_sees_it_per_parameter(lab, fault):
    assert failed_with([], 'ops1', 'test_x', 'half')


@pytest.mark.fault('a refused converge', note='chef-client refuses it')
def test_refused(lab):
    pass


def test_not_a_fault(lab):
    pass
'''


def project(root, faults=FAULTS, checks=CHECKS, ruby="raise ConfigError, problem(path, 'key_mode', 'x')\n"):
    """A made-up project with the catalogue's inputs: problem.py, a check module, fault tests, a Ruby library."""
    files = {
        "verifier/src/edge_verify/problem.py": PROBLEM,
        "verifier/src/edge_verify/checks/some.py": checks,
        "test/faults/test_some_faults.py": faults,
        "cookbooks/ipv6_common/libraries/pki.rb": ruby,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_code_emitted_without_a_fault_test_fails_naming_it(tmp_path):
    root = project(tmp_path)
    assert catalogue.read(root).uncovered == ["missing_code", "half"]  # half: seen, the repair not checked
    with pytest.raises(AssertionError, match="the verifier emits missing_code, half but no fault test"):
        assert_every_emitted_code_has_a_fault_test(root)


def test_catalogue_of_a_made_up_project(tmp_path):
    """Emitted: the codes check modules name (not attribute names); covered: by a marker's codes, not by
    unrepaired; markers on a test and on its parameters (ids from id= or the one string value)."""
    found = catalogue.read(project(tmp_path))
    assert found.errors == []
    assert sorted(found.emitted) == ["covered", "half", "ipv4", "missing_code"]
    assert [(f.test.split("::")[1], f.codes, f.unrepaired) for f in found.faults] == [
        ("test_sees_covered", ("covered",), ()),
        ("test_sees_it_per_parameter[first]", ("covered", "ipv4"), ()),
        ("test_sees_it_per_parameter[the-second]", (), ("half",)),
        ("test_refused", (), ())]
    assert found.faults[0].note == "repair: the saved file back"
    assert found.uncovered == ["missing_code", "half"]
    text = catalogue.render(found)
    assert ("| `covered` | what covered catches | a broken property; repair: the saved file back | "
            "`test/faults/test_some_faults.py::test_sees_covered` |") in text
    assert "| `missing_code` | what missing_code catches | `verifier/src/edge_verify/checks/some.py:4` |" in text
    assert "| `half` | the second way | `test/faults/test_some_faults.py::test_sees_it_per_parameter[the-second]` |" \
        in text
    assert "| a refused converge | `test/faults/test_some_faults.py::test_refused` | chef-client refuses it |" in text
    assert "| `key_mode` | a readable key | `cookbooks/ipv6_common/libraries/pki.rb` |" in text
    assert "| `attribute` | only ever an attribute name | nowhere |" in text


def test_a_marker_naming_an_unknown_code_fails(tmp_path):
    root = project(tmp_path, faults=FAULTS.replace("codes=('covered',), note", "codes=('coverd',), note"))
    with pytest.raises(AssertionError, match=r"test_sees_covered names coverd, not a code of"):
        assert_markers_name_known_codes(root)
    with pytest.raises(catalogue.CatalogueError, match="coverd"):
        catalogue.render(catalogue.read(root))
    done = subprocess.run([str(SCRIPT), "--root", str(root)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "coverd" in done.stderr and not (root / catalogue.TABLE).exists()


@pytest.mark.parametrize("faults, message", [
    (FAULTS.replace("@pytest.mark.fault('a broken property', codes=('covered',), note=SAVED)\n", ""),
     "test_sees_covered sees codes (failed_with) without a fault marker"),
    (FAULTS.replace("pytest.param('first', marks", "pytest.param('first', 1, marks"),
     "a pytest.param of test_sees_it_per_parameter with a fault marker needs id="),
    (FAULTS.replace("codes=('covered',), note=SAVED", "codes='covered', note=SAVED"),
     "the fault marker of test/faults/test_some_faults.py::test_sees_covered must be fault(TEXT"),
    (FAULTS.replace("@pytest.mark.fault('a broken property', codes=('covered',), note=SAVED)",
                    "@pytest.mark.fault(WHAT, codes=('covered',), note=SAVED)"),
     "takes one text and options that are literals"),
    (FAULTS + "\nMARK = pytest.mark.fault('somewhere', codes=('covered',))\n",
     "a fault marker outside a test and its parametrize"),
    (FAULTS.replace("[\n    pytest.param('first'", "sorted([\n    pytest.param('first'").replace(
        "marks=[pytest.mark.fault('the second way', unrepaired=('half',))]),\n])",
        "marks=[pytest.mark.fault('the second way', unrepaired=('half',))]),\n]))"),
     "test_sees_it_per_parameter sees codes (failed_with) but its parameters are computed"),
], ids=["unmarked", "no-id", "codes-not-a-tuple", "not-a-literal", "outside-a-test", "computed-parameters"])
def test_a_marker_the_catalogue_cannot_use_fails(tmp_path, faults, message):
    root = project(tmp_path, faults=faults)
    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        assert_markers_name_known_codes(root)


def test_a_stale_catalogue_fails_and_writing_it_mends_it(tmp_path):
    root = project(tmp_path, faults=FAULTS.replace("unrepaired=('half',)", "codes=('half', 'missing_code')"))
    check = [str(SCRIPT), "--check", "--root", str(root)]
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 1  # not written yet
    written = subprocess.run([str(SCRIPT), "--root", str(root)], capture_output=True, text=True, timeout=60)
    assert written.returncode == 0, written.stderr
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0
    assert_committed_catalogue_is_current(root)
    assert_every_emitted_code_has_a_fault_test(root)
    table = root / catalogue.TABLE
    table.write_text(table.read_text().replace("the second way", "the second way, edited by hand"))
    stale = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert stale.returncode == 1 and "is stale" in stale.stderr
    with pytest.raises(AssertionError, match="is stale"):
        assert_committed_catalogue_is_current(root)
