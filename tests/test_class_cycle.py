"""The instructors' guide, followed as written: every command of its cycle, on a copy of the course.

One class of five on one machine, in two languages: alice and bob fetch and submit through the
local exchange from their own folders (bob converts his fetched assignment into Ukrainian and
works in it); carol's notebook, in Ukrainian, arrives in an LMS zip (beside two entries that must be
refused); dan's is put into submitted/ by hand; erin submits nothing. Then autograde, the marking
sheet, feedback (refused until the written answers are marked), marking, feedback fetched by a
trainee, the class report and the LMS export. Each command run here must appear in
INSTRUCTORS.md, so the guide and this test cannot drift apart.
"""

import csv
import html
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENTS, ROOT
from grading_batch import MISTAKES, mistaken
from nbgrading import Course, nbgrader_cells, with_code

ASSIGNMENT = "00-orientation"  # the quickest to grade; the commands are the same for every one
BIN = Path(sys.executable).parent
GUIDE = (ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8")


def generic(command: str) -> str:
    """A command with its assignment id and trainee names replaced, to compare with the guide."""
    command = re.sub("|".join(map(re.escape, ASSIGNMENTS)), "ASSIGNMENT", command)
    command = re.sub(r"\S+\.(?:zip|csv)\b|\S*/\S*", "PATH", command)  # files the class provides
    return re.sub(r"--student \S+", "--student ID", command)


DOCUMENTED = {generic(line.strip().lstrip("$ ")) for line in re.findall(r"`([^`\n]+)`", GUIDE)}
DOCUMENTED |= {
    generic(line.split("#")[0].strip())
    for block in re.findall(r"```bash\n(.*?)```", GUIDE, flags=re.S)
    for line in block.splitlines()
}


class Class:
    """The instructor's course folder and the trainees' own folders, with a log of every step."""

    def __init__(self, tmp: Path):
        (tmp / "course").mkdir()
        self.course = Course.create(tmp / "course", ASSIGNMENT)
        self.root = self.course.root
        self.tmp = tmp
        self.env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "jupyter"))
        for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            self.env[name] = str(tmp / name.lower())
        self.log = ""
        self.ran: list[str] = []
        self.seconds: dict[str, float] = {}

    def run(self, command: str, cwd: Path | None = None, expect: int = 0) -> str:
        program, *args = command.split()
        argv = [str(BIN / program), *args]
        started = time.perf_counter()
        result = subprocess.run(
            argv,
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.seconds[generic(command)] = time.perf_counter() - started
        output = result.stdout + result.stderr
        self.log += f"$ {command}  (in {cwd or self.root})\n{output}\n"
        self.ran.append(command)
        assert result.returncode == expect, f"{command} exited {result.returncode}:\n{output}"
        return output

    def trainee(self, student: str) -> Path:
        folder = self.tmp / "home" / student
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def answered(notebook: Path, answers) -> None:
    """Write a trainee's answers into their fetched notebook, keeping its cell ids and metadata."""
    fetched = nbformat.read(notebook, as_version=4)
    by_id = {_grade_id(c): c.source for c in answers.cells if _grade_id(c)}
    for cell in nbgrader_cells(fetched, solution=True):
        cell.source = by_id[_grade_id(cell)]
    nbformat.write(fetched, notebook)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def lms_zip(path: Path, carol_notebook: bytes) -> None:
    """An LMS download: carol's folder, a link and a path leaving the archive."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"carol/{ASSIGNMENT} (1).ipynb", carol_notebook)
        link = zipfile.ZipInfo("mallory/notes.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr(f"oscar/../../{ASSIGNMENT}.ipynb", carol_notebook)


def mark_every_written_answer(root: Path, points: float = 1) -> None:
    """What the marker does in Formgrader: a manual score for every written answer."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        for submission in book.assignment_submissions(ASSIGNMENT):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.needs_manual_grade:
                        grade.manual_score = points
                        grade.needs_manual_grade = False
        book.db.commit()


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    run = Class(tmp_path_factory.mktemp("class"))
    source = run.course.read_source()
    (run.root / "roster.csv").write_text(
        "id,name\nalice,Alice Adams\nbob,Bob Brown\ncarol,Carol Chen\ndan,Dan Dorn\nerin,Erin Eve\n"
    )
    run.run(f"nbgrader generate_assignment {ASSIGNMENT} --force")
    run.run("chaintrace class roster roster.csv")
    run.run(f"chaintrace class setup --config-dir {run.tmp / 'jupyter'}")
    run.run(f"nbgrader release_assignment {ASSIGNMENT}")

    for student, answers in [("alice", source), ("bob", mistaken(source, MISTAKES[ASSIGNMENT]))]:
        home = run.trainee(student)
        run.run(f"nbgrader fetch_assignment {ASSIGNMENT}", cwd=home)
        if student == "bob":  # works in Ukrainian: the exchange holds the English release
            run.run(f"python -m chaintrace.course.translation convert uk {ASSIGNMENT}", cwd=home)
        answered(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", answers)
        run.run(f"nbgrader submit {ASSIGNMENT} --student {student}", cwd=home)
    run.run(f"nbgrader collect {ASSIGNMENT}")

    in_ukrainian = nbformat.read(ROOT / "uk" / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    carol = with_code(in_ukrainian, "q0_2_dataset_size", "n_transactions = 1\nn_blocks = 1")
    lms_zip(run.tmp / "lms.zip", nbformat.writes(carol).encode())
    run.imported = run.run(f"chaintrace class import {ASSIGNMENT} {run.tmp / 'lms.zip'}", expect=1)
    by_hand = run.root / "submitted" / "dan" / ASSIGNMENT
    by_hand.mkdir(parents=True)
    shutil.copy(run.course.release, by_hand)  # a blank notebook, put there by hand

    run.run(f"nbgrader autograde {ASSIGNMENT}")
    run.run(f"chaintrace class rubric {ASSIGNMENT}")
    run.refused = run.run(f"chaintrace class feedback {ASSIGNMENT}", expect=1)
    run.run(f"nbgrader generate_feedback {ASSIGNMENT} --force")
    run.refused += run.run(f"nbgrader release_feedback {ASSIGNMENT}", expect=1)
    mark_every_written_answer(run.root)
    run.released = run.run(f"chaintrace class feedback {ASSIGNMENT}")
    run.run(f"nbgrader fetch_feedback {ASSIGNMENT} --student alice", cwd=run.trainee("alice"))
    run.report = run.run(f"chaintrace class report {ASSIGNMENT}")
    run.run("chaintrace class export")
    return run


def test_every_command_of_the_cycle_is_in_the_guide(cycle):
    for command in cycle.ran:
        shown = generic(command)
        assert any(shown == doc or shown.startswith(doc + " ") for doc in DOCUMENTED), (
            f"`{command}` is run by the cycle but not documented in INSTRUCTORS.md"
        )


def test_trainees_fetch_and_submit_from_their_own_folders(cycle):
    for student in ("alice", "bob"):
        assert (cycle.root / "submitted" / student / ASSIGNMENT / "timestamp.txt").exists()


def test_lms_zip_imports_the_good_submission_and_refuses_the_rest(cycle):
    lines = dict(line.split(": ", 1) for line in cycle.imported.splitlines() if ": " in line)
    assert lines["carol"].startswith("imported")
    assert (cycle.root / "submitted" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert "refused" in lines["mallory"] and "symbolic link" in lines["mallory"]
    assert "refused" in lines["oscar"] and "outside" in lines["oscar"]
    assert not (cycle.root / "submitted" / "mallory").exists()
    assert not (cycle.tmp / f"{ASSIGNMENT}.ipynb").exists()


def test_feedback_waits_until_written_answers_are_marked(cycle):
    assert "not marked" in cycle.refused or "unmarked" in cycle.refused
    assert "alice: q0_4_tests_written" in cycle.refused


def test_feedback_is_released_despite_a_hand_placed_submission(cycle):
    assert "dan" in cycle.released and "not releasing" in cycle.released
    fetched = list((cycle.trainee("alice") / ASSIGNMENT / "feedback").rglob("*.html"))
    assert fetched, "alice fetched her feedback"
    assert (cycle.root / "feedback" / "dan" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()


def test_marking_sheet_has_criteria_model_answer_and_every_answer(cycle):
    sheet = (cycle.root / "build" / "class" / ASSIGNMENT / "marking-sheet.html").read_text()
    assert "compare with the case's ground truth" in html.unescape(sheet)  # from the rubric
    assert "Passing the visible tests is a first check" in sheet  # the model answer
    for student in ("alice", "bob", "carol", "dan"):
        assert f"<h4>{student}</h4>" in sheet


def test_report_finds_the_missing_and_the_copied(cycle):
    assert "missing: erin" in cycle.report
    assert "alice: answered as the model answer: every answer" in cycle.report
    assert "bob: answered as the model answer: q0_4_tests_written" in cycle.report
    assert "4 submitted, 1 missing" in cycle.report
    assert (cycle.root / "build" / "class" / ASSIGNMENT / "report.png").stat().st_size > 5_000


def test_export_has_a_row_per_trainee_and_a_column_per_part(cycle):
    with open(cycle.root / "build" / "class" / "grades.csv", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"alice", "bob", "carol", "dan", "erin"}
    assert rows["erin"][f"{ASSIGNMENT} status"] == "missing"
    assert rows["alice"]["last_name"] == "Adams"
    parts = [c for c in rows["alice"] if c.startswith(f"{ASSIGNMENT}:")]
    source = nbformat.read(cycle.course.source, as_version=4)
    assert len(parts) == len(list(nbgrader_cells(source, grade=True)))
    auto = sum(c.metadata.nbgrader["points"] for c in nbgrader_cells(source, grade=True))
    written = sum(
        c.metadata.nbgrader["points"] for c in nbgrader_cells(source, grade=True, solution=True)
    )
    assert float(rows["alice"]["total"]) == auto - written + len(
        list(nbgrader_cells(source, grade=True, solution=True))
    )
    assert float(rows["dan"][f"{ASSIGNMENT} total"]) == 0
    assert 0 < float(rows["bob"][f"{ASSIGNMENT} total"]) < float(rows["alice"]["total"])


def test_trainees_working_in_ukrainian_are_graded_in_the_same_class(cycle):
    for student in ("bob", "carol"):
        path = cycle.root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert nbformat.read(path, as_version=4).metadata["chaintrace"]["lang"] == "uk"
    page = html.unescape(
        (cycle.root / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    )
    assert "Завдання 00" in page, "bob's feedback keeps his notebook's Ukrainian text"
    assert "Порахуйте *різні* висоти блоків" in page, "and says what went wrong in Ukrainian"
    graded = cycle.root / "autograded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    said = [o for c in nbformat.read(graded, 4).cells for o in c.get("outputs", [])]
    assert said and not any("Count the" in o.get("evalue", "") for o in said), "shown in English"


def test_formgrader_marking_page_shows_the_rubric_and_feedback_does_not(cycle):
    """`chaintrace class setup` turns on the rubric in Formgrader; the page it renders for a
    written answer carries the criteria, the trainee's feedback never does."""
    import json

    from chaintrace.course.classroom_formgrader import rubric_exporter
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

    switch = cycle.tmp / "jupyter" / "jupyter_server_config.d" / "chaintrace-formgrader.json"
    enabled = json.loads(switch.read_text())["ServerApp"]["jpserver_extensions"]
    assert enabled == {"chaintrace.course.classroom_formgrader": True}

    formgrader = FormgradeExtension()
    formgrader.config_dir = str(cycle.tmp / "jupyter")
    formgrader.initialize([], root=str(cycle.root))
    graded = cycle.root / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "index": 0, "total": 1}
    resources |= {"base_url": "", "student": "alice", "submission_id": "x", "notebook_path": ""}
    page, _ = rubric_exporter(formgrader).from_filename(str(graded), resources=resources)
    criterion = "Says what visible tests check"  # solutions/00-orientation/rubric.toml
    assert criterion in page and "full-credit" in page  # the rubric, on nbgrader's marking form
    feedback = (cycle.root / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert criterion not in feedback and "chaintrace-rubric" not in feedback

    # a Ukrainian submission of the same assignment: its rubric in Ukrainian, the English folded
    for folder in ("rubrics", f"solutions/{ASSIGNMENT}"):
        shutil.copytree(ROOT / "uk" / folder, cycle.root / "uk" / folder, dirs_exist_ok=True)
    submission = nbformat.read(graded, as_version=4)
    submission.metadata["chaintrace"] = {"lang": "uk"}
    page, _ = rubric_exporter(formgrader).from_notebook_node(submission, resources=resources)
    panel = page[page.index("chaintrace-rubric") :]
    ukrainian = "Пояснює, що перевіряють видимі тести"  # uk/rubrics/00-orientation.po
    assert ukrainian in panel and "full-credit" in page
    assert panel.index(ukrainian) < panel.index(criterion), "English second, folded"
