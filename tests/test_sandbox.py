"""Hostile submissions, autograded for real by ``nbgrader autograde`` in a temporary course.

One ``nbgrader autograde`` call grades an honest trainee and every hostile one of
``hostile/notebooks.py`` with small limits (CI runs this as root, so the sandbox is tried as
root too). Each hostile submission answers part a honestly and attacks parts b and c; it must
earn part a's point and nothing more, write nothing outside its folder, leak nothing into its
feedback, and the rest of the batch must be graded. The log and the summary must say what
happened in words an instructor can act on.
"""

import hashlib
import os
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from chaintrace.grader import sandbox
from hostile import notebooks as hostile
from nbgrading import ROOT, Course

BWRAP, BWRAP_PROBLEM = sandbox.find_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"no usable sandbox: {BWRAP_PROBLEM}")

LIMITS = [  # small, so the batch stays fast: the same settings an instructor can pass
    "--Execute.timeout=15",
    "--SandboxedExecute.mode=strict",
    "--SandboxedExecute.memory_limit=768",
    "--SandboxedExecute.memory_total_limit=700",
    "--SandboxedExecute.process_limit=32",
    "--SandboxedExecute.notebook_timeout=12",
    "--SandboxedExecute.max_output_bytes=100000",
    "--SandboxedExecute.disk_limit=100",
    "--SandboxedExecute.file_limit=1000",
]
HONEST = (1, 1, 1)
PART_A_ONLY = (1, 0, 0)
# What the instructor's log must say about a submission, beyond the summary line.
SAID = {
    "writes_others": "removed gradebook-link, which its code created",
    "prints": "prints/h1/h1: output over 100000 bytes",
    "forks": "process limit reached (more than 32 processes)",
    "kills_kernel": "kills_kernel/h1/h1: DeadKernelError",
    "sleeps": "sleeps/h1/h1: NotebookTimeoutError",
    "allocates_in_children": "memory limit reached",
    "fills_disk": "disk limit reached",
    "many_files": "file limit reached",
    "links_gradebook": "links_gradebook's submission is NOT graded: answers.db is a symbolic link",
    "links_solution": "links_solution's submission is NOT graded: model.ipynb is a symbolic link",
    "links_device": "links_device's submission is NOT graded: zeros.bin is a symbolic link",
}
BLOCKED_IN_OUTPUT = [
    "reads_gradebook",
    "reads_solution",
    "reads_truth",
    "reads_grader_memory",
    "unmasks_notebook",
    "writes_others",
    "remounts_as_root",
    "network",
    "allocates",
]


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


def tree_digest(*roots: Path, skip=("autograded/", "gradebook.db")) -> dict[str, str]:
    """sha256 of every file (and link target) under ``roots`` except what autograde writes."""
    digest = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            rel = f"{root.name}/{path.relative_to(root).as_posix()}"
            if any(rel.startswith(f"{root.name}/{s}") for s in skip) or "__pycache__" in rel:
                continue  # (bytecode is written by the trusted grader's own imports)
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


def submit_everyone(course: Course, port: int) -> None:
    release = course.read_release()
    course.submit("honest", hostile.submission(release, hostile.ANSWER_B, hostile.TRIPLE))
    for student, answer in hostile.attacks(str(course.root), port).items():
        course.submit(student, hostile.submission(release, answer))
    swapped = hostile.submission(release, hostile.BLANK_B)  # asks for another kernel
    swapped.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    course.submit("swaps_kernel", swapped)
    for student, files in hostile.SHIPPED.items():
        course.submit(student, hostile.submission(release, hostile.BLANK_B))
        for name, text in files.items():
            (course.root / "submitted" / student / hostile.ASSIGNMENT / name).write_text(text)
    for student, links in hostile.LINKED.items():
        course.submit(student, hostile.submission(release, hostile.BLANK_B))
        for name, target in links.items():
            link = course.root / "submitted" / student / hostile.ASSIGNMENT / name
            link.symlink_to(target.format(root=course.root))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if BWRAP is None:
        pytest.skip(f"no usable sandbox: {BWRAP_PROBLEM}")
    course = make_course(tmp_path_factory.mktemp("hostile"))
    course.generate()
    server = CountingServer()
    submit_everyone(course, server.port)
    environment = [Path(os.path.realpath(p)) for p in (ROOT / "helpers", ROOT / "groundtruth")]
    before = tree_digest(course.root, *environment)
    try:
        course.result = course.run("autograde", hostile.ASSIGNMENT, "--force", *LIMITS, check=False)
        course.feedback_result = course.run(
            "generate_feedback", hostile.ASSIGNMENT, "--force", check=False
        )
    finally:
        server.stop()
    course.before = before
    course.after = tree_digest(
        course.root, *environment, skip=("autograded/", "gradebook.db", "feedback/")
    )
    course.server = server
    return course


