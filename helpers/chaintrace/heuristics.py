"""Change detection: which output of a payment went back to the payer's own wallet?

Ten named heuristics, each usable alone, each giving a :class:`Vote` with a plain-words
reason; :func:`change_candidates` combines them by a vote whose confidence comes from each
heuristic's published precision (Möser & Narayanan, FC 2022), in the spirit of BlockSci's
composable change heuristics and GraphSense's per-transaction votes. A heuristic *picks* an
output only when exactly one output fits its rule; otherwise it abstains and says why.

Each rule is defined once, over the engine's arrays (:mod:`chaintrace.heuristics_table`):
:func:`change_table` runs it over a whole dataset at once, and :func:`change_candidates`
runs the same definition on a small index of one transaction and the spenders and address
histories it needs, then puts the outcome into words. So the table and the explanation cannot
disagree.

>>> from chaintrace import load_case, open_chain
>>> chain = open_chain("course")
>>> verdict = change_candidates(load_case("ransom-01").payment_txid, chain)
>>> verdict.vout is None or 0 <= verdict.vout < 10
True
>>> print(verdict.explain())  # doctest: +ELLIPSIS
Transaction ...: ...
>>> sorted(HEURISTICS)[:3]
['address_reuse', 'address_type', 'bip69']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import heuristics_table as rules
from .changevote import posterior
from .graph import TxGraph
from .model import Transaction, TxOutput
from .txtables import TxTables, tables
from .units import btc

if TYPE_CHECKING:  # imported where the table is made
    import pandas as pd

__all__ = [
    "Vote",
    "ChangeVerdict",
    "Heuristic",
    "HEURISTICS",
    "change_candidates",
    "round_payment_heuristic",
    "change_table",
]

NEEDS_CHAIN = "needs a chain to look up spenders or address history"


@dataclass(frozen=True)
class Vote:
    """One heuristic's opinion: the output it thinks is change (``vout``, or None) and why."""

    heuristic: str
    vout: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.heuristic}: {self.reason}"


@dataclass(frozen=True)
class Heuristic:
    """A named change rule.

    ``choose(T)`` is the rule (:mod:`chaintrace.heuristics_table`): what fits it in every
    transaction of a chain's arrays; :meth:`table` gives each transaction's pick (-1 for
    none). ``precision`` is the weight the vote gives it (the published real-chain precision
    where there is one); ``published`` is ``(coverage, precision)`` from Möser & Narayanan's
    ground-truth set, or None. ``needs_chain``: the rule looks beyond the transaction (who
    spent its outputs, when an address was first seen).
    """

    name: str
    choose: Callable[[TxTables], rules.Choice]
    words: _Words
    precision: float
    needs_chain: bool
    summary: str
    published: tuple[float, float] | None = None
    params: dict = field(default_factory=dict)

    def table(self, T: TxTables) -> np.ndarray:
        """The pick of every transaction of ``T`` (its vout, -1 when the rule abstains)."""
        return self.choose(T).pick(T)


# ----------------------------------------------------------------------------- one transaction


class _OneTx:
    """One transaction and the small index its rules run on (row 0 is the transaction)."""

    def __init__(self, tx: Transaction, T: TxTables, chain):
        self.tx, self.T, self.chain = tx, T, chain
        self.rows = np.arange(T.out_start[0], T.out_start[1])
        self.outs = [o for o in tx.outputs if o.address and o.script_type != "op_return"]
        self.by_vout = {o.vout: o for o in tx.outputs}

    def outputs(self, mask: np.ndarray) -> list[TxOutput]:
        """The transaction's spendable outputs where ``mask`` (over output rows) is true."""
        keep = self.rows[(mask & self.T.out_spendable)[self.rows]]
        return [self.by_vout[int(v)] for v in self.T.out_vout[keep]]

    def row_of(self, o: TxOutput) -> int:
        return int(self.rows[0]) + o.vout


def _short(address: str) -> str:
    return address if len(address) <= 16 else f"{address[:10]}…{address[-4:]}"


def _vouts(outs: list[TxOutput]) -> str:
    return ", ".join(str(o.vout) for o in outs)


@dataclass(frozen=True)
class _Words:
    """How a rule's outcome on one transaction is said: ``why`` the one candidate, ``none``,
    ``many`` candidates, or why the rule does not apply (``abstain``)."""

    why: Callable[[_OneTx, TxOutput], str]
    none: Callable[[_OneTx], str]
    many: Callable[[_OneTx, list[TxOutput]], str]
    abstain: Callable[[_OneTx], str] | None = None
    not_also: Callable[[_OneTx, TxOutput], str] | None = None


