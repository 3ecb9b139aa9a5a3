"""Sandboxed autograding: each submission's kernel runs inside bubblewrap, out of reach of answers.

nbgrader runs a trainee's code as the instructor, in the course folder. Configured from
``nbgrader_config.py`` (see its ``sandbox`` section and ``INSTRUCTORS.md``), ``SandboxedExecute``
replaces nbgrader's ``Execute`` step of ``nbgrader autograde`` and starts every kernel through
``SandboxedKernelManager``, which wraps the kernel command in ``bwrap``:

- read-only: the Python environment, ``/usr``, the ``chaintrace`` sources, ``datasets/`` and
  ``groundtruth/`` (hidden tests compare with it);
- read-write: only the submission's own folder ``autograded/<student>/<assignment>/`` (with the
  notebook files in it masked: the graded copy holds the hidden tests), a private ``/tmp`` and
  ``HOME``;
- nothing else: no gradebook, no ``solutions/``, no other trainee, no network (``--unshare-all``;
  the kernel is reached over Unix sockets in a folder bound into the sandbox);
- limits: address space, processes in the sandbox, file size, wall clock (``sandbox_kernel``).

Whether or not bwrap is used, ``SandboxedExecute`` also adds a whole-notebook time limit, a byte
cap on each cell's output, a check before every test cell that the submission has not hooked
IPython to rewrite the code it runs, and it grades what ran before a kernel died.

>>> limits = Limits(memory_bytes=512 << 20, processes=16, file_size_bytes=1 << 20, seconds=30)
>>> cmd = bwrap_command("/usr/bin/bwrap", Mounts(read_only=(Path("/usr"),),
...     work_dir=Path("/c/autograded/ann/a1"), runtime_dir=Path("/tmp/rt")), limits,
...     ["python", "-m", "ipykernel_launcher", "-f", "/tmp/rt/kernel.json"], {"LANG": "C.UTF-8"})
>>> cmd[:3]
['/usr/bin/bwrap', '--unshare-all', '--die-with-parent']
>>> cmd[cmd.index("--bind") : cmd.index("--bind") + 3]
['--bind', '/c/autograded/ann/a1', '/c/autograded/ann/a1']
>>> cmd[-6:]
['--', 'python', '-m', 'ipykernel_launcher', '-f', '/tmp/rt/kernel.json']
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, CaselessStrEnum, Integer

from chaintrace import paths

INSTALL_HINT = (
    "install bubblewrap: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
    "`sudo dnf install bubblewrap` (Fedora); inside a container see INSTRUCTORS.md, "
    "'Security of grading'"
)
LAUNCHER = Path(__file__).with_name("sandbox_kernel.py")
# Environment a kernel may inherit; everything else (tokens, keys, proxies) stays outside.
PASSED_ENV = ("NBGRADER_EXECUTION", "CHAINTRACE_DATASETS", "CHAINTRACE_GROUNDTRUTH", "TZ")
# The memory limit bounds address space. pyarrow's default allocator (mimalloc) reserves ~1.5 GB
# of it for a dataset that uses 250 MB, and glibc reserves 64 MB per thread: use the frugal ones.
ALLOCATOR_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}
# nbgrader's default exchange (every trainee's submissions on a shared server) lives under /usr.
HIDDEN_DIRS = ("/usr/local/share/nbgrader",)
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
MB = 1 << 20
_UNSET = object()


@dataclass(frozen=True)
class Limits:
    """What one sandboxed kernel may use (0 means no limit)."""

    memory_bytes: int
    processes: int
    file_size_bytes: int
    seconds: float

    def launcher_args(self) -> list[str]:
        return [
            f"--memory={self.memory_bytes}",
            f"--processes={self.processes}",
            f"--file-size={self.file_size_bytes}",
            f"--deadline={self.seconds:g}",
        ]


@dataclass(frozen=True)
class Mounts:
    """What the sandbox sees: read-only folders, one writable folder, the kernel's sockets."""

    read_only: tuple[Path, ...]
    work_dir: Path
    runtime_dir: Path
    masked: tuple[Path, ...] = ()  # files in work_dir replaced by an empty /dev/null


