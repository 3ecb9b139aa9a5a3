"""The public API is small, flat and documented: every name has a docstring with an example."""

import inspect
import os
import re
import subprocess
import sys

import chaintrace


def public():
    for name in chaintrace.__all__:
        if name != "__version__":
            yield name, getattr(chaintrace, name)


def test_every_public_name_resolves_and_is_documented():
    for name, obj in public():
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"chaintrace.{name} has no docstring"


def test_every_public_function_has_a_runnable_example():
    """In its own docstring, or in its module's docstring where the module shows it in use."""
    for name, obj in public():
        if not inspect.isfunction(obj):
            continue
        own = inspect.getdoc(obj) or ""
        module = inspect.getdoc(inspect.getmodule(obj)) or ""
        shown = re.search(rf">>> .*\b{name}\(", module)
        assert ">>>" in own or shown, (
            f"chaintrace.{name} has no example (own or in its module's docstring)"
        )


def test_no_public_name_hides_a_submodule():
    for name, _ in public():
        assert not (inspect.ismodule(getattr(chaintrace, name))), f"chaintrace.{name} is a module"


# The toolkit is installed without the course (`pip install chaintrace`, no `course` extra): no
# notebook server, no grader, no notebook machinery. Modules only the course uses may need them.
COURSE_ONLY_PACKAGES = [
    "nbgrader",
    "jupyterlab",
    "notebook",
    "jupyter_server",
    "nbformat",
    "nbconvert",
    "nbclient",
    "jupyter_client",
    "ipykernel",
]
# nbgrader's and Jupyter's extensions: the grader, the class commands, Formgrader's rubric page
COURSE_MODULES = (
    "chaintrace.grader",
    "chaintrace.classroom",
    "chaintrace.course.classroom_formgrader",
)

WITHOUT_THE_COURSE = f"""
import sys
for name in {COURSE_ONLY_PACKAGES!r}:
    sys.modules[name] = None  # as if not installed: importing it raises ModuleNotFoundError

import pkgutil
import chaintrace

for name in chaintrace.__all__:
    getattr(chaintrace, name)
for module in pkgutil.walk_packages(chaintrace.__path__, "chaintrace."):
    if not module.name.startswith({COURSE_MODULES!r}) and not module.name.endswith("__main__"):
        __import__(module.name)
print(chaintrace.check_environment())
"""


def test_the_toolkit_imports_without_the_course_packages():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_COURSE],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("nbgrader", "jupyterlab"):
        assert f"✗ {name}" in result.stdout, "the course check should say what is missing"


def test_the_toolkit_does_not_require_the_course_packages():
    from importlib import metadata

    needed = [
        re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower()
        for requirement in metadata.requires("chaintrace") or []
        if "extra ==" not in requirement
    ]
    assert needed and not {"nbgrader", "jupyterlab", "notebook"} & set(needed), needed


# Helpers of the notebooks' test cells and the instructor's ground truth: the course's, not
# the toolkit surface a trainee or investigator types.
COURSE_SIDE = {
    ("chaintrace", "truth"),
    ("chaintrace.check", "answered"),
    ("chaintrace.check", "apply_each"),
    ("chaintrace.check", "answer_checks"),
}


def _notebook_imports():
    """(module, name) of every ``from chaintrace... import name`` and ``chaintrace.name`` in
    the lessons and solutions."""
    import ast
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = set()
    for path in sorted([*root.glob("course/*.ipynb"), *root.glob("solutions/*/*.ipynb")]):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).splitlines()
            code = "\n".join(x for x in lines if not x.lstrip().startswith(("%", "!")))
            tree = ast.parse(code)
            aliases = {
                a.asname or a.name
                for n in ast.walk(tree)
                if isinstance(n, ast.Import)
                for a in n.names
                if a.name == "chaintrace"
            }
            for n in ast.walk(tree):
                if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("chaintrace"):
                    found.update((n.module, a.name) for a in n.names)
                elif isinstance(n, ast.Attribute) and getattr(n.value, "id", None) in aliases:
                    found.add(("chaintrace", n.attr))
    return found


def test_every_toolkit_name_the_notebooks_use_is_public():
    """``import chaintrace as ct`` and ``ct.<name>`` reach everything the lessons use."""
    used = _notebook_imports() - COURSE_SIDE
    assert len(used) > 10  # the parser found the lessons' imports
    missing = sorted(
        f"{module}.{name}"
        for module, name in used
        if name not in chaintrace.__all__ and name not in chaintrace.SUBMODULES
    )
    assert not missing, f"export these from chaintrace (or add a public submodule): {missing}"
    for module, name in used:  # the public name is the object the lessons import
        if module != "chaintrace" and name in chaintrace.__all__:
            assert getattr(chaintrace, name) is getattr(__import__(module, fromlist=[name]), name)


def test_public_submodules_are_attributes():
    import importlib

    for name in chaintrace.SUBMODULES:
        assert getattr(chaintrace, name) is importlib.import_module(f"chaintrace.{name}")
        assert name in dir(chaintrace)
