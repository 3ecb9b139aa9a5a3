"""Running a class with nbgrader: the instructor's commands around nbgrader's own.

nbgrader releases, collects, autogrades and keeps the gradebook; these commands fill the gaps a
real class meets, and never change how a submission is graded:

    chaintrace class setup              the local exchange works from any folder; rubrics in Formgrader
    chaintrace class roster FILE.csv    add the class list (ids and names) to the gradebook
    chaintrace class import A SOURCE    submissions received by e-mail, USB or an LMS zip
    chaintrace class rubric A [--lang uk]  the marking sheet: question, criteria, model answer, answers
    chaintrace class translate-rubric uk   refresh the rubrics' translations (<lang>/rubrics/*.po)
    chaintrace class feedback A         feedback, only once every written answer is marked
    chaintrace class report A           scores, pass rates, failure messages, copies, missing work
    chaintrace class export             one row per trainee, a column per graded part and totals

Everything they write goes to ``build/class/`` (git-ignored), because grades and answers are
personal data. Rubrics live beside each source notebook in ``solutions/<A>/rubric.toml``; the
model answer is the solution cell itself, so each text has one source. A rubric's translation is a
gettext catalogue, ``<lang>/rubrics/<A>.po``, one entry per criterion whose ``msgid`` is the
English criterion (kept in step like the notebooks' catalogues, :mod:`chaintrace.course.translation`):
a changed English criterion leaves its translation stale until a translator revises it, and the
marking sheet and Formgrader show that criterion in English meanwhile.

>>> check_student_id("alice.smith")
'alice.smith'
>>> check_student_id("../etc")
Traceback (most recent call last):
...
ValueError: student id '../etc' is not usable as a folder name: use letters, digits, '.', '_' or '-', starting with a letter or digit
"""

from __future__ import annotations

import argparse
import base64
import collections
import csv
import datetime as dt
import glob
import html
import io
import os
import re
import secrets
import shutil
import stat
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.exchange.default import ExchangeReleaseFeedback

from .messages import LANGUAGES, read_po, write_po
from .messages import translate as _translate
from .paths import REPO_ROOT

OUTPUT = Path("build") / "class"  # relative to the course root; git-ignored
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_NOTEBOOK_BYTES = 20_000_000
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # what `nbgrader submit` writes, in UTC
CONFIG_MARK = "# chaintrace class setup"


def check_student_id(student: str) -> str:
    """``student`` if it is safe as a folder name and for nbgrader's exchange, else ValueError."""
    if not STUDENT_ID.fullmatch(student) or ".." in student:
        raise ValueError(
            f"student id {student!r} is not usable as a folder name: use letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    return student


# --- the exchange, from any folder -------------------------------------------------------------


def setup_exchange(course_root: Path = REPO_ROOT, config_dir: Path | None = None) -> Path:
    """Write an nbgrader config that points every folder at this course's local exchange.

    nbgrader reads ``nbgrader_config.py`` from the current folder and from Jupyter's config
    path; by default the file goes into this environment's ``etc/jupyter``, so trainees can
    fetch and submit from their own folders. Returns the file written.
    """
    config_dir = Path(config_dir or Path(sys.prefix) / "etc" / "jupyter")
    target = config_dir / "nbgrader_config.py"
    if target.exists() and CONFIG_MARK not in target.read_text(encoding="utf-8"):
        raise ValueError(
            f"{target} exists and was not written by chaintrace: add these two lines to it "
            f'yourself: c.CourseDirectory.course_id = "chaintrace" and '
            f'c.Exchange.root = "{Path(course_root).resolve() / ".exchange"}"'
        )
    exchange = Path(course_root).resolve() / ".exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"{CONFIG_MARK}: the chaintrace course's local exchange, from any folder.\n"
        'c.CourseDirectory.course_id = "chaintrace"\n'
        f"c.Exchange.root = {str(exchange)!r}\n",
        encoding="utf-8",
    )
    return target


# --- the assignment's written parts and their rubrics ------------------------------------------


@dataclass
class WrittenPart:
    """One hand-graded answer cell: its question, model answer, points and rubric criteria."""

    grade_id: str
    points: float
    question: str
    model_answer: str
    criteria: list[tuple[float, str]] = field(default_factory=list)


