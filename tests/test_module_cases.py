"""course/modules.toml names, per module, the cases its lesson works on and the cases its
assignment is graded on; both exist in the bundled data, and from module 01 on an assignment is
never graded on its lesson's own case."""

import json

import pytest
from chaintrace import paths
from conftest import MODULES

CASES_DIR = paths.REPO_ROOT / "datasets" / "course" / "cases"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m["number"])
def test_every_named_case_exists(module):
    for case in module["cases"] + module["assignment_cases"]:
        assert (CASES_DIR / f"{case}.json").is_file(), (module["number"], case)


@pytest.mark.parametrize("module", MODULES[1:], ids=lambda m: m["number"])
def test_assignments_are_graded_on_cases_the_lesson_did_not_solve(module):
    assert not set(module["assignment_cases"]) & set(module["cases"]), module["number"]


def test_every_twin_serves_an_assignment():
    """Every assignment twin (``*-02``) of a module in modules.toml is graded somewhere."""
    graded = {c for m in MODULES for c in m["assignment_cases"]}
    numbers = {m["number"] for m in MODULES}
    twins = {
        p.stem
        for p in CASES_DIR.glob("*-02.json")
        if json.loads(p.read_text())["module"] in numbers
    }
    assert twins <= graded, sorted(twins - graded)
