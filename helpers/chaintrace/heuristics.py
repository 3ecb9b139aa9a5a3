"""Change detection: which output of a payment went back to the payer's own wallet?

Ten named heuristics, each usable alone, each giving a :class:`Vote` with a plain-words
reason; :func:`change_candidates` combines them by a vote whose confidence comes from each
heuristic's published precision (Möser & Narayanan, FC 2022), in the spirit of BlockSci's
composable change heuristics and GraphSense's per-transaction votes. A heuristic *picks* an
output only when exactly one output fits its rule; otherwise it abstains and says why.
:func:`change_table` (in :mod:`chaintrace.heuristics_table`) runs the same rules over a whole
dataset at once, and tests check both give the same answers.

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

from .changevote import posterior
from .heuristics_table import change_table
from .model import Transaction, TxOutput
from .units import btc

__all__ = [
    "Vote",
    "ChangeVerdict",
    "Heuristic",
    "HEURISTICS",
    "change_candidates",
    "round_payment_heuristic",
    "change_table",
]

SEQ_NO_RBF = 0xFFFFFFFE  # sequences below this signal replace-by-fee (BIP-125)


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

    ``rule(tx, ctx)`` gives a :class:`Vote` for one transaction; ``table(T)`` gives the pick of
    every transaction of a dataset's arrays (-1 for none). ``precision`` is the weight the vote
    gives it (the published real-chain precision where there is one); ``published`` is
    ``(coverage, precision)`` from Möser & Narayanan's ground-truth set, or None.
    """

    name: str
    rule: Callable
    table: Callable
    precision: float
    needs_chain: bool
    summary: str
    published: tuple[float, float] | None = None
    params: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- context


class _NeedsChain(Exception):
    pass


class _Context:
    """What the rules may ask about a transaction beyond itself (spenders, address history)."""

    def __init__(self, tx: Transaction, chain):
        self.tx, self.chain = tx, chain
        self.in_addrs = {i.address for i in tx.inputs}
        self.outs = [o for o in tx.outputs if o.address and o.script_type != "op_return"]
        self._spenders: dict[str, Transaction] = {}

    def spender(self, out: TxOutput) -> Transaction | None:
        if out.spent_txid is None:
            return None
        if self.chain is None:
            raise _NeedsChain
        if out.spent_txid not in self._spenders:
            self._spenders[out.spent_txid] = self.chain.tx(out.spent_txid)
        return self._spenders[out.spent_txid]

    def first_seen_here(self, address: str) -> bool:
        """True when no transaction before this one touches ``address``."""
        if self.chain is None:
            raise _NeedsChain
        if hasattr(self.chain, "address_txids"):
            txids = self.chain.address_txids(address)
        else:
            txids = [t.txid for t in self.chain.address_txs(address)]
        return bool(txids) and txids[-1] == self.tx.txid  # newest first: the oldest is last


def _short(address: str) -> str:
    return address if len(address) <= 16 else f"{address[:10]}…{address[-4:]}"


def _pick_one(name: str, cands: list[TxOutput], why: Callable, none: str, many: str) -> Vote:
    if len(cands) == 1:
        return Vote(name, cands[0].vout, why(cands[0]))
    if not cands:
        return Vote(name, None, none)
    return Vote(name, None, many.format(n=len(cands), vouts=", ".join(str(o.vout) for o in cands)))


# ----------------------------------------------------------------------------- the rules


def _address_reuse(tx, ctx, **_) -> Vote:
    cands = [o for o in ctx.outs if o.address in ctx.in_addrs]
    return _pick_one(
        "address_reuse",
        cands,
        lambda o: (
            f"output {o.vout} is likely change: it pays {_short(o.address)} back, an "
            "address this transaction spends from"
        ),
        "no output goes back to an input address",
        "outputs {vouts} all go back to input addresses",
    )


def _one_time_change(tx, ctx, **_) -> Vote:
    name = "one_time_change"
    if any(o.address in ctx.in_addrs for o in ctx.outs):
        return Vote(
            name,
            None,
            "an output goes back to an input address, so a new address is no sign of change",
        )
    addrs = [o.address for o in ctx.outs]
    cands = [o for o in ctx.outs if addrs.count(o.address) == 1 and ctx.first_seen_here(o.address)]
    return _pick_one(
        name,
        cands,
        lambda o: (
            f"output {o.vout} is likely change: its address first appears on the chain "
            "here, while every other output pays an address used before (Meiklejohn's one-time change)"
        ),
        "every output pays an address used before",
        "outputs {vouts} all pay new addresses",
    )