def source_notebook(assignment: str, course_root: Path = REPO_ROOT) -> Path:
    folder = Path(course_root) / "solutions" / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise FileNotFoundError(
            f"no assignment {assignment!r}: expected one notebook in {folder} "
            "(assignments are the folders of solutions/)"
        )
    return notebooks[0]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def written_parts(
    assignment: str, course_root: Path = REPO_ROOT, lang: str = "en"
) -> list[WrittenPart]:
    """The hand-graded markdown answers of an assignment, with their rubric criteria.

    In another ``lang`` the question and model answer come from the translated source notebook
    (``<lang>/solutions/<A>/``, the same cells) and the criteria from ``<lang>/rubrics/<A>.po``;
    a text without a current translation stays English.

    >>> [p.grade_id for p in written_parts("00-orientation")]
    ['q0_4_tests_written']
    >>> sum(points for points, _ in written_parts("00-orientation")[0].criteria)
    2
    >>> written_parts("00-orientation", lang="uk")[0].criteria[0][1][:28]
    'Пояснює, що перевіряють види'
    """
    import nbformat

    english = source_notebook(assignment, course_root)
    nb = nbformat.read(english, as_version=4)
    rubric = load_rubric(assignment, course_root)
    translated: dict[str, str] = {}
    if lang != "en":
        rubric = translated_rubric(assignment, lang, course_root)
        built = Path(course_root) / lang / "solutions" / assignment / english.name
        if built.exists():
            translated = {c.id: c.source for c in nbformat.read(built, as_version=4).cells}
    parts, question = [], ""
    for cell in nb.cells:
        meta = _nbgrader(cell)
        text = translated.get(cell.id, cell.source)
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            criteria = [(points, words) for points, words in rubric.get(meta["grade_id"], [])]
            parts.append(WrittenPart(meta["grade_id"], meta["points"], question, text, criteria))
        elif cell.cell_type == "markdown":
            question = text
    return parts


def rubric_path(assignment: str, course_root: Path = REPO_ROOT) -> Path:
    return Path(course_root) / "solutions" / assignment / "rubric.toml"


def load_rubric(assignment: str, course_root: Path = REPO_ROOT) -> dict[str, list]:
    """``{grade_id: [[points, criterion], ...]}`` from the assignment's ``rubric.toml``."""
    path = rubric_path(assignment, course_root)
    if not path.exists():
        return {}
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return {grade_id: table.get("criteria", []) for grade_id, table in data.items()}


def rubric_problems(assignment: str, course_root: Path = REPO_ROOT) -> list[str]:
    """What is wrong with an assignment's rubric: missing parts, points that do not add up.

    >>> rubric_problems("03-tracing")
    []
    """
    parts = written_parts(assignment, course_root)
    problems = []
    for part in parts:
        given = sum(points for points, _ in part.criteria)
        if not part.criteria:
            problems.append(f"{part.grade_id}: no criteria in {rubric_path(assignment).name}")
        elif abs(given - part.points) > 1e-9:
            problems.append(
                f"{part.grade_id}: criteria add up to {given}, the cell has {part.points}"
            )
    known = {part.grade_id for part in parts}
    for grade_id in load_rubric(assignment, course_root).keys() - known:
        problems.append(f"{grade_id}: in the rubric but not a hand-graded cell of the notebook")
    return problems


# --- the rubrics' translations ----------------------------------------------------------------

RUBRIC_HEADER = (
    "Rubric of {assignment}: {lang} translation of solutions/{assignment}/rubric.toml.\n"
    "Made and refreshed by `chaintrace class translate-rubric {lang} {assignment}`; edit only the\n"
    "msgstr lines. An entry marked fuzzy translates older English (shown as #| msgid): revise it,\n"
    "then remove the fuzzy flag. Write criteria as a marker reads them, with the glossary's terms."
)


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"no language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


def rubric_catalogue(assignment: str, lang: str, course_root: Path = REPO_ROOT) -> Path:
    """Where the ``lang`` translation of an assignment's rubric lives."""
    return Path(course_root) / _check_lang(lang) / "rubrics" / f"{assignment}.po"


def rubric_units(assignment: str, course_root: Path = REPO_ROOT) -> list:
    """One translation unit per criterion: context ``<grade_id>/<n>``, the English criterion.

    >>> [(u.context, u.msgid[:28]) for u in rubric_units("00-orientation")][:1]
    [('q0_4_tests_written/1', 'Says what visible tests chec')]
    """
    from .course.translation import Unit

    return [
        Unit(f"{grade_id}/{n}", text, f"{grade_id}, criterion {n}, worth {points:g}")
        for grade_id, criteria in load_rubric(assignment, course_root).items()
        for n, (points, text) in enumerate(criteria, 1)
    ]


def update_rubric_translation(
    assignment: str, lang: str, course_root: Path = REPO_ROOT
) -> tuple[Path, int]:
    """Write or refresh the ``lang`` catalogue of an assignment's rubric from the English one.

    A translation whose English changed is kept, marked fuzzy with the English it was made for
    (as the notebooks' catalogues do). Returns the catalogue and how many entries need work.
    """
    from .course.translation import merge

    path = rubric_catalogue(assignment, lang, course_root)
    units = rubric_units(assignment, course_root)
    entries = merge(units, read_po(path) if path.exists() else [])
    for unit, entry in zip(units, entries, strict=True):
        entry.comments = [unit.where]
    write_po(path, entries, RUBRIC_HEADER.format(assignment=assignment, lang=lang))
    return path, sum(1 for e in entries if not e.msgstr or e.fuzzy)


