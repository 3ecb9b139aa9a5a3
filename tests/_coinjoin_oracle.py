"""CoinJoin detection as readable per-transaction rules: the test oracle of the engine.

The toolkit defines each CoinJoin shape once, over the engine's arrays
(:func:`chaintrace.coinjoin.coinjoin_table`), and answers :func:`chaintrace.is_coinjoin` by
running those rules on an index of the one transaction. Here the same shapes are written the
plain way; the tests check both give the same verdict on every transaction of the course
dataset and of freshly generated ones.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import combinations

from chaintrace.coinjoin import (
    EQUAL_MIN,
    JOINMARKET_MIN,
    JOINMARKET_SEARCH,
    MAX_SUBSET,
    SEGWIT_NATIVE,
    WASABI2_DENOMS,
    WASABI_MIN_OWNERS,
    WASABI_RANGE,
    WHIRLPOOL_MARGIN,
    WHIRLPOOL_POOLS,
    CoinJoinVerdict,
)  # fmt: skip
from chaintrace.model import Transaction
from chaintrace.units import btc


def _top_equal(values: list[int]) -> tuple[int, int]:
    """(value, count) of the most repeated output value; ties go to the larger value."""
    if not values:
        return 0, 0
    counts = Counter(values)
    value = max(counts, key=lambda v: (counts[v], v))
    return value, counts[value]


def _whirlpool(ins, outs, in_types, out_types, n_in_addrs) -> str | None:
    n = len(ins)
    if not (5 <= n <= 10 and len(outs) == n and len(set(outs)) == 1 and outs[0] in WHIRLPOOL_POOLS):
        return None
    pool = outs[0]
    if set(out_types) != {"p2wpkh"}:
        return None
    if min(ins) < pool or max(ins) > pool + WHIRLPOOL_MARGIN:
        return None
    return (
        f"Whirlpool-shaped mix: {n} inputs and {n} outputs of exactly {btc(pool)} (a pool size), "
        f"all P2WPKH, inputs at most {btc(WHIRLPOOL_MARGIN)} above it; {ins.count(pool)} of "
        "them remix an earlier output of the pool"
    )


def _wasabi(ins, outs, in_types, out_types, n_in_addrs) -> str | None:
    value, k = _top_equal(outs)
    if k < 10 or not WASABI_RANGE[0] <= value <= WASABI_RANGE[1] or n_in_addrs < WASABI_MIN_OWNERS:
        return None
    if set(in_types) != {"p2wpkh"} or set(out_types) != {"p2wpkh"}:
        return None
    return (
        f"Wasabi-shaped round: {k} equal outputs of {btc(value)} (about 0.1 BTC) among "
        f"{len(outs)}, {len(ins)} inputs, all P2WPKH"
    )


def _wasabi2(ins, outs, in_types, out_types, n_in_addrs) -> str | None:
    if len(ins) < 50 or not set(in_types) | set(out_types) <= {"p2wpkh", "p2tr"}:
        return None
    if ins != sorted(ins, reverse=True) or outs != sorted(outs, reverse=True):
        return None
    std = sum(v in WASABI2_DENOMS for v in outs)
    if 2 * std < len(outs):
        return None
    return (
        f"Wasabi 2-shaped round: {len(ins)} inputs and {len(outs)} outputs in descending order, "
        f"{std} outputs at standard denominations, P2WPKH/P2TR only"
    )


def _subset_sums(ins: list[int]) -> tuple[list[int], list[int]]:
    """Sums of every subset of at most MAX_SUBSET inputs, sorted, and each subset as a bit mask."""
    found = []
    for size in range(1, min(MAX_SUBSET, len(ins)) + 1):
        for combo in combinations(range(len(ins)), size):
            found.append((sum(ins[i] for i in combo), sum(1 << i for i in combo)))
    found.sort()
    return [f[0] for f in found], [f[1] for f in found]


def _maker_subsets(ins: list[int], targets: list[int], tolerance: int) -> list[list[int]]:
    """Per target, the input subsets (bit masks) that pay it within ``tolerance``."""
    sums, masks = _subset_sums(ins)
    return [
        masks[bisect_left(sums, t - tolerance) : bisect_right(sums, t + tolerance)] for t in targets
    ]


def _makers_found(ins: list[int], value: int, changes: list[int], makers: int) -> bool:
    """Can ``makers`` of the change outputs each be paid by their own inputs (no input used
    twice), leaving the taker inputs enough for the denomination and the change left over?"""
    tolerance = value // 200 + 20_000  # a maker's fee or its share of the mining fee
    options = _maker_subsets(ins, [value + c for c in changes], tolerance)
    order = sorted(range(len(changes)), key=lambda i: len(options[i]))
    skips = len(changes) - makers  # 1 when the taker kept change, else 0
    everything = (1 << len(ins)) - 1
    budget = [JOINMARKET_SEARCH]

    def taker_pays(used: int, taker_change: int) -> bool:
        left = everything & ~used
        return (
            left != 0 and sum(v for i, v in enumerate(ins) if left >> i & 1) >= value + taker_change
        )

    def search(pos: int, used: int, skips_left: int, taker_change: int) -> bool:
        budget[0] -= 1
        if budget[0] < 0:  # too ambiguous to call: many subsets fit, so none proves a maker
            return False
        if pos == len(order):
            return skips_left == 0 and taker_pays(used, taker_change)
        c = order[pos]
        for mask in options[c]:
            if not mask & used and search(pos + 1, used | mask, skips_left, taker_change):
                return True
        return skips_left > 0 and search(pos + 1, used, skips_left - 1, changes[c])

    return search(0, 0, skips, 0)


def _joinmarket_shape(n_in: int, n_out: int, value: int, k: int) -> bool:
    return k >= 3 and value >= JOINMARKET_MIN and n_in >= k and k - 1 <= n_out - k <= k


def _joinmarket_types(in_types, outs, out_types, value) -> str | None:
    """The one script type of a JoinMarket round's inputs and change, or None when mixed."""
    equal = Counter(t for v, t in zip(outs, out_types, strict=True) if v == value)
    kind, n = equal.most_common(1)[0]
    k = sum(equal.values())
    change_types = {t for v, t in zip(outs, out_types, strict=True) if v != value}
    if n < k - 1 or change_types - {kind} or set(in_types) != {kind}:
        return None
    return kind


