"""The course's kernel (deploy/kernel, started by ``run.py course`` and trainees' servers on the
class server) imports the lessons' libraries while the notebook opens, and leaves the trainee's
namespace as a plain kernel's: a notebook that forgets an import fails here as it fails in the
grader. The grader's sandbox starts kernels isolated (``python -I``): nothing is imported there."""

import json
import subprocess
import sys

from conftest import ROOT

SPEC = ROOT / "deploy" / "kernel" / "kernels" / "python3" / "kernel.json"
PRELOAD = "--IPKernelApp.exec_lines="
LIBRARIES = ("numpy", "pyarrow", "pandas", "matplotlib.pyplot")


def preload() -> str:
    return json.loads(SPEC.read_text(encoding="utf-8"))["argv"][-1].removeprefix(PRELOAD)


def test_the_course_kernel_is_ipykernel_with_a_preload():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    plain, extra = spec["argv"][:5], spec["argv"][5:]
    assert plain == ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert len(extra) == 1 and extra[0].startswith(PRELOAD)
    assert spec["language"] == "python"


def test_the_preload_imports_the_libraries_and_defines_no_name():
    namespace: dict = {}
    result = eval(compile(preload(), "<exec_lines>", "eval"), namespace)  # noqa: S307 (our file)
    assert result is None, "an expression's value would be displayed at the kernel's start"
    assert set(namespace) == {"__builtins__"}, "no name may leak into the trainee's namespace"
    for name in LIBRARIES:
        assert name in sys.modules


def test_an_isolated_kernel_as_the_grader_starts_imports_nothing():
    probe = (
        f"import sys; r = eval({preload()!r}, {{}}); "
        f"print(r, [m for m in {LIBRARIES!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "None []"


def test_trainees_kernels_on_the_class_server_draw_inline():
    """ipykernel draws figures inline only when ``MPLBACKEND`` is unset: a server setting it
    (e.g. to Agg, "for a machine without a display") leaves every trainee's plot blank."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    hub = ROOT / "deploy" / "jupyterhub" / "chaintrace_hub.py"
    loader = PyFileConfigLoader(hub.name, path=str(hub.parent))
    loader.config = Config()
    config = loader.load_config()
    assert "MPLBACKEND" not in config.Spawner.environment
    assert config.Spawner.environment["CHAINTRACE_EXCHANGE"]  # the loader read the real file
