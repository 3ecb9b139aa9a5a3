"""The change vote gives the same confidences and winners on every machine.

A report once changed between two CPUs because a posterior that is exactly 0.95 was computed as
a hair below it on one of them. These tests pin the rule: exact where it matters, rounded to a
stated number of decimals everywhere.
"""

from fractions import Fraction

import numpy as np
import pytest
from chaintrace.changevote import DECIMALS, posterior, round_confidence, vote_arrays
from chaintrace.heuristics import resolve
from chaintrace.heuristics_table import change_table, eligible
from chaintrace.txtables import tables


def _vote(picks_by_tx, candidates_by_tx, precision):
    """vote_arrays on small hand-made transactions (lists of picks and candidate vouts)."""
    tx, vout, n = [], [], []
    for i, cands in enumerate(candidates_by_tx):
        tx += [i] * len(cands)
        vout += cands
        n += [len(cands)] * len(cands)
    names = sorted({k for p in picks_by_tx for k in p})
    picks = {k: np.array([p.get(k, -1) for p in picks_by_tx]) for k in names}
    _, winner, conf = vote_arrays(np.array(tx), np.array(vout), np.array(n), picks, precision)
    return winner.tolist(), conf.tolist()


def test_a_posterior_of_exactly_095_is_095_and_passes_the_threshold():
    winner, conf = _vote([{"a": 1}] * 3, [[0, 1]] * 3, {"a": 0.95})
    assert winner == [1, 1, 1] and conf == [0.95] * 3
    assert all(c >= 0.95 for c in conf)


def test_float_noise_in_the_weights_never_moves_a_result():
    """The same vote with each weight one unit in the last place off (another CPU's rounding)."""
    precision = {"a": 0.95, "b": 0.9, "c": 0.806, "d": 0.8}
    picks = [{"a": 1}, {"a": 0, "b": 1, "c": 1, "d": 0}, {"b": 2, "c": 2}, {"c": 0}]
    cands = [[0, 1], [0, 1], [0, 1, 2], [0, 1, 2, 3]]
    base = _vote(picks, cands, precision)
    for direction in (np.inf, -np.inf):
        nudged = {k: float(np.nextafter(p, direction)) for k, p in precision.items()}
        assert _vote(picks, cands, nudged) == base


def test_exact_ties_name_no_change():
    # 0.9*0.2*0.1*0.8 == 0.1*0.8*0.9*0.2 exactly, though floats multiplied in this order differ
    winner, conf = _vote(
        [{"a": 0, "b": 1, "c": 1, "d": 0}], [[0, 1]], {"a": 0.9, "b": 0.8, "c": 0.9, "d": 0.8}
    )
    assert winner == [-1] and conf == [0.5]
    assert posterior({"a": 0, "b": 1}, [0, 1], {"a": 0.9, "b": 0.9})[:2] == (None, 0.5)


def test_rounding_is_half_up_at_the_stated_decimals_even_on_the_half_point():
    p = 0.9500005  # a lone vote on two outputs: the posterior is p, exactly on a half-point
    assert _vote([{"a": 1}], [[0, 1]], {"a": p})[1] == [0.950001]
    assert posterior({"a": 1}, [0, 1], {"a": p})[1] == 0.950001
    assert round_confidence(Fraction(1, 3)) == round(1 / 3, DECIMALS)


def test_no_vote_no_confidence():
    winner, conf = _vote([{}, {"a": 0}], [[0, 1], [0, 1]], {"a": 0.9})
    assert winner == [-1, 0] and np.isnan(conf[0]) and conf[1] == 0.9


def test_every_vote_of_the_course_data_equals_its_exact_definition():
    T = tables("course")
    chosen = resolve(None)
    table = change_table("course")
    precision = {h.name: h.precision for h in chosen}
    rows = np.flatnonzero(T.out_spendable & eligible(T)[T.out_tx])
    candidates: dict[int, list[int]] = {}
    for r in rows:
        candidates.setdefault(int(T.out_tx[r]), []).append(int(T.out_vout[r]))
    voted = np.flatnonzero(table["n_votes"].to_numpy() > 0)
    assert len(voted) > 10_000
    columns = {h.name: table[h.name].to_numpy() for h in chosen}
    vout, conf = table["vout"].to_numpy(), table["confidence"].to_numpy()
    for i in voted:
        picks = {k: int(c[i]) for k, c in columns.items() if c[i] >= 0}
        want_vout, want_conf, _ = posterior(picks, candidates[int(i)], precision)
        assert (vout[i], conf[i]) == (-1 if want_vout is None else want_vout, want_conf)


@pytest.mark.parametrize("threshold", [0.95, 0.99])
def test_threshold_counts_are_what_exact_arithmetic_gives(threshold):
    conf = change_table("course")["confidence"].to_numpy()
    on_the_line = int((conf == threshold).sum())
    assert (conf >= threshold).sum() == (conf > threshold).sum() + on_the_line
