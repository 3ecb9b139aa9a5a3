"""A trainee who chose Ukrainian reads every case's title and brief in Ukrainian.

The case files hold English (the generator writes them from the templates of
``chaintrace.sim.briefs``); ``Case.title`` and ``Case.brief`` show them in the reader's language
through the toolkit's catalogue, names (companies, groups, vendors) as the file has them. The data
itself never changes: ``to_dict()`` and ``written_brief`` are the file's text in any language.
"""

import json
import re

import chaintrace as ct
import pytest
from chaintrace import messages, paths
from chaintrace.messages import read_po, use
from chaintrace.model import AddressSummary
from chaintrace.sim import briefs
from chaintrace.sim.case_capstone import TYPOLOGIES
from conftest import VARIANT_SEEDS, shared_variant

FIELD = re.compile(r"\{[^{}]+\}")
# Latin-script words a Ukrainian brief may keep: a field the brief names as the file does
KEPT = {"report_time"}


def english_left(text: str) -> list[str]:
    """The English words of ``text``: Latin-script words in lower case (names and tickers are
    capitalised: Tundra Market, NightCrane, USDT; a fragment of an English sentence is not).

    >>> english_left("Hollis Freight Ltd сплатила викуп у USDT (report_time).")
    []
    >>> english_left("Hollis Freight Ltd paid the ransom.")
    ['paid', 'the', 'ransom']
    """
    words = re.findall(r"[A-Za-z][A-Za-z_'-]*", text)
    return [w for w in words if w[0].islower() and w not in KEPT]


def template_of(text: str) -> str:
    """The one template of ``chaintrace.sim.briefs`` that ``text`` was made from."""
    made = [t for t in briefs.templates() if messages._pattern(t)[0].match(text)]
    assert len(made) == 1, f"{text[:60]!r} comes from {len(made)} templates of sim/briefs.py"
    return made[0]


def check_cases(datasets_root):
    """Every case of a dataset: English as written under ``en``, Ukrainian under ``uk``."""
    folder = datasets_root / "course"
    case_ids = ct.load_dataset(folder).case_ids
    assert len(case_ids) >= 19, case_ids  # every case of the course, not a subset
    for case_id in case_ids:
        written = json.loads((folder / "cases" / f"{case_id}.json").read_text(encoding="utf-8"))
        case = ct.load_case(case_id, dataset=folder)
        for key in ("title", "brief"):
            template_of(written[key])  # the generator's text: one source for the catalogue
            with use("en"):
                assert getattr(case, key) == written[key], f"{case_id} {key} changed in English"
            with use("uk"):
                shown = getattr(case, key)
                assert shown != written[key], f"{case_id}: the {key} is shown in English"
                assert not english_left(shown), f"{case_id} {key}: English left in {shown!r}"
                assert re.search("[а-яіїєґ]{4}", shown), f"{case_id} {key}: {shown!r}"
                assert case.to_dict() == written, f"{case_id}: the case file reads otherwise"
        with use("uk"):  # the names (companies, groups, vendors) stay as the file has them
            shown = case.brief
        for name in names_in(written["brief"]):
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", name):  # a date: in the reader's form
                name = ".".join(reversed(name.split("-")))
            assert name in shown or messages.translate(name, "uk") in shown, (
                f"{case_id}: {name!r} is not in the Ukrainian brief"
            )


def names_in(text: str) -> list[str]:
    """What the generator filled into the brief's template: the variant's names and dates."""
    pattern, _ = messages._pattern(template_of(text))
    return list(pattern.match(text).groups())


def test_every_brief_template_has_a_current_translation():
    entries = {e.msgid: e for e in read_po(messages.LOCALE / "uk.po")}
    for template in briefs.templates():
        entry = entries.get(template)
        assert entry is not None and entry.msgstr and not entry.fuzzy, (
            f"locale/uk.po has no translation of the brief template {template[:70]!r}"
        )
        assert set(FIELD.findall(entry.msgstr)) == set(FIELD.findall(template)), template
        if FIELD.search(template):
            assert "python-format" in entry.flags, f"{template[:60]!r}: flag it python-format"
        assert not english_left(FIELD.sub("", entry.msgstr)), entry.msgstr


def test_the_bundled_cases_read_in_ukrainian():
    check_cases(paths.datasets_root())


def test_a_cohort_variants_cases_read_in_ukrainian(tmp_path_factory):
    variant = shared_variant(tmp_path_factory, VARIANT_SEEDS[0])
    check_cases(variant.datasets_root)


@pytest.mark.parametrize("typology", sorted(TYPOLOGIES))
def test_every_capstone_story_reads_in_ukrainian(typology):
    """The capstone's story is drawn per variant: each one, with its own English words
    (``a retired engineer``, ``a food wholesaler``) translated too."""
    for victim, sector, suspect in TYPOLOGIES[typology]:
        english = briefs.CAPSTONE_BRIEF[typology].format(
            victim=victim.removesuffix(" (victim)"), sector=sector, suspect=suspect
        )
        shown = messages.translate(english, "uk")
        assert not english_left(shown), shown
        assert suspect in shown


def test_a_notebook_shows_the_case_in_the_readers_language():
    case = ct.load_case("ransom-01")
    with use("uk"):
        page = case._repr_markdown_()
    assert page.startswith("### Викуп сплатила транспортна компанія\n")
    assert "*Справа ransom-01 · ransomware · модуль 03 · набір даних course*" in page
    assert "Hollis Freight Ltd, логістична компанія" in page and "| повідомлено |" in page
    assert f"| payment_txid | `{case.payment_txid}` |" in page  # values as reported
    with use("en"):
        assert case._repr_markdown_().startswith("### Ransom paid by a freight company\n")
    assert repr(case).startswith("Case('ransom-01', 'Ransom paid by a freight company'")


def test_an_address_summary_prints_in_the_readers_language():
    summary = AddressSummary("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 2, 2, 30_000, 1, 10_000, 20_000)
    with use("uk"):
        shown = str(summary)
    assert shown == (
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT: транзакцій — 2; отримано 0,00030000 BTC у 2 виходах, "
        "витрачено 0,00010000 BTC у 1, баланс 0,00020000 BTC"
    )
    with use("en"):
        assert str(summary).endswith("spent 0.00010000 BTC in 1, balance 0.00020000 BTC")


def test_a_draft_request_cites_the_case_file_as_written():
    """The request to an exchange is written in English: its reference is the file's title,
    not the reader's translation of it."""
    case = ct.load_case("ransom-01")
    trace = ct.trace_forward(case.payment_txid, hops=2)
    to = trace.hops["to_address"].iat[0]
    with use("uk"):
        text = ct.draft_request(trace, exchange="Example Exchange", deposits=[to], case=case)
    assert "**Our reference:** ransom-01: Ransom paid by a freight company" in text


def test_a_briefs_dates_are_written_as_the_reader_writes_them():
    """The file says ``2024-03-08`` (ISO); a Ukrainian reader sees ``08.03.2024``; the data and
    the English brief are unchanged."""
    written = briefs.EVASION_BRIEF.format(exchange="Sobolex", designated="2024-03-08")
    case = ct.Case.from_dict({"case_id": "evasion-09", "title": "t", "brief": written})
    with use("en"):
        assert case.brief == written
    with use("uk"):
        shown = case.brief
    assert "08.03.2024" in shown and "2024-03-08" not in shown
    assert case.written_brief == written and case.to_dict()["brief"] == written
