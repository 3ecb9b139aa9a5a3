"""Sandboxed autograding: a submission's kernel computes answers; the checker decides the marks.

nbgrader runs a trainee's code as the instructor, in the course folder. Configured from
``nbgrader_config.py`` (its ``grading`` section; see ``INSTRUCTORS.md``), ``SandboxedExecute``
replaces nbgrader's ``Execute`` step of ``nbgrader autograde``:

- the submission's own cells (and the instructor's locked cells) run in a kernel started inside
  bubblewrap by ``SandboxedKernelManager``: no capabilities (root included: it runs as
  ``nobody`` in a user namespace of its own), no network, no other user namespace, read-only
  Python environment, toolkit and *trainee* datasets; **no ground truth, no gradebook, no
  solutions**. It writes only its own ``autograded/<student>/<assignment>/`` folder (the notebook
  files in it masked) and a private ``/tmp`` on disk; limits on address space, all its
  processes' memory together, processes, file size, disk, files and wall clock
  (:mod:`chaintrace.grader.launcher`);
- the kernel starts isolated: ``python -I`` and IPython's ``ignore_cwd``, so nothing in the
  submission folder is on its import path (a shipped ``ipykernel_launcher.py`` is just a file);
- **test cells never run in the kernel.** At each test cell the grader asks the kernel for the
  answers that test reads, as data (:mod:`chaintrace.grader.answers`), and the checker, a process
  of its own with the ground truth (:mod:`chaintrace.grader.checker`), runs the instructor's test
  (visible and hidden parts) on them. Its verdict becomes the cell's output, which nbgrader
  scores. Nothing the submission does to Python or IPython changes a verdict except through its
  answers, and the kernel never sees a verdict.

>>> limits = Limits(memory_bytes=512 << 20, processes=16, file_size_bytes=1 << 20, seconds=30)
>>> cmd = bwrap_command("/usr/bin/bwrap", Mounts(read_only=(Path("/usr"),),
...     work_dir=Path("/c/autograded/ann/a1"), runtime_dir=Path("/tmp/rt")), limits,
...     ["python", "-m", "ipykernel_launcher", "-f", "/tmp/rt/kernel.json"], {"LANG": "C.UTF-8"})
>>> cmd[:4]
['/usr/bin/bwrap', '--unshare-all', '--unshare-user', '--disable-userns']
>>> cmd[cmd.index("--cap-drop"): cmd.index("--cap-drop") + 2]
['--cap-drop', 'ALL']
>>> i = cmd.index("/c/autograded/ann/a1"); cmd[i - 1 : i + 2]
['--bind', '/c/autograded/ann/a1', '/c/autograded/ann/a1']
>>> cmd[-7:]
['--', 'python', '-I', '-m', 'ipykernel_launcher', '-f', '/tmp/rt/kernel.json']
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, CaselessStrEnum, Integer

import chaintrace
from chaintrace import paths
from chaintrace.messages import (
    COURSE_ROOT,
    LANGUAGES,
    MESSAGE_CONTEXT,
    Entry,
    normalise,
    read_po,
    write_po,
)

from . import checks
from .answers import MAX_BYTES
from .checker_process import CheckerProcess

INSTALL_HINT = (
    "install bubblewrap: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
    "`sudo dnf install bubblewrap` (Fedora); inside a container see INSTRUCTORS.md, "
    "'Security of grading'"
)
LAUNCHER = Path(__file__).with_name("launcher.py")
# Environment a kernel may inherit; everything else (tokens, keys, proxies) stays outside.
PASSED_ENV = ("NBGRADER_EXECUTION", "TZ", "CHAINTRACE_LANG")
# The memory limit bounds address space. pyarrow's default allocator (mimalloc) reserves ~1.5 GB
# of it for a dataset that uses 250 MB, and glibc reserves 64 MB per thread: use the frugal ones.
ALLOCATOR_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}
# nbgrader's default exchange (every trainee's submissions on a shared server) lives under /usr.
HIDDEN_DIRS = ("/usr/local/share/nbgrader",)
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
NOBODY = "65534"
IGNORE_CWD = "--InteractiveShellApp.ignore_cwd=True"
MB = 1 << 20
_UNSET = object()


@dataclass(frozen=True)
class Limits:
    """What one sandboxed submission may use (0 means no limit)."""

    memory_bytes: int  # address space of each process
    processes: int
    file_size_bytes: int
    seconds: float
    memory_total_bytes: int = 0  # resident memory of all its processes together, /tmp included
    disk_bytes: int = 0  # written to its folder and /tmp together
    files: int = 0  # files and folders in its folder and /tmp together

    def launcher_args(self, watched: tuple[Path, ...] = ()) -> list[str]:
        args = [
            f"--memory={self.memory_bytes}",
            f"--processes={self.processes}",
            f"--file-size={self.file_size_bytes}",
            f"--deadline={self.seconds:g}",
            f"--memory-total={self.memory_total_bytes}",
            f"--disk={self.disk_bytes}",
            f"--files={self.files}",
        ]
        return args + [f"--watch={path}" for path in watched]


@dataclass(frozen=True)
class Mounts:
    """What the sandbox sees: read-only folders, one writable folder, the kernel's sockets."""

    read_only: tuple[Path, ...]
    work_dir: Path
    runtime_dir: Path
    masked: tuple[Path, ...] = ()  # files in work_dir replaced by an empty /dev/null
    cache: Path | None = None  # read-only: datasets verified and tags checked (kernel_cache)

    @property
    def scratch(self) -> Path:
        """The folder on disk that is the sandbox's /tmp (counted against its disk limit)."""
        return self.runtime_dir / "tmp"