def read_only_paths() -> tuple[Path, ...]:
    """The Python environment, system libraries, package sources and course data, deduplicated."""
    candidates = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path("/usr")]
    candidates += [Path(sys.executable).resolve().parent.parent, LAUNCHER.parent.parent]
    candidates += [paths.datasets_root(), paths.groundtruth_root()]
    found = sorted({p.resolve() for p in candidates if p.exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in found:  # a folder inside one already bound adds nothing
        if not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return tuple(kept)


def _system_links() -> list[str]:
    """/bin, /lib, ... as on the host: symlinks into /usr on merged systems, else bound."""
    args: list[str] = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    for name in ETC_FILES:
        args += ["--ro-bind-try", name, name]
    return args


def bwrap_command(
    bwrap: str, mounts: Mounts, limits: Limits, kernel_cmd: list[str], env: dict[str, str]
) -> list[str]:
    """The full command that starts ``kernel_cmd`` in a sandbox (see the module example)."""
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
    for path in mounts.read_only:
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += _system_links()
    for name in HIDDEN_DIRS:
        if os.path.isdir(name):
            cmd += ["--tmpfs", name]
    cmd += ["--bind", str(mounts.work_dir), str(mounts.work_dir)]
    for path in mounts.masked:
        cmd += ["--ro-bind", "/dev/null", str(path)]
    cmd += ["--bind", str(mounts.runtime_dir), str(mounts.runtime_dir)]
    cmd += ["--chdir", str(mounts.work_dir), "--clearenv"]
    path = f"{Path(kernel_cmd[0]).parent}:/usr/local/bin:/usr/bin:/bin"
    inside = {"PATH": path, "HOME": "/tmp/home", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    inside.update(ALLOCATOR_ENV)
    # The kernel reads the data the grader resolved (the active cohort variant, if any): the
    # variant file in the course folder is out of the sandbox's sight.
    inside["CHAINTRACE_DATASETS"] = str(paths.datasets_root())
    inside["CHAINTRACE_GROUNDTRUTH"] = str(paths.groundtruth_root())
    inside.update({k: v for k, v in env.items() if k in PASSED_ENV})
    for key, value in sorted(inside.items()):
        cmd += ["--setenv", key, value]
    cmd += [sys.executable, "-I", str(LAUNCHER), *limits.launcher_args(), "--"]
    return cmd + list(kernel_cmd)


@functools.cache
def find_bwrap() -> tuple[str | None, str]:
    """``(path to bwrap, "")`` when a sandbox can be made here, else ``(None, what is wrong)``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, f"bubblewrap (`bwrap`) is not installed; {INSTALL_HINT}"
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"`bwrap` could not be run ({error}); {INSTALL_HINT}"
    if result.returncode != 0:
        reason = result.stderr.strip() or f"exit status {result.returncode}"
        return None, (
            f"`bwrap` cannot create namespaces on this machine ({reason}); allow user "
            "namespaces or grade in a container started with them; see INSTRUCTORS.md"
        )
    return bwrap, ""


def remove_links(folder: Path) -> list[Path]:
    """Delete symlinks and special files under ``folder``; return what was removed.

    A sandboxed kernel can only name outside files, not read them; but nbgrader later copies and
    chmods this folder's files *outside* the sandbox, which would follow a symlink to the
    gradebook or a solution.
    """
    removed = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                path.unlink()
                removed.append(path)
    return removed


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside bubblewrap, reachable over IPC sockets."""

    limits = Any(None, help="a Limits; set by SandboxedExecute")
    bwrap = Any(None, help="path to the bwrap executable; set by SandboxedExecute")

    async def _async_pre_start_kernel(self, **kw):
        self._runtime = Path(tempfile.mkdtemp(prefix="chaintrace-sandbox-"))
        self.transport = "ipc"  # Unix sockets: no network inside the sandbox is needed
        self.ip = str(self._runtime / "kernel")
        self.cache_ports = False
        self.connection_file = str(self._runtime / "kernel.json")
        self.kernel_spec.interrupt_mode = "message"  # a signal to bwrap would not reach it
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        cwd = kw.get("cwd")
        if not cwd:
            raise RuntimeError(
                "the sandbox needs the submission's folder as the kernel's working directory, "
                "and none was given; run `nbgrader autograde` (which sets it), not the "
                "preprocessor on its own"
            )
        self._work_dir = Path(cwd).resolve()
        masked = tuple(sorted(self._work_dir.glob("*.ipynb")))  # holds the hidden tests
        mounts = Mounts(read_only_paths(), self._work_dir, self._runtime, masked)
        command = bwrap_command(self.bwrap, mounts, self.limits, kernel_cmd, kw.get("env") or {})
        self.log.debug("sandboxed kernel: %s", command)
        await super()._async_launch_kernel(command, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        shutil.rmtree(self._runtime, ignore_errors=True)
        work_dir = getattr(self, "_work_dir", None)
        for path in remove_links(work_dir) if work_dir else []:
            self.log.warning("[sandbox] removed a link the submission made: %s", path)

    cleanup_resources = run_sync(_async_cleanup_resources)


# Evaluated as a user expression (never through IPython's input transformers, which a
# submission could hook): a fingerprint of everything that decides what code a cell runs.
INTEGRITY_PROBE = (
    "(lambda ip, names: repr(["
    "id(ip.input_transformer_manager), id(ip.compile),"
    "[id(f) for f in ip.input_transformer_manager.cleanup_transforms],"
    "[id(f) for f in ip.input_transformer_manager.line_transforms],"
    "[id(f) for f in ip.input_transformer_manager.token_transformers],"
    "[id(f) for f in ip.input_transformers_post], [id(f) for f in ip.ast_transformers],"
    "[[id(f) for f in ip.events.callbacks[e]] for e in ('pre_execute', 'pre_run_cell')],"
    "sorted(set(vars(ip)) & set(names)), [id(getattr(type(ip), n)) for n in names],"
    "]))(__import__('IPython').core.getipython.get_ipython(), ('run_cell', 'run_cell_async',"
    " 'transform_cell', 'transform_ast', 'run_ast_nodes', 'run_code', 'should_run_async'))"
)


class SandboxedExecute(Execute):
    """nbgrader's Execute step with a bubblewrap sandbox and limits (see the module docstring)."""

    mode = CaselessStrEnum(
        ["on", "strict", "off"],
        default_value="on",
        help="on: sandbox, or warn loudly and grade unsandboxed when bwrap cannot run; "
        "strict: refuse to grade without the sandbox; off: no sandbox (limits still apply)",
    ).tag(config=True)
    memory_limit = Integer(2048, help="address space of each kernel process, MB (0: none)").tag(
        config=True
    )
    process_limit = Integer(64, help="processes in one sandbox (0: none)").tag(config=True)
    file_size_limit = Integer(200, help="largest file a kernel may write, MB (0: none)").tag(
        config=True
    )
    notebook_timeout = Integer(600, help="seconds for a whole notebook (0: none)").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="output bytes kept per cell (-1: all)").tag(
        config=True
    )

    def preprocess(self, nb, resources=None, km=None):
        self._label = _label(resources)
        self._bwrap = self._choose_bwrap()
        self._started = time.monotonic()
        self._baseline, self._stopped = _UNSET, None
        return super().preprocess(nb, resources, km)

    def _choose_bwrap(self) -> str | None:
        if self.mode == "off":
            self.log.warning(
                "[sandbox] OFF: %s runs unsandboxed (SandboxedExecute.mode)", self._label
            )
            return None
        bwrap, problem = find_bwrap()
        if bwrap:
            self.log.info("[sandbox] grading %s inside bubblewrap", self._label)
            return bwrap
        if self.mode == "strict":
            raise RuntimeError(f"refusing to grade {self._label} without a sandbox: {problem}")
        self.log.warning(
            "[sandbox] NOT SANDBOXED: %s runs with access to the whole course: %s "
            "(set SandboxedExecute.mode='strict' to refuse instead)",
            self._label,
            problem,
        )
        return None

    def _limits(self) -> Limits:
        seconds = self.notebook_timeout + 30 if self.notebook_timeout > 0 else 0  # a backstop
        return Limits(
            self.memory_limit * MB, self.process_limit, self.file_size_limit * MB, seconds
        )

    def create_kernel_manager(self):
        if self._bwrap:
            self.kernel_manager_class = SandboxedKernelManager
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.bwrap, km.limits, km.log = self._bwrap, self._limits(), self.log
        return km

    def _remaining(self) -> float | None:
        if self.notebook_timeout <= 0:
            return None
        return self.notebook_timeout - (time.monotonic() - self._started)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = self._remaining()
        if remaining is None:
            return timeout
        return max(1, min(timeout or remaining, remaining))

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        if self._baseline is _UNSET:  # before any of the submission's code has run
            self._baseline = await self._fingerprint()
        problem = self._stopped or await self._check(cell)
        if problem:
            return self._refuse(cell, *problem)
        self._output_bytes, self._capped = 0, False
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        except DeadKernelError:
            self._stopped = ("DeadKernelError", "the kernel stopped during an earlier cell")
            return self._refuse(cell, "DeadKernelError", "the kernel stopped during this cell")
        except CellTimeoutError:  # an interrupt did not bring the kernel back
            remaining = self._remaining()
            if remaining is not None and remaining <= 0:
                name, why = "NotebookTimeoutError", f"{self.notebook_timeout} s notebook time limit"
            else:
                name, why = "CellTimeoutError", f"{self.timeout} s cell time limit"
            self._stopped = (name, f"the kernel stopped answering after the {why} (earlier cell)")
            return self._refuse(cell, name, f"the kernel stopped answering after the {why}")

    execute_cell = run_sync(async_execute_cell)

    async def _check(self, cell) -> tuple[str, str] | None:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            reason = f"the notebook time limit ({self.notebook_timeout} s) was used up"
            self._stopped = ("NotebookTimeoutError", reason)
            return self._stopped
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and self._baseline is not None:
            now = await self._fingerprint()
            if now is None:
                return ("KernelNotAnswering", "the kernel did not answer; its tests are not run")
            if now != self._baseline:
                return (
                    "GradingIntegrityError",
                    "the submission changed how IPython runs cells (input or AST transformers, "
                    "execution hooks); its tests are not run",
                )
        return None

    async def _fingerprint(self) -> str | None:
        """The integrity probe's answer, or None when the kernel does not give one."""
        try:
            msg_id = await ensure_async(
                self.kc.execute(
                    "", silent=True, store_history=False, user_expressions={"p": INTEGRITY_PROBE}
                )
            )
            reply = await self.async_wait_for_reply(msg_id)
            result = reply["content"]["user_expressions"]["p"]
            return result["data"]["text/plain"] if result["status"] == "ok" else result["status"]
        except Exception as error:  # a hung or dead kernel
            self.log.debug("[sandbox] integrity probe failed: %r", error)
            return None

    def _refuse(self, cell, ename: str, reason: str):
        self.log.warning("[sandbox] %s: %s: %s", self._label, ename, reason)
        cell.outputs = [
            NotebookNode(
                output_type="error", ename=ename, evalue=reason, traceback=[f"{ename}: {reason}"]
            )
        ]
        return cell

    def output(self, outs, msg, display_id, cell_index):
        if self.max_output_bytes < 0:
            return super().output(outs, msg, display_id, cell_index)
        self._output_bytes += _size(msg["content"])
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self._capped:
            self._capped = True
            note = (
                f"\n[output stopped: more than {self.max_output_bytes} bytes; cell interrupted]\n"
            )
            outs.append(NotebookNode(output_type="stream", name="stderr", text=note))
            self.log.warning(
                "[sandbox] %s: output over %d bytes in cell %d; interrupting",
                self._label,
                self.max_output_bytes,
                cell_index,
            )
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        return None


def _size(content) -> int:
    """Characters of text in a message's content (cheap; no JSON encoding)."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, dict):
        return sum(_size(value) for value in content.values())
    if isinstance(content, list):
        return sum(_size(value) for value in content)
    return 0


def _label(resources) -> str:
    info = (resources or {}).get("nbgrader", {})
    if info:
        return f"{info.get('student')}/{info.get('assignment')}/{info.get('notebook')}"
    return str((resources or {}).get("metadata", {}).get("path", "a notebook"))


def autograde_preprocessors() -> list:
    """nbgrader's autograde steps with ``Execute`` replaced by ``SandboxedExecute``.

    >>> [p.__name__ for p in autograde_preprocessors()][:2]
    ['SandboxedExecute', 'IgnorePattern']
    """
    from nbgrader.converters.autograde import Autograde

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [SandboxedExecute if p is Execute else p for p in default]
