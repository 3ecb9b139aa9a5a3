"""The capstone is not answered by re-running any lesson: the capstone's transfer test.

Each copy in tests/capstone_transfer.toml fills capstone-01's answer cells with the code of the
lessons that would plausibly answer them (tracing, clustering, taint, the swap service's payouts,
screening, freezable amounts, the exhibit), and is autograded in the same nbgrader batch as the
grading tests (tests/grading_batch.py). Each copy must fail exactly the test cells it is recorded
to fail, and the parts that need judgment must score nothing in every copy.
"""

import nbformat
import pytest
from conftest import MODULES, ROOT
from grading_batch import CAPSTONE, CAPSTONE_COPIES, capstone_copies
from nbgrading import nbgrader_cells

COPIES = sorted(capstone_copies())
SOURCE = ROOT / "solutions" / CAPSTONE / f"{CAPSTONE}.ipynb"
capstone = pytest.mark.parametrize("graded", [CAPSTONE], indirect=True)


def autograded_ids(nb) -> set[str]:
    return {c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(nb, grade=True, solution=False)}


def failing(graded, copy: str) -> set[str]:
    scores = graded.scores(f"lesson_copy_{copy}")
    return {grade_id for grade_id, score in scores.items() if score == 0} & autograded_ids(
        graded.read_source()
    )


@capstone
@pytest.mark.parametrize("copy", COPIES)
def test_each_lesson_copy_fails_what_it_is_recorded_to_fail(graded, copy):
    want = set(CAPSTONE_COPIES[copy]["failing"])
    got = failing(graded, copy)
    assert got == want, f"the {copy} copy should fail {sorted(want)}, it fails {sorted(got)}"
    earned = sum(graded.scores(f"lesson_copy_{copy}").values())
    print(f"{copy} copy: {earned:g} of {graded.available:g} automatic points")


@capstone
def test_no_lesson_copy_earns_a_judgment_part(graded):
    judgment = set(CAPSTONE_COPIES["judgment"]) - set(CAPSTONE_COPIES["known_gaps"])
    for copy in COPIES:
        earned = judgment - failing(graded, copy)
        assert not earned, f"the {copy} copy earns judgment parts {sorted(earned)}"


@capstone
def test_the_swap_match_needs_the_services_terms(graded):
    """Time alone (the first payout after the deposit, as lesson 12 lists candidates) finds
    another customer's payout: no copy earns the swap's other leg."""
    assert not CAPSTONE_COPIES["known_gaps"], "a judgment part is recorded as earned by a copy"
    for copy in COPIES:
        earned = {"q13_3a_payout_test", "q13_3b_payout_amount_test"} - failing(graded, copy)
        assert not earned, f"the {copy} copy earns {sorted(earned)}"


def test_the_copies_fill_answer_cells_with_lesson_code():
    """Every copied cell is an answer cell of the capstone, says which lesson cells it comes
    from (cells that exist), and names no lesson's case."""
    source = nbformat.read(SOURCE, as_version=4)
    answers = {
        c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(source, solution=True, grade=False)
    }
    lesson_cells = {
        path.name[:2]: {c.get("id") for c in nbformat.read(path, as_version=4).cells}
        for path in (ROOT / "course").glob("*.ipynb")
    }
    tested = autograded_ids(source)
    assert set(CAPSTONE_COPIES["judgment"]) <= tested
    for name, spec in ((k, v) for k, v in CAPSTONE_COPIES.items() if isinstance(v, dict)):
        assert set(spec["cells"]) <= answers and set(spec["failing"]) <= tested, name
        assert set(spec["lessons"]) == set(spec["cells"]), f"{name}: say where each cell comes from"
        for grade_id, where in spec["lessons"].items():
            for part in where.split(";"):
                module, _, ids = part.strip().partition(":")
                named = {i.strip().split()[0] for i in ids.split(",") if i.strip().startswith("m")}
                assert named <= lesson_cells[module], f"{name} {grade_id}: no {named} in {module}"
        lesson_cases = {case for m in MODULES for case in m["cases"]}
        for grade_id, code in spec["cells"].items():
            used = [case for case in lesson_cases if case in code]
            assert not used, f"{name} {grade_id} still names a lesson's case {used}"