def scores(course: Course, student: str):
    try:
        found = course.scores(student)
    except Exception:  # no submission in the gradebook: it was refused
        return None
    return tuple(found[f"test_{part}"] for part in "abc")


def graded_cell_output(course: Course, student: str, grade_id: str) -> str:
    path = course.root / "autograded" / student / hostile.ASSIGNMENT / f"{hostile.ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(
        o.get("text", "") + o.get("evalue", "") + "".join(o.get("traceback", []))
        for o in cell.outputs
    )


ATTACKERS = [*hostile.attacks("/x", 1), *hostile.SHIPPED, "swaps_kernel"]


@needs_bwrap
def test_the_honest_trainee_earns_every_point(batch):
    assert scores(batch, "honest") == HONEST, batch.log[-4000:]


@needs_bwrap
@pytest.mark.parametrize("student", ATTACKERS)
def test_an_attack_earns_only_what_its_honest_part_earns(batch, student):
    assert scores(batch, student) == PART_A_ONLY, batch.log[-4000:]
    if student in SAID:
        assert SAID[student] in batch.log


@needs_bwrap
@pytest.mark.parametrize("student", hostile.LINKED)
def test_a_submission_holding_links_is_refused_for_that_trainee_only(batch, student):
    assert scores(batch, student) is None
    assert SAID[student] in batch.log
    assert not (batch.root / "autograded" / student).exists()
    assert not (batch.root / "feedback" / student).exists()


@needs_bwrap
@pytest.mark.parametrize("student", BLOCKED_IN_OUTPUT)
def test_attack_fails_inside_the_sandbox(batch, student):
    output = graded_cell_output(batch, student, "answer_b")
    assert "ATTACK-BLOCKED" in output
    assert "ATTACK-SUCCEEDED" not in output


@needs_bwrap
def test_no_secret_and_no_hidden_test_reaches_any_output_or_feedback(batch):
    for page in (batch.root / "feedback").rglob("*"):
        if page.is_file():
            text = page.read_bytes().decode("utf-8", "replace")
            assert hostile.HIDDEN_MARKER not in text, page
            assert "SQLite format" not in text, page
    for notebook in (batch.root / "autograded").rglob("*.ipynb"):
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            shown = "".join(str(o) for o in cell.get("outputs", []))
            assert hostile.HIDDEN_MARKER not in shown or "test_" in cell.metadata.get(
                "nbgrader", {}
            ).get("grade_id", ""), (notebook, cell.source[:80])


@needs_bwrap
def test_feedback_holds_only_the_graded_notebooks_page(batch):
    for folder in (batch.root / "feedback").glob(f"*/{hostile.ASSIGNMENT}"):
        names = {p.name for p in folder.iterdir()} - {
            "timestamp.txt"
        }  # pairs it with the submission
        assert names == {f"{hostile.ASSIGNMENT}.html"}, folder


@needs_bwrap
def test_gradebook_solutions_environment_and_other_trainees_are_unchanged(batch):
    changed = {
        k
        for k in batch.before.keys() | batch.after.keys()
        if batch.before.get(k) != batch.after.get(k)
    }
    assert not changed
    assert not list(batch.root.rglob("pwned*"))
    import sysconfig

    assert not Path(sysconfig.get_paths()["purelib"], "pwned.pth").exists()
    assert "pwned" not in (batch.root / "gradebook.db").read_bytes().decode("latin-1")


@needs_bwrap
def test_files_beside_the_notebook_are_not_on_the_kernels_path(batch):
    graded = batch.root / "autograded" / "ships_launcher" / hostile.ASSIGNMENT
    assert not (graded / "LAUNCHER-RAN").exists()
    assert not (graded / "SITECUSTOMIZE-RAN").exists()
    assert "the fake" not in batch.log


