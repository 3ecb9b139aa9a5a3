"""Lessons and assignments use the toolkit only through its top-level package.

What a trainee learns to type (``ct.cluster_addresses``, ``ct.plot_flow``) must work in any
later version of the toolkit, whose internal modules may move. So a code cell of a lesson or an
assignment imports ``chaintrace`` itself and nothing below it, and uses only names the package
exports (``chaintrace.__all__``). Course machinery is the exception, in the cells that are not the
trainee's: the setup cell and the test cells may use ``chaintrace.check`` (``answered``) and
``chaintrace.truth`` (hidden tests).
"""

import ast

import chaintrace
import nbformat
import pytest
from conftest import MODULES, ROOT
from nbgrading import notebook_path

MACHINERY = {"check", "truth"}
# Used by the course, not yet exported at the top level: to be emptied, never extended.
# public submodules, reached as ``ct.account.<name>`` (loaded on first use)
SUBMODULES = {"account", "encoding"}
PUBLIC = set(chaintrace.__all__) | SUBMODULES


def notebooks():
    for module in MODULES:
        yield pytest.param(ROOT / "course" / module["lesson"], id=module["lesson"])
        source = notebook_path(ROOT / "solutions" / module["assignment"])
        yield pytest.param(source, id=f"solutions/{module['assignment']}")


def is_machinery_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") == "setup" or bool(meta.get("grade"))


def misuses(source: str, machinery_allowed: bool) -> list[str]:
    """What a cell reaches below the public package for, each as a short description.

    >>> misuses("import chaintrace as ct\\nct.load_case('ransom-01')", False)
    []
    >>> misuses("from chaintrace.cluster import cluster_addresses", False)
    ['from chaintrace.cluster import ...']
    >>> misuses("import chaintrace as ct\\nct.cluster.cluster_addresses", False)
    ['ct.cluster']
    >>> misuses("from chaintrace.check import answered", True)
    []
    """
    allowed = PUBLIC | (MACHINERY if machinery_allowed else set())
    tree = ast.parse(source)
    aliases, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name == "chaintrace":
                    aliases.add(name.asname or "chaintrace")
                elif name.name.startswith("chaintrace."):
                    found.append(f"import {name.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "chaintrace":
            if node.module != "chaintrace":
                sub = node.module.split(".")[1]
                if not (sub in MACHINERY and machinery_allowed):
                    found.append(f"from {node.module} import ...")
            else:
                found += [
                    f"from chaintrace import {n.name}" for n in node.names if n.name not in allowed
                ]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in allowed
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", notebooks())
def test_code_uses_only_the_top_level_package(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        ]
        for misuse in misuses("\n".join(lines), is_machinery_cell(cell)):
            found.append(f"cell {cell.get('id')}: {misuse}")
    assert not found, (
        f"{path.relative_to(ROOT)} reaches below the public package (write `import chaintrace as ct` "
        "and use `ct.<name>`; if the name is not exported, export it from chaintrace/__init__.py):\n  "
        + "\n  ".join(found)
    )


def test_public_submodules_are_reachable_from_the_package():
    import types

    for name in sorted(SUBMODULES):
        assert isinstance(getattr(chaintrace, name), types.ModuleType), name
