"""Hostile submissions, autograded for real in a temporary course with the sandbox on.

One ``nbgrader autograde`` call grades an honest trainee and ten hostile ones (see
``hostile/notebooks.py``) with small limits. Each attack must fail inside the sandbox, the
submission must keep the marks its honest part earns, the rest of the batch must be graded,
every file outside what autograde writes must be unchanged, and the log must say what happened.
"""

import hashlib
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from chaintrace import sandbox
from hostile import notebooks as hostile
from nbgrading import ROOT, Course

BWRAP, BWRAP_PROBLEM = sandbox.find_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"no usable sandbox: {BWRAP_PROBLEM}")

LIMITS = [  # small, so the batch stays fast: the same settings an instructor can pass
    "--Execute.timeout=20",
    "--SandboxedExecute.mode=strict",
    "--SandboxedExecute.memory_limit=512",
    "--SandboxedExecute.process_limit=32",
    "--SandboxedExecute.notebook_timeout=8",
    "--SandboxedExecute.max_output_bytes=100000",
]
# (marks for part a, marks for part b, what the instructor's log must say)
EXPECTED = {
    "honest": (1, 1, "grading honest/h1/h1 inside bubblewrap"),
    "reads_gradebook": (1, 1, "grading reads_gradebook/h1/h1 inside bubblewrap"),
    "reads_solution": (1, 1, "grading reads_solution/h1/h1 inside bubblewrap"),
    "writes_others": (1, 1, "removed a link the submission made"),
    "network": (1, 1, "grading network/h1/h1 inside bubblewrap"),
    "allocates": (1, 1, "grading allocates/h1/h1 inside bubblewrap"),
    "prints": (1, 1, "prints/h1/h1: output over 100000 bytes"),
    "forks": (1, 0, "process limit reached (more than 32 processes)"),
    "kills_kernel": (1, 0, "kills_kernel/h1/h1: DeadKernelError"),
    "sleeps": (1, 0, "sleeps/h1/h1: NotebookTimeoutError"),
    "rewrites_tests": (1, 0, "rewrites_tests/h1/h1: GradingIntegrityError"),
}
BLOCKED_IN_OUTPUT = ["reads_gradebook", "reads_solution", "writes_others", "network", "allocates"]


