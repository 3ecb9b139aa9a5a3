"""An assignment is not passed by re-running its lesson: the transfer test.

For every assignment listed in tests/transfer.toml, a submission made of the lesson's own code,
run on the assignment's case (its case id swapped in, nothing else changed), is autograded in the
same nbgrader batch as the grading tests (tests/grading_batch.py). It must fail exactly the test
cells listed as needing judgment, and so earn less than the full automatic marks.
"""

import nbformat
import pytest
from conftest import MODULES, ROOT
from grading_batch import TRANSFER
from nbgrading import nbgrader_cells

LESSONS = {module["assignment"]: ROOT / "course" / module["lesson"] for module in MODULES}


# Only the assignments with a lesson copy (the others' batches are the grading tests' own).
with_lesson_copy = pytest.mark.parametrize("graded", sorted(TRANSFER), indirect=True)


def autograded_ids(nb) -> set[str]:
    return {c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(nb, grade=True, solution=False)}


@with_lesson_copy
def test_lesson_copy_fails_exactly_the_judgment_cells(graded):
    spec = TRANSFER[graded.assignment]
    scores = graded.scores("lesson_copy")
    auto_ids = autograded_ids(graded.read_source())
    failing = {grade_id for grade_id, score in scores.items() if score == 0} & auto_ids
    assert failing == set(spec["failing"]), (
        f"the lesson's code on the assignment case should fail {sorted(spec['failing'])}, "
        f"it fails {sorted(failing)}"
    )


@with_lesson_copy
def test_lesson_copy_earns_less_than_the_model_answer(graded):
    earned = sum(graded.scores("lesson_copy").values())
    assert earned < graded.available
    print(f"{graded.assignment}: the lesson copy earns {earned:g} of {graded.available:g}")


@pytest.mark.parametrize("assignment", sorted(TRANSFER))
def test_lesson_copy_is_the_lessons_code_on_the_assignment_case(assignment):
    """The copied cells name lesson cells that exist, fill answer cells that exist, and use the
    assignment's cases, never the lesson's."""
    spec = TRANSFER[assignment]
    lesson = nbformat.read(LESSONS[assignment], as_version=4)
    lesson_ids = {cell.get("id") for cell in lesson.cells}
    assert spec["lesson_cells"] and set(spec["lesson_cells"]) <= lesson_ids, (
        f"lesson cells not in {LESSONS[assignment].name}: "
        f"{sorted(set(spec['lesson_cells']) - lesson_ids)}"
    )
    (path,) = (ROOT / "solutions" / assignment).glob("*.ipynb")
    answer_ids = {
        c.metadata.nbgrader["grade_id"]
        for c in nbgrader_cells(nbformat.read(path, as_version=4), solution=True, grade=False)
    }
    assert set(spec["cells"]) <= answer_ids
    assert set(spec["failing"]) <= autograded_ids(nbformat.read(path, as_version=4))
    module = next(m for m in MODULES if m["assignment"] == assignment)
    lesson_only = set(module["cases"]) - set(module["assignment_cases"])
    for grade_id, code in spec["cells"].items():
        used = [case for case in lesson_only if case in code]
        assert not used, (
            f"{grade_id} still names the lesson's case {used}: swap in the assignment's"
        )
