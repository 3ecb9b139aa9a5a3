"""The real nbgrader cycle, on a temporary copy of the course, for every assignment.

One autograde call per assignment grades a whole batch (tests/grading_batch.py): the model
solution, the blank release, a typical wrong submission, and (for the probe assignment) hostile
ones: a trainee who edits the test cells, one who deletes a test cell, and one whose code never
finishes.
"""

import pytest
from grading_batch import MISTAKES, PROBE
from nbgrading import nbgrader_cells

# `graded` (tests/conftest.py): one autograde batch per assignment, see tests/grading_batch.py


def total(course, student):
    return sum(course.scores(student).values())


def test_model_solution_earns_full_automatic_marks(graded):
    assert total(graded, "solution") == graded.available


def test_blank_release_earns_zero(graded):
    assert total(graded, "blank") == 0


def test_typical_mistake_earns_partial_marks_for_the_right_reasons(graded):
    spec = MISTAKES[graded.assignment]
    scores = graded.scores("mistake")
    failing = {grade_id for grade_id, score in scores.items() if score == 0}
    auto_ids = {
        c.metadata.nbgrader["grade_id"]
        for c in nbgrader_cells(graded.read_source(), grade=True, solution=False)
    }
    assert failing & auto_ids == set(spec["failing"])
    assert 0 < total(graded, "mistake") < graded.available


def test_feedback_names_the_misconception(graded):
    html = graded.feedback_html("mistake")
    for phrase in MISTAKES[graded.assignment]["feedback"]:
        assert (
            phrase.replace("*", "") in html.replace("<em>", "").replace("</em>", "")
            or phrase in html
        ), f"feedback for the typical mistake should say {phrase!r}"


def test_feedback_shows_no_hidden_test(graded):
    source = graded.read_source()
    hidden = [
        line.strip()
        for cell in nbgrader_cells(source, grade=True, solution=False)
        if "BEGIN HIDDEN TESTS" in cell.source
        for line in cell.source.split("### BEGIN HIDDEN TESTS")[1]
        .split("### END HIDDEN TESTS")[0]
        .splitlines()
        if len(line.strip()) > 20 and not line.strip().startswith(('"', ")"))
    ]
    assert hidden, "assignments have hidden tests"
    for student in graded.students:
        html = graded.feedback_html(student)
        assert "HIDDEN TESTS" not in html
        shown = [line for line in hidden if line in html]
        assert not shown, f"hidden test source in {student}'s feedback: {shown[:3]}"


def test_export_lists_every_student_with_their_score(graded):
    rows = {row["student_id"]: row for row in graded.grades}
    assert set(rows) == set(graded.students)
    assert float(rows["solution"]["raw_score"]) == graded.available
    assert float(rows["blank"]["raw_score"]) == 0
    assert float(rows["solution"]["max_score"]) > graded.available, (
        "hand-graded points are part of the maximum"
    )


@pytest.fixture
def probe(graded):
    if graded.assignment != PROBE:
        pytest.skip(f"hostile submissions are graded on the probe assignment {PROBE}")
    return graded


def test_edited_test_cells_are_restored_before_grading(probe):
    assert total(probe, "edits_tests") == 0


def test_deleted_test_cell_is_put_back_and_graded(probe):
    assert total(probe, "deletes_test") == probe.available


def test_endless_loop_is_stopped_and_the_rest_is_still_graded(probe):
    looped = total(probe, "loops")
    assert 0 < looped < probe.available
    assert total(probe, "solution") == probe.available  # graded in the same batch
    assert "timeout" in probe.log.lower() or "CellTimeoutError" in probe.log
