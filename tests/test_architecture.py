"""The package's three wings and the directions their imports may take (docs/ARCHITECTURE.md).

- the toolkit: what an investigator installs (everything not listed below);
- the course machinery: grading, cohorts, ground truth, accuracy and dataset reports;
- the generator: ``chaintrace.sim``, which writes datasets in the toolkit's format.

Arrows point one way: the course may import anything; the toolkit never imports the course
machinery or the generator; the generator never imports the course machinery or the analytics
it produces data to test. Every ``import`` counts, including those inside functions: a lazy
import is still a dependency, it only fails later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import chaintrace
import pytest

PACKAGE = Path(chaintrace.__file__).parent

COURSE = (
    "chaintrace.accuracy",
    "chaintrace.classroom",
    "chaintrace.cli",  # the console script: dispatches the toolkit's, course's and generator's commands
    "chaintrace.cohort",
    "chaintrace.course",
    "chaintrace.grader",
    "chaintrace.truth",
)
GENERATOR = ("chaintrace.sim",)
# the methods whose error rates the generated data measures: the generator stays below them
ANALYTICS = tuple(
    f"chaintrace.{m}"
    for m in (
        "account", "attribution", "changevote", "cluster", "coinjoin", "heuristics",
        "heuristics_table", "legal", "sanctions", "sanction_formats", "sanction_sources",
        "screening", "taint", "trace",
    )
)  # fmt: skip

# Arrows that break the rules today, as (file, imported module). The list only shrinks: the test
# fails when an entry is no longer needed, so delete it then; never add one.
ALLOWED_FOR_NOW: set[tuple[str, str]] = set()


WINGS = {"course": "course machinery", "generator": "generator (chaintrace.sim)"}


def _wing(module: str) -> str:
    for prefix in COURSE:
        if _within(module, prefix):
            return "course"
    return "generator" if _within(module, GENERATOR[0]) else "toolkit"


def _within(module: str, prefixes) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _name(path: Path) -> tuple[str, str]:
    """(module name, the package its relative imports start from) of a file of the package."""
    parts = ["chaintrace", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), ".".join(parts[:-1])
    return ".".join(parts), ".".join(parts[:-1])


def _resolve(node: ast.ImportFrom, package: str) -> list[str]:
    """The chaintrace modules an ``from ... import ...`` statement loads."""
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    names = []
    for alias in node.names:  # `from . import truth` loads the submodule chaintrace.truth
        sub = f"{module}.{alias.name}"
        is_module = (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists()
        is_package = (PACKAGE.parent / Path(*sub.split(".")) / "__init__.py").exists()
        names.append(sub if is_module or is_package else module)
    return names


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every chaintrace module ``path`` imports, at any depth of its code.

    >>> found = {m for _, m in imports(PACKAGE / "legal.py")}
    >>> "chaintrace.trace" in found, "chaintrace.accuracy" in found
    (True, False)
    """
    _, package = _name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, m) for m in _resolve(node, package)]
    return [(line, m) for line, m in found if _within(m, "chaintrace")]


def broken_rule(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when the arrow is allowed."""
    source, target = _wing(importer), _wing(imported)
    if source == "toolkit" and target != "toolkit":
        return f"the toolkit must not import the {WINGS[target]}"
    if source == "generator" and target == "course":
        return "the generator must not import the course machinery"
    if source == "generator" and _within(imported, ANALYTICS):
        return "the generator must not import the analytics it produces data to test"
    return None


def _arrows():
    for path in sorted(PACKAGE.rglob("*.py")):
        importer, _ = _name(path)
        for line, imported in imports(path):
            yield path, line, importer, imported


def test_no_import_points_the_wrong_way():
    wrong = []
    for path, line, importer, imported in _arrows():
        why = broken_rule(importer, imported)
        key = (path.relative_to(PACKAGE).as_posix(), imported)
        if why and key not in ALLOWED_FOR_NOW:
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {imported}: {why}")
    assert not wrong, "imports against the architecture (docs/ARCHITECTURE.md):\n" + "\n".join(
        wrong
    )


def test_every_exception_to_the_rules_is_still_needed():
    used = {
        (path.relative_to(PACKAGE).as_posix(), imported)
        for path, _, importer, imported in _arrows()
        if broken_rule(importer, imported)
    }
    stale = ALLOWED_FOR_NOW - used
    assert not stale, f"delete these from ALLOWED_FOR_NOW, they no longer happen: {sorted(stale)}"


def test_allowed_imports_stay_inside_functions():
    """The exceptions must not make the toolkit import the course or generator on load."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # statements run when the module is imported
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for _, imported in [(node.lineno, m) for m in _top_names(node, path)]:
                    assert (rel, imported) not in ALLOWED_FOR_NOW, (
                        f"{rel}:{node.lineno} imports {imported} on load"
                    )


def _top_names(node, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return _resolve(node, _name(path)[1])


def test_public_names_come_from_the_toolkit():
    """``chaintrace.X`` loads its module on first use: that arrow must respect the rules too."""
    course_or_generator = {
        name: module
        for name, module in chaintrace._EXPORTS.items()
        if _wing(f"chaintrace.{module}") != "toolkit"
    }
    assert not course_or_generator


@pytest.mark.parametrize(
    ("importer", "imported", "broken"),
    [
        ("chaintrace.legal", "chaintrace.truth", True),
        ("chaintrace.serve", "chaintrace.sim.rebuild", True),
        ("chaintrace.sim.build", "chaintrace.cluster", True),
        ("chaintrace.sim.build", "chaintrace.accuracy", True),
        ("chaintrace.sim.build", "chaintrace.graphstore", False),
        ("chaintrace.accuracy", "chaintrace.cluster", False),
        ("chaintrace.cohort", "chaintrace.sim", False),
        ("chaintrace.grader.checker", "chaintrace.truth", False),
        ("chaintrace.course.datasheet", "chaintrace.sanctions", False),
        ("chaintrace.trace", "chaintrace.graph", False),
        ("chaintrace.commands", "chaintrace.cohort", True),
        ("chaintrace.cli", "chaintrace.sim.cli", False),
        ("chaintrace.cli", "chaintrace.commands", False),
    ],
)
def test_the_rules_themselves(importer, imported, broken):
    assert (broken_rule(importer, imported) is not None) is broken


def test_imports_are_found_inside_functions_and_relative_forms(tmp_path, monkeypatch):
    """The parser sees what a regular expression on line starts would miss."""
    fake = PACKAGE / "sim" / "_probe_for_test.py"
    text = "def f():\n    from ..accuracy import change_accuracy\n    from .. import truth\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: text)
    assert imports(fake) == [(2, "chaintrace.accuracy"), (3, "chaintrace.truth")]
