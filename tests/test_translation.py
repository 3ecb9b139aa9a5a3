"""The translated editions: complete, current, the English code, messages and one glossary.

For every module ``course/modules.toml`` declares in a language besides English: every text has
a translation made for the English it now stands beside (a changed English cell fails here until
its translation is revised), the built notebooks are exactly what the build makes, and they hold
the English notebooks' code cells and nbgrader metadata. The toolkit's messages are shown in
the chosen language with English as the fallback, and each glossary term is rendered one way.
"""

import ast
import re
import shutil
from pathlib import Path

import chaintrace
import nbformat
import pytest
from chaintrace import check, messages
from chaintrace.course.translation import Edition, toolkit_messages, units
from chaintrace.grader.checker import Checker
from chaintrace.messages import MESSAGE_CONTEXT, read_po, translate, use
from conftest import MODULES, ROOT

EDITIONS = [
    pytest.param(lang, module, id=f"{lang}-{module['number']}")
    for module in MODULES
    for lang in module.get("languages", ["en"])
    if lang != "en"
]
FIELD = re.compile(r"\{[^{}]+\}")
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def catalogues(lang: str) -> list[Path]:
    """The toolkit's catalogue, the notebooks' and the rubrics' (the marker's criteria)."""
    return [
        messages.LOCALE / f"{lang}.po",
        *sorted((ROOT / lang / "po").glob("*.po")),
        *sorted((ROOT / lang / "rubrics").glob("*.po")),
    ]


# ----------------------------------------------------------------------------- the editions


def test_every_declared_language_is_offered():
    for module in MODULES:
        for lang in module.get("languages", ["en"]):
            assert lang in messages.LANGUAGES, f"module {module['number']}: unknown {lang!r}"
        assert "en" in module.get("languages", ["en"]), "English is the source of every module"


@pytest.mark.parametrize(("lang", "module"), EDITIONS)
def test_translation_is_complete_current_and_built(lang, module):
    found = Edition(lang).check(module)
    assert not found, (
        f"module {module['number']} is declared in {lang!r} but:\n"
        + "\n".join(f"  {p}" for p in found[:15])
        + f"\nRun `python -m chaintrace.course.translation update {lang} {module['number']}`, "
        f"translate or revise the entries it lists in {lang}/po/ (remove `fuzzy` when done), then "
        f"`python -m chaintrace.course.translation build {lang} {module['number']}`."
    )


def _grading_view(cell) -> tuple:
    meta = dict(cell.metadata)
    return (cell.id, cell.cell_type, meta, cell.source if cell.cell_type == "code" else None)


@pytest.mark.parametrize(("lang", "module"), EDITIONS)
def test_translated_notebooks_have_the_english_code_and_grading_metadata(lang, module):
    for notebook in Edition(lang).notebooks(module):
        english = nbformat.read(notebook.english, as_version=4)
        translated = nbformat.read(notebook.built, as_version=4)
        assert [_grading_view(c) for c in translated.cells] == [
            _grading_view(c) for c in english.cells
        ], f"{notebook.built} differs from {notebook.english} in more than its Markdown"
        meta = {k: v for k, v in translated.metadata.items() if k != "chaintrace"}
        assert meta == dict(english.metadata)
        assert translated.metadata["chaintrace"]["lang"] == lang
        for before, after in zip(english.cells, translated.cells, strict=True):
            if before.cell_type != "markdown":
                continue
            if before.metadata.get("nbgrader", {}).get("solution") and "exercises" in str(
                notebook.english
            ):
                assert after.source == before.source, "a release's answer slot is nbgrader's"
            elif before.source.strip():
                assert after.source != before.source and CYRILLIC.search(after.source), (
                    f"{notebook.built} cell {before.id} is not translated"
                )


@pytest.mark.parametrize(("lang", "module"), EDITIONS)
def test_no_locked_markdown_in_a_translated_assignment(lang, module):
    """nbgrader restores a locked cell from the (English) gradebook when its text differs: a
    translated submission's feedback would then show that cell in English."""
    source = Edition(lang).notebooks(module)[1].english
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        assert not (cell.cell_type == "markdown" and meta.get("locked")), (
            f"{source} cell {cell.id}: a locked Markdown cell would turn English at grading; "
            "leave Markdown unlocked (only code cells need locking)"
        )


