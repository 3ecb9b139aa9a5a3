"""The lesson's code, re-run on the assignment's case, does not give the assignment's answers.

An assignment measures whether a trainee can do the work on a case they have not seen, so its
case differs from the lesson's where judgment is needed. This test runs a lesson's code cells
unchanged except for the case id (the assignment's case instead of the lesson's) and checks that
what the lesson computes is *not* the assignment case's truth for the judgment parts.

Module 12: the lesson takes every wallet the exchange paid after the designation as the
successor's (the assignment's balances pass through a wallet first), and values only the
issuer's part of what can be frozen (the assignment asks for every holder).
"""

import json

import matplotlib
import nbformat
import pytest
from conftest import ROOT

LESSON = ROOT / "course" / "12-across-chains-and-borders.ipynb"


@pytest.fixture(scope="module")
def lesson_on_assignment_case():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = nbformat.read(LESSON, as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            code = cell.source.replace('"evasion-01"', '"evasion-02"')
            exec(compile(code, f"lesson cell {cell.id}", "exec"), namespace)  # noqa: S102
            plt.close("all")
    truth = json.loads((ROOT / "groundtruth" / "course" / "cases" / "evasion-02.json").read_text())
    return namespace, truth


def test_the_swap_reached_the_assignment_case(lesson_on_assignment_case):
    namespace, truth = lesson_on_assignment_case
    assert namespace["case"].case_id == "evasion-02"
    assert set(namespace["customers"]) == {a for _, a in namespace["case"].reported["customers"]}


def test_lesson_code_does_not_find_the_successor_wallets(lesson_on_assignment_case):
    namespace, truth = lesson_on_assignment_case
    assert set(namespace["moved"]["to"]) != set(truth["successor_wallets"])
    assert truth["migration_wallet"] in set(namespace["moved"]["to"]), (
        "the assignment case's balances should pass through a wallet the lesson's code stops at"
    )


def test_lesson_code_does_not_give_what_each_holder_can_freeze(lesson_on_assignment_case):
    namespace, truth = lesson_on_assignment_case
    by_holder = namespace["by_holder"]
    got = dict(zip(by_holder["holder"], by_holder["usd"], strict=True))
    assert got != truth["freezable_usd"]
    assert set(got) < set(truth["freezable_usd"]), "the lesson values the issuer's part only"
