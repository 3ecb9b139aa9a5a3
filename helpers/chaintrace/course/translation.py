"""Translated editions of the course, made from the English notebooks and kept in step with them.

The English notebooks are the only source of code. A translation is a gettext catalogue per
notebook, ``<lang>/po/<notebook>.po``, holding

- one entry per Markdown cell: context the cell's id, ``msgid`` its English source;
- one entry per message a test cell shows (``assert ..., "message"``, ``print("...")``), and
  per text any cell wraps in ``translate(...)`` (``ax.set_title(translate("Payments per day"))``),
  context ``message``: the grader shows these translated in feedback, the kernel when a visible
  test fails or ``translate`` is called (:mod:`chaintrace.messages`).

Because an entry holds the English it translates, a changed English cell shows up: its entry
no longer matches (*stale*) until a translator revises it; a new cell has none (*untranslated*).
``update`` carries the old translation over, marked ``fuzzy`` with the English it was made for
(``#| msgid``), so the translator sees what changed (as ``msgmerge`` and sphinx-intl do).

The translated notebooks are then built, never edited: the English ones with only their Markdown
replaced, and ``metadata.chaintrace.lang`` set. Code cells, cell ids and nbgrader metadata (grade
ids, points, checksums, hidden tests) stay byte for byte the English ones, so nbgrader grades a
translated submission in the same gradebook, against the same source and tests::

    <lang>/course/<lesson>.ipynb                       the lesson
    <lang>/solutions/<assignment>/<assignment>.ipynb   the assignment's source (model answers)
    <lang>/exercises/<assignment>/<assignment>.ipynb   its release (what trainees answer)
    <lang>/po/<lesson>.po, <lang>/po/<assignment>.po   the catalogues (the release shares the
                                                       source's)

The commands (``python -m chaintrace.course.translation --help``)::

    update uk 00     write or refresh module 00's catalogues from the English notebooks
    build uk 00      make module 00's Ukrainian notebooks from the English ones and the catalogues
    check uk         every module declared in course/modules.toml: untranslated, stale, unbuilt
    convert uk PATH  a trainee's English assignment (fetched, perhaps already answered) in
                     Ukrainian: its Markdown translated in place, answers and code untouched
    toolkit uk       the toolkit's error messages not yet in helpers/chaintrace/locale/uk.po

>>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
>>> nb = new_notebook(cells=[new_markdown_cell("# Hello", id="m1"),
...     new_code_cell('assert ok, f"{n} blocks is too many"', id="t1",
...                   metadata={"nbgrader": {"grade": True, "grade_id": "t1", "points": 1}})])
>>> [(u.context, u.msgid) for u in units(nb)]
[('m1', '# Hello'), ('message', '{n} blocks is too many')]
>>> entries = merge(units(nb), [])
>>> entries[0].msgstr = "# Привіт"; entries[1].msgstr = "{n} блоків: забагато"
>>> nb.cells[0].source = "# Hello, trainee"        # the English changes ...
>>> [p.kind for p in problems(units(nb), entries)]  # ... and its translation is stale
['stale']
>>> [(e.fuzzy, e.previous) for e in merge(units(nb), entries)][0]
(True, '# Hello')
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..messages import LANGUAGES, MESSAGE_CONTEXT, Entry, read_po, write_po

__all__ = [
    "Edition",
    "Problem",
    "Unit",
    "build_notebook",
    "merge",
    "problems",
    "shown_messages",
    "units",
]

ROOT = Path(__file__).resolve().parents[3]
FIELD = re.compile(r"\{[^{}]+\}")
HEADER = (
    "{title}: {lang} translation of {english}.\n"
    "Made and refreshed by `python -m chaintrace.course.translation update {lang} {number}`; edit\n"
    "only the msgstr lines. An entry marked fuzzy translates older English (shown as #| msgid):\n"
    "revise it, then remove the fuzzy flag."
)


@dataclass(frozen=True)
class Unit:
    """A piece of English to translate: a Markdown cell (context: its id) or a test's message."""

    context: str
    msgid: str
    where: str  # the cell it comes from
    template: bool = False  # an f-string: its {fields} are filled in when the message is made