def _say(h: Heuristic, one: _OneTx) -> Vote:
    """The rule ``h`` on row 0 of ``one``'s index, in words."""
    choice = h.choose(one.T)
    if not choice.applies[0]:
        return Vote(h.name, None, h.words.abstain(one))
    cands = one.outputs(choice.candidates)
    if len(cands) == 1:
        o = cands[0]
        if choice.also is not None and not choice.also[one.row_of(o)]:
            return Vote(h.name, None, h.words.not_also(one, o))
        return Vote(h.name, o.vout, h.words.why(one, o))
    if not cands:
        return Vote(h.name, None, h.words.none(one))
    return Vote(h.name, None, h.words.many(one, cands))


# ----------------------------------------------------------------------------- the words

_ADDRESS_REUSE = _Words(
    why=lambda one, o: (
        f"output {o.vout} is likely change: it pays {_short(o.address)} back, an address this "
        "transaction spends from"
    ),
    none=lambda one: "no output goes back to an input address",
    many=lambda one, c: f"outputs {_vouts(c)} all go back to input addresses",
)

_ONE_TIME_CHANGE = _Words(
    why=lambda one, o: (
        f"output {o.vout} is likely change: its address first appears on the chain here, while "
        "every other output pays an address used before (Meiklejohn's one-time change)"
    ),
    none=lambda one: "every output pays an address used before",
    many=lambda one, c: f"outputs {_vouts(c)} all pay new addresses",
    abstain=lambda one: (
        "an output goes back to an input address, so a new address is no sign of change"
    ),
)


def _input_types(one: _OneTx) -> list[str]:
    return sorted({i.script_type for i in one.tx.inputs})


def _type_why(one: _OneTx, o: TxOutput) -> str:
    others = "; ".join(f"output {x.vout} is {x.script_type}" for x in one.outs if x is not o)
    return (
        f"output {o.vout} is likely change: its address type {_input_types(one)[0]} matches all "
        f"inputs; {others}"
    )


_ADDRESS_TYPE = _Words(
    why=_type_why,
    none=lambda one: f"no output has the inputs' type {_input_types(one)[0]}",
    many=lambda one, c: f"outputs {_vouts(c)} all have the inputs' type {_input_types(one)[0]}",
    abstain=lambda one: f"the inputs mix address types ({', '.join(_input_types(one)) or 'none'})",
)


def _smallest(one: _OneTx) -> str:
    return btc(min(i.value for i in one.tx.inputs))


_OPTIMAL_CHANGE = _Words(
    why=lambda one, o: (
        f"output {o.vout} is likely change: at {btc(o.value)} it is smaller than every input "
        f"(smallest {_smallest(one)}); had it been the payment, a wallet would not have added "
        "the input it did not need"
    ),
    none=lambda one: f"no output is smaller than the smallest input ({_smallest(one)})",
    many=lambda one, c: f"outputs {_vouts(c)} are all smaller than every input",
    abstain=lambda one: "a transaction without inputs has no change",
)


def _round_words(digits: int) -> _Words:
    unit = 10**digits
    return _Words(
        why=lambda one, o: (
            f"output {o.vout} is likely change: every other output is a round amount (a "
            f"multiple of {unit:,} sat) and it is not, so it is what was left over"
        ),
        none=lambda one: f"every output is a multiple of {unit:,} sat",
        many=lambda one, c: f"outputs {_vouts(c)} are none of them multiples of {unit:,} sat",
    )


_HABIT_WORDS = {
    "bip69": lambda v: "BIP-69 ordered" if v else "not BIP-69 ordered",
    "locktime": lambda v: "locktime set" if v else "locktime 0",
    "version": lambda v: f"version {v}",
    "rbf": lambda v: "signals RBF" if v else "does not signal RBF",
}


