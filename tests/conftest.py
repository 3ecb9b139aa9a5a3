"""Shared fixtures: the course manifest, the fixture dataset, and an environment in which nbgrader
can run."""

import os
import sys
import tomllib
from pathlib import Path

import matplotlib
import pytest
from _chain_fixtures import write_dataset

matplotlib.use("Agg")  # tests never open windows

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# The suite tests the bundled data unless a variant is asked for explicitly: an instructor's
# active cohort (`chaintrace cohort use`) must not change what the tests see.
os.environ.setdefault("CHAINTRACE_VARIANT", "default")

# nbgrader runs `alembic` as a command: the environment's scripts must be on PATH.
if str(BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = str(BIN) + os.pathsep + os.environ.get("PATH", "")


def load_manifest() -> dict:
    with open(ROOT / "course" / "modules.toml", "rb") as handle:
        return tomllib.load(handle)


MANIFEST = load_manifest()
MODULES = MANIFEST["module"]
ASSIGNMENTS = [module["assignment"] for module in MODULES]


@pytest.fixture(scope="session")
def manifest() -> dict:
    return MANIFEST


# ----------------------------------------------------------------------------- fixture dataset
# tests/_chain_fixtures.py builds it; these give every test module the same copy per worker.


@pytest.fixture(scope="session")
def mini_path(tmp_path_factory) -> Path:
    """Folder of a freshly written fixture dataset (read-only by convention: copy to modify)."""
    return write_dataset(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="session")
def mini_chain(mini_path):
    from chaintrace import LocalChain, load_dataset

    return LocalChain(load_dataset(mini_path))
