"""What grading a notebook needs, read from the instructor's source notebook alone.

Three kinds of code cell matter to the checker:

- **context** cells: locked, not graded (the setup cell, "run this too" cells). The checker runs
  them itself, from the source, so it has the same ``chain``, ``case`` and ``payment`` as the
  trainee without trusting the trainee's kernel for any of them;
- **answer** cells: where the trainee writes code. The checker never runs them;
- **test** cells: graded. The checker runs each one, visible and hidden parts, on the
  submission's answers.

A test cell's **answers** are the names it reads that no context cell, earlier test cell or
import defines: ``affiliate_address``, ``peel_txids``, ``classify``. Only those leave the kernel.

>>> import nbformat
>>> from nbformat.v4 import new_code_cell, new_notebook
>>> def cell(src, **flags):
...     return new_code_cell(src, metadata={"nbgrader": {"grade_id": flags.pop("id"), **flags}})
>>> nb = new_notebook(cells=[
...     cell("import math\\nbase = 2", id="setup", locked=True),
...     cell("answer = ...", id="a", solution=True),
...     cell("_ok = answer > base\\nassert _ok and math.isfinite(answer)", id="t", grade=True, points=1),
... ])
>>> plan = Plan.of(nb)
>>> [c.grade_id for c in plan.context], plan.tests[0].answers
(['setup'], ('answer',))
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

__all__ = ["ContextCell", "Plan", "TestCell", "read_names"]

_BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display", "__name__"}


@dataclass(frozen=True)
class ContextCell:
    grade_id: str
    source: str
    needs_answers: bool  # reads a name only the trainee's code defines: skipped by the checker


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    source: str
    points: float
    answers: tuple[str, ...]
    position: int  # how many context cells come before it


@dataclass(frozen=True)
class Plan:
    context: tuple[ContextCell, ...]
    tests: tuple[TestCell, ...]

    @classmethod
    def of(cls, nb) -> Plan:
        """The plan of a source notebook (a ``NotebookNode``)."""
        defined: set[str] = set()
        context: list[ContextCell] = []
        tests: list[TestCell] = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("solution") or not meta.get("grade_id"):
                continue  # answer cells, and cells the instructor did not lock, are the trainee's
            reads, writes = read_names(cell.source)
            free = tuple(sorted(reads - writes - defined - _BUILTINS))
            if meta.get("grade"):
                tests.append(
                    TestCell(
                        meta["grade_id"],
                        cell.source,
                        float(meta.get("points", 0)),
                        free,
                        len(context),
                    )
                )
            elif meta.get("locked"):
                context.append(ContextCell(meta["grade_id"], cell.source, bool(free)))
                if free:
                    continue  # what it defines is not known to the checker
            defined |= writes
        return cls(tuple(context), tuple(tests))

    def test(self, grade_id: str) -> TestCell:
        for test in self.tests:
            if test.grade_id == grade_id:
                return test
        raise KeyError(f"no graded test cell {grade_id!r} in the source notebook")


@cache
def load(path: str, mtime_ns: int) -> Plan:
    """The plan of the source notebook at ``path`` (cached while the file is unchanged)."""
    return Plan.of(nbformat.read(path, as_version=4))


def plan_for(path: Path) -> Plan:
    return load(str(path), path.stat().st_mtime_ns)


def read_names(source: str) -> tuple[set[str], set[str]]:
    """``(names read, names bound)`` anywhere in a cell, IPython magics ignored.

    >>> [sorted(names) for names in read_names("x = y + 1\\nimport pandas as pd\\ndef f(a): return a")]
    [['a', 'y'], ['a', 'f', 'pd', 'x']]
    """
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    reads: set[str] = set()
    writes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else writes).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            writes.add(node.name)
        elif isinstance(node, ast.arg):
            writes.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            writes |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return reads, writes