def _address_type(tx, ctx, **_) -> Vote:
    name = "address_type"
    types = sorted({i.script_type for i in tx.inputs})
    if len(types) != 1:
        return Vote(name, None, f"the inputs mix address types ({', '.join(types) or 'none'})")
    t = types[0]
    cands = [o for o in ctx.outs if o.script_type == t]

    def why(o):
        others = "; ".join(f"output {x.vout} is {x.script_type}" for x in ctx.outs if x is not o)
        return (
            f"output {o.vout} is likely change: its address type {t} matches all inputs; {others}"
        )

    return _pick_one(
        name,
        cands,
        why,
        f"no output has the inputs' type {t}",
        f"outputs {{vouts}} all have the inputs' type {t}",
    )


def _optimal_change(tx, ctx, **_) -> Vote:
    name = "optimal_change"
    smallest = min(i.value for i in tx.inputs)
    cands = [o for o in ctx.outs if o.value < smallest]
    return _pick_one(
        name,
        cands,
        lambda o: (
            f"output {o.vout} is likely change: at {btc(o.value)} it is smaller than every "
            f"input (smallest {btc(smallest)}); had it been the payment, a wallet would not have "
            "added the input it did not need"
        ),
        f"no output is smaller than the smallest input ({btc(smallest)})",
        "outputs {vouts} are all smaller than every input",
    )


def _round_payment(tx, ctx, digits: int = 4, **_) -> Vote:
    name = f"round_payment_{digits}" if digits != 4 else "round_payment"
    unit = 10**digits
    cands = [o for o in ctx.outs if o.value % unit]
    return _pick_one(
        name,
        cands,
        lambda o: (
            f"output {o.vout} is likely change: every other output is a round amount "
            f"(a multiple of {unit:,} sat) and it is not, so it is what was left over"
        ),
        f"every output is a multiple of {unit:,} sat",
        f"outputs {{vouts}} are none of them multiples of {unit:,} sat",
    )


def _bip69_order(tx: Transaction) -> bool:
    ins = [(i.prev_txid, i.prev_vout) for i in tx.inputs]
    outs = [o.value for o in tx.outputs]
    return ins == sorted(ins) and outs == sorted(outs)


def _locktime_fp(tx: Transaction) -> bool:
    return tx.locktime > 0


def _version_fp(tx: Transaction) -> int:
    return tx.version


def _rbf_fp(tx: Transaction) -> bool:
    return any(i.sequence < SEQ_NO_RBF for i in tx.inputs)


_FINGERPRINTS = {
    "bip69": (_bip69_order, lambda v: "BIP-69 ordered" if v else "not BIP-69 ordered"),
    "locktime": (_locktime_fp, lambda v: "locktime set" if v else "locktime 0"),
    "version": (_version_fp, lambda v: f"version {v}"),
    "rbf": (_rbf_fp, lambda v: "signals RBF" if v else "does not signal RBF"),
}


def _fingerprint_rule(name: str):
    fp, words = _FINGERPRINTS[name]

    def rule(tx, ctx, **_) -> Vote:
        unspent = [o.vout for o in ctx.outs if o.spent_txid is None]
        if unspent:
            return Vote(
                name, None, f"output {unspent[0]} is unspent, so how its spender behaves is unknown"
            )
        mine = fp(tx)
        spenders = {o.vout: ctx.spender(o) for o in ctx.outs}
        cands = [o for o in ctx.outs if fp(spenders[o.vout]) == mine]

        def why(o):
            others = "; ".join(
                f"output {x.vout}'s spender {words(fp(spenders[x.vout]))}"
                for x in ctx.outs
                if x is not o
            )
            return (
                f"output {o.vout} is likely change: it is spent by a transaction with this one's "
                f"wallet habit ({words(mine)}); {others}"
            )

        return _pick_one(
            name,
            cands,
            why,
            f"no output's spender shares this transaction's habit ({words(mine)})",
            f"the spenders of outputs {{vouts}} all share this transaction's habit ({words(mine)})",
        )

    return rule


def _is_peel_shaped(tx: Transaction) -> bool:
    outs = [o for o in tx.outputs if o.address and o.script_type != "op_return"]
    return tx.n_inputs == 1 and len(outs) == 2


