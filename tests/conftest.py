"""Shared fixtures: the course manifest, and an environment in which nbgrader can run."""

import os
import sys
import tomllib
from pathlib import Path

import matplotlib
import pytest

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
