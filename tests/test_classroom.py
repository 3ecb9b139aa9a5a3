"""The instructor's commands that need no grading run: rubrics and importing submissions.

The whole cycle, with nbgrader, is in test_class_cycle.py.
"""

import html
import os
import re
import shutil
import zipfile

import nbformat
import pytest
from chaintrace import classroom
from chaintrace.cli import main as cli
from chaintrace.messages import read_po
from conftest import ASSIGNMENTS, MODULES, ROOT
from nbgrading import notebook_path

ASSIGNMENT = "03-tracing"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_written_part_has_criteria_adding_up_to_its_points(assignment):
    assert classroom.rubric_problems(assignment) == []
    for part in classroom.written_parts(assignment):
        assert part.model_answer.strip() and part.question.strip()
        assert all(text.strip() for _, text in part.criteria)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_rubric_text_reaches_the_release(assignment):
    folder = ROOT / "exercises" / assignment
    assert [p.name for p in folder.iterdir()] == [notebook_path(folder).name]
    released = notebook_path(folder).read_text(encoding="utf-8")
    for part in classroom.written_parts(assignment):
        for _, text in part.criteria:
            assert text[:60] not in released, f"rubric text of {part.grade_id} in the release"


def test_a_rubric_that_does_not_add_up_is_reported(tmp_path):
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, tmp_path / "solutions" / ASSIGNMENT)
    rubric = tmp_path / "solutions" / ASSIGNMENT / "rubric.toml"
    rubric.write_text(rubric.read_text().replace("[1, ", "[2, ", 1) + "\n[q9_9_x]\ncriteria = []\n")
    problems = classroom.rubric_problems(ASSIGNMENT, tmp_path)
    assert any("add up to 4" in p for p in problems)
    assert any(p.startswith("q9_9_x: in the rubric but not") for p in problems)
    with pytest.raises(ValueError, match="needs fixing"):
        classroom.write_marking_sheet(ASSIGNMENT, tmp_path)


# ----------------------------------------------------------------------------- rubrics translated

RUBRIC_EDITIONS = [
    pytest.param(module["assignment"], lang, id=f"{lang}-{module['assignment']}")
    for module in MODULES
    for lang in module.get("languages", ["en"])
    if lang != "en"
]


@pytest.mark.parametrize(("assignment", "lang"), RUBRIC_EDITIONS)
def test_every_rubric_is_translated_for_the_english_it_now_has(assignment, lang):
    """A module taught in a language has its rubric in it, each criterion translated from the
    English criterion as it is now (`chaintrace class translate-rubric uk` lists what is not)."""
    assert classroom.rubric_translation_problems(assignment, lang) == []
    english = classroom.written_parts(assignment)
    translated = classroom.written_parts(assignment, lang=lang)
    assert [(p.grade_id, [pts for pts, _ in p.criteria]) for p in translated] == [
        (p.grade_id, [pts for pts, _ in p.criteria]) for p in english
    ]  # the same parts and points: only the words differ
    for mine, theirs in zip(translated, english, strict=True):
        assert all(a != b for (_, a), (_, b) in zip(mine.criteria, theirs.criteria, strict=True))
        assert mine.model_answer != theirs.model_answer  # from the translated source notebook


def _rubric_course(tmp_path):
    for folder in (f"solutions/{ASSIGNMENT}", f"uk/solutions/{ASSIGNMENT}"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "uk" / "rubrics").mkdir()
    shutil.copy(ROOT / "uk" / "rubrics" / f"{ASSIGNMENT}.po", tmp_path / "uk" / "rubrics")
    return tmp_path


def test_a_changed_english_criterion_makes_its_translation_stale(tmp_path):
    root = _rubric_course(tmp_path)
    rubric = root / "solutions" / ASSIGNMENT / "rubric.toml"
    (_, first), *_ = classroom.load_rubric(ASSIGNMENT, root)["q3_5_chronology_written"]
    changed = first.replace("in UTC", "in UTC and in Kyiv time")
    rubric.write_text(rubric.read_text(encoding="utf-8").replace(first, changed), encoding="utf-8")

    (problem,) = classroom.rubric_translation_problems(ASSIGNMENT, "uk", root)
    assert problem.startswith("stale:") and "q3_5_chronology_written/1" in problem
    # meanwhile the marker reads the new English, never the translation of the old
    criteria = classroom.written_parts(ASSIGNMENT, root, "uk")[0].criteria
    assert criteria[0][1] == changed and all(re.search("[а-яі]", t) for _, t in criteria[1:])

    _, todo = classroom.update_rubric_translation(ASSIGNMENT, "uk", root)
    assert todo == 1
    (entry,) = [e for e in read_po(classroom.rubric_catalogue(ASSIGNMENT, "uk", root)) if e.fuzzy]
    assert (entry.msgid, entry.previous) == (changed, first) and entry.msgstr  # kept to revise


def test_marking_sheet_in_the_markers_language_with_each_answer_as_written(tmp_path):
    root = _rubric_course(tmp_path)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    source = ROOT / "uk" / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for student, notebook in (("olena", source), ("alice", ROOT / "solutions" / ASSIGNMENT)):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        notebook = notebook if notebook.suffix else notebook / f"{ASSIGNMENT}.ipynb"
        shutil.copy(notebook, folder / f"{ASSIGNMENT}.ipynb")
    assert cli(["class", "--course", str(root), "rubric", ASSIGNMENT, "--lang", "uk"]) == 0
    sheet = (root / "build" / "class" / ASSIGNMENT / "marking-sheet.uk.html").read_text()
    ukrainian = classroom.load_rubric(ASSIGNMENT, root)  # English ...
    translated = classroom.translated_rubric(ASSIGNMENT, "uk", root)  # ... and Ukrainian
    for grade_id, criteria in translated.items():
        for (_, words), (_, english) in zip(criteria, ukrainian[grade_id], strict=True):
            assert html.escape(words) in sheet and html.escape(english) not in sheet
    assert "Аркуш оцінювання" in sheet and "Зразкова відповідь" in sheet
    for student, lang in (("olena", "uk"), ("alice", "en")):
        assert f"<h4>{student}</h4><p><small>здано мовою: {lang}</small></p>" in sheet
    english = classroom.marking_sheet(ASSIGNMENT, root, "en")
    assert "Marking sheet" in english and "Аркуш" not in english


