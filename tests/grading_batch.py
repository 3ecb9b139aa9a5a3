"""One nbgrader batch per assignment, shared by the grading tests and the transfer tests.

nbgrader's start-up and a kernel per notebook cost more than grading one more submission, so
every submission the tests need for an assignment is autograded in one call: the model solution,
the blank release, a typical wrong submission (tests/mistakes.toml), the bundled data's answers
typed in (a cohort variant must refuse them: tests/test_cohorts.py), the lesson's own code run on
the assignment case (tests/transfer.toml) and, for the probe assignment, hostile ones; and the
same in each translated edition (a mixed class). The session fixture `graded`
(tests/conftest.py) builds it once per assignment and worker.
"""

import copy
import json
import re
import tomllib

import nbformat
from conftest import MANIFEST, MODULES, ROOT
from nbclient import NotebookClient
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
SCAFFOLD = re.compile(r"^(\w+) = \.\.\.$", flags=re.M)  # an answer cell's `name = ...`
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


def answer_names(source) -> list[str]:
    return [
        name
        for cell in nbgrader_cells(source, solution=True, grade=False)
        for name in SCAFFOLD.findall(cell.source)
    ]


def bundled_answers(source) -> dict[str, str]:
    """Run the model solution on the bundled data and keep every answer that can be typed as a literal."""
    nb = copy.deepcopy(source)
    names = answer_names(source)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import ast as _ast, json as _json\n"
            "_found = {}\n"
            f"for _name in {names!r}:\n"
            "    _value = globals().get(_name)\n"
            "    _value = _value.item() if hasattr(_value, 'item') else _value\n"
            "    try:\n"
            "        if _ast.literal_eval(repr(_value)) == _value:  # numbers, text, lists, dicts\n"
            "            _found[_name] = repr(_value)\n"
            "    except (ValueError, SyntaxError, TypeError):\n"
            "        pass  # tables and objects cannot be typed in as literals\n"
            "print(_json.dumps(_found))"
        )
    )
    NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(ROOT)}}).execute()
    return json.loads(nb.cells[-1].outputs[0]["text"])


def hard_coded(source, answers: dict[str, str]):
    """The model solution with every plain answer overwritten by the bundled data's value."""
    nb = copy.deepcopy(source)
    for cell in nbgrader_cells(nb, solution=True, grade=False):
        mine = [name for name in SCAFFOLD.findall(cell.source) if name in answers]
        if mine:
            cell.source += "\n# copied from last year's answers\n" + "\n".join(
                f"{n} = {answers[n]}" for n in mine
            )
    return nb


def grade_batch(assignment: str, tmp) -> Course:
    """Generate the release, submit every test submission of ``assignment``, autograde them
    in one call, make the feedback and export the grades."""
    course = Course.create(tmp, assignment)
    course.generate()
    source, release = course.read_source(), course.read_release()
    course.submit("solution", source)
    course.submit("blank", release)
    course.submit("mistake", mistaken(source, MISTAKES[assignment]))
    # last year's answers typed in: full marks here, and none on a cohort variant (test_cohorts.py)
    course.bundled_answers = bundled_answers(source)
    course.copied = hard_coded(source, course.bundled_answers)
    course.submit("copied", course.copied)
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
        if assignment == PROBE:  # hostile ones on the probe, as in English
            course.submit(f"edits_tests_{lang}", edited_tests(blank))
            course.submit(f"deletes_test_{lang}", without_cell(translated, deleted))
    course.autograde()
    course.feedback()
    course.grades = course.export()
    course.available = auto_points(source)
    return course
