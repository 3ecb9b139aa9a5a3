"""Messages in the reader's language: the toolkit's errors, the environment check, test messages.

The course is taught in English and Ukrainian. A message is written in English where it is
raised; when it is shown (an error formatted, a report printed, a test's verdict written into
feedback) it is looked up in the chosen language's catalogue and shown translated, or in English
if the catalogue has no entry for it. There is no second copy of any rule: only the words change.

The language is ``$CHAINTRACE_LANG`` (``en`` or ``uk``; ``python3 run.py course --lang uk`` sets
it for JupyterLab and its kernels), or the one set in this process with :func:`use` (the grader
sets each submission's own language).

Catalogues are gettext ``.po`` files. An entry's ``msgid`` is the English text; an entry flagged
``python-format`` is a template whose ``{...}`` fields (as written in the f-string that makes
the message) match any text, carried into the translation unchanged:

>>> catalogue = Catalogue([
...     Entry("", "`{name}` has no answer yet.", "`{name}` ще не має відповіді.", {"python-format"}),
...     Entry("", "All checks passed.", "Усі перевірки пройдено."),
... ])
>>> catalogue.translate("`fee_sats` has no answer yet.")
'`fee_sats` ще не має відповіді.'
>>> catalogue.translate("All checks passed.\\nSomething new.")
'Усі перевірки пройдено.\\nSomething new.'

Where the catalogues are: the toolkit's own beside this file (``locale/<lang>.po``), and, in the
course's folder, the notebooks' test messages (``<lang>/po/*.po``, entries whose context is
``message``).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "Catalogue",
    "Entry",
    "catalogue",
    "language",
    "read_po",
    "translate",
    "use",
    "write_po",
]

LANGUAGES = ("en", "uk")  # English is the source; every other language is a translation of it
MESSAGE_CONTEXT = "message"  # the context of a notebook catalogue's test and printed messages
LONGEST = 4000  # characters: longer text (it may hold a trainee's data) is matched exactly only
LOCALE = Path(__file__).resolve().parent / "locale"
COURSE_ROOT = Path(__file__).resolve().parents[2]  # the course folder, when the toolkit is in it

_chosen: list[str] = []  # set by use(); wins over the environment


def normalise(lang: str | None) -> str:
    """``uk``, ``uk_UA.UTF-8``, ``UK`` -> ``uk``; anything not offered -> ``en``.

    >>> normalise("uk_UA.UTF-8"), normalise("de"), normalise(None)
    ('uk', 'en', 'en')
    """
    code = (lang or "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else "en"


def language() -> str:
    """The language messages are shown in now: :func:`use`, else ``$CHAINTRACE_LANG``, else en."""
    return _chosen[-1] if _chosen else normalise(os.environ.get("CHAINTRACE_LANG"))


@contextlib.contextmanager
def use(lang: str):
    """Show messages in ``lang`` inside the ``with`` block (the grader: one submission's language).

    >>> with use("uk"):
    ...     language()
    'uk'
    """
    _chosen.append(normalise(lang))
    try:
        yield
    finally:
        _chosen.pop()


# ----------------------------------------------------------------------------- .po files


@dataclass
class Entry:
    """One gettext entry: ``context`` (a cell id, or ``message``), English, translation, flags."""

    context: str
    msgid: str
    msgstr: str = ""
    flags: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)  # "#." lines: where the text comes from
    previous: str | None = None  # "#| msgid": the English the (fuzzy) translation was made for

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if len(parts) <= 1:
        return f'"{parts[0] if parts else ""}"'
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def _unquote(token: str) -> str:
    body = token.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def write_po(path: Path, entries: list[Entry], header: str = "") -> None:
    """Write ``entries`` as a ``.po`` file (UTF-8), ``header`` as its opening comment."""
    blocks = [
        "\n".join(f"# {line}".rstrip() for line in header.splitlines())
        + '\nmsgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    ]
    for entry in entries:
        lines = [f"#. {comment}" for comment in entry.comments]
        if entry.flags:
            lines.append("#, " + ", ".join(sorted(entry.flags)))
        if entry.previous is not None:
            lines += ["#| " + line for line in f"msgid {_quote(entry.previous)}".splitlines()]
        if entry.context:
            lines.append(f"msgctxt {_quote(entry.context)}")
        lines.append(f"msgid {_quote(entry.msgid)}")
        lines.append(f"msgstr {_quote(entry.msgstr)}")
        blocks.append("\n".join(lines) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(blocks), encoding="utf-8")


def read_po(path: Path) -> list[Entry]:
    """The entries of a ``.po`` file (its header skipped).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.po"
    >>> write_po(path, [Entry("cell-1", 'Two\\nlines "quoted"', "Два\\nрядки", {"fuzzy"})])
    >>> read_po(path) == [Entry("cell-1", 'Two\\nlines "quoted"', "Два\\nрядки", {"fuzzy"})]
    True
    """
    entries: list[Entry] = []
    current: dict = {}
    key = None

    def finish():
        if "msgid" in current and current["msgid"]:
            entries.append(
                Entry(
                    current.get("msgctxt", ""),
                    current["msgid"],
                    current.get("msgstr", ""),
                    current.get("flags", set()),
                    current.get("comments", []),
                    current.get("previous"),
                )
            )
        current.clear()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if key in ("msgstr",):
                finish()
                key = None
            if line.startswith("#,"):
                current.setdefault("flags", set()).update(
                    flag.strip() for flag in line[2:].split(",") if flag.strip()
                )
            elif line.startswith("#."):
                current.setdefault("comments", []).append(line[2:].strip())
            elif line.startswith("#|"):
                rest = line[2:].strip()
                if rest.startswith("msgid "):
                    current["previous"] = _unquote(rest[6:])
                else:
                    current["previous"] = current.get("previous", "") + _unquote(rest)
            continue
        match = re.match(r"(msgctxt|msgid|msgstr)\s+(\".*\")$", line)
        if match:
            if match[1] in ("msgctxt", "msgid") and key == "msgstr":
                finish()
            key = match[1]
            current[key] = _unquote(match[2])
        elif line.startswith('"') and key:
            current[key] += _unquote(line)
        else:
            raise ValueError(f"{path} line {number}: not gettext .po syntax: {raw[:60]!r}")
    finish()
    return entries


# ----------------------------------------------------------------------------- lookups


def _pattern(template: str) -> tuple[re.Pattern, list[str]]:
    """A template's regular expression and the fields in the order they appear."""
    fields = re.findall(r"\{[^{}]+\}", template)
    literal = re.split(r"\{[^{}]+\}", template)
    body = "(.*?)".join(re.escape(part) for part in literal)  # a field may be empty text
    return re.compile(body + r"\Z", re.S), fields


class Catalogue:
    """Translations of one language: exact texts and templates (``python-format`` entries)."""

    def __init__(self, entries):
        self.exact: dict[str, str] = {}
        self.templates: list[tuple[re.Pattern, list[str], str]] = []
        for entry in entries:
            if not entry.msgstr or entry.fuzzy:
                continue  # untranslated or out of date: English is shown
            self.exact[entry.msgid] = entry.msgstr
            if "python-format" in entry.flags and "{" in entry.msgid:
                pattern, fields = _pattern(entry.msgid)
                self.templates.append((pattern, fields, entry.msgstr))
        # the most specific template first: the longest fixed text
        self.templates.sort(key=lambda t: -len(re.sub(r"\{[^{}]+\}", "", t[2])))

    def _one(self, text: str) -> str | None:
        if text in self.exact:
            return self.exact[text]
        if len(text) > LONGEST:  # a template's fields could make matching slow on huge text
            return None
        for pattern, fields, translation in self.templates:
            match = pattern.match(text)
            if match:
                # a field may hold English text of its own (``{_RESTORE}``): translate it too
                values = {
                    name: self._one(value) or value
                    for name, value in zip(fields, match.groups(), strict=True)
                }
                return re.sub(r"\{[^{}]+\}", lambda m, v=values: v.get(m[0], m[0]), translation)
        return None

    def translate(self, text: str) -> str:
        """``text`` translated: whole, else line by line; what has no entry stays English."""
        whole = self._one(text)
        if whole is not None:
            return whole
        if "\n" not in text:
            return text
        return "\n".join(self._one(line) or line for line in text.split("\n"))


def catalogue_files(lang: str) -> list[Path]:
    """The toolkit's catalogue and, in the course folder, the notebooks' ones.

    A grading sandbox sees no course folder: there the grader leaves the notebooks' printed
    sentences and plot labels (nothing a test says) in ``$CHAINTRACE_CACHE/po/<lang>.po``.
    """
    files = [LOCALE / f"{lang}.po"]
    files += sorted((COURSE_ROOT / lang / "po").glob("*.po"))
    if os.environ.get("CHAINTRACE_CACHE"):
        files.append(Path(os.environ["CHAINTRACE_CACHE"]) / "po" / f"{lang}.po")
    return [path for path in files if path.is_file()]


@cache
def _catalogue(lang: str, stamp: tuple) -> Catalogue:
    entries = []
    for path in catalogue_files(lang):
        for entry in read_po(path):
            if path.parent == LOCALE or entry.context == MESSAGE_CONTEXT:
                entries.append(entry)
    return Catalogue(entries)


def catalogue(lang: str) -> Catalogue:
    """The messages of ``lang`` (read again when a catalogue file changes)."""
    files = catalogue_files(lang)
    return _catalogue(lang, tuple((str(p), p.stat().st_mtime_ns) for p in files))


def translate(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default: :func:`language`); English when there is no translation.

    >>> translate("All checks passed.", "en")
    'All checks passed.'
    >>> translate("All checks passed.", "uk")
    'Усі перевірки пройдено.'
    """
    lang = normalise(lang) if lang else language()
    if lang == "en" or not text:
        return text
    try:
        return catalogue(lang).translate(text)
    except (OSError, ValueError):  # a broken catalogue must never hide the message itself
        return text