def read_only_paths() -> tuple[Path, ...]:
    """The Python environment, system libraries, the toolkit and the trainees' datasets.

    Never the ground truth, the course folder, the gradebook or the solutions: the kernel has
    no use for them, since it does not decide any mark.
    """
    package_root = Path(chaintrace.__file__).resolve().parent.parent
    candidates = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path("/usr")]
    candidates += [Path(sys.executable).resolve().parent.parent, package_root]
    candidates += [paths.datasets_root()]
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


def isolated(kernel_cmd: list[str]) -> list[str]:
    """The kernel command with Python in isolated mode (no cwd, PYTHON* or user site on the path).

    >>> isolated(["python", "-m", "ipykernel_launcher", "-f", "k.json"])
    ['python', '-I', '-m', 'ipykernel_launcher', '-f', 'k.json']
    """
    command = list(kernel_cmd)
    if command and "python" in Path(command[0]).name and "-I" not in command:
        command.insert(1, "-I")
    return command


def bwrap_command(
    bwrap: str, mounts: Mounts, limits: Limits, kernel_cmd: list[str], env: dict[str, str]
) -> list[str]:
    """The full command that starts ``kernel_cmd`` in a sandbox (see the module example)."""
    # A user namespace of its own, as nobody, with no capabilities and no way to make another:
    # even when the grader runs as root, nothing inside can remount, unmask or write read-only.
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
    cmd += ["--uid", NOBODY, "--gid", NOBODY, "--cap-drop", "ALL"]
    cmd += ["--die-with-parent", "--new-session", "--as-pid-1"]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    # /tmp first: what follows may lie under /tmp and must be mounted on top of it
    cmd += ["--bind", str(mounts.scratch), "/tmp", "--dir", "/tmp/home"]
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
    if mounts.cache is not None:
        cmd += ["--ro-bind", str(mounts.cache), str(mounts.cache)]
    cmd += ["--chdir", str(mounts.work_dir), "--clearenv"]
    path = f"{Path(kernel_cmd[0]).parent}:/usr/local/bin:/usr/bin:/bin"
    inside = {"PATH": path, "HOME": "/tmp/home", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    inside.update(ALLOCATOR_ENV)
    # The kernel reads the data the grader resolved (the active cohort variant, if any): the
    # variant file in the course folder is out of the sandbox's sight.
    inside["CHAINTRACE_DATASETS"] = str(paths.datasets_root())
    inside["MPLBACKEND"] = "Agg"
    if mounts.cache is not None:
        inside["CHAINTRACE_CACHE"] = str(mounts.cache)
    inside.update({k: v for k, v in env.items() if k in PASSED_ENV})
    for key, value in sorted(inside.items()):
        cmd += ["--setenv", key, value]
    watched = (mounts.work_dir, Path("/tmp"))
    cmd += [sys.executable, "-I", str(LAUNCHER), *limits.launcher_args(watched), "--"]
    return cmd + isolated(kernel_cmd)


@functools.cache
def kernel_cache() -> Path:
    """What every kernel of this grading run would otherwise redo, done once by the grader.

    The trainees' datasets are verified and their TagPacks checked here, into a folder each
    sandbox sees read-only as its ``CHAINTRACE_CACHE``: a notebook's first cell then opens the
    data in milliseconds instead of a second or two per submission. It holds only what the
    trainees' own copy of the data gives (checksums, checked tags), never anything graded.
    """
    from chaintrace.dataset import load_dataset
    from chaintrace.tags import load_tagpack

    folder = Path(tempfile.mkdtemp(prefix="chaintrace-kernel-cache-"))
    atexit.register(shutil.rmtree, folder, True)
    before = os.environ.get("CHAINTRACE_CACHE")
    os.environ["CHAINTRACE_CACHE"] = str(folder)
    try:
        for tags in sorted(paths.datasets_root().glob("*/tags.yaml")):
            try:
                load_dataset(tags.parent)
                load_tagpack(tags)
            except Exception:  # noqa: S112 (a broken dataset is reported by the notebook itself)
                continue
    finally:
        if before is None:
            os.environ.pop("CHAINTRACE_CACHE", None)
        else:
            os.environ["CHAINTRACE_CACHE"] = before
    for lang in LANGUAGES[1:]:
        write_po(folder / "po" / f"{lang}.po", printed_translations(lang))
    return folder


def printed_translations(lang: str) -> list[Entry]:
    """The course catalogues' translations of what notebooks print through ``translate(...)``
    outside their test cells, for a kernel that has no course folder to read them from.

    Only what trainees already hold: the lessons and the released assignments (no model answer,
    no hidden test); a test's messages stay with the checker, outside the sandbox.
    """
    from chaintrace.course.translation import shown_messages

    printed = set()
    for notebook in sorted(COURSE_ROOT.glob("course/*.ipynb")) + sorted(
        COURSE_ROOT.glob("exercises/*/*.ipynb")
    ):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            # a released answer cell holds its stub and the lines after the answer (which print
            # the trainee's own values), never the model answer: its sentences are shown too
            if cell["cell_type"] == "code" and not cell["metadata"].get("nbgrader", {}).get(
                "grade"
            ):
                source = "".join(cell["source"])
                if "translate(" not in source:
                    continue
                try:
                    printed.update(text for text, _ in shown_messages(source, test=False))
                except SyntaxError:  # a stub that is not Python yet prints nothing
                    continue
    entries = {}
    for path in sorted((COURSE_ROOT / lang / "po").glob("*.po")):
        for entry in read_po(path):
            if entry.context == MESSAGE_CONTEXT and entry.msgid in printed and entry.msgstr:
                entries.setdefault(entry.msgid, entry)
    return list(entries.values())


@functools.cache
def find_bwrap() -> tuple[str | None, str]:
    """``(path to bwrap, "")`` when a sandbox can be made here, else ``(None, what is wrong)``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, f"bubblewrap (`bwrap`) is not installed; {INSTALL_HINT}"
    probe = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", NOBODY]
    probe += ["--gid", NOBODY, "--cap-drop", "ALL", "--die-with-parent", "--ro-bind", "/", "/"]
    try:
        result = subprocess.run([*probe, "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"`bwrap` could not be run ({error}); {INSTALL_HINT}"
    if result.returncode != 0:
        reason = result.stderr.strip() or f"exit status {result.returncode}"
        return None, (
            f"`bwrap` cannot create namespaces on this machine ({reason}); allow user "
            "namespaces or grade in a container started with them; see INSTRUCTORS.md"
        )
    return bwrap, ""


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
        mounts = Mounts(read_only_paths(), self._work_dir, self._runtime, masked, kernel_cache())
        mounts.scratch.mkdir()
        command = bwrap_command(self.bwrap, mounts, self.limits, kernel_cmd, kw.get("env") or {})
        self.log.debug("sandboxed kernel: %s", command)
        await super()._async_launch_kernel(command, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._runtime, ignore_errors=True)

    cleanup_resources = run_sync(_async_cleanup_resources)


@dataclass
class Record:
    """What happened to one submission, for the summary at the end of ``nbgrader autograde``."""

    label: str
    points: float = 0.0
    available: float = 0.0
    timeouts: int = 0
    removed: list[str] = field(default_factory=list)  # files the submission's code left behind
    problems: list[str] = field(default_factory=list)  # limits hit, unreadable answers, ...
    seconds: float = 0.0


RECORDS: list[Record] = []  # this process's submissions, in grading order


class SandboxedExecute(Execute):
    """nbgrader's Execute step: sandboxed kernel for the submission, checker for the marks."""

    mode = CaselessStrEnum(
        ["on", "strict", "off"],
        default_value="on",
        help="on: sandbox, or warn loudly and grade unsandboxed when bwrap cannot run; "
        "strict: refuse to grade without the sandbox; off: no sandbox (limits still apply)",
    ).tag(config=True)
    memory_limit = Integer(2048, help="address space of each kernel process, MB (0: none)").tag(
        config=True
    )
    memory_total_limit = Integer(
        3072, help="resident memory of all of a submission's processes and /tmp, MB (0: none)"
    ).tag(config=True)
    process_limit = Integer(64, help="processes in one sandbox (0: none)").tag(config=True)
    file_size_limit = Integer(200, help="largest file a kernel may write, MB (0: none)").tag(
        config=True
    )
    disk_limit = Integer(300, help="MB a submission may write to its folder and /tmp").tag(
        config=True
    )
    file_limit = Integer(2000, help="files a submission may create (folder and /tmp)").tag(
        config=True
    )
    notebook_timeout = Integer(600, help="seconds for a whole notebook (0: none)").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="output bytes kept per cell (-1: all)").tag(
        config=True
    )

    def preprocess(self, nb, resources=None, km=None):
        self._label = _label(resources)
        self._source = _source_notebook(self, resources)
        self._bwrap = self._choose_bwrap()
        self._started = time.monotonic()
        self._stopped = None
        self._record = Record(self._label)
        RECORDS.append(self._record)
        work_dir = Path((resources or {}).get("metadata", {}).get("path") or ".")
        before = checks.listing(work_dir)
        if IGNORE_CWD not in self.extra_arguments:  # nothing beside the notebook is importable
            self.extra_arguments = [*self.extra_arguments, IGNORE_CWD]
        self._checker = CheckerProcess.shared(self.log)
        lang = notebook_language(nb)
        self._checker.begin(self._source, self._label, lang)
        before_lang = os.environ.get("CHAINTRACE_LANG")
        os.environ["CHAINTRACE_LANG"] = lang  # the kernel shows the toolkit's errors in it too
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if before_lang is None:
                os.environ.pop("CHAINTRACE_LANG", None)
            else:
                os.environ["CHAINTRACE_LANG"] = before_lang
            self._checker.end()
            self._record.removed = checks.remove_created(work_dir, before)
            self._record.seconds = time.monotonic() - self._started
            for path in self._record.removed[:5]:
                self.log.warning(
                    "[grading] %s: removed %s, which its code created", self._label, path
                )

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
            self.memory_limit * MB,
            self.process_limit,
            self.file_size_limit * MB,
            seconds,
            self.memory_total_limit * MB,
            self.disk_limit * MB,
            self.file_limit,
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

    # -- cells ----------------------------------------------------------------------------

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            return await self._grade(cell, meta)
        problem = self._stopped or self._out_of_time()
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
            self._record.timeouts += 1
            name, why = self._timeout_reason()
            self._stopped = (name, f"the kernel stopped answering after the {why} (earlier cell)")
            return self._refuse(cell, name, f"the kernel stopped answering after the {why}")

    execute_cell = run_sync(async_execute_cell)

    def _timeout_reason(self) -> tuple[str, str]:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            return "NotebookTimeoutError", f"{self.notebook_timeout} s notebook time limit"
        return "CellTimeoutError", f"{self.timeout} s cell time limit"

    def _out_of_time(self) -> tuple[str, str] | None:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            reason = f"the notebook time limit ({self.notebook_timeout} s) was used up"
            self._stopped = ("NotebookTimeoutError", reason)
            return self._stopped
        return None

    async def _grade(self, cell, meta):
        """A test cell: the answers it reads leave the kernel as data; the checker decides."""
        grade_id = meta.get("grade_id", "")
        problem = self._stopped or self._out_of_time()
        try:
            test = self._checker.plan.test(grade_id)
        except KeyError:
            return self._refuse(
                cell, "GradingError", f"{grade_id!r} is not a test of this notebook"
            )
        self._record.available += test.points
        if problem:
            return self._refuse(cell, *problem)
        answers = await self._answers(test.answers)
        if answers is None:
            self._stopped = ("KernelNotAnswering", "the kernel stopped answering")
            return self._refuse(cell, *self._stopped)
        verdict = await self._checker.test(
            grade_id, answers, self._call_back, self._test_deadline()
        )
        if verdict.passed:
            self._record.points += test.points
        elif verdict.ename == "AnswerError":
            self._record.problems.append(f"{grade_id}: {verdict.evalue}")
        cell.outputs = [NotebookNode(o) for o in verdict.outputs()]
        return cell

    def _test_deadline(self) -> float:
        remaining = self._remaining()
        budget = float(self.timeout or 60)
        return time.monotonic() + (
            budget if remaining is None else max(1.0, min(budget, remaining))
        )

    async def _answers(self, names) -> dict[str, str] | None:
        expressions = {
            name: "__import__('chaintrace.grader.answers', fromlist=['_'])"
            f".encode_name(get_ipython().user_ns, {name!r})"
            for name in names
        }
        reply = await self._ask(expressions, float(self.timeout or 60))
        if reply is None:
            return None
        answers = {}
        for name in names:
            answers[name] = _text_of(reply.get(name), name)
        return answers

    async def _call_back(self, name: str, args: str, deadline: float) -> tuple[str, str]:
        """Call the submission's function ``name`` with data ``args``: ``(value, error)``."""
        expression = (
            "__import__('chaintrace.grader.answers', fromlist=['_'])"
            f".call_back(get_ipython().user_ns, {name!r}, {args!r})"
        )
        reply = await self._ask({"r": expression}, max(0.5, deadline - time.monotonic()))
        if reply is None:
            return "", f"`{name}` did not return in time"
        result = reply.get("r") or {}
        if result.get("status") != "ok":
            return "", f"{result.get('ename', 'Error')}: {result.get('evalue', '')}"[:500]
        return _text_of(result, name), ""

    async def _ask(self, expressions: dict, timeout: float) -> dict | None:
        """Evaluate ``expressions`` in the kernel, without running any cell code."""
        try:
            msg_id = await ensure_async(
                self.kc.execute("", silent=True, store_history=False, user_expressions=expressions)
            )
            reply = await asyncio.wait_for(self.async_wait_for_reply(msg_id), timeout)
            # read this request's messages off IOPub too: left there, hundreds of them (one
            # per function call-back) delay the next cell's output past nbclient's IOPub timeout
            await asyncio.wait_for(self._until_idle(msg_id), timeout)
            return reply["content"].get("user_expressions", {})
        except Exception as error:  # a hung or dead kernel
            self.log.debug("[grading] the kernel did not answer: %r", error)
            try:
                await ensure_async(self.km.interrupt_kernel())
            except Exception:  # noqa: S110 (a dead kernel cannot be interrupted)
                pass
            return None

    async def _until_idle(self, msg_id: str) -> None:
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                return

    def _refuse(self, cell, ename: str, reason: str):
        self.log.warning("[sandbox] %s: %s: %s", self._label, ename, reason)
        if reason not in self._record.problems:
            self._record.problems.append(f"{ename}: {reason}")
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


