"""Shared fixtures, the two test tiers, and an environment in which nbgrader can run.

Every test is in one tier, given here by where it lives (no test file marks itself):

- ``course``: runs notebooks (lessons through nbval, model solutions and releases through the
  nbgrader pipeline's grading batch), the nbgrader pipeline, the grading sandbox or JupyterLab. Slow: minutes.
- ``unit``: everything else (the toolkit, the generator, doctests, the grader's parts on their
  own). No notebook runs, no nbgrader command; the whole tier takes a few minutes.

``python3 run.py tests`` runs both; ``python3 run.py tests -m unit`` only the quick one.
"""

import compileall
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
# Messages are asserted in English unless a test chooses a language (chaintrace.messages).
os.environ.pop("CHAINTRACE_LANG", None)

# nbgrader runs `alembic` as a command: the environment's scripts must be on PATH.
if str(BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = str(BIN) + os.pathsep + os.environ.get("PATH", "")


def pytest_configure(config):
    """Byte-compile the toolkit once, before the workers start.

    Otherwise the first import of each module writes its ``.pyc`` into ``helpers/`` while the
    other worker runs the sandbox test, which fails when anything under ``helpers/`` changes
    (as it must: a submission that wrote there would be an attack).
    """
    if not hasattr(config, "workerinput"):  # the controller, or a run without workers
        compileall.compile_dir(ROOT / "helpers", quiet=1)


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


# ----------------------------------------------------------------------------- grading batch
# These files read the same autograded submissions: built once per assignment (and worker), since
# the files' tests of one assignment are one work unit.
GRADING_BATCH = {
    "test_grading_cycle.py",
    "test_transfer.py",
    "test_cohorts.py",
    "test_capstone_transfer.py",
}


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    from grading_batch import grade_batch

    return grade_batch(request.param, tmp_path_factory.mktemp(request.param))


# ----------------------------------------------------------------------------- cohort variants
# Generating a variant costs ~10 s of CPU; test_cohorts.py and test_lessons_on_variants.py use the
# same public seeds, so each variant is made once per run and shared by the files and workers.
VARIANT_SEEDS = [918_273, 5_550_123, 42_424_242]  # public, so guessable: allowed in tests only


def shared_variant(tmp_path_factory, seed: int):
    """The cohort variant of ``seed``, made by whichever test (or xdist worker) asks first.

    Tests read a shared variant; none may change it (make your own with create_cohort).
    """
    from chaintrace import cohort

    try:
        import fcntl
    except ImportError:  # Windows: no file locks, so each worker makes its own
        fcntl = None
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl:  # workers' temp folders share a parent
        base = base.parent
    root = base / "shared-cohorts"
    root.mkdir(exist_ok=True)
    name = f"class-{VARIANT_SEEDS.index(seed)}"
    with open(root / f".{name}.lock", "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits while it is made
        if (root / name / ".complete").exists():
            return cohort.find_cohort(name, root=root)
        made = cohort.create_cohort(name, seed=seed, root=root, allow_weak_seed=True)
        (root / name / ".complete").touch()
        return made


# ----------------------------------------------------------------------------- tiers
# Test modules of tests/ that run notebooks, nbgrader or JupyterLab. Notebooks collected by nbval
# (course/) are in the course tier too; everything else is a unit test.
COURSE_TESTS = {
    "test_assignments.py",  # executes every release (nbclient) and runs nbgrader generate
    "test_class_cycle.py",  # a whole class: release, collect, autograde, feedback
    "test_cohorts.py",  # every assignment autograded against generated cohort variants
    "test_grading_cycle.py",  # model, blank and mistaken submissions through nbgrader autograde
    "test_jupyterhub.py",  # a class through a real JupyterHub: release to feedback, a browser
    "test_transfer.py",  # the lessons' code on the assignment cases, in the same autograde batch
    "test_capstone_transfer.py",  # the capstone copied from several lessons, in the same batch
    "test_lessons_on_variants.py",  # every lesson and release run on fresh cohort variants
    "test_quick_start.py",  # the README's first command, opening JupyterLab
    "test_sandbox.py",  # hostile submissions autograded in the sandbox
    "test_transfer_evasion.py",  # lesson 12's code run on the assignment's case
}


def tier_of(nodeid: str) -> str:
    path = Path(nodeid.split("::")[0])
    if path.suffix == ".ipynb" or (path.parent.name == "tests" and path.name in COURSE_TESTS):
        return "course"
    return "unit"


def tier(item: pytest.Item) -> str:
    return tier_of(item.nodeid)


def work_unit(nodeid: str) -> str:
    """What pytest-xdist hands to one worker in one piece.

    A file (module or notebook: a notebook's cells share one kernel, a module its fixtures), or,
    for a course test run for one assignment, that assignment's tests in that file: the grading
    tests run the whole nbgrader pipeline once per assignment, and as one module each they would
    keep one worker busy while the other ran out of work.
    """
    file, _, rest = nodeid.partition("::")
    if tier_of(nodeid) == "course" and rest.endswith("]"):
        params = f"-{rest[rest.index('[') + 1 : -1]}-"  # ids of several parameters join with "-"
        for assignment in ASSIGNMENTS:
            if f"-{assignment}-" in params:
                if Path(file).name in GRADING_BATCH:
                    return f"grading batch:{assignment}"
                return f"{file}:{assignment}"
    return file


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier, and hand the slow course tier to the workers first.

    The workers take work units (see ``work_unit``) in the order collected; the long course
    units first lets the many short unit modules fill in around them, so both workers finish
    together.
    """
    for item in items:
        item.add_marker(tier(item))
    items.sort(key=lambda item: tier(item) != "course")  # stable: order within a tier is kept


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope``, with ``work_unit`` as the scope (a file, or one assignment's tests)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)
