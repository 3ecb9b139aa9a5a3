"""One nbgrader batch per assignment, shared by the grading tests and the transfer tests.

nbgrader's start-up and a kernel per notebook cost more than grading one more submission, so
every submission the tests need for an assignment is autograded in one call: the model solution,
the blank release, a typical wrong submission (tests/mistakes.toml), the lesson's own code run on
the assignment case (tests/transfer.toml) and, for the probe assignment, hostile ones. The
session fixture `graded` (tests/conftest.py) builds it once per assignment and worker.
"""

import copy
import tomllib

import nbformat
from conftest import MANIFEST, MODULES, ROOT
from nbgrading import Course, auto_points, nbgrader_cells, notebook_path, with_code, without_cell

with open(ROOT / "tests" / "mistakes.toml", "rb") as handle:
    MISTAKES = tomllib.load(handle)
with open(ROOT / "tests" / "transfer.toml", "rb") as handle:
    TRANSFER = tomllib.load(handle)
with open(ROOT / "tests" / "capstone_transfer.toml", "rb") as handle:
    CAPSTONE_COPIES = tomllib.load(handle)  # the capstone copied from several lessons
CAPSTONE = "13-capstone"
PROBE = MANIFEST["pipeline_probe"]  # the assignment that also gets the hostile submissions
# the other languages each assignment exists in (course/modules.toml `languages`)
TRANSLATED = {m["assignment"]: [x for x in m.get("languages", []) if x != "en"] for m in MODULES}


def with_cells(source, cells: dict[str, str]):
    """The notebook ``source`` with the named answer cells replaced by the given code."""
    nb = source
    for grade_id, code in cells.items():
        nb = with_code(nb, grade_id, code.strip())
    return nb


def capstone_copies() -> dict[str, dict[str, str]]:
    """Each copy of tests/capstone_transfer.toml: its answer cells, the tracing copy's for the
    cells it does not change."""
    copies = {k: v for k, v in CAPSTONE_COPIES.items() if isinstance(v, dict)}
    return {name: {**copies["tracing"]["cells"], **spec["cells"]} for name, spec in copies.items()}


def mistaken(source, spec):
    return with_cells(source, spec["cells"])


def edited_tests(release):
    """The blank release with every test cell replaced by `pass`: restored at grading."""
    nb = copy.deepcopy(release)
    for cell in nbgrader_cells(nb, grade=True, solution=False):
        cell.source = "pass"
    return nb


def looping(source):
    """The model answer, except its last answer cell never finishes."""
    last = list(nbgrader_cells(source, solution=True, grade=False))[-1]
    return with_code(source, last.metadata.nbgrader["grade_id"], "while True:\n    pass")


def grade_batch(assignment: str, tmp) -> Course:
    """Generate the release, submit every test submission of ``assignment``, autograde them
    in one call, make the feedback and export the grades."""
    course = Course.create(tmp, assignment)
    course.generate()
    source, release = course.read_source(), course.read_release()
    course.submit("solution", source)
    course.submit("blank", release)
    course.submit("mistake", mistaken(source, MISTAKES[assignment]))
    if assignment in TRANSFER:
        course.submit("lesson_copy", with_cells(source, TRANSFER[assignment]["cells"]))
    if assignment == CAPSTONE:
        for name, cells in capstone_copies().items():
            course.submit(f"lesson_copy_{name}", with_cells(source, cells))
    if assignment == PROBE:
        course.submit("edits_tests", edited_tests(release))
        deleted = next(nbgrader_cells(source, grade=True, solution=False)).metadata.nbgrader[
            "grade_id"
        ]
        course.submit("deletes_test", without_cell(source, deleted))
        course.submit("loops", looping(source))
    deleted = next(nbgrader_cells(source, grade=True, solution=False)).metadata.nbgrader["grade_id"]
    for lang in TRANSLATED[assignment]:  # a mixed class: one gradebook, the same hidden tests
        translated = nbformat.read(notebook_path(ROOT / lang / "solutions" / assignment), 4)
        blank = nbformat.read(notebook_path(ROOT / lang / "exercises" / assignment), 4)
        course.submit(f"solution_{lang}", translated)
        course.submit(f"blank_{lang}", blank)
        course.submit(f"mistake_{lang}", mistaken(translated, MISTAKES[assignment]))
        course.submit(f"edits_tests_{lang}", edited_tests(blank))
        course.submit(f"deletes_test_{lang}", without_cell(translated, deleted))
    course.autograde()
    course.feedback()
    course.grades = course.export()
    course.available = auto_points(source)
    return course
