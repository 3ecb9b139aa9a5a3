"""Shared fixtures, the two test tiers, and an environment in which nbgrader can run.

Every test is in one tier, given here by where it lives (no test file marks itself):

- ``course``: runs notebooks (lessons and model solutions through nbval, releases through
  nbclient), the nbgrader pipeline, the grading sandbox or JupyterLab. Slow: minutes.
- ``unit``: everything else (the toolkit, the generator, doctests, the grader's parts on their
  own). No notebook runs, no nbgrader command; the whole tier takes a few minutes.

``python3 run.py tests`` runs both; ``python3 run.py tests -m unit`` only the quick one.
"""

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


# ----------------------------------------------------------------------------- tiers
# Test modules of tests/ that run notebooks, nbgrader or JupyterLab. Notebooks collected by nbval
# (course/, solutions/) are in the course tier too; everything else is a unit test.
COURSE_TESTS = {
    "test_assignments.py",  # executes every release (nbclient) and runs nbgrader generate
    "test_class_cycle.py",  # a whole class: release, collect, autograde, feedback
    "test_cohorts.py",  # every assignment autograded against generated cohort variants
    "test_grading_cycle.py",  # model, blank and mistaken submissions through nbgrader autograde
    "test_quick_start.py",  # the README's first command, opening JupyterLab
    "test_sandbox.py",  # hostile submissions autograded in the sandbox
}


def tier(item: pytest.Item) -> str:
    path = Path(item.path)
    if path.suffix == ".ipynb" or (path.parent.name == "tests" and path.name in COURSE_TESTS):
        return "course"
    return "unit"


def worker_group(item: pytest.Item) -> str | None:
    """A course test run for one assignment: a unit of work of its own for pytest-xdist.

    The grading tests run the whole nbgrader pipeline once per assignment; as one module each
    they would keep one worker busy for most of the run while the other finished early.
    """
    if tier(item) != "course" or not hasattr(item, "callspec"):
        return None
    for value in item.callspec.params.values():
        if isinstance(value, str) and value in ASSIGNMENTS:
            return f"{Path(item.path).name}[{value}]"
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier, and hand the slow course tier to the workers first.

    pytest-xdist (``--dist loadgroup``) gives each worker whole modules and notebooks, and whole
    groups of one assignment, in the order collected; running the long ones first lets the
    many short unit modules fill in around them, so both workers finish together.
    """
    for item in items:
        item.add_marker(tier(item))
        if group := worker_group(item):
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: tier(item) != "course")  # stable: order within a tier is kept
