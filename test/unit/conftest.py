"""Unit-test fixtures: recorded outputs under data/, the lab site, a throwaway PKI."""
from pathlib import Path

import pytest

from edge_verify import site as site_mod
from pkitools import make_pki

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data():
    """Text of a recorded output file under test/unit/data/."""
    return lambda name: (DATA / name).read_text()


@pytest.fixture(scope="session")
def lab():
    return site_mod.load(Path(__file__).resolve().parents[2] / "site" / "lab.yml", source="site/lab.yml")


@pytest.fixture(scope="session")
def pki():
    return make_pki()