class CountingServer:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file (and link target) except what autograde legitimately writes."""
    digest = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("autograded/") or rel.startswith("gradebook.db"):
            continue
        if path.is_symlink():
            digest[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def make_course(tmp: Path) -> Course:
    shutil.copy(ROOT / "nbgrader_config.py", tmp / "nbgrader_config.py")
    folder = tmp / "solutions" / hostile.ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(hostile.source_notebook(), folder / f"{hostile.ASSIGNMENT}.ipynb")
    return Course(tmp, hostile.ASSIGNMENT)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if BWRAP is None:
        pytest.skip(f"no usable sandbox: {BWRAP_PROBLEM}")
    course = make_course(tmp_path_factory.mktemp("hostile"))
    course.generate()
    server = CountingServer()
    release = course.read_release()
    course.submit("honest", hostile.submission(release, hostile.TRIPLE))
    for student, answer in hostile.attacks(str(course.root), server.port).items():
        course.submit(student, hostile.submission(release, answer))
    before = tree_digest(course.root)
    try:
        course.result = course.run("autograde", hostile.ASSIGNMENT, "--force", *LIMITS, check=False)
    finally:
        server.stop()
    course.before, course.after, course.server = before, tree_digest(course.root), server
    return course


# Attacks that are safe to run unprotected: they must work there, or the tests above prove nothing.
CONTROLS = ["reads_gradebook", "reads_solution", "writes_others", "network"]


@pytest.fixture(scope="module")
def unprotected(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("unprotected"))
    course.generate()
    server = CountingServer()
    release = course.read_release()
    for student, answer in hostile.attacks(str(course.root), server.port).items():
        if student in CONTROLS:
            course.submit(student, hostile.submission(release, answer))
    try:
        course.run("autograde", hostile.ASSIGNMENT, "--force", "--SandboxedExecute.mode=off")
    finally:
        server.stop()
    course.server = server
    return course


def part_b_output(course: Course, student: str) -> str:
    path = course.root / "autograded" / student / hostile.ASSIGNMENT / f"{hostile.ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_b")
    return "\n".join(
        o.get("text", "") + o.get("evalue", "") + "".join(o.get("traceback", []))
        for o in cell.outputs
    )


@needs_bwrap
@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_keeps_only_the_marks_its_honest_part_earns(batch, student):
    part_a, part_b, said = EXPECTED[student]
    assert batch.scores(student) == {"test_a": part_a, "test_b": part_b}, batch.log[-3000:]
    assert said in batch.log


@needs_bwrap
@pytest.mark.parametrize("student", BLOCKED_IN_OUTPUT)
def test_attack_fails_inside_the_sandbox(batch, student):
    output = part_b_output(batch, student)
    assert "ATTACK-BLOCKED" in output
    assert "ATTACK-SUCCEEDED" not in output
    assert hostile.HIDDEN_MARKER not in output


@needs_bwrap
def test_gradebook_solutions_and_other_trainees_are_unchanged(batch):
    changed = {
        k
        for k in batch.before.keys() | batch.after.keys()
        if batch.before.get(k) != batch.after.get(k)
    }
    assert not changed
    assert not list(batch.root.rglob("pwned.txt"))
    assert "pwned" not in (batch.root / "gradebook.db").read_bytes().decode("latin-1")


@needs_bwrap
def test_links_a_submission_makes_are_removed_before_nbgrader_copies_them(batch):
    links = [p for p in (batch.root / "autograded").rglob("*") if p.is_symlink()]
    assert not links


@needs_bwrap
def test_no_submission_reached_the_network(batch):
    assert batch.server.accepted == 0
    output = part_b_output(batch, "network")  # the sandbox has only its own loopback
    assert "ConnectionRefusedError" in output or "Network is unreachable" in output


@needs_bwrap
def test_printed_gigabytes_are_cut_off(batch):
    assert "output stopped: more than 100000 bytes" in part_b_output(batch, "prints")
    graded = batch.root / "autograded" / "prints" / hostile.ASSIGNMENT
    assert sum(p.stat().st_size for p in graded.iterdir()) < 1_000_000


@needs_bwrap
def test_memory_limit_stops_the_allocation(batch):
    assert "MemoryError" in part_b_output(batch, "allocates")


@needs_bwrap
def test_the_whole_batch_is_graded(batch):
    export = {row["student_id"] for row in batch.export()}
    assert export == set(EXPECTED)


# -- choosing the sandbox: never a silent fallback ------------------------------------------


def chooser(monkeypatch, mode, found):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: found)
    execute = sandbox.SandboxedExecute(mode=mode)
    execute._label = "ann/a1/a1"
    return execute


def test_without_bwrap_the_instructor_is_warned_with_how_to_install_it(monkeypatch, caplog):
    problem = "`bwrap` is not installed; " + sandbox.INSTALL_HINT
    execute = chooser(monkeypatch, "on", (None, problem))
    with caplog.at_level("WARNING", logger=execute.log.name):
        assert execute._choose_bwrap() is None
    (line,) = [r.getMessage() for r in caplog.records]
    assert "NOT SANDBOXED" in line and "apt-get install bubblewrap" in line and "strict" in line


def test_strict_mode_refuses_to_grade_without_bwrap(monkeypatch):
    execute = chooser(monkeypatch, "strict", (None, "`bwrap` is not installed"))
    with pytest.raises(RuntimeError, match="refusing to grade ann/a1/a1 without a sandbox"):
        execute._choose_bwrap()


def test_off_mode_says_so(monkeypatch, caplog):
    execute = chooser(monkeypatch, "off", ("/usr/bin/bwrap", ""))
    with caplog.at_level("WARNING", logger=execute.log.name):
        assert execute._choose_bwrap() is None
    assert "OFF" in caplog.records[0].getMessage()


def test_missing_bwrap_is_reported_with_the_install_command(monkeypatch):
    sandbox.find_bwrap.cache_clear()
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    try:
        assert sandbox.find_bwrap() == (
            None,
            f"bubblewrap (`bwrap`) is not installed; {sandbox.INSTALL_HINT}",
        )
    finally:
        sandbox.find_bwrap.cache_clear()


def test_the_sandbox_sees_only_what_it_must(tmp_path):
    mounts = sandbox.Mounts(
        sandbox.read_only_paths(),
        tmp_path / "autograded/ann/a1",
        tmp_path / "rt",
        (tmp_path / "autograded/ann/a1/a1.ipynb",),
    )
    limits = sandbox.Limits(1 << 29, 8, 1 << 20, 30)
    cmd = sandbox.bwrap_command("bwrap", mounts, limits, ["python"], {"SECRET_TOKEN": "x"})
    writable = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--bind"]
    assert writable == [str(tmp_path / "autograded/ann/a1"), str(tmp_path / "rt")]
    assert "--unshare-all" in cmd and "--clearenv" in cmd
    assert "SECRET_TOKEN" not in cmd
    assert ["--ro-bind", "/dev/null", str(tmp_path / "autograded/ann/a1/a1.ipynb")] == cmd[
        cmd.index("/dev/null") - 1 : cmd.index("/dev/null") + 2
    ]
    read_only = {Path(cmd[i + 1]) for i, arg in enumerate(cmd) if arg == "--ro-bind"}
    assert not any(p == ROOT or ROOT.is_relative_to(p) for p in read_only), "course root exposed"
    assert ROOT / "helpers" in read_only


@pytest.mark.parametrize("student", CONTROLS)
def test_without_the_sandbox_the_same_attack_works(unprotected, student):
    # Read as text: unprotected, `writes_others` appended to the other notebooks' JSON.
    graded = unprotected.root / "autograded" / student / hostile.ASSIGNMENT
    text = (graded / f"{hostile.ASSIGNMENT}.ipynb").read_text()
    assert '"ATTACK-SUCCEEDED ' in text  # an output line; the cell's source quotes it differently
    assert "[sandbox] OFF" in unprotected.log


def test_without_the_sandbox_the_network_is_reached(unprotected):
    assert unprotected.server.accepted == 1
