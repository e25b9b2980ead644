"""Shared pytest set-up: edge_verify on sys.path, the --site option and the session `site` fixture."""
import os
import sys
from pathlib import Path

import pytest

TEST_DIR = Path(__file__).resolve().parent
REPO_ROOT = TEST_DIR.parent
sys.path.insert(0, str(TEST_DIR))

from edge_verify import site as site_mod  # noqa: E402  (needs the path above)


def pytest_configure(config):
    config.addinivalue_line("markers", "client_side: checks made from where pytest runs (TLS, DNS, "
                            "requests through the edge), so they can be repeated from another client host")


def pytest_addoption(parser):
    parser.addoption("--site", default=os.environ.get("EDGE_SITE", "site/lab.yml"),
                     help="site description file, relative to the repository root unless absolute "
                          "(default: $EDGE_SITE or site/lab.yml)")


@pytest.fixture(scope="session")
def site(pytestconfig):
    """The validated site description every integration test reads its expectations from."""
    try:
        return site_mod.load_option(pytestconfig.getoption("site"), str(REPO_ROOT))
    except site_mod.SiteError as exc:
        pytest.fail(f"the site file is invalid:\n{exc}", pytrace=False)
