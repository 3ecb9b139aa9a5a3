"""Every assignment in the manifest: source valid, release blank, release committed as generated.

These are the checks an instructor relies on before releasing an assignment to a class. The
checks that run the notebooks (the source passes its own tests, the blank release passes none and
stops only at its unanswered questions) are made on the grading batch's runs of the same
notebooks, in every edition (tests/test_grading_cycle.py): running them again here would double
the suite's longest part.
"""

import json
import re

import nbformat
import pytest
from conftest import ASSIGNMENTS, MODULES, ROOT
from nbgrading import Course, nbgrader_cells, notebook_path

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Every assignment, and each translated edition of it (<lang>/solutions, <lang>/exercises: the
# same code, so the same checks must hold for it).
EDITIONS = [
    pytest.param(m["assignment"], lang, id=m["assignment"] + ("" if lang == "en" else f"-{lang}"))
    for m in MODULES
    for lang in m.get("languages", ["en"])
]


def home(lang: str = "en"):
    return ROOT if lang == "en" else ROOT / lang


def source_of(assignment, lang="en"):
    return notebook_path(home(lang) / "solutions" / assignment)


def release_of(assignment, lang="en"):
    return notebook_path(home(lang) / "exercises" / assignment)


def solution_lines(assignment, lang="en") -> set[str]:
    """Lines of model answers and hidden tests: none may appear in the release."""
    nb = nbformat.read(source_of(assignment, lang), as_version=4)
    secret = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        text = cell.source
        if meta.get("solution") and cell.cell_type == "markdown":
            secret |= {line.strip() for line in text.splitlines()}
        regions = re.findall(r"BEGIN (?:SOLUTION|HIDDEN TESTS)(.*?)### END", text, flags=re.S)
        for region in regions:
            secret |= {line.strip() for line in region.splitlines()}
    # short lines ("else:", "print(x)") are not evidence of a leak
    return {line for line in secret if len(line) >= 25}


@pytest.mark.parametrize(("assignment", "lang"), EDITIONS)
def test_release_leaks_no_solution_or_hidden_test(assignment, lang):
    text = release_of(assignment, lang).read_text(encoding="utf-8")
    for marker in LEAK_MARKERS:
        assert marker not in text, f"'{marker}' in the release of {assignment}"
    released = {
        line.strip()
        for line in "\n".join(
            cell.source for cell in nbformat.read(release_of(assignment, lang), as_version=4).cells
        ).splitlines()
    }
    leaked = (solution_lines(assignment) | solution_lines(assignment, lang)) & released
    assert not leaked, f"solution text in the release of {assignment}: {sorted(leaked)[:5]}"


# A translated release is built from the English one (tests/test_translation.py checks it is
# exactly what the build makes); nbgrader must make the same from the translated source. Once is
# enough to show the two paths agree (the build changes only Markdown nbgrader passes through):
# the first translated assignment, as the pipeline probe does for hostile submissions.
RELEASES = [p for p in EDITIONS if p.values[1] == "en"] + [
    p for p in EDITIONS if p.values[1] != "en"
][:1]


@pytest.mark.parametrize(("assignment", "lang"), RELEASES)
def test_committed_release_is_exactly_what_nbgrader_generates(assignment, lang, tmp_path):
    course = Course.create(tmp_path, assignment, sources=home(lang) / "solutions")
    course.generate()
    released = {p.name for p in (course.root / "exercises" / assignment).iterdir()}
    assert released == {release_of(assignment, lang).name}, "only the notebook is released"
    assert course.release.name == release_of(assignment, lang).name
    fix = (
        f"`nbgrader generate_assignment {assignment} --force` from the repository root"
        if lang == "en"
        else f"`python -m chaintrace.course.translation build {lang} {assignment}`"
    )
    assert course.release.read_bytes() == release_of(assignment, lang).read_bytes(), (
        f"{release_of(assignment, lang).parent} differs from a fresh release: run {fix} and commit it"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_are_readable_and_parts_have_points(assignment):
    nb = nbformat.read(source_of(assignment), as_version=4)
    ids = [c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(nb)]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    for grade_id in ids:
        assert re.fullmatch(r"(setup|q\d+_\d+[a-z]?_[a-z0-9_]+)", grade_id), (
            f"unreadable grade id {grade_id!r}"
        )
    written = [
        c for c in nbgrader_cells(nb, grade=True, solution=True) if c.cell_type == "markdown"
    ]
    assert written, "every assignment has at least one hand-graded written answer"
    for cell in nbgrader_cells(nb, grade=True, solution=False):
        first = cell.source.lstrip().splitlines()[0]
        assert first.startswith('"""'), (
            f"test cell {cell.metadata.nbgrader['grade_id']} should open with a docstring"
        )


@pytest.mark.parametrize("folder", ["course", "solutions", "exercises"])
def test_notebooks_are_committed_without_outputs(folder):
    for path in (ROOT / folder).rglob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{path} has stored outputs: strip them (nbstripout)"
            assert cell.get("execution_count") is None, f"{path} has execution counts: strip them"
