"""The real nbgrader cycle, on a temporary copy of the course, for every assignment.

One autograde call per assignment grades a whole batch (tests/grading_batch.py): the model
solution, the blank release, a typical wrong submission, and (for the probe assignment) hostile
ones: a trainee who edits the test cells, one who deletes a test cell, and one whose code never
finishes. An assignment that also exists in other languages is graded as a mixed class: in the
same batch, the same gradebook and against the same source, the translated model solution,
blank, typical mistake, edited tests and deleted test cell.
"""

import html
import re

import nbformat
import pytest
from chaintrace.messages import MESSAGE_CONTEXT, read_po
from conftest import ROOT
from grading_batch import MISTAKES, PROBE, TRANSLATED
from nbgrading import nbgrader_cells, notebook_path

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


@pytest.fixture
def mixed(graded):
    if not TRANSLATED[graded.assignment]:
        pytest.skip(f"{graded.assignment} is in English only (course/modules.toml languages)")
    return graded


def test_the_same_answers_earn_the_same_marks_in_every_language(mixed):
    for lang in TRANSLATED[mixed.assignment]:
        for english in ("solution", "blank", "mistake"):
            assert mixed.scores(f"{english}_{lang}") == mixed.scores(english), (
                f"the {lang} {english} is not graded as the English one"
            )
        assert total(mixed, f"edits_tests_{lang}") == 0, "edited tests are restored and graded"
        assert total(mixed, f"deletes_test_{lang}") == mixed.available


def _text(page: str) -> str:
    return " ".join(html.unescape(page.replace("<em>", "").replace("</em>", "")).split())


def test_translated_feedback_stays_in_its_language(mixed):
    """Feedback keeps the trainee's language: the lesson text (no locked cell turns English
    when nbgrader restores it) and the tests' messages, which the checker translates."""
    english_nb = mixed.read_source()
    for lang in TRANSLATED[mixed.assignment]:
        translated_nb = nbformat.read(
            notebook_path(ROOT / lang / "solutions" / mixed.assignment), 4
        )
        headings = [
            (a.source.splitlines()[0], b.source.splitlines()[0])
            for a, b in zip(english_nb.cells, translated_nb.cells, strict=True)
            if a.cell_type == "markdown" and a.source.startswith("#")
        ]
        catalogue = read_po(ROOT / lang / "po" / f"{mixed.assignment}.po")
        said = {e.msgid: e.msgstr for e in catalogue if e.context == MESSAGE_CONTEXT}
        for student in ("mistake", "edits_tests", "deletes_test"):
            page = _text(mixed.feedback_html(f"{student}_{lang}"))
            for english, translated in headings:
                shown = _text(translated.lstrip("# "))
                assert shown in page, f"{student}_{lang}'s feedback lacks {translated!r}"
                assert _text(english.lstrip("# ")) not in page
        page = _text(mixed.feedback_html(f"mistake_{lang}"))
        for phrase in MISTAKES[mixed.assignment]["feedback"]:
            english = [m for m in said if phrase.replace("*", "") in m.replace("*", "")]
            assert english, f"no test message of {mixed.assignment} says {phrase!r}"
            # as in English, one of the messages saying it (the first failed assertion of a
            # test is the one shown); a template's {fields} are filled in: match the rest
            flat = page.replace("*", "")
            assert any(
                all(
                    _text(piece).replace("*", "") in flat
                    for piece in re.split(r"\{[^{}]+\}", said[message])
                )
                for message in english
            ), f"the {lang} feedback should say one of {[said[m] for m in english]!r}"
        graded = mixed.root / "autograded" / f"mistake_{lang}" / mixed.assignment
        outputs = [
            o for c in nbformat.read(notebook_path(graded), 4).cells for o in c.get("outputs", [])
        ]
        for english in said:  # the source shows the English in code; no output may say it
            assert not any(english in o.get("evalue", "") + o.get("text", "") for o in outputs), (
                f"{english!r} shown in English"
            )
