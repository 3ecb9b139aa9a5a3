"""The change heuristics as readable per-transaction rules: the test oracle of the engine.

The toolkit defines each change rule once, over the engine's arrays
(:mod:`chaintrace.heuristics_table`), and explains one transaction by running those rules on
a small index of it (:func:`chaintrace.change_candidates`). Here the same rules are written the
plain way, one transaction at a time, as the lessons describe them; the tests check that both
give the same vote on every transaction of the course dataset and of freshly generated ones.
"""

from __future__ import annotations

from collections.abc import Callable

from chaintrace.changevote import posterior
from chaintrace.heuristics import HEURISTICS, Vote
from chaintrace.model import Transaction, TxOutput
from chaintrace.units import btc

SEQ_NO_RBF = 0xFFFFFFFE  # sequences below this signal replace-by-fee (BIP-125)


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


RULES = {
    "address_reuse": _address_reuse,
    "one_time_change": _one_time_change,
    "address_type": _address_type,
    "optimal_change": _optimal_change,
    "round_payment": _round_payment,
    "bip69": _fingerprint_rule("bip69"),
    "locktime": _fingerprint_rule("locktime"),
    "version": _fingerprint_rule("version"),
    "rbf": _fingerprint_rule("rbf"),
    "peel_chain": _peel_chain,
}


def change_votes(tx: Transaction, chain=None, names=None):
    """``(vout or None, confidence or None, votes)`` for ``tx``, the plain way."""
    names = list(RULES) if names is None else list(names)
    ctx = _Context(tx, chain)
    if tx.coinbase or len(ctx.outs) < 2:
        why = "a coinbase has no change" if tx.coinbase else "fewer than two outputs can be change"
        return None, None, [Vote(n, None, why) for n in names]
    votes = []
    for name in names:
        try:
            votes.append(RULES[name](tx, ctx))
        except _NeedsChain:
            votes.append(Vote(name, None, "needs a chain to look up spenders or address history"))
    picks = {v.heuristic: v.vout for v in votes if v.vout is not None}
    precision = {n: HEURISTICS[n].precision for n in names}
    vout, confidence, _ = posterior(picks, [o.vout for o in ctx.outs], precision)
    return vout, confidence, votes
