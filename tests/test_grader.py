"""The grader's parts on their own: answers as data, the plan of each notebook, the checker.

The whole pipeline, hostile submissions included, is graded for real in ``test_sandbox.py`` and
``test_grading_cycle.py``; these tests pin the rules those rely on.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from chaintrace import open_chain
from chaintrace.grader.answers import AnswerError, call_back, decode, encode, encode_name
from chaintrace.grader.checker import Checker
from chaintrace.grader.checks import listing, refusal, remove_created
from chaintrace.grader.plan import Plan, read_names
from conftest import ASSIGNMENTS, ROOT
from nbformat.v4 import new_code_cell, new_notebook

# -- answers ---------------------------------------------------------------------------------

ROUND_TRIPS = [
    0,
    -(10**30),
    0.1,
    float("nan"),
    "bc1q…",
    None,
    True,
    [1, [2, (3, 4)]],
    {("a", 1): {"b"}},
    frozenset({1, 2}),
    np.int64(7),
    np.float64(0.5),
    dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
    dt.date(2026, 1, 2),
    dt.timedelta(hours=5),
    pd.Timestamp("2026-01-02T03:04:05Z"),
    Decimal("0.95"),
    np.array([1, 2, 3], dtype=np.int32),
    ...,
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=[type(v).__name__ for v in ROUND_TRIPS])
def test_plain_values_survive_the_trip_with_their_type(value):
    back = decode(encode(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and (back == value).all()
    elif value == value:  # NaN is not equal to itself
        assert back == value


def test_tables_survive_with_index_columns_and_types():
    frame = pd.DataFrame(
        {
            "inputs": [3, 1],
            "share": [0.5, 1.0],
            "when": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True),
        },
        index=pd.Index(["darknet-01", "theft-01"], name="case"),
    )
    back = decode(encode(frame))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["inputs"].dtype == np.int64 and back.index.name == "case"
    series = pd.Series([1.5, 2.5], index=["a", "b"], name="btc")
    pd.testing.assert_series_equal(decode(encode(series)), series)


def test_toolkit_records_are_rebuilt_field_by_field():
    tx = open_chain("course").tx(_a_txid())
    back = decode(encode(tx))
    assert back == tx and type(back) is type(tx) and back.outputs[0].value == tx.outputs[0].value


def _a_txid():
    from chaintrace import load_case

    return load_case("ransom-01").payment_txid


class Sneaky(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class AlwaysEqual:
    def __eq__(self, other):
        return True


def test_tricks_do_not_survive_the_trip():
    assert type(decode(encode(Sneaky("x")))) is str and decode(encode(Sneaky("x"))) != "y"
    with pytest.raises(AnswerError, match="AlwaysEqual cannot be graded as data"):
        decode(encode(AlwaysEqual()))


@pytest.mark.parametrize(
    "forged",
    [
        '{"$":"record","type":"builtins:object","f":{}}',
        '{"$":"record","type":"os:system","f":{}}',
        '{"$":"record","type":"chaintrace.model:Transaction","f":{"txid":"x"}}',
        '{"$":"np","dtype":"object","v":1}',
        '{"$":"nonsense"}',
        '{"no tag": 1}',
        "[" * 100_000 + "]" * 100_000,
        "not json",
        '"' + "x" * 5_000_000 + '"',
    ],
    ids=[
        "object",
        "os.system",
        "missing-fields",
        "object-dtype",
        "unknown-tag",
        "untagged",
        "deep",
        "text",
        "huge",
    ],
)
def test_forged_answers_are_refused_with_a_clear_message(forged):
    with pytest.raises(AnswerError):
        decode(forged)


def test_a_missing_name_is_a_name_error_and_a_function_a_callback():
    assert json.loads(encode_name({}, "x")) == {"$": "missing", "name": "x"}
    with pytest.raises(NameError, match="'x' is not defined"):
        decode(encode_name({}, "x"))

    def triple(value):
        return 3 * value

    calls = []
    back = decode(
        encode_name({"triple": triple}, "triple"), lambda name: calls.append(name) or name
    )
    assert back == "triple" and calls == ["triple"]
    reply = decode(call_back({"triple": triple}, "triple", "[" + encode([[7], {}]) + "]"))
    assert reply == {"results": ["21"], "error": None}


# -- the plan of every assignment --------------------------------------------------------------


def source(assignment):
    return nbformat.read(next((ROOT / "solutions" / assignment).glob("*.ipynb")), as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_test_reads_only_what_the_trainees_code_defines(assignment):
    nb = source(assignment)
    plan = Plan.of(nb)
    written = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            written |= read_names(cell.source)[1]
    assert plan.tests, "an assignment has graded tests"
    for test in plan.tests:
        extra = set(test.answers) - written
        assert not extra, (
            f"{test.grade_id} reads {sorted(extra)}, which neither the setup cells nor the trainee's "
            "answer cells define: the checker could not know them"
        )


# -- the checker ---------------------------------------------------------------------------------


def cell(src, **flags):
    return new_code_cell(src, metadata={"nbgrader": {"grade_id": flags.pop("id"), **flags}})


@pytest.fixture
def notebook(tmp_path):
    nb = new_notebook(
        cells=[
            cell(
                "import math\nbase = 40\nprint('setup output is not shown')",
                id="setup",
                locked=True,
            ),
            cell("answer = ...\ndef twice(x): ...", id="a", solution=True),
            cell(
                "assert answer == base + 2, 'not the answer'\nprint('checked')",
                id="t1",
                grade=True,
                points=1,
            ),
            cell("assert twice(21) == answer, 'twice is wrong'", id="t2", grade=True, points=1),
            cell("_seen = answer", id="t3", grade=True, points=1),
            cell("assert _seen == 42", id="t4", grade=True, points=1),
        ]
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_checker_decides_from_answers_and_shows_only_the_tests_words(notebook):
    checker = Checker(
        call=lambda name, calls: call_back({"twice": lambda x: 2 * x}, "twice", calls)
    )
    checker.begin(str(notebook), "ann")
    passed = checker.test("t1", {"answer": encode(42)})
    assert (
        passed.passed
        and passed.stdout == "checked\n"
        and passed.outputs()[0]["text"] == "checked\n"
    )
    failed = checker.test("t1", {"answer": encode(41)})
    assert (failed.passed, failed.ename, failed.evalue) == (
        False,
        "AssertionError",
        "not the answer",
    )
    assert failed.outputs()[-1]["output_type"] == "error"
    assert checker.test(
        "t2", {"answer": encode(42), "twice": encode_name({"twice": print}, "twice")}
    ).passed


def test_test_cells_share_the_submissions_namespace_in_order(notebook):
    checker = Checker()
    checker.begin(str(notebook), "ann")
    assert checker.test("t3", {"answer": encode(42)}).passed
    assert checker.test("t4", {}).passed
    checker.begin(str(notebook), "bob")  # a new submission starts from the setup again
    assert checker.test("t4", {}).ename == "NameError"


def test_an_unanswered_or_unreadable_answer_fails_with_a_message(notebook):
    checker = Checker()
    checker.begin(str(notebook), "ann")
    assert checker.test("t1", {"answer": encode_name({}, "answer")}).ename == "NameError"
    unreadable = checker.test("t1", {"answer": encode(AlwaysEqual())})
    assert unreadable.ename == "AnswerError" and "`answer`" in unreadable.evalue


# -- what a submission folder may hold ---------------------------------------------------------


def test_refusal_names_links_hard_links_and_devices(tmp_path):
    (tmp_path / "nb.ipynb").write_text("{}")
    assert refusal(tmp_path) is None
    (tmp_path / "hard").hardlink_to(tmp_path / "nb.ipynb")
    assert "hard link" in refusal(tmp_path)
    (tmp_path / "hard").unlink()
    import os

    os.mkfifo(tmp_path / "pipe")
    assert "device, pipe or socket" in refusal(tmp_path)


def test_what_code_created_is_removed_and_nothing_else(tmp_path):
    (tmp_path / "nb.ipynb").write_text("{}")
    before = listing(tmp_path)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.bin").write_bytes(b"x")
    (tmp_path / "link").symlink_to("/etc/passwd")
    assert remove_created(tmp_path, before) == ["junk/a.bin", "junk", "link"]
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]
    assert Path("/etc/passwd").exists()


def test_function_answers_are_asked_once_per_case_and_in_one_go(notebook):
    asked = []

    def kernel(name, calls):
        asked.append(len(decode(calls)))
        return call_back({"twice": lambda x: 2 * x if x != 13 else 1 / 0}, name, calls)

    checker = Checker(call=kernel)
    checker.begin(str(notebook), "ann")
    twice = decode(encode_name({"twice": print}, "twice"), checker._callback)
    from chaintrace.check import apply_each

    assert apply_each(twice, [1, 2, 2, 3]) == [2, 4, 4, 6] and asked == [3]
    assert twice(2) == 4 and asked == [3]  # asked before: not asked again
    with pytest.raises(AnswerError, match="ZeroDivisionError"):
        apply_each(twice, [5, 13, 6])
    assert asked == [3, 3] and twice(5) == 10 and asked == [3, 3]


def test_a_file_an_answer_names_travels_with_its_bytes(tmp_path, notebook):
    exported = tmp_path / "exhibit" / "ransom-01.csv"
    exported.parent.mkdir()
    exported.write_text("txid,value\nab,1\n")
    (exported.parent / "ransom-01.csv.sha256").write_text("f00  ransom-01.csv\n")
    answer = {"csv": exported}  # its sidecar goes with it
    checker = Checker()
    checker.begin(str(notebook), "ann")
    got = decode(encode(answer), None, checker._place)
    assert got["csv"].read_text() == "txid,value\nab,1\n" and got["csv"] != exported
    assert got["csv"].with_name("ransom-01.csv.sha256").read_text().startswith("f00")
    with pytest.raises(AnswerError, match="cannot be graded"):
        decode('{"$":"path","v":"../../etc/passwd","b64":""}', None, checker._place)
    with pytest.raises(AnswerError, match="not in the grader's format"):
        decode('{"$":"path","v":"/x/a.csv","sidecars":{"../b":""}}', None, checker._place)
    private = got["csv"].parent
    checker.end()
    assert not private.exists()


@pytest.mark.parametrize(
    "reply",
    [
        None,
        {"status": "error", "ename": "NameError"},
        {"status": "ok", "data": {"text/plain": "42"}},
        {"status": "ok", "data": {"text/plain": "'" + "(" * 500 + "'"}},
        {"status": "ok", "data": {"text/plain": "'unterminated"}},
        {"status": "ok", "data": {"text/plain": "'" + "x" * 9_000_000 + "'"}},
    ],
    ids=["nothing", "error", "not-a-string", "odd-text", "broken-literal", "huge"],
)
def test_whatever_the_kernel_replies_becomes_an_answer_error_or_data(reply):
    from chaintrace.grader.sandbox import _text_of

    text = _text_of(reply, "x")
    with pytest.raises(AnswerError):
        decode(text)
