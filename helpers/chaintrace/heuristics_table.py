"""The change heuristics of :mod:`chaintrace.heuristics`, vectorised over a whole dataset.

Each function here takes the dataset's arrays (:func:`chaintrace.txtables.tables`) and
returns one pick per transaction row (the vout, or -1 when the rule abstains), following the
per-transaction rule of the same name exactly; tests run both on the course data and compare.
No Python loop runs per transaction, so the course dataset takes well under a second.

>>> table = change_table("course", heuristics=["address_type", "optimal_change"])
>>> list(table.columns)
['txid', 'n_candidates', 'address_type', 'optimal_change', 'n_votes', 'vout', 'confidence']
>>> bool(((table["vout"] == -1) | (table["n_votes"] > 0)).all())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .changevote import vote_arrays
from .txtables import TxTables, tables

if TYPE_CHECKING:  # imported where the table is made
    import pandas as pd

__all__ = ["change_table", "eligible"]

SEQ_NO_RBF = 0xFFFFFFFE


def eligible(T: TxTables) -> np.ndarray:
    """Transactions that can have change: not a coinbase, at least two spendable outputs."""
    return ~T.tx_coinbase & (T.n_spendable >= 2)


def _per_tx_count(T: TxTables, rows_mask: np.ndarray) -> np.ndarray:
    return np.bincount(T.out_tx[rows_mask], minlength=T.n_tx)


def _unique_pick(T: TxTables, cand: np.ndarray, tx_ok: np.ndarray, extra=None) -> np.ndarray:
    """The vout of the single candidate output of each ok transaction, else -1."""
    cand = cand & T.out_spendable
    counts = _per_tx_count(T, cand)
    sel = cand & (counts[T.out_tx] == 1) & tx_ok[T.out_tx]
    if extra is not None:
        sel &= extra
    pick = np.full(T.n_tx, -1, dtype=np.int64)
    pick[T.out_tx[sel]] = T.out_vout[sel]
    return pick


def _group_reduce(ufunc, values: np.ndarray, start: np.ndarray, empty) -> np.ndarray:
    """``ufunc`` over each transaction's slice of ``values`` (``empty`` where it has none)."""
    n = len(start) - 1
    out = np.full(n, empty, dtype=values.dtype if len(values) else np.int64)
    has = np.diff(start) > 0
    if has.any():
        out[has] = ufunc.reduceat(values, start[:-1][has])
    return out


def _back_to_input(T: TxTables) -> np.ndarray:
    """Outputs paying an address that the same transaction spends from."""
    n = np.int64(T.n_addresses + 1)
    in_keys = T.in_tx * n + T.in_addr
    out_keys = T.out_tx * n + T.out_addr
    return T.out_spendable & np.isin(out_keys, in_keys)


def address_reuse(T: TxTables) -> np.ndarray:
    return _unique_pick(T, _back_to_input(T), eligible(T))


