"""Realism of the bundled course data against real-chain targets (docs/realism-targets.md).

Only statistics the generator already meets are asserted, so a regression fails; the rest are
reported as FAIL in docs/realism.md and listed as known gaps in datasets/README.md.
"""

import pytest
from chaintrace.course.realism import measure

MET = [
    "txs with 1 / 2 / ≥3 outputs",
    "1-in-2-out share",
    "SegWit-spending txs",
    "outputs to previously used addresses",
    "change to an input address, 2-out txs",
    "outputs that are whole BTC",
    "mean inputs/tx, outputs/tx",
    "median fee rate (2024)",
    "block interval vs Exp(600 s)",
    "outputs spent ≤1 day / ≤1 month",
    "txs fully spent (first half of chain)",
    "optimal-change precision (2-out txs)",
    "change heuristic: optimal change (coverage / precision)",
    "change heuristic: address type (coverage / precision)",
    "change heuristic: power of ten (coverage / precision)",
    "change heuristic: locktime fingerprint (coverage / precision)",
    "change heuristic: version fingerprint (coverage / precision)",
]


@pytest.fixture(scope="module")
def checks():
    return {c.name: c for c in measure("course")}


@pytest.mark.parametrize("name", MET)
def test_statistic_within_tolerance(checks, name):
    c = checks[name]
    assert c.ok, f"{name}: ours {c.ours}, real {c.real}, tolerance {c.tolerance}"


def test_change_heuristic_is_not_always_right(checks):
    c = checks["optimal-change precision (2-out txs)"]
    assert not c.ours.startswith("100.0 %"), "a heuristic that is always right teaches a lie"


def test_every_change_heuristic_fires_and_errs(checks):
    """Each reference heuristic names some change and is sometimes wrong, as on the real chain."""
    rows = [c for name, c in checks.items() if name.startswith("change heuristic:")]
    assert len(rows) == 7
    for c in rows:
        cov, prec = (float(x) for x in c.ours.split(" %")[0].split(" / "))
        assert 1.0 <= cov <= 90.0, f"{c.name}: coverage {cov} %"
        assert 50.0 <= prec <= 99.9, f"{c.name}: precision {prec} % (never always right)"
