"""The change rules, each defined once, over the engine's arrays.

Each rule takes the arrays of a chain (:func:`chaintrace.txtables.tables`: a dataset, or the
small index :func:`chaintrace.change_candidates` builds around one transaction) and says, for
every transaction at once, which outputs fit it (:attr:`Choice.candidates`) and whether it
applies at all (:attr:`Choice.applies`). A rule *picks* the one candidate of a transaction it
applies to, and abstains when there are none or several. No Python loop runs per transaction,
so a whole dataset takes well under a second at course size. :mod:`chaintrace.heuristics`
names the rules, weighs their votes and explains them in words; ``tests/_change_oracle.py``
writes them the plain way, one transaction at a time, and the tests check both agree.

>>> from chaintrace import change_table
>>> table = change_table("course", heuristics=["address_type", "optimal_change"])
>>> list(table.columns)
['txid', 'n_candidates', 'address_type', 'optimal_change', 'n_votes', 'vout', 'confidence']
>>> bool(((table["vout"] == -1) | (table["n_votes"] > 0)).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .changevote import vote_arrays
from .txtables import TxTables

__all__ = ["Choice", "RULES", "fingerprint", "round_payment", "eligible", "vote"]

SEQ_NO_RBF = 0xFFFFFFFE  # sequences below this signal replace-by-fee (BIP-125)
FINGERPRINTS = ("bip69", "locktime", "version", "rbf")


@dataclass(frozen=True)
class Choice:
    """What one rule sees in every transaction.

    ``candidates``: per output row, whether it fits the rule; ``applies``: per transaction,
    whether the rule may pick at all; ``also``: per output row, what the one candidate must
    also be to be picked (None: nothing more).
    """

    candidates: np.ndarray
    applies: np.ndarray
    also: np.ndarray | None = None

    def pick(self, T: TxTables) -> np.ndarray:
        """The vout of each transaction's single candidate where the rule applies, else -1."""
        cand = self.candidates & T.out_spendable
        counts = np.bincount(T.out_tx[cand], minlength=T.n_tx)
        sel = cand & (counts[T.out_tx] == 1) & self.applies[T.out_tx]
        if self.also is not None:
            sel &= self.also
        pick = np.full(T.n_tx, -1, dtype=np.int64)
        pick[T.out_tx[sel]] = T.out_vout[sel]
        return pick


def _kept(function):
    """Keep what ``function(T)`` says about ``T`` with ``T``: several rules ask the same."""

    def kept(T: TxTables) -> np.ndarray:
        found = T.__dict__.setdefault("_rule_parts", {})
        if function.__name__ not in found:
            found[function.__name__] = function(T)
        return found[function.__name__]

    kept.__name__, kept.__doc__ = function.__name__, function.__doc__
    return kept


@_kept
def eligible(T: TxTables) -> np.ndarray:
    """Transactions that can have change: not a coinbase, at least two spendable outputs."""
    return ~T.tx_coinbase & (T.n_spendable >= 2)


def _group_reduce(ufunc, values: np.ndarray, start: np.ndarray, empty) -> np.ndarray:
    """``ufunc`` over each transaction's slice of ``values`` (``empty`` where it has none)."""
    n = len(start) - 1
    out = np.full(n, empty, dtype=values.dtype if len(values) else np.int64)
    has = np.diff(start) > 0
    if has.any():
        out[has] = ufunc.reduceat(values, start[:-1][has])
    return out


@_kept
def back_to_input(T: TxTables) -> np.ndarray:
    """Outputs paying an address that the same transaction spends from."""
    n = np.int64(T.n_addresses + 1)
    in_keys = T.in_tx * n + T.in_addr
    out_keys = T.out_tx * n + T.out_addr
    return T.out_spendable & np.isin(out_keys, in_keys)


@_kept
def _n_back(T: TxTables) -> np.ndarray:
    return np.bincount(T.out_tx[back_to_input(T)], minlength=T.n_tx)


# ----------------------------------------------------------------------------- the rules


def address_reuse(T: TxTables) -> Choice:
    """The one output paying an input address back."""
    return Choice(back_to_input(T), eligible(T))


@_kept
def unique_address(T: TxTables) -> np.ndarray:
    """Outputs whose address no other output of their transaction pays."""
    keys = T.out_tx * np.int64(T.n_addresses + 1) + T.out_addr
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse] == 1


def one_time_change(T: TxTables) -> Choice:
    """The one output to an address first seen here, when no output goes back to an input.

    "First seen" is :attr:`~chaintrace.graph.TxGraph.addr_first_tx`: the first transaction
    paying the address (outputs fund an address before inputs spend it).
    """
    sp = T.out_spendable
    first = T.graph.addr_first_tx
    fresh = sp & unique_address(T) & (first[np.where(sp, T.out_addr, 0)] == T.out_tx)
    return Choice(fresh, eligible(T) & (_n_back(T) == 0))


