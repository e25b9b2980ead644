"""site/schema.json is the one statement of the site's shape; the runtime copies are links to it."""
import json
from pathlib import Path

import jsonschema
import pytest

from edge_verify import site as site_mod

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = REPO_ROOT / "site" / "schema.json"
COPIES = [REPO_ROOT / "cookbooks" / "ipv6_common" / "libraries" / "site_schema.json",
          REPO_ROOT / "verifier" / "src" / "edge_verify" / "site_schema.json"]


@pytest.mark.parametrize("copy", COPIES, ids=["cookbook", "verifier"])
def test_runtime_copy_is_a_link_to_the_schema_with_the_same_bytes(copy):
    assert copy.is_symlink(), f"{copy} must be a symbolic link to site/schema.json"
    assert copy.resolve() == SCHEMA.resolve()
    assert copy.read_bytes() == SCHEMA.read_bytes()


def test_the_loader_reads_the_schema_it_ships_with():
    assert site_mod.SCHEMA == json.loads(SCHEMA.read_text())


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text()))


def test_every_code_the_schema_maps_to_has_one_message():
    schema = json.loads(SCHEMA.read_text())
    codes = set(schema["x-codes"].values()) | {kind[0] for kind in schema["x-file-problems"].values()}

    def annotated(node):
        if isinstance(node, dict):
            if isinstance(node.get("x-code"), str):
                yield node["x-code"]
            for value in node.values():
                yield from annotated(value)
        elif isinstance(node, list):
            for value in node:
                yield from annotated(value)
    codes |= set(annotated(schema))
    assert codes - set(schema["x-messages"]) == set()


def test_every_rule_the_schema_names_is_implemented():
    schema = json.loads(SCHEMA.read_text())
    for rule in schema["x-rules"]:
        assert hasattr(site_mod._Checker, f"rule_{rule}"), rule


def test_the_loader_refuses_a_keyword_it_does_not_know():
    with pytest.raises(ValueError, match="uniqueItems"):
        site_mod.compile_schema({"type": "array", "uniqueItems": True})
