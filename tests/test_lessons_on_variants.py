"""Lessons and released assignments hold on every cohort variant, in their code and in their prose.

Every class can work on its own variant of each case (``chaintrace cohort new``): new amounts,
new counts, new addresses, other entities in some roles. So every lesson and every release runs
top to bottom on a fresh variant (a release stopping only at its unanswered questions), and no
Markdown cell may state a value of the bundled case that a variant changes: "the affiliate moved
2.25 BTC" is false for a class on a variant. Such a value is printed by a code cell from the data,
or the sentence is worded to hold on any variant.

The values looked for are those of the bundled case files (``datasets/course/cases/``,
``groundtruth/course/cases/``) that differ on at least one of two fresh variants: identifiers,
dates, amounts (satoshis also as BTC, token base units as tokens), counts, and entity names (a
name is looked for only if every role it plays in the bundled cases goes to another entity on a
variant: an entity with a fixed role, named in a brief or the same on every variant, may be
named). A number in the text matches a value when the value, rounded to the number's decimals, is
that number: "241.8 BTC" matches 24,181,840,016 sat. Numbers of fewer than three significant
digits ("6 hops") are not checked: too many ordinary numbers look like them.

Runtime (measured 2026-12-05 on a shared 2-core machine): the two variants take about 15 s to
make (once per test worker); each notebook runs once, on one of them (a lesson and its release on
different ones), 2-4 s each; the whole file took 87 s on one worker.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import nbformat
import pytest
from conftest import MODULES, ROOT, VARIANT_SEEDS, shared_variant
from nbclient import NotebookClient
from nbgrading import notebook_path

SEEDS = VARIANT_SEEDS[:2]  # the first two of test_cohorts.py's, made once for both files
BUNDLED = ROOT / "datasets"
# Fields that name the case or a kind of thing, not something the data decided.
NOT_VALUES = {"case_id", "dataset", "module", "typology", "asset", "chain", "title", "brief", "end"}
IDENTIFIER_LENGTH = 26  # addresses, txids, hashes: no word is this long
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:[,\u202f\u00a0]\d{3})+|\d+)(?:\.\d+)?(?!\w)")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNANSWERED = {"NotImplementedError", "NotAnswered"}


@dataclass(frozen=True)
class CaseValue:
    where: str  # "ransom-01: deposit_sats"
    kind: str  # identifier, name, date, number
    value: object  # text, or a Decimal in the unit a reader sees

    def __str__(self) -> str:
        return f"{self.value} ({self.where})"


@pytest.fixture(scope="session")
def variants(tmp_path_factory):
    return [shared_variant(tmp_path_factory, seed) for seed in SEEDS]


def case_files(datasets_root, groundtruth_root) -> dict[str, dict]:
    """{"<case>.json of datasets" or "<case>.json of groundtruth": the file's content}."""
    files = {}
    for side, root in (("datasets", datasets_root), ("groundtruth", groundtruth_root)):
        for path in sorted((root / "course" / "cases").glob("*.json")):
            files[f"{path.stem} {side}"] = json.loads(path.read_text(encoding="utf-8"))
    return files


def leaves(value, path=""):
    """{dotted path: value} for every scalar of a case file."""
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found |= leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found |= leaves(item, f"{path}[{index}]")
    else:
        found[path] = value
    return found


def readable_numbers(field: str, value, decimals: int) -> list[Decimal]:
    """The forms in which a reader meets a numeric case value (satoshis also as BTC)."""
    number = Decimal(str(value))
    if field.endswith("sats"):
        return [number, number / 10**8]
    if field.endswith("base_units"):
        return [number / 10**decimals]
    if field.endswith("wei"):
        return [number / 10**18]
    return [number]


def values_of(case_id: str, path: str, value, decimals: int) -> list[CaseValue]:
    field = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
    where = f"{case_id}: {path}"
    if field in NOT_VALUES or value is None or isinstance(value, bool):
        return []
    if isinstance(value, str) and len(value) >= IDENTIFIER_LENGTH:
        return [CaseValue(where, "identifier", value)]
    if isinstance(value, str) and ISO_DATE.match(value):
        return [CaseValue(where, "date", value)]
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return [CaseValue(where, "number", n) for n in readable_numbers(field, value, decimals)]
    if isinstance(value, str):
        named = re.search(r"[A-Z0-9]", value) and len(value) >= 4
        return [CaseValue(where, "name", value)] if named else []
    if "time" in field and isinstance(value, int):
        return [CaseValue(where, "date", datetime.fromtimestamp(value, UTC).date().isoformat())]
    return [CaseValue(where, "number", n) for n in readable_numbers(field, value, decimals)]


def case_specific_values(
    bundled: dict[str, dict], others: list[dict[str, dict]]
) -> list[CaseValue]:
    """The values of the bundled case files that another variant changes.

    A name counts only if no role of it survives: on every variant, at every place the bundled
    files name it, another value stands, and no brief or title mentions it.
    """
    narrative = " ".join(
        str(case.get(key, "")) for case in bundled.values() for key in ("brief", "title")
    )
    flat_others = [{key: leaves(case) for key, case in other.items()} for other in others]
    changed, kept_names = [], set()
    for key, case in bundled.items():
        case_id = key.split()[0]
        decimals = int(case.get("decimals", 6))
        for path, value in leaves(case).items():
            same = all(other.get(key, {}).get(path) == value for other in flat_others)
            found = values_of(case_id, path, value, decimals)
            if same:
                kept_names |= {v.value for v in found if v.kind == "name"}
            else:
                changed += found
    return [
        v
        for v in changed
        if not (v.kind == "name" and (v.value in kept_names or v.value in narrative))
        and not (v.kind == "number" and str(v.value) in narrative)
    ]


def significant_digits(token: str) -> int:
    return len(token.replace(".", "").lstrip("0"))


def date_forms(iso: str) -> list[str]:
    day = datetime.strptime(iso, "%Y-%m-%d")
    return [
        iso,
        f"{day.day} {day:%B %Y}",
        f"{day.day} {day:%b %Y}",
        f"{day:%B} {day.day}, {day.year}",
    ]


def found_in(text: str, values: list[CaseValue]) -> list[CaseValue]:
    """The values a piece of prose states."""
    numbers = []
    for match in NUMBER.finditer(text):
        token = re.sub(r"[,\u202f\u00a0]", "", match.group())
        if re.fullmatch(r"(19|20)\d\d", token):
            continue  # a year (of a law, a paper, a case), never an amount rounded to a year
        if significant_digits(token) >= 3:
            numbers.append(Decimal(token))
    hits = []
    for value in values:
        if value.kind == "identifier":
            hit = value.value.lower() in text.lower()
        elif value.kind == "name":
            hit = re.search(rf"(?<!\w){re.escape(value.value)}(?!\w)", text) is not None
        elif value.kind == "date":
            hit = any(form in text for form in date_forms(value.value))
        else:
            hit = any(
                value.value.quantize(Decimal(1).scaleb(n.as_tuple().exponent)) == n for n in numbers
            )
        if hit:
            hits.append(value)
    return hits


@pytest.fixture(scope="session")
def bundled_values(variants) -> list[CaseValue]:
    bundled = case_files(BUNDLED, ROOT / "groundtruth")
    others = [case_files(v.datasets_root, v.groundtruth_root) for v in variants]
    return case_specific_values(bundled, others)


def trainee_notebooks():
    """(path, which variant runs it): lessons and releases alternate between the two.

    Ids carry the assignment's name, so that the test workers share the notebooks out by module
    (conftest.work_unit).
    """
    for index, module in enumerate(MODULES):
        lesson = ROOT / "course" / module["lesson"]
        release = notebook_path(ROOT / "exercises" / module["assignment"])
        yield pytest.param(lesson, index % 2, id=f"{module['assignment']}-lesson")
        yield pytest.param(release, 1 - index % 2, id=f"{module['assignment']}-release")


def test_the_values_looked_for_are_those_a_variant_changes(bundled_values):
    kinds = {value.kind for value in bundled_values}
    assert kinds == {"identifier", "name", "date", "number"}, kinds
    where = {value.where for value in bundled_values}
    assert "ransom-01: deposit_sats" in where and "ransom-01: reported.amount_btc" in where
    named = {value.value for value in bundled_values if value.kind == "name"}
    assert "NightCrane" not in named, "what every variant's brief says is not case-specific"


def test_a_sentence_true_only_on_the_bundled_case_is_caught(bundled_values):
    case = json.loads((BUNDLED / "course" / "cases" / "ransom-01.json").read_text("utf-8"))
    reported = case["reported"]
    sentence = (
        f"On {reported['date']} the company paid {reported['amount_btc']:.2f} BTC to "
        f"{reported['ransom_address']}; the lesson shows 0.1 + 0.2 and 100,000,000 sat per BTC."
    )
    kinds = {value.kind for value in found_in(sentence, bundled_values)}
    assert kinds == {"date", "number", "identifier"}
    assert not found_in("0.1 + 0.2 is not 0.3; one bitcoin is 100,000,000 sat", bundled_values)


@pytest.mark.parametrize(("path", "variant"), trainee_notebooks())
def test_prose_states_no_value_of_the_bundled_case(path, variant, bundled_values):
    nb = nbformat.read(path, as_version=4)
    stated = [
        f"cell {cell.get('id')}: {value}"
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for value in found_in(cell.source, bundled_values)
    ]
    assert not stated, (
        f"{path.relative_to(ROOT)} states values that only the bundled case makes true (false on a "
        "cohort variant): print them from the data in a code cell, or word the sentence so it holds "
        "on any variant:\n  " + "\n  ".join(stated)
    )


@pytest.mark.parametrize(("path", "variant"), trainee_notebooks())
def test_runs_top_to_bottom_on_a_fresh_variant(path, variant, variants, monkeypatch):
    """A lesson runs without error; a release stops only at its unanswered questions."""
    monkeypatch.setenv("CHAINTRACE_VARIANT", str(variants[variant].path))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        f"cell {cell.get('id')}: {output['ename']}: {output['evalue']}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
        and not (path.is_relative_to(ROOT / "exercises") and output["ename"] in UNANSWERED)
    ]
    assert not errors, (
        f"{path.relative_to(ROOT)} fails on cohort variant {variants[variant].name}:\n  "
        + "\n  ".join(errors)
    )
