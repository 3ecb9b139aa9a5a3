"""Numbers a trainee reads, in the reader's language: bitcoins (`ct.btc`), the visible answer
checks' verdicts, a trace's summary, and every number in a notebook's translated sentences.

English prints what it always printed; Ukrainian writes a decimal comma and its own words. What
is hashed (an exhibit file) stays English whoever exports it.
"""

import ast
import json
import re
import tomllib
from pathlib import Path

import chaintrace as ct
import pytest
from chaintrace.check import AnswerChecks, AnswerKey
from chaintrace.course.translation import _template
from chaintrace.messages import translate, use

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


def test_bitcoins_take_the_readers_decimal_mark_and_stay_exact():
    with use("en"):
        assert ct.btc(123_456_789_012) == "1234.56789012 BTC"
        assert ct.btc(-5_000, unit=False) == "-0.00005000"
    with use("uk"):
        assert ct.btc(123_456_789_012) == "1234,56789012 BTC"
        assert ct.btc(-5_000, unit=False) == "-0,00005000"
        assert ct.btc(1) == "0,00000001 BTC"  # exact: no float rounding on the way


@pytest.fixture
def confirm():
    key = AnswerKey.build("fp", {"99-demo": {"hours": "1.50"}})
    return AnswerChecks("99-demo", key, fingerprint="fp")


def test_answer_checks_speak_the_trainees_language(confirm, capsys):
    """In a kernel opened in Ukrainian the verdicts print in Ukrainian; the grader translates a
    test's printed output through the same catalogue entries."""
    with use("uk"):
        confirm("hours", 1.5)
        AnswerChecks("99-demo", confirm.key, fingerprint="a cohort's")("hours", 2.0)
        with pytest.raises(AssertionError) as wrong:
            confirm("hours", 2.0)
    said = capsys.readouterr().out
    assert said.splitlines()[0] == "✓ Відповідь `hours` правильна."
    assert "дані вашої групи" in said and "cohort" not in said
    assert translate(str(wrong.value), "uk").startswith("Відповідь `hours` неправильна")
    # the grader's checker translates what an English-run test printed, line by line
    assert translate("✓ `fee_sats` is correct.", "uk") == "✓ Відповідь `fee_sats` правильна."
    with use("en"):
        confirm("hours", 1.5)
    assert capsys.readouterr().out == "✓ `hours` is correct.\n"


@pytest.fixture(scope="module")
def trace():
    return ct.trace_forward(ct.load_case("ransom-01").payment_txid, hops=4, min_sats=1000)


def test_a_trace_summary_is_written_in_the_readers_language(trace):
    english, ukrainian = trace.summary("en"), trace.summary("uk")
    assert english.startswith("Forward trace from transaction ")
    assert "ignoring outputs under 1,000 sats" in english and " BTC" in english
    assert ukrainian.startswith("Відстеження вперед від транзакції ")
    assert f"1{NBSP}000 сатоші" in ukrainian
    amounts = re.findall(r"(\d+[.,]\d{8}) BTC", ukrainian)
    assert amounts and all("," in a for a in amounts)
    for words in ("trace", "outputs", "Links", "Unspent", "Reached", "moving", "certain"):
        assert words not in ukrainian, words
    with use("uk"):
        assert trace.summary() == ukrainian  # default: the reader's language


def test_an_exhibit_stays_english_when_exported_in_a_ukrainian_session(trace, tmp_path):
    english = ct.export_exhibit(trace, tmp_path / "en", formats=("md",))
    with use("uk"):
        ukrainian = ct.export_exhibit(trace, tmp_path / "uk", formats=("md",))
    assert english["md"].read_bytes() == ukrainian["md"].read_bytes()


def _translated_fields(source: str):
    """The ``{field:spec}`` of every f-string a code cell wraps in ``translate(...)``."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "translate"
        ):
            if node.args and isinstance(node.args[0], ast.JoinedStr):
                yield from re.findall(r"\{[^{}]+\}", _template(node.args[0])[0])


def test_translated_sentences_leave_numbers_to_the_toolkit():
    """A number formatted by the f-string (``{x:,.2f}``, ``{share:.1%}``) would print English
    digits in a Ukrainian sentence: a translated sentence calls ``ct.number_text`` instead."""
    modules = tomllib.loads((ROOT / "course" / "modules.toml").read_text())["module"]
    notebooks = []
    for module in modules:
        if "uk" in module.get("languages", ["en"]):
            notebooks.append(ROOT / "course" / module["lesson"])
            notebooks += sorted((ROOT / "solutions" / module["assignment"]).glob("*.ipynb"))
    english_numbers = re.compile(r":[<>^]?\d*,?(\.\d+)?[f%]?\}$")
    found = []
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "\n".join(
                line
                for line in "".join(cell["source"]).splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            for field in _translated_fields(source):
                spec = field.rsplit(":", 1)[-1] if ":" in field else ""
                if english_numbers.search(field) and any(c in spec for c in ",.%"):
                    found.append(f"{path.name} {cell['id']}: {field}")
    assert not found, "format these with ct.number_text:\n" + "\n".join(found)


def test_every_sentence_the_toolkit_translates_has_a_ukrainian_entry():
    """A sentence the toolkit prints through ``translate(...)`` (a verdict, a summary) is not an
    error, so the raised-message test does not see it: without an entry it would print English."""
    from chaintrace.messages import LOCALE, read_po

    done = {e.msgid for e in read_po(LOCALE / "uk.po") if e.msgstr and not e.fuzzy}
    package = Path(ct.__file__).parent
    missing = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "id", getattr(name, "attr", ""))
            if isinstance(node, ast.Call) and name == "translate" and node.args:
                text = _template(node.args[0])
                if text and text[0].strip() and text[0] not in done:
                    missing.append(f"{path.relative_to(package)}:{node.lineno}: {text[0][:70]!r}")
    assert not missing, "add these to locale/uk.po:\n" + "\n".join(missing)
