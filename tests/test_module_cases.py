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


def test_every_bitcoin_twin_serves_an_assignment():
    graded = {c for m in MODULES for c in m["assignment_cases"]}
    twins = {p.stem for p in CASES_DIR.glob("*-02.json")}
    bitcoin = {
        t
        for t in twins
        if json.loads((CASES_DIR / f"{t}.json").read_text())["module"] not in ("01", "09")
    }
    assert bitcoin <= graded, sorted(bitcoin - graded)