@dataclass(frozen=True)
class Problem:
    """Why a catalogue is not complete and current for its English notebook."""

    kind: str  # untranslated, stale, obsolete, fields, unbuilt
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


# ----------------------------------------------------------------------------- extraction


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _template(node: ast.AST) -> tuple[str, bool] | None:
    """The English of a string or f-string node, fields written as in the f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, False
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                field = ast.unparse(value.value)
                if value.conversion != -1:
                    field += "!" + chr(value.conversion)
                if value.format_spec is not None:
                    field += ":" + "".join(
                        str(v.value)
                        for v in value.format_spec.values
                        if isinstance(v, ast.Constant)
                    )
                parts.append("{" + field + "}")
        return "".join(parts), True
    return None


def shown_messages(source: str, test: bool = True) -> list[tuple[str, bool]]:
    """The text a code cell shows that can be translated, in order: what it wraps in
    ``translate(...)`` (a printed sentence, a plot label) and, in a test cell, its assertion
    messages, printed text and raised messages.

    >>> shown_messages('assert x, "no"\\nprint(f"✓ {n:,} ok")\\nraise ValueError(f"bad {y!r}")')
    [('no', False), ('✓ {n:,} ok', True), ('bad {y!r}', True)]
    >>> shown_messages('ax.set_title(translate("Payments per day"))\\nprint("kept")', test=False)
    [('Payments per day', False)]
    """
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        candidates = []
        if isinstance(node, ast.Assert) and node.msg is not None and test:
            candidates = [node.msg]
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            shown = name == "print" or name.endswith(("Error", "Exception"))
            if name == "translate" or (test and shown):
                candidates = node.args[:1]
        for candidate in candidates:
            text = _template(candidate)
            if text and text[0].strip():
                found.append((node.lineno, node.col_offset, text))
    return [text for *_, text in sorted(found, key=lambda f: f[:2])]


def units(nb) -> list[Unit]:
    """What to translate in a notebook: its Markdown cells, then the text its code shows."""
    cells, messages = [], {}
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cells.append(Unit(cell.id, cell.source, cell.id))
        elif cell.cell_type == "code":
            for text, template in shown_messages(cell.source, bool(_nbgrader(cell).get("grade"))):
                messages.setdefault(text, Unit(MESSAGE_CONTEXT, text, cell.id, template))
    return cells + list(messages.values())


# ----------------------------------------------------------------------------- catalogues


def merge(found: list[Unit], old: list[Entry]) -> list[Entry]:
    """The catalogue for ``found``, keeping every translation of ``old`` that still applies.

    A cell whose English changed keeps its translation, marked fuzzy with the English it was
    made for; so does a message close to an old one. Entries nothing uses are dropped.
    """
    by_key = {(e.context, e.msgid): e for e in old}
    by_cell = {e.context: e for e in old if e.context != MESSAGE_CONTEXT}
    unused = {e.msgid: e for e in old if e.context == MESSAGE_CONTEXT and e.msgstr}
    entries = []
    for unit in found:
        flags = {"python-format"} if unit.template else set()
        comment = [f"cell {unit.where}"]
        kept = by_key.get((unit.context, unit.msgid))
        if kept is not None:
            unused.pop(unit.msgid, None)
            flags |= kept.flags - {"python-format"}
            entries.append(
                Entry(unit.context, unit.msgid, kept.msgstr, flags, comment, kept.previous)
            )
            continue
        earlier = by_cell.get(unit.context)
        if earlier is None and unit.context == MESSAGE_CONTEXT:
            close = difflib.get_close_matches(unit.msgid, list(unused), n=1, cutoff=0.75)
            earlier = unused.pop(close[0]) if close else None
        if earlier is not None and earlier.msgstr:
            previous = earlier.previous if earlier.fuzzy and earlier.previous else earlier.msgid
            entries.append(
                Entry(
                    unit.context, unit.msgid, earlier.msgstr, flags | {"fuzzy"}, comment, previous
                )
            )
        else:
            entries.append(Entry(unit.context, unit.msgid, "", flags, comment))
    return entries


def problems(found: list[Unit], entries: list[Entry]) -> list[Problem]:
    """Everything that keeps a catalogue from being a complete, current translation."""
    out = []
    by_key = {(e.context, e.msgid): e for e in entries}
    by_cell = {e.context: e for e in entries if e.context != MESSAGE_CONTEXT}
    wanted = {(u.context, u.msgid) for u in found}
    cells = {u.context for u in found if u.context != MESSAGE_CONTEXT}
    for unit in found:
        entry = by_key.get((unit.context, unit.msgid))
        label = unit.where if unit.context == MESSAGE_CONTEXT else f"cell {unit.context}"
        if entry is None:
            changed = unit.context in by_cell
            kind, what = (
                ("stale", "the English changed since") if changed else ("untranslated", "no")
            )
            out.append(Problem(kind, label, f"{what} translation of {_short(unit.msgid)}"))
        elif not entry.msgstr:
            out.append(Problem("untranslated", label, f"empty translation of {_short(unit.msgid)}"))
        elif entry.fuzzy:
            out.append(
                Problem("stale", label, f"fuzzy: revise the translation of {_short(unit.msgid)}")
            )
        elif unit.template and set(FIELD.findall(entry.msgstr)) != set(FIELD.findall(unit.msgid)):
            fields = sorted(set(FIELD.findall(unit.msgid)))
            out.append(Problem("fields", label, f"the translation must keep the fields {fields}"))
    for entry in entries:
        if (entry.context, entry.msgid) not in wanted and entry.context not in cells:
            out.append(Problem("obsolete", entry.context, f"nothing uses {_short(entry.msgid)}"))
    return out


def _short(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return repr(line[:60] + ("..." if len(line) > 60 or "\n" in text.strip() else ""))


# ----------------------------------------------------------------------------- building


def build_notebook(english, entries: list[Entry], lang: str, keep_answers: bool = False):
    """The translated notebook: the English one with its Markdown cells translated.

    A cell without a current translation stays English (and :func:`problems` names it);
    nbgrader answer cells of a release (``YOUR ANSWER HERE``) stay as nbgrader made them, and
    with ``keep_answers`` every answer cell stays as it is (a trainee's own words).
    """
    nb = copy.deepcopy(english)
    current = {
        e.context: e.msgstr
        for e in entries
        if e.context != MESSAGE_CONTEXT and e.msgstr and not e.fuzzy
    }
    source_of = {e.context: e.msgid for e in entries}
    for cell in nb.cells:
        if cell.cell_type != "markdown" or cell.id not in current:
            continue
        if keep_answers and _nbgrader(cell).get("solution"):
            continue
        if source_of.get(cell.id) == cell.source:  # the translation is of this very English
            cell.source = current[cell.id]
    nb.metadata["chaintrace"] = {**nb.metadata.get("chaintrace", {}), "lang": lang}
    return nb


def notebook_bytes(nb) -> str:
    """A notebook as the repository stores it (nbformat's layout, a final newline)."""
    import nbformat  # the course's notebook machinery, not the toolkit's (imported when used)

    return nbformat.writes(nb) + "\n"


# ----------------------------------------------------------------------------- the edition


@dataclass(frozen=True)
class Notebook:
    """One English notebook of a module, its catalogue and where its translation is built."""

    english: Path
    catalogue: Path
    built: Path
    source: Path  # the notebook whose units the catalogue holds (a release uses its source's)


class Edition:
    """The ``lang`` edition of the course whose root is ``root`` (English in course/, ...)."""

    def __init__(self, lang: str, root: Path = ROOT):
        if lang not in LANGUAGES or lang == "en":
            raise ValueError(f"no translated edition {lang!r}: choose one of {LANGUAGES[1:]}")
        self.lang, self.root = lang, root
        self.home = root / lang
        with open(root / "course" / "modules.toml", "rb") as handle:
            self.modules = tomllib.load(handle)["module"]

    def module(self, number: str) -> dict:
        for module in self.modules:
            if module["number"] == number or module["assignment"] == number:
                return module
        raise SystemExit(f"no module {number!r} in course/modules.toml")

    def declared(self) -> list[dict]:
        """The modules ``course/modules.toml`` declares translated into this language."""
        return [m for m in self.modules if self.lang in m.get("languages", ["en"])]

    def notebooks(self, module: dict) -> list[Notebook]:
        lesson, assignment = module["lesson"], module["assignment"]
        po = self.home / "po"
        source = self.root / "solutions" / assignment / f"{assignment}.ipynb"
        # a lesson named like its assignment (10-typologies) gets a catalogue of its own
        lesson_po = Path(lesson).stem + ("-lesson" if Path(lesson).stem == assignment else "")
        return [
            Notebook(
                self.root / "course" / lesson,
                po / f"{lesson_po}.po",
                self.home / "course" / lesson,
                self.root / "course" / lesson,
            ),
            Notebook(
                source,
                po / f"{assignment}.po",
                self.home / "solutions" / assignment / f"{assignment}.ipynb",
                source,
            ),
            Notebook(
                self.root / "exercises" / assignment / f"{assignment}.ipynb",
                po / f"{assignment}.po",
                self.home / "exercises" / assignment / f"{assignment}.ipynb",
                source,
            ),
        ]

    @staticmethod
    def _read(path: Path):
        import nbformat

        return nbformat.read(path, as_version=4)

    def entries(self, notebook: Notebook) -> list[Entry]:
        return read_po(notebook.catalogue) if notebook.catalogue.exists() else []

    def catalogue_for(self, notebook: Path) -> Path:
        """The catalogue of a notebook named like a lesson or an assignment of the course."""
        for module in self.modules:
            # the assignment first: a lesson may share its file name, and is never fetched
            for known in reversed(self.notebooks(module)):
                if known.english.name == notebook.name:
                    return known.catalogue
        raise ValueError(
            f"{notebook.name} is not a lesson or assignment of this course: keep its file name "
            "(e.g. 01-ledgers.ipynb) as nbgrader released it"
        )

    def convert(self, path: Path) -> Path:
        """Translate the Markdown of a trainee's notebook in place (answers and code untouched).

        For a trainee in a mixed class who fetched the English release through the exchange:
        after this the notebook is the translated release with their answers in it, and is
        submitted and graded like any other.
        """
        import nbformat

        catalogue = self.catalogue_for(path)
        nb = build_notebook(self._read(path), read_po(catalogue), self.lang, keep_answers=True)
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        return path

    def update(self, module: dict) -> list[str]:
        """Refresh the module's catalogues from its English notebooks; what changed, in words."""
        said = []
        for notebook in self.notebooks(module):
            if notebook.english != notebook.source:
                continue  # a release shares its source's catalogue
            old = self.entries(notebook)
            entries = merge(units(self._read(notebook.english)), old)
            header = HEADER.format(
                title=f"Module {module['number']}",
                lang=self.lang,
                english=notebook.english.relative_to(self.root).as_posix(),
                number=module["number"],
            )
            write_po(notebook.catalogue, entries, header)
            todo = sum(1 for e in entries if not e.msgstr or e.fuzzy)
            dropped = len(
                {(e.context, e.msgid) for e in old} - {(e.context, e.msgid) for e in entries}
            )
            said.append(
                f"{notebook.catalogue.relative_to(self.root)}: {len(entries)} entries, "
                f"{todo} to translate or revise, {dropped} dropped"
            )
        return said

    def build(self, module: dict) -> list[Path]:
        """Write the module's translated notebooks; returns their paths."""
        written = []
        for notebook in self.notebooks(module):
            nb = build_notebook(self._read(notebook.english), self.entries(notebook), self.lang)
            notebook.built.parent.mkdir(parents=True, exist_ok=True)
            notebook.built.write_text(notebook_bytes(nb), encoding="utf-8")
            written.append(notebook.built)
        return written

    def check(self, module: dict) -> list[Problem]:
        """Untranslated, stale, obsolete entries, and built notebooks out of date, of one module."""
        out = []
        for notebook in self.notebooks(module):
            where = notebook.catalogue.relative_to(self.root).as_posix()
            if notebook.english == notebook.source:
                if not notebook.catalogue.exists():
                    out.append(Problem("untranslated", where, "no catalogue: run `update`"))
                    continue
                found = units(self._read(notebook.english))
                for problem in problems(found, self.entries(notebook)):
                    out.append(Problem(problem.kind, f"{where}: {problem.where}", problem.detail))
            built = notebook_bytes(
                build_notebook(self._read(notebook.english), self.entries(notebook), self.lang)
            )
            if not notebook.built.exists() or notebook.built.read_text(encoding="utf-8") != built:
                out.append(
                    Problem(
                        "unbuilt",
                        notebook.built.relative_to(self.root).as_posix(),
                        "not what `build` makes from the English notebook and the catalogue",
                    )
                )
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaintrace.course.translation",
        description="Translated editions: catalogues from the English notebooks, notebooks from "
        "the catalogues, and a check that they are complete and current.",
    )
    parser.add_argument("command", choices=("update", "build", "check", "convert", "toolkit"))
    parser.add_argument("lang", help="the edition, e.g. uk")
    parser.add_argument(
        "modules",
        nargs="*",
        help="module numbers or assignment ids (default: every module "
        "course/modules.toml declares in this language); for convert: notebooks or folders",
    )
    args = parser.parse_args(argv)
    try:
        edition = Edition(args.lang)
    except ValueError as error:
        parser.error(str(error))
    if args.command == "convert":
        return _convert(edition, [Path(p) for p in args.modules])
    if args.command == "toolkit":
        return _untranslated_toolkit(edition.lang)
    modules = [edition.module(m) for m in args.modules] or edition.declared()
    if not modules:
        print(
            f"no module is declared in {args.lang!r} (languages = [..., {args.lang!r}] in "
            "course/modules.toml); name the modules to work on"
        )
        return 1
    status = 0
    for module in modules:
        if args.command == "update":
            for line in edition.update(module):
                print(line)
        elif args.command == "build":
            for path in edition.build(module):
                print(f"wrote {path.relative_to(edition.root)}")
        found = edition.check(module)
        if args.command == "build":
            found = [p for p in found if p.kind != "unbuilt"]
        for problem in found:
            print(f"module {module['number']}: {problem}")
        status |= bool(found) and args.command != "update"
    return int(status)


def toolkit_messages() -> list[tuple[str, str]]:
    """``(where, English)`` of every message the toolkit raises or warns with a literal or
    f-string."""
    package = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            message = None
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0]
            elif _is_warning(node):
                message = node.args[0]
                if isinstance(message, ast.Call) and message.args:  # warn(translate(...))
                    message = message.args[0]
            if message is not None:
                text = _template(message)
                if text and text[0].strip():
                    found.append((f"{path.relative_to(package)}:{node.lineno}", text[0]))
    return found


def _is_warning(node) -> bool:
    """``warnings.warn(<message>, ...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "warn"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "warnings"
        and bool(node.args)
    )


def _untranslated_toolkit(lang: str) -> int:
    from ..messages import LOCALE

    catalogue = LOCALE / f"{lang}.po"
    done = {e.msgid for e in read_po(catalogue)} if catalogue.exists() else set()
    todo = [(where, text) for where, text in toolkit_messages() if text not in done]
    for where, text in todo:
        print(f"{where}: {text}")
    print(f"{len(todo)} messages raised by the toolkit are not in {catalogue.name}")
    return 0


def _convert(edition: Edition, paths: list[Path]) -> int:
    notebooks = [
        n for p in paths for n in ([p] if p.suffix == ".ipynb" else sorted(p.glob("*.ipynb")))
    ]
    if not notebooks:
        print("name the fetched assignment's folder or notebook, e.g. 00-orientation")
        return 1
    status = 0
    for notebook in notebooks:
        try:
            edition.convert(notebook)
            print(f"{notebook}: {edition.lang}")
        except (OSError, ValueError) as error:
            print(f"{notebook}: not converted: {error}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