def _fingerprint_words(name: str) -> _Words:
    words = _HABIT_WORDS[name]

    def habits(one: _OneTx):
        fp = rules.habit(one.T, name)
        return fp[0], lambda x: words(fp[one.T.out_spender[one.row_of(x)]])

    def why(one, o):
        mine, spender = habits(one)
        others = "; ".join(
            f"output {x.vout}'s spender {spender(x)}" for x in one.outs if x is not o
        )
        return (
            f"output {o.vout} is likely change: it is spent by a transaction with this one's "
            f"wallet habit ({words(mine)}); {others}"
        )

    def first_unspent(one):
        return next(o.vout for o in one.outs if o.spent_txid is None)

    return _Words(
        why=why,
        none=lambda one: (
            f"no output's spender shares this transaction's habit ({words(habits(one)[0])})"
        ),
        many=lambda one, c: (
            f"the spenders of outputs {_vouts(c)} all share this transaction's habit "
            f"({words(habits(one)[0])})"
        ),
        abstain=lambda one: (
            f"output {first_unspent(one)} is unspent, so how its spender behaves is unknown"
        ),
    )


_PEEL_CHAIN = _Words(
    why=lambda one, o: (
        f"output {o.vout} is likely change: it is the larger output and is spent by another "
        "one-input, two-output transaction: the next hop of a peel chain"
    ),
    none=lambda one: "no output is spent by a one-input, two-output transaction",
    many=lambda one, c: f"outputs {_vouts(c)} are all spent by one-input, two-output transactions",
    abstain=lambda one: f"a peel-chain hop has two outputs; this one has {len(one.outs)}",
    not_also=lambda one, o: (
        f"output {o.vout} continues in a one-input, two-output transaction, but it is not the "
        "larger output, so it looks like a peel, not the rest"
    ),
)


# ----------------------------------------------------------------------------- registry


# Möser & Narayanan (FC 2022), ground truth on real Bitcoin: (coverage, precision) per
# heuristic, and for power-of-ten payments by trailing zeros (10^4 is round_payment's)
PUBLISHED = {
    "one_time_change": (0.5727, 0.9598),
    "address_type": (0.2675, 0.8858),
    "optimal_change": (0.3323, 0.9208),
    "round_payment": (0.3799, 0.987),
    "bip69": (0.3772, 0.8058),
    "locktime": (0.312, 0.9878),
    "version": (0.25, 0.9833),
    "rbf": (0.0784, 0.963),
}
ROUND_PUBLISHED = {2: (0.4788, 0.976), 6: (0.2161, 0.977), 8: (0.056, 0.996)}

_ROWS = [
    ("address_reuse", _ADDRESS_REUSE, 0.95, False,
     "the one output paying an input address back"),
    ("one_time_change", _ONE_TIME_CHANGE, 0.96, True,
     "the one output to an address never seen before (none back to an input)"),
    ("address_type", _ADDRESS_TYPE, 0.886, False,
     "the one output whose script type matches every input's"),
    ("optimal_change", _OPTIMAL_CHANGE, 0.921, False,
     "the one output smaller than every input"),
    ("round_payment", _round_words(4), 0.987, False,
     "the one output that is not a round amount (multiple of 10^4 sat)"),
    ("bip69", _fingerprint_words("bip69"), 0.806, True,
     "the one output whose spender shares this tx's BIP-69 ordering (or its absence)"),
    ("locktime", _fingerprint_words("locktime"), 0.988, True,
     "the one output whose spender shares this tx's locktime habit (0 or set)"),
    ("version", _fingerprint_words("version"), 0.983, True,
     "the one output whose spender has this tx's version"),
    ("rbf", _fingerprint_words("rbf"), 0.963, True,
     "the one output whose spender shares this tx's RBF signalling"),
    ("peel_chain", _PEEL_CHAIN, 0.9, True,
     "the larger output when it alone is spent by a one-input, two-output tx"),
]  # fmt: skip

HEURISTICS: dict[str, Heuristic] = {
    name: Heuristic(name, rules.RULES[name], words, prior, chain, summary, PUBLISHED.get(name))
    for name, words, prior, chain, summary in _ROWS
}


def round_payment_heuristic(digits: int) -> Heuristic:
    """The round-payment rule for ``digits`` trailing zeros in sats (4 is the default one).

    >>> round_payment_heuristic(6).name
    'round_payment_6'
    """
    if not isinstance(digits, int) or not 1 <= digits <= 8:
        raise ValueError(
            f"digits must be a whole number from 1 to 8 (trailing zeros in sats), not {digits!r}"
        )
    if digits == 4:
        return HEURISTICS["round_payment"]
    published = ROUND_PUBLISHED.get(digits)
    return Heuristic(
        f"round_payment_{digits}",
        lambda T: rules.round_payment(T, digits=digits),
        _round_words(digits),
        published[1] if published else 0.95,
        False,
        f"the one output that is not a multiple of 10^{digits} sat",
        published,
        {"digits": digits},
    )