def _joinmarket(ins, outs, in_types, out_types, n_in_addrs) -> str | None:
    value, k = _top_equal(outs)
    if not _joinmarket_shape(len(ins), len(outs), value, k) or n_in_addrs < k:
        return None
    kind = _joinmarket_types(in_types, outs, out_types, value)
    changes = [v for v in outs if v != value]
    if kind is None or not _makers_found(ins, value, changes, k - 1):
        return None
    return (
        f"JoinMarket-shaped: {k} equal outputs of {btc(value)} and {len(changes)} change outputs; "
        f"{k - 1} of them are each the change of their own inputs (a maker's coins), the other "
        f"inputs the taker's; {n_in_addrs} input addresses, all {kind}"
    )


def _coordinated_types(types) -> bool:
    """Equal outputs a CoinJoin could make: one script type (every JoinMarket participant uses
    the taker's), or only native SegWit (Wasabi 2 mixes P2WPKH and P2TR). A batch paying
    customers' P2PKH, P2SH and SegWit addresses the same amount is neither."""
    kinds = set(types)
    return len(kinds) == 1 or kinds <= SEGWIT_NATIVE


def _equal_outputs(ins, outs, in_types, out_types, n_in_addrs) -> str | None:
    value, k = _top_equal(outs)
    if k < EQUAL_MIN or n_in_addrs < k:
        return None
    if not _coordinated_types(t for v, t in zip(outs, out_types, strict=True) if v == value):
        return None
    return (
        f"CoinJoin-like: {k} equal outputs of {btc(value)} and {n_in_addrs} distinct input "
        "addresses (a batch payout can look the same: check who paid)"
    )


def _tx0(outs) -> tuple[int, int] | None:
    value, k = _top_equal(outs)
    for pool in WHIRLPOOL_POOLS:
        # premix outputs just above the pool size, and the coordinator's fee (5 % of the pool)
        if k >= 2 and pool < value <= pool + WHIRLPOOL_MARGIN and pool // 20 in outs:
            return pool, k
    return None


_RULES = (
    ("whirlpool", _whirlpool),
    ("wasabi", _wasabi),
    ("wasabi2", _wasabi2),
    ("joinmarket", _joinmarket),
)


def is_coinjoin(tx: Transaction) -> CoinJoinVerdict:
    """Is ``tx`` a CoinJoin? The verdict names the kind (see the module text) and the reason.

    >>> from chaintrace import load_case, open_chain
    >>> truth_free = load_case("coinjoin-01")          # the case file gives only the start
    >>> chain = open_chain("course")
    >>> v = is_coinjoin(chain.tx(chain.tx(truth_free.received_txid).inputs[0].prev_txid))
    >>> v.kind in (None, "equal_outputs")
    True
    """
    if not isinstance(tx, Transaction):
        raise TypeError(
            f"is_coinjoin needs a Transaction (chain.tx(txid)), not {type(tx).__name__}"
        )
    outs_ = [o for o in tx.outputs if o.script_type != "op_return"]
    ins, outs = [i.value for i in tx.inputs], [o.value for o in outs_]
    in_types, out_types = [i.script_type for i in tx.inputs], [o.script_type for o in outs_]
    value, k = _top_equal(outs)
    n_addrs = len({i.address for i in tx.inputs})
    if tx.coinbase or len(ins) < 2:
        return _tx0_or_none(tx.txid, outs, value, k, "fewer than two inputs: one payer at most")
    for kind, rule in _RULES:
        reason = rule(ins, outs, in_types, out_types, n_addrs)
        if reason:
            return CoinJoinVerdict(tx.txid, True, kind, reason, value, k)
    reason = None if _tx0(outs) else _equal_outputs(ins, outs, in_types, out_types, n_addrs)
    if reason:
        return CoinJoinVerdict(tx.txid, True, "equal_outputs", reason, value, k)
    return _tx0_or_none(
        tx.txid, outs, value, k, f"no CoinJoin shape ({k} equal outputs at most, {len(ins)} inputs)"
    )


def _tx0_or_none(txid: str, outs: list[int], value: int, k: int, otherwise: str) -> CoinJoinVerdict:
    tx0 = _tx0(outs)
    if not tx0:
        return CoinJoinVerdict(txid, False, None, otherwise, value, k)
    return CoinJoinVerdict(
        txid,
        False,
        "whirlpool_tx0",
        f"not a CoinJoin but a Whirlpool Tx0: {tx0[1]} equal outputs just above the "
        f"{btc(tx0[0])} pool size, prepared by one owner to enter mixes",
        value,
        k,
    )
