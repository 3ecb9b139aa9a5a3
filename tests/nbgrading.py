"""Run the real nbgrader cycle on a throw-away copy of the course, for the grading tests.

A `Course` is a temporary folder holding the repository's `nbgrader_config.py` and one
assignment's source notebooks. It generates the release, takes submissions (notebooks built
from the source or the release), autogrades them all in one call (nbgrader's start-up costs more
than a notebook), makes feedback and exports grades.
"""

import atexit
import copy
import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
EXTRA_AUTOGRADE = os.environ.get("CHAINTRACE_TEST_AUTOGRADE_ARGS", "").split()
# Generated courses, by what went in (see `Course.generate`): one `generate_assignment` per
# assignment and process instead of one per graded batch.
_GENERATED: dict[str, Path] = {}


def notebook_path(folder: Path) -> Path:
    notebooks = sorted(folder.glob("*.ipynb"))
    assert len(notebooks) == 1, f"{folder} should hold exactly one notebook, found {notebooks}"
    return notebooks[0]


def nbgrader_cells(nb, **flags):
    """The cells whose nbgrader metadata has all the given flags, e.g. grade=True."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta and all(meta.get(key) == value for key, value in flags.items()):
            yield cell


def find_cell(nb, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade id {grade_id!r}")


def auto_points(nb) -> float:
    """Points available from autograded (code) test cells."""
    return sum(
        c.metadata.nbgrader["points"] for c in nbgrader_cells(nb, grade=True, solution=False)
    )


@dataclass
class Course:
    root: Path
    assignment: str
    log: str = ""
    students: list[str] = field(default_factory=list)
    env: dict = field(default_factory=lambda: dict(os.environ))  # e.g. CHAINTRACE_VARIANT

    @classmethod
    def create(cls, tmp: Path, assignment: str, sources: Path = ROOT / "solutions") -> "Course":
        """A course holding one assignment, its source taken from ``sources`` (e.g. uk/solutions)."""
        shutil.copy(ROOT / "nbgrader_config.py", tmp / "nbgrader_config.py")
        shutil.copytree(sources / assignment, tmp / "solutions" / assignment)
        return cls(tmp, assignment)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [NBGRADER, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=900,
            env=self.env,
        )
        self.log += f"$ nbgrader {' '.join(args)}\n{result.stdout}\n{result.stderr}\n"
        if check and result.returncode != 0:
            raise AssertionError(f"nbgrader {args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    @property
    def source(self) -> Path:
        return notebook_path(self.root / "solutions" / self.assignment)

    @property
    def release(self) -> Path:
        return notebook_path(self.root / "exercises" / self.assignment)

    def generate(self) -> None:
        """``nbgrader generate_assignment``, or a copy of its result for the same inputs.

        What it makes (the release and a gradebook that knows the assignment) depends only on
        the source folder and the configuration, so a process that grades one assignment on
        several cohort variants generates it once (about 4 s of CPU each time saved).
        """
        key = self._inputs_digest()
        if key not in _GENERATED:
            self.run("generate_assignment", self.assignment, "--force")
            keep = _generated_root() / key
            shutil.copytree(self.root / "exercises" / self.assignment, keep / "exercises")
            shutil.copy(self.root / "gradebook.db", keep / "gradebook.db")
            _GENERATED[key] = keep
            return
        kept = _GENERATED[key]
        shutil.copytree(
            kept / "exercises", self.root / "exercises" / self.assignment, dirs_exist_ok=True
        )
        shutil.copy(kept / "gradebook.db", self.root / "gradebook.db")

    def _inputs_digest(self) -> str:
        """What generation depends on: the configuration and every file of the source folder."""
        digest = hashlib.sha256(self.assignment.encode())
        inputs = [self.root / "nbgrader_config.py"]
        inputs += sorted(
            p for p in (self.root / "solutions" / self.assignment).rglob("*") if p.is_file()
        )
        for path in inputs:
            digest.update(str(path.relative_to(self.root)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]

    def read_source(self):
        return nbformat.read(self.source, as_version=4)

    def read_release(self):
        return nbformat.read(self.release, as_version=4)

    def submit(self, student: str, nb) -> None:
        folder = self.root / "submitted" / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / self.source.name)
        self.students.append(student)

    def autograde(self, timeout: int = 20) -> subprocess.CompletedProcess:
        # check=False: a submission that breaks its kernel makes nbgrader exit 1 after grading the rest
        return self.run(
            "autograde",
            self.assignment,
            "--force",
            f"--Execute.timeout={timeout}",
            *EXTRA_AUTOGRADE,  # e.g. --SandboxedExecute.mode=off: a kernel that sees PYTHONPATH
            check=False,
        )

    def feedback(self) -> None:
        self.run("generate_feedback", self.assignment, "--force")

    def feedback_html(self, student: str) -> str:
        folder = self.root / "feedback" / student / self.assignment
        return notebook_path_html(folder).read_text(encoding="utf-8")

    def export(self) -> list[dict]:
        self.run("export", "--to", str(self.root / "grades.csv"))
        with open(self.root / "grades.csv", newline="") as handle:
            return list(csv.DictReader(handle))

    def scores(self, student: str) -> dict[str, float]:
        """Autograded score of every grade cell of one student's submission."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission_notebook(
                self.source.stem, self.assignment, student
            )
            return {grade.name: grade.score for grade in submission.grades}


def _generated_root() -> Path:
    """A folder for this process's generated courses, removed when the process ends."""
    if "root" not in _GENERATED_ROOT:
        _GENERATED_ROOT["root"] = Path(tempfile.mkdtemp(prefix="chaintrace-generated-"))
        atexit.register(shutil.rmtree, _GENERATED_ROOT["root"], ignore_errors=True)
    return _GENERATED_ROOT["root"]


_GENERATED_ROOT: dict[str, Path] = {}


def notebook_path_html(folder: Path) -> Path:
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == 1, f"{folder} should hold one feedback page, found {pages}"
    return pages[0]


def with_code(nb, grade_id: str, code: str):
    """A copy of ``nb`` whose cell ``grade_id`` holds ``code`` instead."""
    nb = copy.deepcopy(nb)
    find_cell(nb, grade_id).source = code
    return nb


def without_cell(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb
