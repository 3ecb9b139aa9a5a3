"""What an assignment promises a trainee matches what the grader gives, and times add up.

Every assignment states its points three times: in its heading ("**Points:** 9 automatic + 3
marked by your instructor"), in its table of parts, and in each part's title ("## Part B (3
points)"). The grader awards the ``points`` of the nbgrader cells. All four must agree, part by
part. And the time ``course/modules.toml`` gives a module (the README's table reads it) is the
lesson's estimated time plus the assignment's.
"""

import re

import nbformat
import pytest
from conftest import MODULES, ROOT
from nbgrading import nbgrader_cells, notebook_path

HEADING = re.compile(
    r"\*\*Points:\*\*\s*(\d+)\s+automatic\s*\+\s*(\d+)\s+marked by your instructor"
)
PART_TITLE = re.compile(r"^## Part ([A-Z]) \((\d+) points?\b([^)]*)\)", flags=re.M)
TABLE_ROW = re.compile(r"^\|\s*([A-Z])\s*\|[^\n]*\|\s*(\d+)\s*\|\s*$", flags=re.M)
TIME = re.compile(r"\*\*Estimated time:\*\*\s*(\d+)\s*minutes")


def source(module):
    return nbformat.read(notebook_path(ROOT / "solutions" / module["assignment"]), as_version=4)


def graded_points_by_part(nb) -> dict[str, dict[str, float]]:
    """{part letter: {"automatic": points, "manual": points}} from the nbgrader cells under each
    part's title."""
    parts, part = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            title = PART_TITLE.search(cell.source)
            if title:
                part = title.group(1)
                parts[part] = {"automatic": 0, "manual": 0}
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert part, f"graded cell {meta['grade_id']} comes before any part's title"
            kind = "automatic" if cell.cell_type == "code" else "manual"
            parts[part][kind] += meta["points"]
    return parts


@pytest.mark.parametrize("module", MODULES, ids=[m["assignment"] for m in MODULES])
def test_stated_points_are_the_points_graded(module):
    nb = source(module)
    intro = nb.cells[0].source
    heading = HEADING.search(intro)
    assert heading, (
        f"{module['assignment']}: the first cell should state '**Points:** N automatic + M marked ...'"
    )
    automatic = sum(
        c.metadata.nbgrader["points"]
        for c in nbgrader_cells(nb, grade=True)
        if c.cell_type == "code"
    )
    manual = sum(
        c.metadata.nbgrader["points"]
        for c in nbgrader_cells(nb, grade=True)
        if c.cell_type == "markdown"
    )
    assert (int(heading.group(1)), int(heading.group(2))) == (automatic, manual), (
        f"{module['assignment']} states {heading.group(1)} automatic + {heading.group(2)} marked points; "
        f"its graded cells give {automatic:g} + {manual:g}"
    )
    graded = graded_points_by_part(nb)
    table = {letter: int(points) for letter, points in TABLE_ROW.findall(intro)}
    assert table.keys() == graded.keys(), (
        f"{module['assignment']}: the table lists parts {sorted(table)}, the notebook has {sorted(graded)}"
    )
    for cell in nb.cells:
        for letter, points, rest in (
            PART_TITLE.findall(cell.source) if cell.cell_type == "markdown" else []
        ):
            given = graded[letter]["automatic"] + graded[letter]["manual"]
            assert int(points) == table[letter] == given, (
                f"{module['assignment']} Part {letter}: its title says {points} points, the table "
                f"{table[letter]}, its graded cells give {given:g}"
            )
            marked = "marked by your instructor" in rest
            assert marked == (graded[letter]["manual"] > 0), (
                f"{module['assignment']} Part {letter}: say '(N points, marked by your instructor)' "
                "exactly when a written answer of the part is marked by hand"
            )


@pytest.mark.parametrize("module", MODULES, ids=[m["number"] for m in MODULES])
def test_module_time_is_lesson_plus_assignment(module):
    lesson = nbformat.read(ROOT / "course" / module["lesson"], as_version=4).cells[0].source
    assignment = source(module).cells[0].source
    times = [TIME.search(text) for text in (lesson, assignment)]
    assert all(times), (
        f"module {module['number']}: lesson and assignment each state '**Estimated time:** N minutes'"
    )
    lesson_minutes, assignment_minutes = (int(t.group(1)) for t in times)
    assert module["minutes"] == lesson_minutes + assignment_minutes, (
        f"module {module['number']}: course/modules.toml says {module['minutes']} minutes; the lesson says "
        f"{lesson_minutes} and the assignment {assignment_minutes}. Set `minutes` to their sum and run "
        "python tools/modules_table.py"
    )
