"""The change vote's arithmetic: one definition, exact wherever the answer could depend on it.

A heuristic of precision p that picks output k multiplies k's odds by p and every other
candidate's by (1 - p) / (n - 1), from a uniform prior over the n candidates. The posterior of
each candidate is its product over the picking heuristics divided by the sum of all products.

Why exact: a posterior that is *mathematically* 0.95 (one heuristic of precision 0.95 on two
candidates, about a thousand transactions of the course data) came out as 0.95000000000000007
on one CPU and 0.94999999999999996 on another, because ``exp``/``log`` are not correctly rounded
and numpy picks a different implementation per CPU. The threshold ``confidence >= 0.95`` then
counted one transaction differently, and a published report changed.

The rule, stated once:

- a **confidence** is the posterior rounded half-up to :data:`DECIMALS` decimal places, so a
  threshold written with that many decimals or fewer compares exactly;
- a **tie** (no change named) is an exact tie of the top products.

The fast path (:func:`vote_arrays`) computes products with ``*``, ``/`` and ``+`` only, and then
recomputes in exact fractions every transaction whose rounded confidence or winner could be
moved by floating-point error: those near a rounding half-point or near a tie. The result is the
same on every CPU and every supported numpy; :func:`posterior` is the per-transaction
definition it must agree with (a test compares both on the course data).

>>> vout, confidence, _ = posterior({"a": 1}, [0, 1], {"a": 0.95})
>>> vout, confidence
(1, 0.95)
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np

__all__ = ["DECIMALS", "posterior", "round_confidence", "vote_arrays"]

DECIMALS = 6
_SCALE = 10**DECIMALS
# Relative error of a product of at most a few dozen correctly rounded operations is < 1e-13;
# anything within this margin of a rounding half-point or of a tie is settled exactly.
_MARGIN = 1e-9


@cache
def _exact(p: float) -> Fraction:
    """The decimal a precision was written as (0.95 is 19/20, not the nearest binary float)."""
    return Fraction(repr(float(p)))


def round_confidence(value: Fraction) -> float:
    """An exact posterior rounded half-up to :data:`DECIMALS` places, as the nearest float.

    >>> round_confidence(Fraction(19, 20)), round_confidence(Fraction(1, 3))
    (0.95, 0.333333)
    """
    scaled = value * _SCALE
    return (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator) / _SCALE


def posterior(picks: dict[str, int], candidates: list[int], precision: dict[str, float]):
    """The vote on one transaction, in exact arithmetic.

    ``picks`` maps each heuristic that picked to the vout it picked; ``candidates`` lists the
    outputs that can be change; ``precision`` gives each heuristic's weight. Returns ``(vout or
    None, confidence or None, {vout: posterior})``; vout is None on an exact tie of the best
    candidates (the confidence is then that tie's posterior).

    >>> posterior({"a": 1, "b": 1, "c": 0}, [0, 1], {"a": 0.9, "b": 0.9, "c": 0.9})[:2]
    (1, 0.9)
    >>> posterior({"a": 1, "b": 0}, [0, 1], {"a": 0.9, "b": 0.9})[:2]
    (None, 0.5)
    """
    n = len(candidates)
    if n < 2 or not picks:
        return None, None, {}
    odds = dict.fromkeys(candidates, Fraction(1))
    for name, picked in picks.items():
        p = _exact(precision[name])
        other = (1 - p) / (n - 1)
        for k in candidates:
            odds[k] *= p if k == picked else other
    total = sum(odds.values())
    top = max(odds.values())
    best = [k for k, v in odds.items() if v == top]
    post = {k: round_confidence(v / total) for k, v in odds.items()}
    winner = best[0] if len(best) == 1 else None
    return winner, round_confidence(top / total), post


def vote_arrays(tx, vout, n_candidates, picks: dict[str, np.ndarray], precision):
    """The vote over many transactions at once: :func:`posterior` for each, vectorised.

    ``tx``, ``vout`` and ``n_candidates`` describe each candidate output (grouped by
    transaction, in order); ``picks[name][tx]`` is that heuristic's pick for the transaction
    (-1 for none). Returns, per candidate group, the starts of the groups and per transaction
    ``(winner vout or -1, confidence or NaN)`` as arrays aligned with the group starts.
    """
    n = n_candidates.astype(np.float64)
    odds = np.ones(len(tx))
    voted = np.zeros(len(tx), dtype=bool)
    for name, pick in picks.items():
        p = float(precision[name])
        chosen = pick[tx]
        odds *= np.where(
            chosen < 0, 1.0, np.where(chosen == vout, p, (1 - p) / np.maximum(n - 1, 1))
        )
        voted |= chosen >= 0
    starts = np.flatnonzero(np.r_[True, tx[1:] != tx[:-1]]) if len(tx) else np.zeros(0, np.int64)
    if not len(starts):
        return starts, np.zeros(0, np.int64), np.zeros(0)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(tx)]))
    top = np.maximum.reduceat(odds, starts)
    total = np.add.reduceat(odds, starts)
    near_top = odds >= top[seg] * (1 - _MARGIN)
    n_near = np.add.reduceat(near_top.astype(np.int64), starts)
    scaled = top / total * _SCALE
    half = np.abs(scaled - np.floor(scaled) - 0.5) < _MARGIN * _SCALE
    conf = np.floor(scaled + 0.5) / _SCALE
    winner = np.full(len(starts), -1, dtype=np.int64)
    single = near_top & (n_near[seg] == 1)
    winner[seg[single]] = vout[single]
    has_vote = voted[starts]
    delicate = np.flatnonzero(has_vote & ((n_near > 1) | half))
    ends = np.r_[starts[1:], len(tx)]
    for g in delicate:  # a handful per dataset: settle them exactly
        rows = range(starts[g], ends[g])
        group_picks = {k: int(p[tx[starts[g]]]) for k, p in picks.items() if p[tx[starts[g]]] >= 0}
        w, c, _ = posterior(group_picks, [int(vout[r]) for r in rows], precision)
        winner[g], conf[g] = (-1 if w is None else w), c
    winner[~has_vote] = -1
    conf[~has_vote] = np.nan
    return starts, winner, conf