def input_type(T: TxTables) -> np.ndarray:
    """The script type code all inputs of each transaction share, -1 when they mix."""
    lo = _group_reduce(np.minimum, T.in_type, T.in_start, -1)
    hi = _group_reduce(np.maximum, T.in_type, T.in_start, -2)
    return np.where((lo == hi) & (T.n_in > 0), lo, -1).astype(np.int64)


def address_type(T: TxTables) -> Choice:
    """The one output whose script type matches every input's."""
    t = input_type(T)
    return Choice(T.out_type.astype(np.int64) == t[T.out_tx], eligible(T) & (t >= 0))


def smallest_input(T: TxTables) -> np.ndarray:
    return _group_reduce(np.minimum, T.in_value, T.in_start, 0)


def optimal_change(T: TxTables) -> Choice:
    """The one output smaller than every input."""
    cand = T.out_value < smallest_input(T)[T.out_tx]
    return Choice(cand, eligible(T) & (T.n_in > 0))


def round_payment(T: TxTables, digits: int = 4) -> Choice:
    """The one output that is not a multiple of 10^digits sat."""
    return Choice(T.out_value % (10**digits) != 0, eligible(T))


def _bip69(T: TxTables) -> np.ndarray:
    bad = np.zeros(T.n_tx, dtype=bool)
    same = T.in_tx[1:] == T.in_tx[:-1]
    r, v = T.in_prev_rank, T.in_prev_vout
    worse = (r[:-1] > r[1:]) | ((r[:-1] == r[1:]) & (v[:-1] > v[1:]))
    bad[T.in_tx[1:][same & worse]] = True
    same = T.out_tx[1:] == T.out_tx[:-1]
    bad[T.out_tx[1:][same & (T.out_value[:-1] > T.out_value[1:])]] = True
    return ~bad


def habit(T: TxTables, name: str) -> np.ndarray:
    """A wallet habit of every transaction: BIP-69 ordering, locktime set, version, RBF."""
    if name == "bip69":
        return _bip69(T)
    if name == "locktime":
        return T.tx_locktime > 0
    if name == "version":
        return T.tx_version
    if name == "rbf":
        return np.bincount(T.in_tx[T.in_sequence < SEQ_NO_RBF], minlength=T.n_tx) > 0
    raise KeyError(f"no fingerprint {name!r}; choose from {', '.join(FINGERPRINTS)}")


@_kept
def unspent(T: TxTables) -> np.ndarray:
    """Spendable outputs no transaction of ``T`` spends."""
    return T.out_spendable & (T.out_spender < 0)


def fingerprint(name: str):
    """The fingerprint rule ``name``: the one output whose spender shares the tx's habit,
    when every output is spent."""

    def choose(T: TxTables) -> Choice:
        fp = habit(T, name)
        spent = T.out_spender >= 0
        all_spent = np.bincount(T.out_tx[unspent(T)], minlength=T.n_tx) == 0
        cand = spent & (fp[np.where(spent, T.out_spender, 0)] == fp[T.out_tx])
        return Choice(cand, eligible(T) & all_spent)

    choose.__name__ = name
    return choose


def peel_shaped(T: TxTables) -> np.ndarray:
    """Transactions shaped like a peel-chain hop: one input, two spendable outputs."""
    return (T.n_in == 1) & (T.n_spendable == 2)


def peel_chain(T: TxTables) -> Choice:
    """The larger of two outputs when it alone is spent by a peel-shaped transaction."""
    sp = T.out_spendable
    spent = T.out_spender >= 0
    cand = spent & peel_shaped(T)[np.where(spent, T.out_spender, 0)]
    total = np.bincount(T.out_tx[sp], weights=T.out_value[sp], minlength=T.n_tx)
    larger = T.out_value > total[T.out_tx] - T.out_value
    return Choice(cand, eligible(T) & (T.n_spendable == 2), also=larger)


RULES = {
    "address_reuse": address_reuse,
    "one_time_change": one_time_change,
    "address_type": address_type,
    "optimal_change": optimal_change,
    "round_payment": round_payment,
    **{name: fingerprint(name) for name in FINGERPRINTS},
    "peel_chain": peel_chain,
}


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


def __getattr__(name):
    # ``from chaintrace.heuristics_table import change_table`` keeps working: the table is
    # made in chaintrace.heuristics, beside the registry of rules it weighs
    if name == "change_table":
        from .heuristics import change_table

        return change_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