def test_formgrader_panel_follows_the_submissions_language():
    from chaintrace.course.classroom_formgrader import rubric_panel

    grade_id = classroom.written_parts(ASSIGNMENT)[0].grade_id
    english = rubric_panel(grade_id, ASSIGNMENT)
    ukrainian = rubric_panel(grade_id, ASSIGNMENT, lang="uk")
    criterion = classroom.written_parts(ASSIGNMENT)[0].criteria[0][1]
    translated = classroom.written_parts(ASSIGNMENT, lang="uk")[0].criteria[0][1]
    assert html.escape(criterion) in english and html.escape(translated) not in english
    assert ukrainian.index(html.escape(translated)) < ukrainian.index(html.escape(criterion))
    assert rubric_panel(grade_id, ASSIGNMENT, lang="xx") == english  # not offered: English


@pytest.fixture
def course(tmp_path):
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, tmp_path / "solutions" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    return tmp_path


def release_bytes():
    return notebook_path(ROOT / "exercises" / ASSIGNMENT).read_bytes()


def test_import_a_folder_refuses_links_devices_and_broken_notebooks(course, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    for student in ("alice", "linker", "piper", "twice", "broken"):
        (inbox / student).mkdir()
    (inbox / "alice" / "my work.ipynb").write_bytes(release_bytes())
    (inbox / "linker" / f"{ASSIGNMENT}.ipynb").symlink_to(ROOT / "nbgrader_config.py")
    os.mkfifo(inbox / "piper" / "pipe")
    (inbox / "piper" / f"{ASSIGNMENT}.ipynb").write_bytes(release_bytes())
    (inbox / "twice" / "a.ipynb").write_bytes(release_bytes())
    (inbox / "twice" / "b.ipynb").write_bytes(release_bytes())
    (inbox / "broken" / f"{ASSIGNMENT}.ipynb").write_text("{not json")
    outcomes = classroom.import_submissions(ASSIGNMENT, inbox, course)
    assert outcomes["alice"].startswith("imported")
    assert "symbolic link" in outcomes["linker"]
    assert "not a regular file" in outcomes["piper"]
    assert "expected one notebook" in outcomes["twice"]
    assert "cannot be read" in outcomes["broken"]
    placed = course / "submitted" / "alice" / ASSIGNMENT
    assert sorted(p.name for p in placed.iterdir()) == [
        f"{ASSIGNMENT}.ipynb",
        "submission_secret.txt",
        "timestamp.txt",
    ]
    assert not (course / "submitted" / "linker").exists()


def test_import_one_notebook_with_a_time_and_replace_only_when_asked(course, tmp_path, capsys):
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "alice.ipynb").write_bytes(release_bytes())
    argv = ["class", "--course", str(course), "import", ASSIGNMENT, str(mail / "alice.ipynb")]
    argv += ["--student", "alice", "--time", "2026-03-01 17:00"]
    assert cli(argv) == 0
    stamp = course / "submitted" / "alice" / ASSIGNMENT / "timestamp.txt"
    assert stamp.read_text() == "2026-03-01 17:00:00.000000 UTC"
    assert cli(argv) == 1
    assert "already exists: add --replace" in capsys.readouterr().out
    nb = nbformat.read(mail / "alice.ipynb", as_version=4)
    nb.cells[0].source += "\nchanged"
    nbformat.write(nb, mail / "alice.ipynb")
    assert cli([*argv, "--replace"]) == 0
    placed = course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert "changed" in placed.read_text()
    assert [p.name for p in placed.parent.parent.iterdir()] == [ASSIGNMENT]


def test_zip_with_flat_notebooks_and_a_bad_id(course, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("bob.ipynb", release_bytes())
        handle.writestr("-rf.ipynb", release_bytes())
        handle.writestr("__MACOSX/._bob.ipynb", b"")
    outcomes = classroom.import_submissions(ASSIGNMENT, archive, course)
    assert outcomes["bob"].startswith("imported")
    assert "not usable as a folder name" in outcomes["-rf"]
    assert set(outcomes) == {"bob", "-rf"}


def test_roster_ids_are_checked_before_any_is_added(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nalice,Alice Adams\n../x,Mallory\n")
    with pytest.raises(ValueError, match="line 3"):
        classroom.import_roster(roster, course)


def test_commands_outside_the_course_say_where_to_run(tmp_path, capsys):
    assert cli(["class", "--course", str(tmp_path), "report", ASSIGNMENT]) == 2
    assert "not the course folder" in capsys.readouterr().err


def test_setup_points_nbgrader_at_the_course_exchange(course, tmp_path):
    written = classroom.setup_exchange(course, tmp_path / "jupyter")
    assert f"c.Exchange.root = {str(course / '.exchange')!r}" in written.read_text()
    assert classroom.setup_exchange(course, tmp_path / "jupyter") == written  # again: fine
    written.write_text("c.Exchange.root = '/elsewhere'\n")
    with pytest.raises(ValueError, match="not written by chaintrace"):
        classroom.setup_exchange(course, tmp_path / "jupyter")