def one_time_change(T: TxTables) -> np.ndarray:
    sp = T.out_spendable
    no_back = _per_tx_count(T, _back_to_input(T)) == 0
    first = np.full(T.n_addresses, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(
        first, T.out_addr[sp], T.out_tx[sp]
    )  # outputs fund an address before inputs spend it
    keys = T.out_tx * np.int64(T.n_addresses + 1) + T.out_addr
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    single = counts[inverse] == 1
    fresh = sp & single & (first[np.where(sp, T.out_addr, 0)] == T.out_tx)
    return _unique_pick(T, fresh, eligible(T) & no_back)


def _input_type(T: TxTables) -> np.ndarray:
    lo = _group_reduce(np.minimum, T.in_type, T.in_start, -1)
    hi = _group_reduce(np.maximum, T.in_type, T.in_start, -2)
    return np.where((lo == hi) & (T.n_in > 0), lo, -1).astype(np.int64)


def address_type(T: TxTables) -> np.ndarray:
    t = _input_type(T)
    cand = T.out_type.astype(np.int64) == t[T.out_tx]
    return _unique_pick(T, cand, eligible(T) & (t >= 0))


def optimal_change(T: TxTables) -> np.ndarray:
    smallest = _group_reduce(np.minimum, T.in_value, T.in_start, 0)
    cand = T.out_value < smallest[T.out_tx]
    return _unique_pick(T, cand, eligible(T) & (T.n_in > 0))


def round_payment(T: TxTables, digits: int = 4) -> np.ndarray:
    return _unique_pick(T, T.out_value % (10**digits) != 0, eligible(T))


def _bip69(T: TxTables) -> np.ndarray:
    bad = np.zeros(T.n_tx, dtype=bool)
    same = T.in_tx[1:] == T.in_tx[:-1]
    r, v = T.in_prev_rank, T.in_prev_vout
    worse = (r[:-1] > r[1:]) | ((r[:-1] == r[1:]) & (v[:-1] > v[1:]))
    bad[T.in_tx[1:][same & worse]] = True
    same = T.out_tx[1:] == T.out_tx[:-1]
    bad[T.out_tx[1:][same & (T.out_value[:-1] > T.out_value[1:])]] = True
    return ~bad


def _fp(T: TxTables, name: str) -> np.ndarray:
    if name == "bip69":
        return _bip69(T)
    if name == "locktime":
        return T.tx_locktime > 0
    if name == "version":
        return T.tx_version
    if name == "rbf":
        return np.bincount(T.in_tx[T.in_sequence < SEQ_NO_RBF], minlength=T.n_tx) > 0
    raise KeyError(f"no fingerprint {name!r}; choose from bip69, locktime, version, rbf")


def fingerprint(name: str):
    """The fingerprint heuristic ``name``: the one output whose spender shares the tx's habit."""

    def pick(T: TxTables) -> np.ndarray:
        fp = _fp(T, name)
        spent = T.out_spender >= 0
        all_spent = _per_tx_count(T, T.out_spendable & ~spent) == 0
        cand = spent & (fp[np.where(spent, T.out_spender, 0)] == fp[T.out_tx])
        return _unique_pick(T, cand, eligible(T) & all_spent)

    pick.__name__ = name
    return pick


def peel_chain(T: TxTables) -> np.ndarray:
    sp = T.out_spendable
    peel_shaped = (T.n_in == 1) & (T.n_spendable == 2)
    spent = T.out_spender >= 0
    cand = spent & peel_shaped[np.where(spent, T.out_spender, 0)]
    total = np.bincount(T.out_tx[sp], weights=T.out_value[sp], minlength=T.n_tx)
    larger = T.out_value > total[T.out_tx] - T.out_value
    return _unique_pick(T, cand, eligible(T) & (T.n_spendable == 2), extra=larger)


# ----------------------------------------------------------------------------- the vote


def vote(T: TxTables, picks: dict[str, np.ndarray], precision: dict[str, float]):
    """Vectorised :func:`chaintrace.heuristics.combine`: (vout, confidence, n_votes) per tx.

    The arithmetic, and why it is exact where it matters, is :mod:`chaintrace.changevote`.
    """
    rows = np.flatnonzero(T.out_spendable & eligible(T)[T.out_tx])
    t = T.out_tx[rows]
    n_votes = np.zeros(T.n_tx, dtype=np.int64)
    for pick in picks.values():
        n_votes += pick >= 0
    starts, winner, confidence = vote_arrays(
        t, T.out_vout[rows], T.n_spendable[t], picks, precision
    )
    vout = np.full(T.n_tx, -1, dtype=np.int64)
    conf = np.full(T.n_tx, np.nan)
    vout[t[starts]] = winner
    conf[t[starts]] = confidence
    return vout, conf, n_votes


def change_table(dataset="course", heuristics=None) -> pd.DataFrame:
    """One row per transaction (chain order): each heuristic's pick (vout or -1), the number
    of heuristics that picked, the vote's ``vout`` (-1 for none) and its ``confidence``
    (NaN without a vote). ``n_candidates`` counts the outputs that could be change.

    >>> table = change_table("course")
    >>> {"txid", "vout", "confidence", "address_type"} <= set(table.columns)
    True
    """
    import pandas as pd

    from .heuristics import resolve

    T = tables(dataset)
    chosen = resolve(heuristics)
    picks = {h.name: h.table(T) for h in chosen}
    vout, conf, n_votes = vote(T, picks, {h.name: h.precision for h in chosen})
    frame = {"txid": T.txid, "n_candidates": np.where(eligible(T), T.n_spendable, 0)}
    frame.update({k: v.astype(np.int32) for k, v in picks.items()})
    frame.update({"n_votes": n_votes, "vout": vout.astype(np.int32), "confidence": conf})
    return pd.DataFrame(frame)