def _peel_chain(tx, ctx, **_) -> Vote:
    name = "peel_chain"
    if len(ctx.outs) != 2:
        return Vote(name, None, f"a peel-chain hop has two outputs; this one has {len(ctx.outs)}")
    cands = [o for o in ctx.outs if (s := ctx.spender(o)) is not None and _is_peel_shaped(s)]
    if len(cands) == 1 and cands[0].value <= min(o.value for o in ctx.outs if o is not cands[0]):
        return Vote(name, None, f"output {cands[0].vout} continues in a one-input, two-output "
                    "transaction, but it is not the larger output, so it looks like a peel, not the rest")  # fmt: skip
    return _pick_one(
        name,
        cands,
        lambda o: (
            f"output {o.vout} is likely change: it is the larger output and is spent by "
            "another one-input, two-output transaction: the next hop of a peel chain"
        ),
        "no output is spent by a one-input, two-output transaction",
        "outputs {vouts} are all spent by one-input, two-output transactions",
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


def _registry() -> dict[str, Heuristic]:
    from . import heuristics_table as vt

    rows = [
        ("address_reuse", _address_reuse, vt.address_reuse, 0.95, False,
         "the one output paying an input address back"),
        ("one_time_change", _one_time_change, vt.one_time_change, 0.96, True,
         "the one output to an address never seen before (none back to an input)"),
        ("address_type", _address_type, vt.address_type, 0.886, False,
         "the one output whose script type matches every input's"),
        ("optimal_change", _optimal_change, vt.optimal_change, 0.921, False,
         "the one output smaller than every input"),
        ("round_payment", _round_payment, vt.round_payment, 0.987, False,
         "the one output that is not a round amount (multiple of 10^4 sat)"),
        ("bip69", _fingerprint_rule("bip69"), vt.fingerprint("bip69"), 0.806, True,
         "the one output whose spender shares this tx's BIP-69 ordering (or its absence)"),
        ("locktime", _fingerprint_rule("locktime"), vt.fingerprint("locktime"), 0.988, True,
         "the one output whose spender shares this tx's locktime habit (0 or set)"),
        ("version", _fingerprint_rule("version"), vt.fingerprint("version"), 0.983, True,
         "the one output whose spender has this tx's version"),
        ("rbf", _fingerprint_rule("rbf"), vt.fingerprint("rbf"), 0.963, True,
         "the one output whose spender shares this tx's RBF signalling"),
        ("peel_chain", _peel_chain, vt.peel_chain, 0.9, True,
         "the larger output when it alone is spent by a one-input, two-output tx"),
    ]  # fmt: skip
    return {
        name: Heuristic(name, rule, table, prior, chain, summary, PUBLISHED.get(name))
        for name, rule, table, prior, chain, summary in rows
    }


class _LazyRegistry(dict):
    """``HEURISTICS`` fills itself on first use (its table functions live in another module)."""

    def _fill(self):
        if not super().__len__():
            self.update(_registry())

    def __getitem__(self, key):
        self._fill()
        try:
            return super().__getitem__(key)
        except KeyError:
            raise KeyError(f"no change heuristic {key!r}; choose from {', '.join(self)}") from None

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def __contains__(self, key):
        self._fill()
        return super().__contains__(key)

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def items(self):
        self._fill()
        return super().items()


HEURISTICS: dict[str, Heuristic] = _LazyRegistry()


def round_payment_heuristic(digits: int) -> Heuristic:
    """The round-payment rule for ``digits`` trailing zeros in sats (4 is the default one).

    >>> round_payment_heuristic(6).name
    'round_payment_6'
    """
    from . import heuristics_table as vt

    if not isinstance(digits, int) or not 1 <= digits <= 8:
        raise ValueError(
            f"digits must be a whole number from 1 to 8 (trailing zeros in sats), not {digits!r}"
        )
    if digits == 4:
        return HEURISTICS["round_payment"]
    published = ROUND_PUBLISHED.get(digits)
    return Heuristic(
        f"round_payment_{digits}",
        lambda tx, ctx: _round_payment(tx, ctx, digits=digits),
        lambda T: vt.round_payment(T, digits=digits),
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
    return [h if isinstance(h, Heuristic) else HEURISTICS[h] for h in heuristics]


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


def change_candidates(tx, chain=None, heuristics=None) -> ChangeVerdict:
    """Vote on the change output of ``tx`` (a :class:`~chaintrace.Transaction` or a txid).

    ``chain`` answers what the rules need beyond the transaction (who spent each output, when
    an address was first seen); with ``chain=None`` a txid is looked up in the course dataset
    and the rules that need a chain abstain for a Transaction. ``heuristics`` is a list of
    names (see :data:`HEURISTICS`) or :class:`Heuristic` objects; all of them by default.

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
    ctx = _Context(tx, chain)
    if tx.coinbase or len(ctx.outs) < 2:
        why = "a coinbase has no change" if tx.coinbase else "fewer than two outputs can be change"
        votes = tuple(Vote(h.name, None, why) for h in chosen)
        return ChangeVerdict(tx.txid, None, None, votes, {})
    votes = []
    for h in chosen:
        try:
            votes.append(h.rule(tx, ctx))
        except _NeedsChain:
            votes.append(Vote(h.name, None, "needs a chain to look up spenders or address history"))
    vout, conf, post = combine(
        votes, [o.vout for o in ctx.outs], {h.name: h.precision for h in chosen}
    )
    return ChangeVerdict(tx.txid, vout, conf, tuple(votes), post)