def _copy_module(tmp: Path, lang: str, module: dict) -> Edition:
    """A course folder holding only this module's English notebooks and its catalogues."""
    (tmp / "course").mkdir()
    shutil.copy(ROOT / "course" / "modules.toml", tmp / "course" / "modules.toml")
    for notebook in Edition(lang).notebooks(module):
        for path in (notebook.english, notebook.catalogue, notebook.built):
            target = tmp / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return Edition(lang, root=tmp)


@pytest.mark.parametrize(("lang", "module"), EDITIONS)
def test_a_changed_english_cell_or_message_makes_its_translation_stale(lang, module, tmp_path):
    edition = _copy_module(tmp_path, lang, module)
    assert edition.check(module) == []
    lesson, source, _ = edition.notebooks(module)
    nb = nbformat.read(lesson.english, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    first.source += "\n\nA sentence added in English."
    nb.cells.append(nbformat.v4.new_markdown_cell("A new cell.", id="new-cell"))
    nbformat.write(nb, lesson.english)
    nb = nbformat.read(source.english, as_version=4)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    message = max(  # this test's longest message written as one literal: a sentence added
        (  # to a short one ("One number per output, in order.") leaves it no longer "close"
            u.msgid
            for u in units(nb)
            if u.context == MESSAGE_CONTEXT and u.where == test.id and u.msgid in test.source
        ),
        key=len,
    )
    test.source = test.source.replace(message, message + " Read the case file again.")
    nbformat.write(nb, source.english)

    found = {(p.kind, p.where.split(": ")[-1]) for p in edition.check(module)}
    assert ("stale", f"cell {first.id}") in found
    assert ("untranslated", "cell new-cell") in found
    assert any(kind == "untranslated" and where == test.id for kind, where in found)
    assert any(kind == "unbuilt" for kind, _ in found), "the built notebooks no longer match"

    edition.update(module)  # the old translations are kept, marked for revision
    entry = next(e for e in read_po(lesson.catalogue) if e.context == first.id)
    assert entry.fuzzy and entry.msgstr and entry.previous and entry.previous in first.source
    moved = [e for e in read_po(source.catalogue) if e.msgid.endswith("Read the case file again.")]
    assert moved and moved[0].fuzzy and moved[0].msgstr, "a close message keeps its translation"
    edition.build(module)  # and until revised, the stale cell shows the English
    built = nbformat.read(lesson.built, as_version=4)
    assert next(c for c in built.cells if c.id == first.id).source == first.source


# ----------------------------------------------------------------------------- messages


def _toolkit_literals() -> set[str]:
    """The literal text of every string and f-string part in the toolkit's code."""
    found = set()
    for path in Path(chaintrace.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_toolkit_catalogues_hold_only_messages_the_code_makes():
    literals = "\n\x00".join(_toolkit_literals())
    for lang in messages.LANGUAGES[1:]:
        for entry in read_po(messages.LOCALE / f"{lang}.po"):
            for piece in FIELD.split(entry.msgid):
                assert piece in literals, (
                    f"locale/{lang}.po: {entry.msgid[:70]!r} is not a message the toolkit makes "
                    f"any more ({piece[:40]!r} is in no string of its code): update or remove it"
                )


def test_every_message_the_toolkit_raises_is_translated():
    """A trainee who chose a language meets the toolkit's errors in it: an error message added
    to the code without a catalogue entry fails here (`python -m chaintrace.course.translation
    toolkit uk` lists them)."""
    raised = {text: where for where, text in toolkit_messages()}
    for lang in messages.LANGUAGES[1:]:
        translated = {
            e.msgid for e in read_po(messages.LOCALE / f"{lang}.po") if e.msgstr and not e.fuzzy
        }
        missing = [
            f"{where}: {text[:70]!r}" for text, where in raised.items() if text not in translated
        ]
        assert not missing, (
            f"{len(missing)} messages the toolkit raises have no translation in locale/{lang}.po "
            "(add an entry whose msgid is the message as its f-string writes it):\n"
            + "\n".join(missing[:15])
        )


def test_translations_keep_every_field():
    for lang in messages.LANGUAGES[1:]:
        for path in catalogues(lang):
            for entry in read_po(path):
                if "python-format" in entry.flags and entry.msgstr:
                    assert set(FIELD.findall(entry.msgstr)) == set(FIELD.findall(entry.msgid)), (
                        f"{path.name}: {entry.msgid[:60]!r}"
                    )


def test_errors_are_shown_in_the_chosen_language(monkeypatch):
    def message(text):
        with pytest.raises(chaintrace.ChaintraceError) as caught:
            chaintrace.parse_address(text, network="mainnet")
        return str(caught.value)

    lookalike = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".replace("a", "а", 1)  # Cyrillic а
    monkeypatch.setenv("CHAINTRACE_LANG", "uk")
    assert message(lookalike).startswith("Символ 5 — це 'а' (CYRILLIC SMALL LETTER A).")
    testnet = message("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")
    assert "очікувалася адреса мережі mainnet. Тестові монети нічого не варті" in testnet
    with pytest.raises(chaintrace.DatasetError, match="немає справи 'nope'"):
        chaintrace.load_case("nope")
    with pytest.raises(check.NotAnswered, match="`fee_sats` ще не має відповіді"):
        check.answered(..., "fee_sats")
    report = str(chaintrace.check_environment())
    assert "контрольні суми перевірено" in report and report.endswith("Усі перевірки пройдено.")
    with pytest.raises(chaintrace.ChaintraceError, match="Це ім'я ENS, а не адреса"):
        chaintrace.parse_address("vitalik.eth")
    # a message without a translation is shown in English, never lost
    unknown = "A sentence no catalogue holds."
    assert str(chaintrace.DatasetError(unknown)) == unknown
    monkeypatch.setenv("CHAINTRACE_LANG", "en")
    assert message(lookalike).startswith("Character 5 is 'а' (CYRILLIC SMALL LETTER A)")
    monkeypatch.setenv("CHAINTRACE_LANG", "de")  # not offered: English
    assert message(lookalike).startswith("Character 5 is")


def test_kernel_shows_a_failed_visible_test_in_the_chosen_language(monkeypatch):
    shown = []

    class Shell:
        def set_custom_exc(self, types, handler):
            self.types, self.handler = types, handler

        def showtraceback(self, exc_tuple, tb_offset=None):
            shown.append(str(exc_tuple[1]))

    shell = Shell()
    monkeypatch.setattr(check, "get_ipython", lambda: shell, raising=False)
    monkeypatch.setenv("CHAINTRACE_LANG", "en")
    assert not check.translate_test_messages(), "English needs no hook"
    monkeypatch.setenv("CHAINTRACE_LANG", "uk")
    assert check.translate_test_messages() and shell.types == (AssertionError,)
    error = AssertionError("Write the date as YYYY-MM-DD.")
    shell.handler(shell, AssertionError, error, None)
    assert shown == ["Запишіть дату у форматі YYYY-MM-DD (рік-місяць-день)."]


def test_checker_gives_a_verdict_in_the_submissions_language(tmp_path):
    """The same answers, the same verdict; only the words of its message differ."""
    from nbformat.v4 import new_code_cell, new_notebook

    def cell(src, **flags):
        return new_code_cell(src, metadata={"nbgrader": {"grade_id": flags.pop("id"), **flags}})

    nb = new_notebook(
        cells=[
            cell("from chaintrace.check import answered", id="setup", locked=True),
            cell("payment_date = ...", id="a", solution=True),
            cell(
                'answered(payment_date, "payment_date")\n'
                'assert payment_date.count("-") == 2, "Write the date as YYYY-MM-DD."\n'
                'print("✓ Your environment is ready.")',
                id="t",
                grade=True,
                points=1,
            ),
        ]
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    checker = Checker()
    verdicts = {}
    for lang in ("en", "uk"):
        checker.begin(str(path), f"ann-{lang}", lang)
        answers = ('"5.3.2024"', '"2024-03-05"')
        verdicts[lang] = [checker.test("t", {"payment_date": a}) for a in answers]
    assert [v.passed for v in verdicts["en"]] == [v.passed for v in verdicts["uk"]] == [False, True]
    assert verdicts["uk"][0].evalue == "Запишіть дату у форматі YYYY-MM-DD (рік-місяць-день)."
    assert verdicts["en"][0].evalue == "Write the date as YYYY-MM-DD."
    assert verdicts["uk"][1].stdout.strip() == "✓ Ваше середовище готове."
    assert translate("Write the date as YYYY-MM-DD.", "en") == "Write the date as YYYY-MM-DD."


def test_the_language_setting(monkeypatch):
    monkeypatch.setenv("CHAINTRACE_LANG", "uk_UA.UTF-8")
    assert messages.language() == "uk"
    with use("en"):
        assert messages.language() == "en"
    monkeypatch.delenv("CHAINTRACE_LANG")
    assert messages.language() == "en"


# ----------------------------------------------------------------------------- the glossary


def glossary() -> list[tuple[str, str]]:
    """(English, Ukrainian) of every rendering in docs/glossary.md's term tables.

    A term with several senses (an exhibit attached to a report; an exhibit found in a search)
    gives one rendering per sense, separated by " / ", each explained in the note: a text must
    use one of them.
    """
    rows = []
    for line in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0] not in ("English", "---"):
            rows.append((cells[0], cells[1]))
    return rows


def renderings(uk: str) -> list[str]:
    """The Ukrainian renderings of one glossary row, one per sense.

    >>> renderings("додаток / доказ")
    ['додаток', 'доказ']
    """
    return [r.strip() for r in uk.split(" / ")]


def _prose(text: str) -> str:
    """Text without code (fenced blocks, `spans`, names like dataset.transactions or datasets/)."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`|\w+(?:[._/]\w+)+/?|\w+/", " ", text)
    return " ".join(text.split())


def _english(term: str) -> re.Pattern:
    words = [re.escape(w) for w in re.split(r"[\s-]+", term)]
    return re.compile(r"\b" + r"[\s-]+".join(words) + r"(?:s|es)?\b", re.I)


def _ukrainian(term: str) -> re.Pattern:
    """The term in any grammatical case: each word by its stem (at most six letters), in order."""

    def stem(word: str) -> str:
        return word if len(word) <= 2 else word[: 3 if len(word) <= 5 else min(6, len(word) - 3)]

    words = [re.escape(stem(w)) + r"\w*" for w in re.split(r"[\s-]+", term)]
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(words), re.I)


def test_glossary_has_the_terms_the_issue_names():
    ukrainian = {r for _, uk in glossary() for r in renderings(uk)}
    for term in (
        "арешт майна",
        "тимчасовий доступ до речей і документів",
        "спеціальна конфіскація",
        "віртуальний актив",
    ):
        assert term in ukrainian


def test_each_glossary_term_is_rendered_the_same_way_everywhere():
    terms = [
        (_english(en), [_ukrainian(r) for r in renderings(uk)], en, uk) for en, uk in glossary()
    ]
    wrong = []
    for lang in messages.LANGUAGES[1:]:
        for path in catalogues(lang):
            for entry in read_po(path):
                if not entry.msgstr or entry.fuzzy:
                    continue
                english, translated = _prose(entry.msgid), _prose(entry.msgstr)
                for in_english, in_ukrainian, en, uk in terms:
                    # an English title quoted as published counts as itself
                    if in_english.search(english) and not (
                        any(r.search(translated) for r in in_ukrainian)
                        or in_english.search(translated)
                    ):
                        wrong.append(f"{path.name} {entry.context or ''}: {en!r} is not {uk!r}")
    assert not wrong, "glossary terms rendered otherwise:\n" + "\n".join(wrong)


# ----------------------------------------------------------------------------- choosing it


def test_run_py_opens_the_chosen_language_and_remembers_it(tmp_path, capsys):
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("quick_start", ROOT / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    env = SimpleNamespace(root=tmp_path)
    assert run.choose_language([], env) == ("en", [])
    assert run.choose_language(["--lang", "uk", "--port", "8890"], env) == (
        "uk",
        ["--port", "8890"],
    )
    assert run.choose_language(["--no-browser"], env) == ("uk", ["--no-browser"]), "remembered"
    assert run.first_lesson("uk") == "uk/course/00-setup-and-orientation.ipynb"
    assert (ROOT / run.first_lesson("uk")).exists()
    assert run.choose_language(["--lang=en"], env)[0] == "en"
    assert run.choose_language([], env)[0] == "en"
    with pytest.raises(SystemExit):
        run.choose_language(["--lang", "de"], env)
    assert "choose one of: en (English), uk (українська)" in capsys.readouterr().err


def test_the_ukrainian_readme_gives_the_readmes_commands():
    """README.uk.md's quick start is README.md's, with the course opened in Ukrainian; the
    folders it points to exist, and README.md links to it."""
    from test_repository import quick_start_commands

    readme = (ROOT / "README.uk.md").read_text(encoding="utf-8")
    section = readme.split("## Швидкий старт", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split("#")[0].strip()
        for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)
        for line in block.splitlines()
        if line.strip()
    ]
    course, *rest = quick_start_commands()
    assert commands == [f"{course} --lang uk", *rest]
    for folder in re.findall(r"`((?:uk|docs|datasets)/[\w./-]*)`", readme):
        assert (ROOT / folder).exists(), f"README.uk.md names {folder}, which does not exist"
    assert "(README.uk.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_fetched_english_assignment_converts_to_the_translated_release(tmp_path):
    """A trainee in a mixed class fetches the English release (the exchange holds one) and
    converts it: the translated release, their answers kept as they wrote them."""
    for lang, module in [p.values for p in EDITIONS]:
        edition = Edition(lang)
        _, source, release = edition.notebooks(module)
        fetched = tmp_path / lang / module["number"] / release.english.name
        fetched.parent.mkdir(parents=True)
        nb = nbformat.read(release.english, as_version=4)
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
        answer.source = "my_answer = 42"
        nbformat.write(nb, fetched)
        assert edition.convert(fetched) == fetched
        converted = nbformat.read(fetched, as_version=4)
        expected = nbformat.read(release.built, as_version=4)
        for mine, theirs in zip(converted.cells, expected.cells, strict=True):
            assert mine.source == ("my_answer = 42" if mine.id == answer.id else theirs.source)
        assert converted.metadata["chaintrace"]["lang"] == lang
    with pytest.raises(ValueError, match="not a lesson or assignment"):
        edition.convert(tmp_path / "renamed.ipynb")


def test_a_grading_sandbox_prints_in_the_submissions_language(tmp_path, monkeypatch):
    """The sandboxed kernel sees no course folder: the grader hands it the translations of what
    notebooks print through translate(...) outside their tests, and nothing a test says."""
    from chaintrace.course.translation import shown_messages
    from chaintrace.grader.sandbox import printed_translations

    entries = printed_translations("uk")
    tests_say = set()
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
                tests_say.update(text for text, _ in shown_messages(cell.source))
    assert entries, "the notebooks print translated sentences"
    assert not {e.msgid for e in entries} & tests_say, "a test's message would reach the kernel"
    released = [e.msgid for e in entries]
    # the line after an answer prints the trainee's own values: in their language in feedback
    assert any("the deposit was worth" in msgid for msgid in released)
    plain = next(e for e in entries if "{" not in e.msgid)
    messages.write_po(tmp_path / "po" / "uk.po", entries)
    monkeypatch.setattr(messages, "COURSE_ROOT", tmp_path / "no-course-here")
    monkeypatch.setenv("CHAINTRACE_CACHE", str(tmp_path))
    assert translate(plain.msgid, "uk") == plain.msgstr
    monkeypatch.delenv("CHAINTRACE_CACHE")
    assert translate(plain.msgid, "uk") == plain.msgid, "without the cache: English"


# ----------------------------------------------------------------------------- the guides

GUIDES = [("INSTRUCTORS.md", "INSTRUCTORS.uk.md")]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _commands(text: str) -> list[str]:
    """Every command line of the ```bash blocks, in order, without its trailing comment."""
    return [
        re.sub(r"\s+#.*$", "", line).strip()
        for lang, block in FENCE.findall(text)
        if lang == "bash"
        for line in block.splitlines()
        if line.strip()
    ]


def _headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every heading outside fenced blocks."""
    return [
        (len(hashes), title)
        for hashes, title in re.findall(r"^(#+) (.*)$", FENCE.sub("", text), flags=re.M)
    ]


def _sections(text: str) -> list[str]:
    """The text under each ## and ### heading (the first item: what comes before the first)."""
    return re.split(r"^#{2,3} .*$", FENCE.sub("", text), flags=re.M)


def _code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", FENCE.sub(" ", text)))


@pytest.mark.parametrize(("english", "translated"), GUIDES)
def test_translated_guide_has_the_english_commands_and_sections(english, translated):
    """A translated guide cannot silently fall behind: its commands are the English guide's, in
    the same order, its code blocks run the same code, it has a section for each of the
    English's, and it names every command, file and setting the English names in its text."""
    en = (ROOT / english).read_text(encoding="utf-8")
    tr = (ROOT / translated).read_text(encoding="utf-8")
    assert _commands(en), f"{english} has no ```bash block any more"
    assert _commands(tr) == _commands(en), (
        f"{translated}'s commands differ from {english}'s (same commands, same order; only the "
        "comments after # are translated)"
    )
    python = [block for lang, block in FENCE.findall(en) if lang != "bash"]
    assert python == [block for lang, block in FENCE.findall(tr) if lang != "bash"], (
        f"{translated}'s other code blocks differ from {english}'s"
    )
    levels = [level for level, _ in _headings(en)]
    assert [level for level, _ in _headings(tr)] == levels, (
        f"{translated} needs one heading for each of {english}'s, at the same level and in the "
        f"same order: {[title for _, title in _headings(en)]}"
    )
    missing = _code_spans(en) - _code_spans(tr)
    assert not missing, f"{translated} does not say what {english} says about: {sorted(missing)}"
    for span in _code_spans(tr) - _code_spans(en):
        assert span in en or (ROOT / span).exists(), f"{translated} names `{span}`, {english} not"
    assert f"({translated})" in en, f"{english} links to its translation in one line at the top"


@pytest.mark.parametrize(("english", "translated"), GUIDES)
def test_translated_guide_uses_the_glossary(english, translated):
    """Section by section: where the English section names a glossary term, its translation uses
    the glossary's rendering (in any grammatical case) or keeps the English term as a name."""
    en = (ROOT / english).read_text(encoding="utf-8")
    tr = (ROOT / translated).read_text(encoding="utf-8")
    titles = ["(top)"] + [title for level, title in _headings(tr) if level > 1]
    wrong = []
    for title, english_text, translated_text in zip(
        titles, _sections(en), _sections(tr), strict=True
    ):
        english_text, translated_text = _prose(english_text), _prose(translated_text)
        for en_term, uk in glossary():
            in_english = _english(en_term)
            if in_english.search(english_text) and not (
                any(_ukrainian(r).search(translated_text) for r in renderings(uk))
                or in_english.search(translated_text)
            ):
                wrong.append(f"{translated}, section {title!r}: {en_term!r} is not {uk!r}")
    assert not wrong, "glossary terms rendered otherwise:\n" + "\n".join(wrong)


def test_the_ukrainian_readme_links_the_ukrainian_guide():
    readme = (ROOT / "README.uk.md").read_text(encoding="utf-8")
    assert "(INSTRUCTORS.uk.md)" in readme


DATASHEET_SECTIONS = (  # the reader-facing parts of datasets/README.md that README.uk.md gives
    "Purpose",
    "Files",
    "The account chains",
    "Ground truth",
    "Cases",
    "OSINT corpus",
    "Known limits",
    "Licence",
)


def test_translated_datasheet_describes_the_files_and_uses_the_glossary():
    """datasets/README.uk.md names every file and folder a trainee opens, names nothing the
    English datasheet does not, leaves the generated statistics to it, and renders in Ukrainian
    each glossary term the English reader-facing sections use (an English term beside it on
    first use does not count)."""
    english = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    translated = (ROOT / "datasets" / "README.uk.md").read_text(encoding="utf-8")
    assert "(README.uk.md)" in english.split("\n## ", 1)[0], "one line at the top links it"
    course = ROOT / "datasets" / "course"
    opened = [*course.iterdir(), *(course / "account").iterdir()]
    missing = [p.relative_to(course).as_posix() for p in opened if p.name not in translated]
    assert not missing, f"datasets/README.uk.md does not describe {missing}"
    for span in _code_spans(translated) - _code_spans(english):
        assert span in english or (ROOT / span).exists(), f"README.uk.md names `{span}`"
    assert "stats:begin" not in translated and "python -m chaintrace.course.datasheet" in translated
    parts = re.split(r"^#{2,3} (.*)$", english, flags=re.M)
    sections = {
        title.split(" (")[0]: text for title, text in zip(parts[1::2], parts[2::2], strict=True)
    }
    assert set(DATASHEET_SECTIONS) <= set(sections), "a reader-facing section was renamed"
    reader_facing = " ".join(sections[title] for title in DATASHEET_SECTIONS)
    english_prose, translated_prose = _prose(reader_facing), _prose(translated)
    wrong = [
        f"{en_term!r} is not {uk!r}"
        for en_term, uk in glossary()
        if _english(en_term).search(english_prose)
        and not any(_ukrainian(r).search(translated_prose) for r in renderings(uk))
    ]
    assert not wrong, "datasets/README.uk.md renders glossary terms otherwise:\n" + "\n".join(wrong)