@needs_bwrap
def test_what_a_submissions_code_leaves_behind_is_removed(batch):
    for student in ("writes_others", "fills_disk"):
        graded = batch.root / "autograded" / student / hostile.ASSIGNMENT
        assert sorted(p.name for p in graded.iterdir()) == [f"{hostile.ASSIGNMENT}.ipynb"]


@needs_bwrap
def test_no_submission_reached_the_network(batch):
    assert batch.server.accepted == 0


@needs_bwrap
def test_printed_gigabytes_are_cut_off(batch):
    assert "output stopped: more than 100000 bytes" in graded_cell_output(
        batch, "prints", "answer_b"
    )


@needs_bwrap
def test_memory_limit_stops_the_allocation(batch):
    assert "MemoryError" in graded_cell_output(batch, "allocates", "answer_b")


@needs_bwrap
def test_the_summary_names_every_submission_and_what_was_found(batch):
    summary = batch.log[batch.log.index("[grading] summary") :]
    for student in ["honest", *ATTACKERS]:
        assert f"{student}/h1/h1" in summary
    assert "REFUSED" in summary and "links_gradebook" in summary
    assert "honest/h1/h1" in summary and "3/3" in summary
    assert "[grading] 1/" in batch.log  # progress while it runs
    assert "has changed" not in batch.log, "an untouched test cell is not a warning"


@needs_bwrap
def test_the_whole_batch_is_graded(batch):
    export = {row["student_id"] for row in batch.export()}
    assert {"honest", *ATTACKERS} <= export


# -- without the sandbox, the same attacks work: the tests above prove something -------------

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


@pytest.mark.parametrize("student", CONTROLS)
def test_without_the_sandbox_the_same_attack_works(unprotected, student):
    # Read as text: unprotected, `writes_others` appended to the other notebooks' JSON.
    graded = unprotected.root / "autograded" / student / hostile.ASSIGNMENT
    text = (graded / f"{hostile.ASSIGNMENT}.ipynb").read_text()
    assert '"ATTACK-SUCCEEDED ' in text  # an output line; the cell's source quotes it differently
    assert "[sandbox] OFF" in unprotected.log


def test_without_the_sandbox_the_network_is_reached(unprotected):
    assert unprotected.server.accepted == 1


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
    assert writable == [
        str(tmp_path / "rt/tmp"),
        str(tmp_path / "autograded/ann/a1"),
        str(tmp_path / "rt"),
    ]
    assert {"--unshare-all", "--unshare-user", "--disable-userns", "--clearenv"} <= set(cmd)
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL" and cmd[cmd.index("--uid") + 1] == "65534"
    assert "SECRET_TOKEN" not in cmd
    assert ["--ro-bind", "/dev/null", str(tmp_path / "autograded/ann/a1/a1.ipynb")] == cmd[
        cmd.index("/dev/null") - 1 : cmd.index("/dev/null") + 2
    ]
    read_only = {Path(cmd[i + 1]) for i, arg in enumerate(cmd) if arg == "--ro-bind"}
    assert not any(p == ROOT or ROOT.is_relative_to(p) for p in read_only), "course root exposed"
    assert ROOT / "helpers" in read_only
    assert not any(p.name == "groundtruth" or "groundtruth" in p.parts for p in read_only)
    assert "CHAINTRACE_GROUNDTRUTH" not in cmd
    assert cmd[-2:] == ["python", "-I"]  # isolated: the submission folder is not on its path


@needs_bwrap
def test_read_only_folders_mounted_under_tmp_do_not_count_as_written(tmp_path):
    """A course cloned under /tmp has its environment mounted inside the sandbox's /tmp."""
    import subprocess
    import sys

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    command = [BWRAP, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/"]
    command += ["--proc", "/proc", "--bind", str(scratch), "/tmp"]
    for path in sandbox.read_only_paths():  # the environment may itself live under /tmp
        command += ["--ro-bind", str(path), str(path)]
    command += ["--ro-bind", sys.prefix, "/tmp/environment"]
    command += [sys.executable, "-I", str(sandbox.LAUNCHER), "--disk=1000000", "--files=100"]
    command += ["--watch=/tmp", "--", sys.executable, "-c", "import time; time.sleep(2.5)"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    flood = command[:-1] + [
        "open('/tmp/big', 'wb').write(b'x' * 2_000_000); import time; time.sleep(2.5)"
    ]
    done = subprocess.run(flood, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "disk limit reached" in done.stderr
