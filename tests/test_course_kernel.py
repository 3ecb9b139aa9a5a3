"""The course's kernel (deploy/kernel, started by ``run.py course`` and the class server) imports
the lessons' libraries while the notebook opens, and leaves the trainee's namespace as a plain
kernel's: a notebook that forgets an import fails here as it fails in the grader."""

import json
import sys

from conftest import ROOT

SPEC = ROOT / "deploy" / "kernel" / "kernels" / "python3" / "kernel.json"
PRELOAD = "--IPKernelApp.exec_lines="


def test_the_course_kernel_is_ipykernel_with_a_preload():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    plain, extra = spec["argv"][:5], spec["argv"][5:]
    assert plain == ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert len(extra) == 1 and extra[0].startswith(PRELOAD)
    assert spec["language"] == "python"


def test_the_preload_imports_the_libraries_and_defines_no_name():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    line = spec["argv"][-1].removeprefix(PRELOAD)
    namespace: dict = {}
    result = eval(compile(line, "<exec_lines>", "eval"), namespace)  # noqa: S307 (our own file)
    assert result is None, "an expression's value would be displayed at the kernel's start"
    assert set(namespace) == {"__builtins__"}, "no name may leak into the trainee's namespace"
    for name in ("numpy", "pyarrow", "pandas", "matplotlib.pyplot"):
        assert name in sys.modules