def rubric_translation_problems(
    assignment: str, lang: str, course_root: Path = REPO_ROOT
) -> list[str]:
    """Untranslated, stale (the English criterion changed since) or obsolete entries.

    >>> rubric_translation_problems("03-tracing", "uk")
    []
    """
    from .course.translation import problems

    path = rubric_catalogue(assignment, lang, course_root)
    if not path.exists():
        return [
            f"untranslated: {path.relative_to(course_root).as_posix()}: no catalogue; run "
            f"`chaintrace class translate-rubric {lang} {assignment}`"
        ]
    where = path.relative_to(course_root).as_posix()
    found = problems(rubric_units(assignment, course_root), read_po(path))
    return [f"{p.kind}: {where}: {p.where.removeprefix('cell ')}: {p.detail}" for p in found]


def translated_rubric(assignment: str, lang: str, course_root: Path = REPO_ROOT) -> dict:
    """:func:`load_rubric` in ``lang``: each criterion translated where its translation is
    current for the English it stands for, else the English criterion."""
    rubric = load_rubric(assignment, course_root)
    path = rubric_catalogue(assignment, lang, course_root)
    if lang == "en" or not path.exists():
        return rubric
    current = {(e.context, e.msgid): e.msgstr for e in read_po(path) if e.msgstr and not e.fuzzy}
    return {
        grade_id: [
            [points, current.get((f"{grade_id}/{n}", text), text)]
            for n, (points, text) in enumerate(criteria, 1)
        ]
        for grade_id, criteria in rubric.items()
    }


# --- submissions on disk -----------------------------------------------------------------------


def _answer_cell(path: Path, grade_id: str) -> str | None:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (an unreadable submission shows as no answer)
        return None
    for cell in nb.cells:
        if _nbgrader(cell).get("grade_id") == grade_id:
            return cell.source
    return None


def submitted_notebooks(assignment: str, course_root: Path = REPO_ROOT) -> dict[str, Path]:
    """``{student: notebook}`` for every submission in ``submitted/``."""
    found = {}
    for folder in sorted((Path(course_root) / "submitted").glob(f"*/{assignment}")):
        notebooks = sorted(folder.glob("*.ipynb"))
        if notebooks:
            found[folder.parent.name] = notebooks[0]
    return found


# --- the marking sheet -------------------------------------------------------------------------


def _markdown(text: str) -> str:
    from nbconvert.filters import markdown2html

    return markdown2html(text)


