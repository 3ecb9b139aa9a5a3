"""The answer key the assignments' visible checks compare with is current and complete.

`course/answer-key.json` is written by `python tools/answer_key.py` (a step of
tools/regenerate.py) from the model solutions on the bundled data. It must belong to the bundled
data as it is now, and hold a digest for every answer a visible test cell checks, no more.
"""

import ast

import nbformat
import pytest
from chaintrace.check import AnswerKey, dataset_fingerprint
from conftest import ASSIGNMENTS, ROOT
from nbgrading import nbgrader_cells, notebook_path

REGENERATE = "regenerate it: python tools/answer_key.py"


def confirmed_names(assignment: str) -> set[str]:
    """The answers a test cell checks with ``confirm("name", value)``."""
    nb = nbformat.read(notebook_path(ROOT / "solutions" / assignment), as_version=4)
    names = set()
    for cell in nbgrader_cells(nb, grade=True, solution=False):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "confirm":
                first = node.args[0]
                assert isinstance(first, ast.Constant), (
                    "confirm's first argument is a name in quotes"
                )
                names.add(first.value)
    return names


def test_answer_key_belongs_to_the_bundled_data():
    key = AnswerKey.load()
    assert key.fingerprint == dataset_fingerprint("course"), f"stale answer key: {REGENERATE}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_visible_answer_check_has_its_digest(assignment):
    names = confirmed_names(assignment)
    stored = set(AnswerKey.load().digests.get(assignment, {}))
    assert stored == names, (
        f"checked in the notebook but not in the key: {sorted(names - stored)}; in the key but "
        f"checked nowhere: {sorted(stored - names)}: {REGENERATE}"
    )