def _text_of(result, name: str) -> str:
    """The JSON text a user expression returned (a Python string literal in ``text/plain``)."""
    marker = '{"$":"unreadable","why":"%s"}'
    if not result or result.get("status") != "ok":
        why = "reading it raised an error in the notebook" if result else "the kernel sent nothing"
        return marker % why
    text = result.get("data", {}).get("text/plain", "")
    # a Python string literal of the JSON: at most twice as long (escapes), and quoted
    if not isinstance(text, str) or len(text) > 2 * MAX_BYTES + 2 or text[:1] not in "'\"":
        return marker % "it was not sent as data"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return marker % "it was not sent as data"
    return value if isinstance(value, str) else marker % "it was not sent as data"


def _size(content) -> int:
    """Characters of text in a message's content (cheap; no JSON encoding)."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, dict):
        return sum(_size(value) for value in content.values())
    if isinstance(content, list):
        return sum(_size(value) for value in content)
    return 0


def notebook_language(nb) -> str:
    """The language a submission is written in (``metadata.chaintrace.lang``; else English).

    It only chooses the language of messages in its feedback, never a mark.

    >>> notebook_language(NotebookNode(metadata={"chaintrace": {"lang": "uk"}}))
    'uk'
    >>> notebook_language(NotebookNode(metadata={"chaintrace": "uk; rm -rf"}))
    'en'
    """
    meta = (nb or {}).get("metadata", {}).get("chaintrace")
    return normalise(meta.get("lang") if isinstance(meta, dict) else None)


def _label(resources) -> str:
    info = (resources or {}).get("nbgrader", {})
    if info:
        return f"{info.get('student')}/{info.get('assignment')}/{info.get('notebook')}"
    return str((resources or {}).get("metadata", {}).get("path", "a notebook"))


def _source_notebook(preprocessor, resources) -> Path:
    """The instructor's source notebook of the notebook being graded (the checker's only input)."""
    from nbgrader.coursedir import CourseDirectory

    info = (resources or {}).get("nbgrader", {})
    coursedir = CourseDirectory(config=preprocessor.config)
    folder = Path(
        coursedir.format_path(coursedir.source_directory, ".", info.get("assignment", ""))
    )
    path = folder / f"{info.get('notebook', '')}.ipynb"
    if not path.is_file():
        raise RuntimeError(
            f"cannot grade {_label(resources)}: its source notebook {path} is missing; the checker "
            "decides marks from the instructor's source (run nbgrader from the course folder)"
        )
    return path