def resolve(heuristics: Iterable | None) -> list[Heuristic]:
    """Heuristic objects from names, objects or None (all of them)."""
    if heuristics is None:
        return list(HEURISTICS.values())
    if isinstance(heuristics, (str, Heuristic)):
        heuristics = [heuristics]
    found = []
    for h in heuristics:
        if not isinstance(h, Heuristic) and h not in HEURISTICS:
            raise KeyError(f"no change heuristic {h!r}; choose from {', '.join(HEURISTICS)}")
        found.append(h if isinstance(h, Heuristic) else HEURISTICS[h])
    return found


# ----------------------------------------------------------------------------- the vote


@dataclass(frozen=True)
class ChangeVerdict:
    """The combined vote on one transaction.

    ``vout`` is the likely change output (None when no heuristic picked one or the vote is a
    tie); ``confidence`` is its posterior probability under the vote's model (None without a
    vote); ``posterior`` maps each candidate output to its probability.
    """

    txid: str
    vout: int | None
    confidence: float | None
    votes: tuple[Vote, ...]
    posterior: dict[int, float]

    @property
    def picks(self) -> list[Vote]:
        return [v for v in self.votes if v.vout is not None]

    def explain(self) -> str:
        """Each heuristic's vote and the outcome, in plain words."""
        head = f"Transaction {self.txid}: "
        if self.vout is None:
            head += "no change output can be named" + (
                " (the heuristics disagree evenly)" if self.picks else " (no heuristic picked one)"
            )
        else:
            agree = sum(v.vout == self.vout for v in self.picks)
            head += (
                f"output {self.vout} is likely change, confidence {self.confidence:.2f} "
                f"({agree} of {len(self.picks)} picking heuristics agree)"
            )
        lines = [head]
        for v in self.votes:
            mark = "  -" if v.vout is None else ("  +" if v.vout == self.vout else "  x")
            lines.append(f"{mark} {v.heuristic}: {v.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


def combine(votes: Iterable[Vote], candidates: list[int], precision: dict[str, float]):
    """Posterior of each candidate output being change, from independent votes.

    A heuristic of precision p picking output k multiplies k's odds by p and every other
    candidate's by (1 - p) / (n - 1), starting from a uniform prior over the n candidates.
    Computed exactly and rounded to 6 decimals (:mod:`chaintrace.changevote`), so a vote that
    is 0.95 is 0.95 on every machine. Returns ``(vout or None, confidence or None, posterior)``.

    >>> vout, confidence, _ = combine([Vote("a", 1, ""), Vote("b", 1, ""), Vote("c", 0, "")],
    ...                               [0, 1], {"a": 0.9, "b": 0.9, "c": 0.9})
    >>> vout, confidence
    (1, 0.9)
    """
    picks = {v.heuristic: v.vout for v in votes if v.vout is not None}
    return posterior(picks, list(candidates), precision)


def _kind(h: Heuristic) -> str:
    """Which rule family ``h`` belongs to (round_payment_6 is a round_payment)."""
    return "round_payment" if h.name.startswith("round_payment") else h.name


def _unknowable(h: Heuristic, one: _OneTx) -> bool:
    """Without a chain, does ``h`` need what only a chain can tell (spenders, histories)?

    Checked in the order the rule reads the transaction: a rule that can already abstain
    from the transaction alone (an unspent output, a change back to an input) says that.
    """
    if one.chain is not None:
        return False
    kind, outs = _kind(h), one.outs
    if kind in rules.FINGERPRINTS:
        return all(o.spent_txid is not None for o in outs)
    if kind == "peel_chain":
        return len(outs) == 2 and any(o.spent_txid is not None for o in outs)
    if kind == "one_time_change":
        back = rules.back_to_input(one.T)[one.rows].any()
        return (
            not back and rules.unique_address(one.T)[one.rows][one.T.out_spendable[one.rows]].any()
        )
    return False


def _first_seen_here(chain, tx: Transaction, address: str) -> bool:
    """True when no transaction before ``tx`` touches ``address`` (asked of the chain)."""
    if hasattr(chain, "address_txids"):
        txids = chain.address_txids(address)
    else:
        txids = [t.txid for t in chain.address_txs(address)]
    return bool(txids) and txids[-1] == tx.txid  # newest first: the oldest is last


def _index_of(tx: Transaction, chain, chosen: list[Heuristic]) -> _OneTx:
    """The small index the rules run on: ``tx`` (row 0), the spenders of its outputs and the
    first-seen status of its addresses, as far as the chosen rules need them."""
    outs = [o for o in tx.outputs if o.address and o.script_type != "op_return"]
    kinds = {_kind(h) for h in chosen}
    spenders = {}
    all_spent = all(o.spent_txid is not None for o in outs)
    if chain is not None and (
        "peel_chain" in kinds or (kinds & set(rules.FINGERPRINTS) and all_spent)
    ):
        for o in outs:
            if o.spent_txid is not None and o.spent_txid not in spenders:
                spenders[o.spent_txid] = chain.tx(o.spent_txid)
    graph = TxGraph.from_transactions([tx, *spenders.values()])
    one = _OneTx(tx, tables(graph), chain)
    if chain is not None and "one_time_change" in kinds:
        T, rows = one.T, one.rows
        first = np.full(len(graph.addresses), -1, np.int64)  # -1: seen before (or not asked)
        if not rules.back_to_input(T)[rows].any():
            fresh = rules.unique_address(T)[rows] & T.out_spendable[rows]
            for r in rows[fresh]:
                if _first_seen_here(chain, tx, graph.out_addr_text(r)):
                    first[T.out_addr[r]] = 0
        graph.addr_first_tx = first
    return one


def change_candidates(tx, chain=None, heuristics=None) -> ChangeVerdict:
    """Vote on the change output of ``tx`` (a :class:`~chaintrace.Transaction` or a txid).

    ``chain`` answers what the rules need beyond the transaction (who spent each output, when
    an address was first seen); with ``chain=None`` a txid is looked up in the course dataset
    and the rules that need a chain abstain for a Transaction. ``heuristics`` is a list of
    names (see :data:`HEURISTICS`) or :class:`Heuristic` objects; all of them by default.
    The rules are those of :func:`change_table`, run on a small index of this transaction.

    >>> from chaintrace import load_case, open_chain
    >>> v = change_candidates(load_case("cluster-01").payment_txid, open_chain("course"),
    ...                       heuristics=["address_type", "optimal_change"])
    >>> [vote.heuristic for vote in v.votes]
    ['address_type', 'optimal_change']
    """
    if isinstance(tx, str):
        from .chain import open_chain

        chain = open_chain(chain if chain is not None else "course")
        tx = chain.tx(tx)
    if not isinstance(tx, Transaction):
        raise TypeError(f"tx must be a Transaction or a txid, not {type(tx).__name__}")
    chosen = resolve(heuristics)
    outs = [o for o in tx.outputs if o.address and o.script_type != "op_return"]
    if tx.coinbase or len(outs) < 2:
        why = "a coinbase has no change" if tx.coinbase else "fewer than two outputs can be change"
        votes = tuple(Vote(h.name, None, why) for h in chosen)
        return ChangeVerdict(tx.txid, None, None, votes, {})
    one = _index_of(tx, chain, chosen)
    votes = [
        Vote(h.name, None, NEEDS_CHAIN) if _unknowable(h, one) else _say(h, one) for h in chosen
    ]
    vout, conf, post = combine(votes, [o.vout for o in outs], {h.name: h.precision for h in chosen})
    return ChangeVerdict(tx.txid, vout, conf, tuple(votes), post)


def change_table(dataset="course", heuristics=None) -> pd.DataFrame:
    """One row per transaction (chain order): each heuristic's pick (vout or -1), the number
    of heuristics that picked, the vote's ``vout`` (-1 for none) and its ``confidence``
    (NaN without a vote). ``n_candidates`` counts the outputs that could be change.

    ``dataset``: a name, folder or ``Dataset``, a ``LocalChain``, or transactions fetched from
    any chain (a list: :meth:`chaintrace.graph.TxGraph.from_transactions`).

    >>> table = change_table("course")
    >>> {"txid", "vout", "confidence", "address_type"} <= set(table.columns)
    True
    """
    import pandas as pd

    T = tables(dataset)
    chosen = resolve(heuristics)
    picks = {h.name: h.table(T) for h in chosen}
    vout, conf, n_votes = rules.vote(T, picks, {h.name: h.precision for h in chosen})
    frame = {"txid": T.txid, "n_candidates": np.where(rules.eligible(T), T.n_spendable, 0)}
    frame.update({k: v.astype(np.int32) for k, v in picks.items()})
    frame.update({"n_votes": n_votes, "vout": vout.astype(np.int32), "confidence": conf})
    return pd.DataFrame(frame)
