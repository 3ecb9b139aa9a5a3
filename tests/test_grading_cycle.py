"""The real nbgrader cycle, on a temporary copy of the course, for every assignment.

One autograde call per assignment grades a whole batch (tests/grading_batch.py): the model
solution, the blank release, a typical wrong submission, and (for the probe assignment) hostile
ones: a trainee who edits the test cells, one who deletes a test cell, and one whose code never
finishes. An assignment that also exists in other languages is graded as a mixed class: in the
same batch, the same gradebook and against the same source, the translated model solution,
blank and typical mistake (and, on the probe, the hostile ones).

The batch's runs are also the checks an instructor makes before a release (`nbgrader validate`
on the source, and with `--invert` on the release) and a trainee's first run of a blank release,
in every edition, on a fresh kernel in the grading sandbox: the model solution runs top to bottom
without an error and earns full marks, the blank release earns nothing and stops only at its
unanswered questions.
"""

import html
import re

import nbformat
import pytest
from chaintrace.messages import MESSAGE_CONTEXT, read_po
from conftest import ROOT
from grading_batch import MISTAKES, PROBE, TRANSLATED
from nbgrading import nbgrader_cells, notebook_path

UNANSWERED = {"NotImplementedError", "NotAnswered"}  # NotAnswered subclasses NotImplementedError

# `graded` (tests/conftest.py): one autograde batch per assignment, see tests/grading_batch.py


def total(course, student):
    return sum(course.scores(student).values())


def test_model_solution_earns_full_automatic_marks(graded):
    assert total(graded, "solution") == graded.available


def test_blank_release_earns_zero(graded):
    assert total(graded, "blank") == 0


def editions(course, kind: str) -> list[str]:
    """The students of the batch that submitted ``kind`` in each edition: "solution", "solution_uk"."""
    return [kind] + [f"{kind}_{lang}" for lang in TRANSLATED[course.assignment]]


def unanswered(name: str, value: str) -> bool:
    """Whether an error says a question is not answered yet: raised in the test cell, or met by
    the grader calling the trainee's function in the notebook (an AnswerError naming it)."""
    return name in UNANSWERED or (
        name == "AnswerError" and any(u in value for u in UNANSWERED)
    )


def errors(course, student) -> list[tuple[str, str, str]]:
    """(cell, error name, message) of every error the autograded notebook of ``student`` shows."""
    nb = nbformat.read(notebook_path(course.root / "autograded" / student / course.assignment), 4)
    return [
        (
            cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id")),
            output["ename"],
            output.get("evalue", ""),
        )
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def test_model_solution_runs_top_to_bottom_without_an_error(graded):
    for student in editions(graded, "solution"):
        assert not errors(graded, student), f"{student} raised: {errors(graded, student)}"


def test_blank_release_stops_only_at_its_unanswered_questions(graded):
    for student in editions(graded, "blank"):
        raised = errors(graded, student)
        assert raised, f"{student}: a blank release should stop at its unanswered questions"
        unexpected = [(cell, name) for cell, name, value in raised if not unanswered(name, value)]
        assert not unexpected, f"{student}: the blank release raised other errors: {unexpected}"


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
        if mixed.assignment == PROBE:  # hostile submissions: on the probe, as in English
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
        # every kind of submission: all tests failing (blank), none (solution), some (mistake)
        students = ["mistake", "blank", "solution"]
        if mixed.assignment == PROBE:  # restored cells must not turn the page English either
            students += ["edits_tests", "deletes_test"]
        for student in students:
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
