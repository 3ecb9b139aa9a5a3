"""One nbgrader batch per assignment, shared by the grading tests and the transfer tests.

nbgrader's start-up and a kernel per notebook cost more than grading one more submission, so
every submission the tests need for an assignment is autograded in one call: the model solution,
the blank release, a typical wrong submission (tests/mistakes.toml), the lesson's own code run on
the assignment case (tests/transfer.toml) and, for the probe assignment, hostile ones. The
session fixture `graded` (tests/conftest.py) builds it once per assignment and worker.
"""

import copy
import tomllib

from conftest import MANIFEST, ROOT
from nbgrading import Course, auto_points, nbgrader_cells, with_code, without_cell

with open(ROOT / "tests" / "mistakes.toml", "rb") as handle:
    MISTAKES = tomllib.load(handle)
with open(ROOT / "tests" / "transfer.toml", "rb") as handle:
    TRANSFER = tomllib.load(handle)
PROBE = MANIFEST["pipeline_probe"]  # the assignment that also gets the hostile submissions


def with_cells(source, cells: dict[str, str]):
    """The notebook ``source`` with the named answer cells replaced by the given code."""
    nb = source
    for grade_id, code in cells.items():
        nb = with_code(nb, grade_id, code.strip())
    return nb


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
    if assignment == PROBE:
        course.submit("edits_tests", edited_tests(release))
        deleted = next(nbgrader_cells(source, grade=True, solution=False)).metadata.nbgrader[
            "grade_id"
        ]
        course.submit("deletes_test", without_cell(source, deleted))
        course.submit("loops", looping(source))
    course.autograde()
    course.feedback()
    course.grades = course.export()
    course.available = auto_points(source)
    return course