SHEET_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.45 }
table { border-collapse: collapse } td, th { border: 1px solid #bbb; padding: .3rem .6rem }
.model { background: #eef6ee; padding: .2rem 1rem; border-left: 4px solid #4a4 }
.answer { background: #f4f4f8; padding: .2rem 1rem; border-left: 4px solid #88a }
h2 { border-top: 2px solid #333; padding-top: 1rem }
"""


def submission_language(path: Path) -> str:
    """The language a submitted notebook was written in (``metadata.chaintrace.lang``, else en)."""
    import nbformat

    try:
        meta = nbformat.read(path, as_version=4).metadata.get("chaintrace", {})
    except Exception:  # noqa: BLE001 (an unreadable submission is shown as no answer anyway)
        return "en"
    return meta.get("lang", "en") if meta.get("lang") in LANGUAGES else "en"


def marking_sheet(assignment: str, course_root: Path = REPO_ROOT, lang: str | None = None) -> str:
    """The marking sheet as HTML: per written part the question, criteria, model answer, answers.

    ``lang`` is the marker's language (default: the one chosen for messages, ``$CHAINTRACE_LANG``):
    the sheet's own words, questions, criteria and model answers are in it; each trainee's
    answer is shown as written, with the language it was submitted in.
    """
    from .messages import language

    lang = _check_lang(lang or language())

    def say(text: str) -> str:
        return html.escape(_translate(text, lang))

    answers = submitted_notebooks(assignment, course_root)
    title = say(f"Marking sheet: {assignment}")
    out = [
        f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{title}</title>",
        f"<style>{SHEET_STYLE}</style><h1>{title}</h1>",
        "<p>"
        + say(
            "For the marker only: never hand this page out. Enter the marks in Formgrader "
            "(JupyterLab, Nbgrader menu, Formgrader, Manual Grading)."
        )
        + "</p>",
    ]
    for part in written_parts(assignment, course_root, lang):
        out.append(f"<h2>{say(f'{part.grade_id} ({part.points:g} points)')}</h2>")
        out.append(
            f"<details><summary>{say('Question')}</summary>{_markdown(part.question)}</details>"
        )
        rows = "".join(
            f"<tr><td>{points:g}</td><td>{html.escape(text)}</td></tr>"
            for points, text in part.criteria
        )
        out.append(
            f"<table><tr><th>{say('points')}</th><th>{say('criterion')}</th></tr>{rows}</table>"
        )
        out.append(
            f"<h3>{say('Model answer')}</h3><div class='model'>{_markdown(part.model_answer)}</div>"
        )
        for student, path in answers.items():
            text = _answer_cell(path, part.grade_id)
            shown = (
                _markdown(text)
                if text is not None
                else f"<p><em>{say('(no answer cell)')}</em></p>"
            )
            written_in = submission_language(path)
            out.append(
                f"<h4>{html.escape(student)}</h4>"
                f"<p><small>{say(f'submitted in: {written_in}')}</small></p>"
                f"<div class='answer' lang='{written_in}'>{shown}</div>"
            )
    return "\n".join(out)


def write_marking_sheet(
    assignment: str, course_root: Path = REPO_ROOT, lang: str | None = None
) -> Path:
    """Check the rubric, then write ``build/class/<A>/marking-sheet.html`` (another language:
    ``marking-sheet.<lang>.html``)."""
    from .messages import language

    lang = _check_lang(lang or language())
    problems = rubric_problems(assignment, course_root)
    if problems:
        raise ValueError(f"the rubric of {assignment} needs fixing: " + "; ".join(problems))
    name = "marking-sheet.html" if lang == "en" else f"marking-sheet.{lang}.html"
    target = _output(course_root, assignment) / name
    target.write_text(marking_sheet(assignment, course_root, lang), encoding="utf-8")
    return target


def _output(course_root: Path, assignment: str | None = None) -> Path:
    folder = Path(course_root) / OUTPUT / (assignment or "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- importing hand-collected submissions ------------------------------------------------------


@dataclass
class Entry:
    """One file of an incoming submission: its path inside it, how to read it, or why not."""

    name: PurePosixPath
    read: object  # a callable returning bytes
    when: dt.datetime
    problem: str | None = None


def _refuse(message: str):
    raise ValueError(message)


def _entry_problem(name: str, mode: int) -> str | None:
    """Why an archive or folder entry may not be imported, or None."""
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return f"{name!r} is a symbolic link"
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        return f"{name!r} is not a regular file (a device, pipe or socket)"
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        return f"{name!r} points outside the submission (absolute path or '..')"
    return None


def _zip_entries(archive: zipfile.ZipFile) -> list[Entry]:
    entries = []
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if info.is_dir():
            continue
        when = dt.datetime(*info.date_time).astimezone(dt.UTC)
        problem = _entry_problem(name, info.external_attr >> 16)
        path = PurePosixPath(name.lstrip("/"))
        entries.append(Entry(path, lambda info=info: archive.read(info), when, problem))
    return entries


def _folder_entries(folder: Path) -> list[Entry]:
    entries = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            continue
        when = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
        problem = _entry_problem(relative, info.st_mode)
        entries.append(Entry(PurePosixPath(relative), path.read_bytes, when, problem))
    return entries


def _by_student(entries: list[Entry], single: str | None) -> dict[str, list[Entry]]:
    """Group entries by trainee: one top-level folder each, or flat ``<student>.ipynb`` files."""
    if single:
        return {single: entries}
    groups: dict[str, list[Entry]] = collections.defaultdict(list)
    for entry in entries:
        if entry.name.parts[0] in {"__MACOSX", ".DS_Store"}:
            continue
        if len(entry.name.parts) > 1:
            inner = PurePosixPath(*entry.name.parts[1:])
            groups[entry.name.parts[0]].append(Entry(inner, entry.read, entry.when, entry.problem))
        elif entry.name.suffix == ".ipynb" or entry.problem:
            groups[entry.name.stem].append(entry)
    return dict(groups)


def _one_notebook(student: str, files: list[Entry], expected: str) -> Entry:
    notebooks = [
        e for e in files if e.name.suffix == ".ipynb" and ".ipynb_checkpoints" not in e.name.parts
    ]
    if len(notebooks) != 1:
        names = ", ".join(str(e.name) for e in notebooks) or "none"
        _refuse(f"expected one notebook ({expected}), found {names}")
    return notebooks[0]


def _valid_notebook(data: bytes) -> None:
    import nbformat

    if len(data) > MAX_NOTEBOOK_BYTES:
        _refuse(f"the notebook is {len(data) / 1e6:.0f} MB; the limit is 20 MB (clear its outputs)")
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # noqa: BLE001 (any parse error means: not a notebook)
        _refuse(f"the notebook cannot be read ({type(error).__name__}: {str(error)[:120]})")


def _place(target: Path, notebook: Entry, expected: str, when: dt.datetime) -> None:
    """Write one submission atomically, with the files nbgrader's exchange would have written."""
    temporary = target.parent / f".importing-{target.name}-{secrets.token_hex(4)}"
    temporary.mkdir(parents=True)
    try:
        (temporary / expected).write_bytes(notebook.read())
        (temporary / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT))
        (temporary / "submission_secret.txt").write_text(secrets.token_hex(64))
        previous = target.with_name(f".replaced-{target.name}-{secrets.token_hex(4)}")
        if target.exists():
            target.rename(previous)  # kept until the new submission is in place
        temporary.rename(target)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def import_submissions(
    assignment: str,
    source: Path,
    course_root: Path = REPO_ROOT,
    student: str | None = None,
    when: dt.datetime | None = None,
    replace: bool = False,
) -> dict[str, str]:
    """Put hand-collected submissions into ``submitted/<student>/<assignment>/``.

    ``source`` is a folder or a ``.zip`` holding one folder per trainee (named by their id), or
    ``<id>.ipynb`` files; with ``student`` it is that one trainee's notebook, folder or zip.
    Each submission is checked (one readable notebook, no link, device or path leaving it) and
    gets a timestamp: ``when``, else the file's own time. Returns ``{student: outcome}``, where
    an outcome starting with "refused" says why; one refusal never stops the others.
    """
    expected = source_notebook(assignment, course_root).name
    source = Path(source)
    if student:
        check_student_id(student)
    if source.is_file() and source.suffix == ".ipynb":
        info = source.lstat()
        entries = [Entry(PurePosixPath(source.name), source.read_bytes, _mtime(info))]
        if not student:
            student = source.stem
    elif zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        entries = _zip_entries(archive)
    elif source.is_dir():
        entries = _folder_entries(source)
    else:
        raise FileNotFoundError(f"{source} is not a folder, a .zip or a notebook")
    outcomes = {}
    for name, files in sorted(_by_student(entries, student).items()):
        outcomes[name] = _import_one(assignment, name, files, expected, course_root, when, replace)
    if not outcomes:
        raise ValueError(f"no submission found in {source}: see `chaintrace class import --help`")
    return outcomes


def _mtime(info: os.stat_result) -> dt.datetime:
    if stat.S_ISLNK(info.st_mode):
        _refuse("the notebook is a symbolic link")
    return dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)


def _import_one(assignment, student, files, expected, course_root, when, replace) -> str:
    try:
        check_student_id(student)
        for entry in files:
            if entry.problem:
                _refuse(entry.problem)
        notebook = _one_notebook(student, files, expected)
        _valid_notebook(notebook.read())
        target = Path(course_root) / "submitted" / student / assignment
        if target.exists() and not replace:
            _refuse(f"{target} already exists: add --replace to replace it")
        target.parent.mkdir(parents=True, exist_ok=True)
        stamp = when or notebook.when
        _place(target, notebook, expected, stamp)
        return (
            f"imported as {target.relative_to(course_root)}/{expected} ({stamp:%Y-%m-%d %H:%M} UTC)"
        )
    except ValueError as error:
        return f"refused: {error}"


# --- the gradebook -----------------------------------------------------------------------------


def gradebook(course_root: Path = REPO_ROOT):
    from nbgrader.api import Gradebook

    path = Path(course_root) / "gradebook.db"
    if not path.exists():
        raise FileNotFoundError(
            f"no gradebook in {course_root}: run `nbgrader generate_assignment ASSIGNMENT --force` "
            "there first (it creates gradebook.db)"
        )
    return Gradebook(f"sqlite:///{path}")


def import_roster(roster: Path, course_root: Path = REPO_ROOT) -> list[str]:
    """Add the trainees of a CSV (``id`` and ``name``, or ``first_name``/``last_name``) to the
    gradebook; returns their ids. Every id is checked before any is added."""
    with open(roster, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "id" not in rows[0]:
        raise ValueError(
            f"{roster} needs a header row with 'id' and 'name' (or first_name, last_name)"
        )
    trainees = []
    for line, row in enumerate(rows, start=2):
        try:
            student = check_student_id((row.get("id") or "").strip())
        except ValueError as error:
            raise ValueError(f"{roster}, line {line}: {error}") from None
        first, last = _names(row)
        trainees.append((student, first, last, (row.get("email") or "").strip() or None))
    with gradebook(course_root) as book:
        for student, first, last, email in trainees:
            book.update_or_create_student(student, first_name=first, last_name=last, email=email)
    return [student for student, *_ in trainees]


def _names(row: dict) -> tuple[str | None, str | None]:
    if row.get("first_name") or row.get("last_name"):
        return (row.get("first_name") or "").strip() or None, (
            row.get("last_name") or ""
        ).strip() or None
    first, _, last = (row.get("name") or "").strip().rpartition(" ")
    return (first or last or None), (last if first else None)


@dataclass
class PartScore:
    grade_id: str
    score: float | None
    max_score: float
    needs_marking: bool
    written: bool


def scores(assignment: str, course_root: Path = REPO_ROOT) -> dict[str, list[PartScore] | None]:
    """``{student: [PartScore, ...]}`` for every trainee in the gradebook; None if not submitted."""
    with gradebook(course_root) as book:
        try:
            book.find_assignment(assignment)
        except Exception:  # noqa: BLE001 (nbgrader raises MissingEntry)
            raise LookupError(
                f"{assignment} is not in the gradebook: run `nbgrader generate_assignment "
                f"{assignment} --force`, then `nbgrader autograde {assignment}`"
            ) from None
        result = {}
        for student in book.students:
            try:
                submission = book.find_submission(assignment, student.id)
            except Exception:  # noqa: BLE001 (MissingEntry: nothing submitted)
                result[student.id] = None
                continue
            result[student.id] = [
                PartScore(
                    g.name,
                    g.score,
                    g.max_score,
                    bool(g.needs_manual_grade),
                    g.cell.cell_type == "markdown",
                )
                for notebook in submission.notebooks
                for g in notebook.grades
            ]
        return result


def unmarked(
    assignment: str, course_root: Path = REPO_ROOT, student: str | None = None
) -> list[str]:
    """``student: part`` for every written answer still waiting for a mark."""
    return [
        f"{who}: {part.grade_id}"
        for who, parts in scores(assignment, course_root).items()
        if parts and (student in (None, "*", who))
        for part in parts
        if part.needs_marking
    ]


# --- feedback, only once marked ----------------------------------------------------------------


class SafeReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's ``release_feedback``, refusing while written answers are unmarked and skipping,
    with a warning, submissions that did not come through the exchange (nbgrader would crash on
    their missing ``timestamp.txt``). ``nbgrader_config.py`` makes it the exchange's plugin."""

    def copy_files(self):
        assignment, student = self.coursedir.assignment_id, self.coursedir.student_id
        waiting = unmarked(assignment, Path(self.coursedir.root), student)
        if waiting:
            self.fail(
                f"{len(waiting)} written answer(s) not marked yet ({', '.join(waiting[:5])}"
                f"{', ...' if len(waiting) > 5 else ''}): mark them in Formgrader, then run "
                f"`chaintrace class feedback {assignment}`"
            )
        held = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        for folder in map(Path, sorted(glob.glob(self.src_path))):
            if not all(
                (folder / name).exists() for name in ("timestamp.txt", "submission_secret.txt")
            ):
                self.log.warning(
                    "not releasing feedback for %s through the exchange: the submission did not "
                    "come through it (hand them %s, or import with `chaintrace class import`)",
                    folder.parent.name,
                    folder,
                )
                held.add(folder.parent.name)
        self.coursedir.student_id_exclude = ",".join(sorted(held))
        super().copy_files()


# --- the class report --------------------------------------------------------------------------


def _normalised(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and "SOLUTION ###" not in line)


def answer_cells(path: Path) -> dict[str, str]:
    """``{grade_id: normalised text}`` of a notebook's answer (solution) cells."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return {
        _nbgrader(c)["grade_id"]: _normalised(c.source)
        for c in nb.cells
        if _nbgrader(c).get("solution")
    }


def failure_messages(
    assignment: str, course_root: Path = REPO_ROOT
) -> dict[str, collections.Counter]:
    """``{grade_id: Counter(message)}``: the first line of every error a test cell showed."""
    import nbformat

    found: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for path in sorted((Path(course_root) / "autograded").glob(f"*/{assignment}/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = _nbgrader(cell)
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output['ename']}: {output['evalue']}".splitlines()[0][:160]
                    found[meta["grade_id"]][message] += 1
    return found


@dataclass
class ClassReport:
    assignment: str
    totals: dict[str, float]  # submitted trainees' totals
    max_score: float
    missing: list[str]
    parts: dict[str, dict]  # grade_id -> {"passed", "graded", "mean", "max", "messages"}
    identical: list[list[str]]  # groups of trainees with the same answers
    like_model: dict[str, list[str]]  # trainee -> parts answered exactly as the model answer
    unmarked: list[str]

    def text(self) -> str:
        lines = [f"{self.assignment}: {len(self.totals)} submitted, {len(self.missing)} missing"]
        if self.totals:
            values = sorted(self.totals.values())
            lines.append(
                f"  total (of {self.max_score:g}): min {values[0]:g}, median "
                f"{values[len(values) // 2]:g}, max {values[-1]:g}"
            )
        for grade_id, part in self.parts.items():
            rate = f"{part['passed']}/{part['graded']} full marks"
            lines.append(f"  {grade_id:34} {rate:>18}  mean {part['mean']:.2f}/{part['max']:g}")
            for message, count in part["messages"][:3]:
                lines.append(f"      {count} x {message}")
        lines += [f"  missing: {', '.join(self.missing)}"] if self.missing else []
        lines += [f"  identical answers: {', '.join(g)}" for g in self.identical]
        lines += [
            f"  {s}: answered as the model answer: {', '.join(p)}"
            for s, p in self.like_model.items()
        ]
        lines += (
            [f"  not marked yet: {len(self.unmarked)} written answer(s)"] if self.unmarked else []
        )
        return "\n".join(lines)


def class_report(assignment: str, course_root: Path = REPO_ROOT) -> ClassReport:
    """Read the gradebook and the graded notebooks into a :class:`ClassReport`."""
    graded = scores(assignment, course_root)
    submitted = {student: parts for student, parts in graded.items() if parts is not None}
    messages = failure_messages(assignment, course_root)
    parts: dict[str, dict] = {}
    for student_parts in submitted.values():
        for part in student_parts:
            entry = parts.setdefault(
                part.grade_id, {"passed": 0, "graded": 0, "sum": 0.0, "max": part.max_score}
            )
            if part.needs_marking:
                continue
            entry["graded"] += 1
            entry["sum"] += part.score or 0
            entry["passed"] += (part.score or 0) >= part.max_score
    for grade_id, entry in parts.items():
        entry["mean"] = entry.pop("sum") / entry["graded"] if entry["graded"] else 0.0
        entry["messages"] = messages.get(grade_id, collections.Counter()).most_common()
    identical, like_model = _copies(assignment, course_root)
    max_score = next((sum(p.max_score for p in ps) for ps in submitted.values()), 0.0)
    return ClassReport(
        assignment,
        {s: sum(float(p.score or 0) for p in ps) for s, ps in submitted.items()},
        max_score,
        sorted(set(graded) - set(submitted)),
        parts,
        identical,
        like_model,
        unmarked(assignment, course_root),
    )


def _copies(assignment: str, course_root: Path) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Groups of trainees whose answers are all identical, and what each copied from the model:
    its written answers word for word, or every answer (short code answers often coincide)."""
    model = answer_cells(source_notebook(assignment, course_root))
    written = {part.grade_id for part in written_parts(assignment, course_root)}
    release = Path(course_root) / "exercises" / assignment
    blank = answer_cells(next(release.glob("*.ipynb"))) if release.is_dir() else {}
    groups, like_model = collections.defaultdict(list), {}
    for student, path in submitted_notebooks(assignment, course_root).items():
        answers = answer_cells(path)
        changed = {k: v for k, v in answers.items() if v and v != blank.get(k)}
        if changed:
            groups[tuple(sorted(changed.items()))].append(student)
        same = [k for k, v in changed.items() if v == model.get(k)]
        if set(same) == set(model):
            like_model[student] = ["every answer"]
        elif written & set(same):
            like_model[student] = sorted(written & set(same))
    return [sorted(g) for g in groups.values() if len(g) > 1], like_model


def report_plot(report: ClassReport) -> bytes:
    """A PNG: the distribution of totals, and each graded part's share of full marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[1, 2])
    left.hist(list(report.totals.values()) or [0], bins=10, range=(0, report.max_score or 1))
    left.set(title=f"{report.assignment}: totals", xlabel="points", ylabel="trainees")
    names = list(report.parts)
    rates = [p["passed"] / p["graded"] if p["graded"] else 0 for p in report.parts.values()]
    right.barh(names, rates)
    right.set(title="share with full marks", xlim=(0, 1))
    right.invert_yaxis()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def write_report(assignment: str, course_root: Path = REPO_ROOT) -> tuple[ClassReport, Path]:
    report = class_report(assignment, course_root)
    folder = _output(course_root, assignment)
    png = report_plot(report)
    (folder / "report.png").write_bytes(png)
    image = base64.b64encode(png).decode()
    page = (
        f"<!doctype html><meta charset='utf-8'><title>Class report: {assignment}</title>"
        f"<style>{SHEET_STYLE}</style><h1>Class report: {html.escape(assignment)}</h1>"
        f"<img alt='scores' src='data:image/png;base64,{image}' style='max-width:100%'>"
        f"<pre>{html.escape(report.text())}</pre>"
    )
    target = folder / "report.html"
    target.write_text(page, encoding="utf-8")
    return report, target


# --- the LMS export ----------------------------------------------------------------------------


def export_rows(course_root: Path = REPO_ROOT) -> list[dict[str, object]]:
    """One row per trainee: a column per graded part of every assignment, its total and status
    (submitted, missing, or unmarked while written answers wait), and the overall total."""
    with gradebook(course_root) as book:
        assignments = sorted(a.name for a in book.assignments)
        people = {s.id: (s.first_name or "", s.last_name or "") for s in book.students}
    rows = {s: {"id": s, "first_name": f, "last_name": la} for s, (f, la) in sorted(people.items())}
    for assignment in assignments:
        for student, parts in scores(assignment, course_root).items():
            row = rows[student]
            if parts is None:
                row[f"{assignment} status"] = "missing"
                continue
            for part in parts:
                row[f"{assignment}:{part.grade_id}"] = "" if part.needs_marking else part.score
            row[f"{assignment} total"] = sum(float(p.score or 0) for p in parts)
            row[f"{assignment} status"] = (
                "unmarked" if any(p.needs_marking for p in parts) else "submitted"
            )
    for row in rows.values():
        row["total"] = sum((v for k, v in row.items() if k.endswith(" total")), 0.0)
    return list(rows.values())


def write_export(course_root: Path = REPO_ROOT, target: Path | None = None) -> Path:
    rows = export_rows(course_root)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    columns.append(columns.pop(columns.index("total"))) if "total" in columns else None
    target = Path(target or _output(course_root) / "grades.csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return target


# --- the command line --------------------------------------------------------------------------


def _parser():

    parser = argparse.ArgumentParser(
        prog="chaintrace class",
        description="Run a class with nbgrader: exchange, roster, imports, rubrics, feedback, report, export.",
    )
    parser.add_argument(
        "--course", type=Path, default=Path.cwd(), help="course folder (default: here)"
    )
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "setup", help="make the local exchange work from any folder; rubrics in Formgrader"
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        help="where to write nbgrader_config.py (default: this environment's etc/jupyter)",
    )
    p = sub.add_parser(
        "roster", help="add trainees from a CSV with columns id,name (or first_name,last_name)"
    )
    p.add_argument("csv", type=Path)
    p = sub.add_parser("import", help="import submissions from a folder, a .zip or one notebook")
    p.add_argument("assignment")
    p.add_argument(
        "source",
        type=Path,
        help="one folder per trainee (or <id>.ipynb files), as a folder or .zip",
    )
    p.add_argument("--student", help="SOURCE is this one trainee's notebook, folder or zip")
    p.add_argument(
        "--time", help="submission time in UTC, e.g. '2026-03-01 17:00' (default: the files' own)"
    )
    p.add_argument(
        "--replace", action="store_true", help="replace a submission already in submitted/"
    )
    p = sub.add_parser(
        "rubric", help="write the marking sheet (criteria, model answers, trainees' answers)"
    )
    p.add_argument("assignment")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the marker's language (default: $CHAINTRACE_LANG, else en); trainees' answers "
        "are shown as written",
    )
    p = sub.add_parser(
        "translate-rubric",
        help="write or refresh the rubrics' translation catalogues (<lang>/rubrics/<A>.po) and "
        "list what is untranslated or stale",
    )
    p.add_argument("lang", choices=LANGUAGES[1:])
    p.add_argument("assignments", nargs="*", help="default: every assignment with a rubric")
    for action, help_text in [
        ("feedback", "generate and release feedback, once every written answer is marked"),
        ("report", "write the class report: scores, pass rates, failures, copies, missing work"),
    ]:
        sub.add_parser(action, help=help_text).add_argument("assignment")
    p = sub.add_parser(
        "export", help="write grades.csv: a row per trainee, a column per graded part"
    )
    p.add_argument("--to", type=Path, help="where to write (default: build/class/grades.csv)")
    return parser


def main(argv: list[str]) -> int:
    """``chaintrace class ...`` (see ``chaintrace class --help``)."""
    args = _parser().parse_args(argv)
    root = args.course.resolve()
    if not (root / "nbgrader_config.py").exists() or not (root / "solutions").is_dir():
        raise FileNotFoundError(
            f"{root} is not the course folder (no nbgrader_config.py and solutions/): run this "
            "from the repository root, or give --course FOLDER"
        )
    return ACTIONS[args.action](args, root)


def _do_setup(args, root) -> int:
    from .course.classroom_formgrader import enable_rubrics

    target = setup_exchange(root, args.config_dir)
    print(f"wrote {target}: nbgrader's exchange is {root / '.exchange'} from any folder")
    switch = enable_rubrics(target.parent)
    print(f"wrote {switch}: Formgrader shows each written answer's rubric while marking")
    return 0


def _do_roster(args, root) -> int:
    added = import_roster(args.csv, root)
    print(f"{len(added)} trainee(s) in the gradebook: {', '.join(added)}")
    return 0


def _do_import(args, root) -> int:
    when = None
    if args.time:
        when = dt.datetime.fromisoformat(args.time).replace(tzinfo=dt.UTC)
    outcomes = import_submissions(
        args.assignment, args.source, root, args.student, when, args.replace
    )
    for student, outcome in outcomes.items():
        print(f"{student}: {outcome}")
    refused = [s for s, o in outcomes.items() if o.startswith("refused")]
    if refused:
        print(f"{len(refused)} refused: fix them and import those again", file=sys.stderr)
    return 1 if refused else 0


def _do_rubric(args, root) -> int:
    target = write_marking_sheet(args.assignment, root, args.lang)
    print(f"marking sheet: {target}")
    return 0


def _do_translate_rubric(args, root) -> int:
    assignments = args.assignments or sorted(
        path.parent.name for path in (root / "solutions").glob("*/rubric.toml")
    )
    status = 0
    for assignment in assignments:
        path, todo = update_rubric_translation(assignment, args.lang, root)
        print(f"{path.relative_to(root)}: {todo} criteria to translate or revise")
        for problem in rubric_translation_problems(assignment, args.lang, root):
            print(f"  {problem}")
            status = 1
    return status


def _do_feedback(args, root) -> int:
    import subprocess

    waiting = unmarked(args.assignment, root)
    if waiting:
        print(
            f"not yet: {len(waiting)} written answer(s) unmarked ({', '.join(waiting[:5])}"
            f"{', ...' if len(waiting) > 5 else ''}); mark them in Formgrader and run this again",
            file=sys.stderr,
        )
        return 1
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    for step in (
        ["generate_feedback", args.assignment, "--force"],
        ["release_feedback", args.assignment],
    ):
        if subprocess.run([nbgrader, *step], cwd=root).returncode != 0:
            print(f"`nbgrader {' '.join(step)}` failed (its messages are above)", file=sys.stderr)
            return 1
    print(
        f"feedback in {root / 'feedback'} and released; trainees run `nbgrader fetch_feedback {args.assignment}`"
    )
    return 0


def _do_report(args, root) -> int:
    report, target = write_report(args.assignment, root)
    print(report.text())
    print(f"report: {target}")
    return 0


def _do_export(args, root) -> int:
    target = write_export(root, args.to)
    print(f"grades: {target}")
    return 0


ACTIONS = {
    "setup": _do_setup,
    "roster": _do_roster,
    "import": _do_import,
    "rubric": _do_rubric,
    "translate-rubric": _do_translate_rubric,
    "feedback": _do_feedback,
    "report": _do_report,
    "export": _do_export,
}
