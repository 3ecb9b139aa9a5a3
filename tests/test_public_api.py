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
COURSE_MODULES = ("chaintrace.grader", "chaintrace.classroom")

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
