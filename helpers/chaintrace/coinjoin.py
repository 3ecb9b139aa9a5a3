"""CoinJoin detection: transactions where several owners spend together on purpose.

A CoinJoin breaks common-input ownership (its inputs belong to many people), so clustering must
skip it, and a trace through it can only go on with a caveat. The rules follow the public
detectors used to count real rounds (Dumplings, see ``notes/REALISM.md`` §6):

- ``whirlpool``: 5-10 inputs and as many outputs, every output exactly one pool size (0.001,
  0.01, 0.05 or 0.5 BTC), all outputs P2WPKH, every input between the pool size and 0.0011
  BTC above it. (Dumplings also wants one input of exactly the pool size, a remix; a pool's
  first mixes have none, so we only report the remixes in the reason.)
- ``wasabi``: at least 10 equal outputs of 0.1 BTC ± 0.02, every input and output P2WPKH, and
  at least 5 distinct input addresses (one wallet paying ten 0.1 BTC outputs is not a round).
- ``wasabi2``: at least 50 inputs, only P2WPKH/P2TR, inputs and outputs in descending value
  order, at least half of the outputs at Wasabi 2's standard denominations.
- ``joinmarket``: k ≥ 3 equal outputs (≥ 100,000 sat), k-1 or k other outputs, at least k
  distinct input addresses, and one script type for the inputs, the change and all equal
  outputs but at most one (a taker may pay someone else's address; makers must use the
  taker's address type). The k-1 makers are found: k-1 change outputs are each the change of
  their own subset of at most three inputs, no input used twice (inputs - denomination -
  change within the fees a maker earns or pays), and the inputs left over, the taker's, pay
  at least the denomination and the change left over. An exchange's batch that pays three
  customers the same amount from its hot wallet fails these (mixed output types, or changes
  that no disjoint input subsets explain).
  Measured on 15 regenerated economies (``chaintrace.sim generate --seed 1..15
  --transactions 20000``): the earlier rule (any subsets, any types) called 2 exchange batch
  withdrawals JoinMarket (seeds 3 and 15), this one none, and all 310 true rounds (Wasabi and
  Whirlpool: the generator makes no JoinMarket rounds) are still found.
- ``equal_outputs``: any other transaction with at least 5 equal outputs, at least as many
  distinct input addresses, and equal outputs of one script type or only native SegWit (a
  coordinator's rule; a batch paying customers' legacy and SegWit addresses is not a round).
  CoinJoin-like, but a batch payout can still look the same: in the same 15 economies it
  flags 2 exchange batch withdrawals (3 before the script-type condition; check who paid).
- ``whirlpool_tx0`` (not a CoinJoin: one owner): two or more equal outputs just above a pool
  size and an output of the pool's fee (5 % of the pool size), the entrant's "Tx0" that
  prepares coins for Whirlpool.

>>> from chaintrace import load_case, open_chain
>>> chain = open_chain("course")
>>> case = load_case("coinjoin-01")
>>> v = is_coinjoin(chain.tx(case.received_txid))
>>> bool(v), v.kind
(False, None)
>>> table = coinjoin_table("course")
>>> sorted(set(table.loc[table["is_coinjoin"], "kind"]))
['joinmarket', 'wasabi', 'wasabi2', 'whirlpool']
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from .graph import SCRIPT_TYPES
from .messages import translate
from .model import Transaction
from .txtables import TxTables, tables
from .units import btc

if TYPE_CHECKING:  # imported by coinjoin_table: the mask clustering uses needs no pandas
    import pandas as pd

__all__ = ["CoinJoinVerdict", "is_coinjoin", "coinjoin_table", "WHIRLPOOL_POOLS", "WASABI2_DENOMS"]

WHIRLPOOL_POOLS = (100_000, 1_000_000, 5_000_000, 50_000_000)
WHIRLPOOL_MARGIN = 110_000  # inputs may exceed the pool by the mix's mining fee share
WASABI_RANGE = (8_000_000, 12_000_000)
WASABI_MIN_OWNERS = 5
JOINMARKET_MIN = 100_000
EQUAL_MIN = 5
SEGWIT_NATIVE = frozenset({"p2wpkh", "p2tr"})
MAX_SUBSET = 3
JOINMARKET_SEARCH = 20_000  # subset assignments tried before a round counts as unproven


def _wasabi2_denominations() -> frozenset[int]:
    lo, hi = 5_000, 134_375_000_000
    out = set()
    for base in (1, 2, 5):
        out.update(base * 10**e for e in range(12))
    for b in (2, 3):
        out.update(b**e for e in range(40))
    out.update(2 * 3**e for e in range(30))
    return frozenset(v for v in out if lo <= v <= hi)


WASABI2_DENOMS = _wasabi2_denominations()


@dataclass(frozen=True)
class CoinJoinVerdict:
    """Whether a transaction is a CoinJoin, of which kind, and why (truthy when it is)."""

    txid: str
    is_coinjoin: bool
    kind: str | None
    reason: str
    denomination: int | None = None
    n_equal: int = 0

    def __bool__(self) -> bool:
        return self.is_coinjoin

    def __str__(self) -> str:
        return f"{self.txid}: {self.reason}"


# ----------------------------------------------------------------------------- one transaction


def is_coinjoin(tx: Transaction) -> CoinJoinVerdict:
    """Is ``tx`` a CoinJoin? The verdict names the kind (see the module text) and the reason.

    The shapes are those of :func:`coinjoin_table`, each written once (:func:`_whirlpool`,
    ...) and read here on this transaction's numbers, there on every transaction's at once.

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
    f = _shape_of(tx)
    kind = _kind_of_one(tx, f)
    # the reason is read by a trainee (print(verdict.reason)): in the reader's language
    reason = translate(_REASONS[kind](tx, f.value, f.k))
    return CoinJoinVerdict(tx.txid, kind_is_coinjoin(kind), kind, reason, f.value, f.k)


def _facts(tx: Transaction):
    """Input values, output values (OP_RETURN left out) and distinct input addresses."""
    outs = [o.value for o in tx.outputs if o.script_type != "op_return"]
    return [i.value for i in tx.inputs], outs, len({i.address for i in tx.inputs})


def _whirlpool_reason(tx, pool, k) -> str:
    ins, _, _ = _facts(tx)
    n = len(ins)
    return (
        f"Whirlpool-shaped mix: {n} inputs and {n} outputs of exactly {btc(pool)} (a pool size), "
        f"all P2WPKH, inputs at most {btc(WHIRLPOOL_MARGIN)} above it; {ins.count(pool)} of "
        "them remix an earlier output of the pool"
    )


def _wasabi_reason(tx, value, k) -> str:
    ins, outs, _ = _facts(tx)
    return (
        f"Wasabi-shaped round: {k} equal outputs of {btc(value)} (about 0.1 BTC) among "
        f"{len(outs)}, {len(ins)} inputs, all P2WPKH"
    )


def _wasabi2_reason(tx, value, k) -> str:
    ins, outs, _ = _facts(tx)
    std = sum(v in WASABI2_DENOMS for v in outs)
    return (
        f"Wasabi 2-shaped round: {len(ins)} inputs and {len(outs)} outputs in descending order, "
        f"{std} outputs at standard denominations, P2WPKH/P2TR only"
    )


def _joinmarket_reason(tx, value, k) -> str:
    _, outs, n_addrs = _facts(tx)
    changes = [v for v in outs if v != value]
    return (
        f"JoinMarket-shaped: {k} equal outputs of {btc(value)} and {len(changes)} change outputs; "
        f"{k - 1} of them are each the change of their own inputs (a maker's coins), the other "
        f"inputs the taker's; {n_addrs} input addresses, all {tx.inputs[0].script_type}"
    )


def _equal_outputs_reason(tx, value, k) -> str:
    _, _, n_addrs = _facts(tx)
    return (
        f"CoinJoin-like: {k} equal outputs of {btc(value)} and {n_addrs} distinct input "
        "addresses (a batch payout can look the same: check who paid)"
    )


def _tx0_reason(tx, value, k) -> str:
    pool = next(p for p in WHIRLPOOL_POOLS if p < value <= p + WHIRLPOOL_MARGIN)
    return (
        f"not a CoinJoin but a Whirlpool Tx0: {k} equal outputs just above the {btc(pool)} pool "
        "size, prepared by one owner to enter mixes"
    )


def _no_shape_reason(tx, value, k) -> str:
    ins, _, _ = _facts(tx)
    if tx.coinbase or len(ins) < 2:
        return "fewer than two inputs: one payer at most"
    return f"no CoinJoin shape ({k} equal outputs at most, {len(ins)} inputs)"


_REASONS = {
    "whirlpool": _whirlpool_reason,
    "wasabi": _wasabi_reason,
    "wasabi2": _wasabi2_reason,
    "joinmarket": _joinmarket_reason,
    "equal_outputs": _equal_outputs_reason,
    "whirlpool_tx0": _tx0_reason,
    None: _no_shape_reason,
}


# ----------------------------------------------------------------------------- the shapes


@dataclass(frozen=True)
class _Shape:
    """What the CoinJoin rules read of a transaction, as numbers: arrays over every
    transaction of a chain (:func:`_shape_arrays`) or one transaction's (:func:`_shape_of`).
    Outputs are those with an address or value to mix (OP_RETURN left out)."""

    coinbase: object
    n_in: object
    n_out: object
    value: object  # the most repeated output value (ties: the larger) ...
    k: object  # ... and how many outputs have it
    in_min: object
    in_max: object
    in_wpkh: object  # every input P2WPKH
    out_wpkh: object
    in_segwit: object  # every input P2WPKH or P2TR
    out_segwit: object
    in_descending: object  # input values never rise, in input order
    out_descending: object
    n_standard: object  # outputs at a Wasabi 2 denomination
    n_addrs: object  # distinct input addresses
    at_pool: object  # value is a Whirlpool pool size
    pool_fee: dict  # pool -> an output pays that pool's coordinator fee (5 %)


# Each shape, written once: with arrays it answers for every transaction, with one
# transaction's numbers for that one (comparisons and & work on both).


def _base(f: _Shape):
    return np.logical_not(f.coinbase) & (f.n_in >= 2)


def _whirlpool(f: _Shape):
    """5-10 inputs and as many outputs of exactly one pool size, all P2WPKH, every input
    between the pool size and WHIRLPOOL_MARGIN above it."""
    same = (f.n_in >= 5) & (f.n_in <= 10) & (f.n_out == f.n_in) & (f.k == f.n_out)
    inputs = (f.in_min >= f.value) & (f.in_max <= f.value + WHIRLPOOL_MARGIN)
    return _base(f) & same & f.at_pool & f.out_wpkh & inputs


def _wasabi(f: _Shape):
    """At least 10 equal outputs of 0.1 BTC +- 0.02, all P2WPKH, at least 5 input addresses."""
    ten = (f.k >= 10) & (f.value >= WASABI_RANGE[0]) & (f.value <= WASABI_RANGE[1])
    return _base(f) & ten & f.in_wpkh & f.out_wpkh & (f.n_addrs >= WASABI_MIN_OWNERS)


def _wasabi2(f: _Shape):
    """At least 50 inputs, P2WPKH/P2TR only, values descending, half the outputs standard."""
    order = f.in_segwit & f.out_segwit & f.in_descending & f.out_descending
    return _base(f) & (f.n_in >= 50) & order & (2 * f.n_standard >= f.n_out)


def _joinmarket_shape(f: _Shape):
    """k >= 3 equal outputs of at least JOINMARKET_MIN, k-1 or k others, k input addresses;
    the makers are then looked for (:func:`_makers_pay`)."""
    k = f.k
    others = (f.n_out - k >= k - 1) & (f.n_out - k <= k)
    return (
        _base(f)
        & (k >= 3)
        & (f.value >= JOINMARKET_MIN)
        & (f.n_in >= k)
        & others
        & (f.n_addrs >= k)
    )


def _equal_outputs_shape(f: _Shape):
    """At least EQUAL_MIN equal outputs and as many input addresses; their script types are
    then checked (:func:`_coordinated_types`)."""
    return _base(f) & (f.k >= EQUAL_MIN) & (f.n_addrs >= f.k)


def _tx0_shape(f: _Shape, pool: int):
    """Two or more equal outputs just above ``pool`` and an output of the pool's fee."""
    above = (f.value > pool) & (f.value <= pool + WHIRLPOOL_MARGIN)
    return (f.k >= 2) & above & f.pool_fee[pool]


_SHAPES = (("whirlpool", _whirlpool), ("wasabi", _wasabi), ("wasabi2", _wasabi2))


def _shape_of(tx: Transaction) -> _Shape:
    """One transaction's numbers."""
    outs = [o for o in tx.outputs if o.script_type != "op_return"]
    ins, values = [i.value for i in tx.inputs], [o.value for o in outs]
    in_types, out_types = [i.script_type for i in tx.inputs], [o.script_type for o in outs]
    value, k = _top_equal(values)
    return _Shape(
        coinbase=tx.coinbase,
        n_in=len(ins),
        n_out=len(outs),
        value=value,
        k=k,
        in_min=min(ins, default=0),
        in_max=max(ins, default=0),
        in_wpkh=all(t == "p2wpkh" for t in in_types),
        out_wpkh=all(t == "p2wpkh" for t in out_types),
        in_segwit=all(t in SEGWIT_NATIVE for t in in_types),
        out_segwit=all(t in SEGWIT_NATIVE for t in out_types),
        in_descending=all(a >= b for a, b in zip(ins, ins[1:], strict=False)),
        out_descending=all(a >= b for a, b in zip(values, values[1:], strict=False)),
        n_standard=sum(v in WASABI2_DENOMS for v in values),
        n_addrs=len({i.address for i in tx.inputs}),
        at_pool=value in WHIRLPOOL_POOLS,
        pool_fee={pool: pool // 20 in values for pool in WHIRLPOOL_POOLS},
    )


def _top_equal(values: list[int]) -> tuple[int, int]:
    """(value, count) of the most repeated value; ties go to the larger value."""
    if not values:
        return 0, 0
    counts = Counter(values)
    value = max(counts, key=lambda v: (counts[v], v))
    return value, counts[value]


def _kind_of_one(tx: Transaction, f: _Shape) -> str | None:
    """The kind of one transaction, by the shapes in the order :func:`_coinjoin_arrays` uses."""
    for name, shape in _SHAPES:
        if shape(f):
            return name
    outs = [o for o in tx.outputs if o.script_type != "op_return"]
    values, out_types = [o.value for o in outs], [o.script_type for o in outs]
    ins, in_types = [i.value for i in tx.inputs], [i.script_type for i in tx.inputs]
    if _joinmarket_shape(f) and _makers_pay(ins, values, in_types, out_types, f.value, f.k):
        return "joinmarket"
    # a Tx0 (premix outputs and the pool's fee) is one owner's, even when paid from many
    # addresses: checked before the generic equal-outputs rule
    if any(_tx0_shape(f, pool) for pool in WHIRLPOOL_POOLS):
        return "whirlpool_tx0"
    equal = [t for v, t in zip(values, out_types, strict=True) if v == f.value]
    if _equal_outputs_shape(f) and _coordinated_types(equal):
        return "equal_outputs"
    return None


# ----------------------------------------------------------------------------- JoinMarket makers


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


def _joinmarket_types(in_types, outs, out_types, value) -> str | None:
    """The one script type of a JoinMarket round's inputs and change, or None when mixed."""
    equal = Counter(t for v, t in zip(outs, out_types, strict=True) if v == value)
    kind, n = equal.most_common(1)[0]
    k = sum(equal.values())
    change_types = {t for v, t in zip(outs, out_types, strict=True) if v != value}
    if n < k - 1 or change_types - {kind} or set(in_types) != {kind}:
        return None
    return kind


def _makers_pay(ins, outs, in_types, out_types, value: int, k: int) -> bool:
    """The JoinMarket rule past its shape: one script type for the inputs, the change and all
    equal outputs but at most one, and k-1 makers each paid by their own inputs."""
    kind = _joinmarket_types(in_types, outs, out_types, value)
    changes = [v for v in outs if v != value]
    return kind is not None and _makers_found(ins, value, changes, k - 1)


def _coordinated_types(types) -> bool:
    """Equal outputs a CoinJoin could make: one script type (every JoinMarket participant uses
    the taker's), or only native SegWit (Wasabi 2 mixes P2WPKH and P2TR). A batch paying
    customers' P2PKH, P2SH and SegWit addresses the same amount is neither."""
    kinds = set(types)
    return len(kinds) == 1 or kinds <= SEGWIT_NATIVE


# ----------------------------------------------------------------------------- vectorised


def _top_equal_arrays(T: TxTables, rows: np.ndarray):
    """Per tx: the most repeated value among output ``rows`` (ties: larger) and its count.

    ``rows`` are grouped by transaction (chain order). Most transactions have one or two
    outputs and are answered directly from their first row; only the rest are sorted by
    (tx, value) and counted in runs: a sort of every row costs ~10x more at 10^6 transactions.
    """
    tx, val = T.out_tx[rows], T.out_value[rows]
    if np.any(tx[1:] < tx[:-1]):  # not grouped after all: group them (the tests' tables)
        order = np.argsort(tx, kind="stable")
        tx, val = tx[order], val[order]
    count = np.bincount(tx, minlength=T.n_tx)  # rows of each transaction
    first = np.cumsum(count) - count  # its first row (rows are grouped)
    value = np.zeros(T.n_tx, dtype=np.int64)
    k = np.zeros(T.n_tx, dtype=np.int64)
    one = np.flatnonzero(count == 1)
    value[one], k[one] = val[first[one]], 1
    two = np.flatnonzero(count == 2)
    a, b = val[first[two]], val[first[two] + 1]
    value[two], k[two] = np.maximum(a, b), np.where(a == b, 2, 1)
    many = np.repeat(count >= 3, count)
    mt, mv = tx[many], val[many]
    if not len(mt):
        return value, k
    # sort by (tx, value) as one int64 key: the value's rank among the distinct values fits
    # beside the tx id where the value itself would not (np.lexsort of both took ~2x longer)
    order = np.argsort(mv)
    ranked = mv[order]
    new = np.r_[True, ranked[1:] != ranked[:-1]]
    distinct = ranked[new]
    rank = np.empty(len(mv), dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    n = np.int64(len(distinct))
    keys = np.sort(mt * n + rank)
    mt, mv = keys // n, distinct[keys % n]
    starts = np.flatnonzero(np.r_[True, (mt[1:] != mt[:-1]) | (mv[1:] != mv[:-1])])
    run_t, run_v = mt[starts], mv[starts]  # one run per (tx, value), values ascending
    run_k = np.diff(np.r_[starts, len(mt)])
    best = np.zeros(T.n_tx, dtype=np.int64)
    np.maximum.at(best, run_t, run_k)
    top = run_k == best[run_t]
    run_t, run_v, run_k = run_t[top], run_v[top], run_k[top]
    last = np.r_[run_t[1:] != run_t[:-1], True]  # of the tied runs, the largest value
    value[run_t[last]], k[run_t[last]] = run_v[last], run_k[last]
    return value, k


def _all(T: TxTables, tx_of: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.bincount(tx_of[~ok], minlength=T.n_tx) == 0


def _descending(T: TxTables, tx_of: np.ndarray, values: np.ndarray) -> np.ndarray:
    bad = (tx_of[1:] == tx_of[:-1]) & (values[1:] > values[:-1])
    return np.bincount(tx_of[1:][bad], minlength=T.n_tx) == 0


def _member(values: np.ndarray, allowed) -> np.ndarray:
    """``np.isin(values, allowed)`` for a small ``allowed``, by binary search (np.isin sorts
    ``values`` too: ~4x slower on millions of outputs).

    >>> _member(np.array([5, 7, 9]), {9, 5}).tolist()
    [True, False, True]
    """
    table = np.sort(np.fromiter(allowed, np.int64))
    if not len(table):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values


def _n_distinct_input_addresses(T: TxTables) -> np.ndarray:
    # inputs are grouped by transaction, so the (tx, address) keys are nearly sorted already:
    # np.sort takes milliseconds where np.unique's hash table took over a second at 10^6
    pairs = np.sort(T.in_tx * np.int64(T.n_addresses + 1) + T.in_addr)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(pairs // np.int64(T.n_addresses + 1), minlength=T.n_tx)


def coinjoin_table(dataset="course") -> pd.DataFrame:
    """One row per transaction: ``is_coinjoin``, ``kind`` (None when no shape fits),
    ``denomination`` and ``n_equal`` (the most repeated output value and its count).

    The rules of the module text, each written once, on whole columns (:func:`is_coinjoin`
    runs them on one transaction); JoinMarket's subset matching runs only on the few
    transactions whose shape fits. ``dataset``: a name, folder or ``Dataset``, a
    ``LocalChain``, or transactions fetched from any chain (a list).
    """
    import pandas as pd

    T = tables(dataset)
    kind, value, k = _coinjoin_arrays(T)
    return pd.DataFrame(
        {
            "txid": T.txid,
            "is_coinjoin": kind_is_coinjoin(kind),
            "kind": pd.array(kind, dtype="str"),
            "denomination": value,
            "n_equal": k,
        }
    )


def coinjoin_mask(dataset="course") -> np.ndarray:
    """``coinjoin_table(dataset)["is_coinjoin"]`` as a boolean array, without building the
    table (no txid text, no pandas: what clustering needs to leave CoinJoins out).

    >>> bool((coinjoin_mask("course") == coinjoin_table("course")["is_coinjoin"]).all())
    True
    """
    return kind_is_coinjoin(_coinjoin_arrays(tables(dataset))[0])


def kind_is_coinjoin(kind):
    """Which kinds are CoinJoins (an array of kinds, or one): every shape but a Whirlpool Tx0."""
    if kind is None or isinstance(kind, str):
        return kind is not None and kind != "whirlpool_tx0"
    return (kind != None) & (kind != "whirlpool_tx0")  # noqa: E711 (elementwise)


def _shape_arrays(T: TxTables) -> tuple[_Shape, np.ndarray]:
    """Every transaction's numbers at once; also the output rows they were read from."""
    p2wpkh, p2tr = SCRIPT_TYPES.index("p2wpkh"), SCRIPT_TYPES.index("p2tr")
    rows = np.flatnonzero(T.out_type != SCRIPT_TYPES.index("op_return"))
    o_tx, o_val, o_type = T.out_tx[rows], T.out_value[rows], T.out_type[rows]
    n_in = T.n_in
    value, k = _top_equal_arrays(T, rows)
    in_min = np.full(T.n_tx, 0, dtype=np.int64)
    in_max = np.full(T.n_tx, 0, dtype=np.int64)
    has = n_in > 0
    in_min[has] = np.minimum.reduceat(T.in_value, T.in_start[:-1][has])
    in_max[has] = np.maximum.reduceat(T.in_value, T.in_start[:-1][has])
    in_seg = (T.in_type == p2wpkh) | (T.in_type == p2tr)
    shape = _Shape(
        coinbase=T.tx_coinbase,
        n_in=n_in,
        n_out=np.bincount(o_tx, minlength=T.n_tx),
        value=value,
        k=k,
        in_min=in_min,
        in_max=in_max,
        in_wpkh=_all(T, T.in_tx, T.in_type == p2wpkh),
        out_wpkh=_all(T, o_tx, o_type == p2wpkh),
        in_segwit=_all(T, T.in_tx, in_seg),
        out_segwit=_all(T, o_tx, (o_type == p2wpkh) | (o_type == p2tr)),
        in_descending=_descending(T, T.in_tx, T.in_value),
        out_descending=_descending(T, o_tx, o_val),
        n_standard=np.bincount(o_tx[_member(o_val, WASABI2_DENOMS)], minlength=T.n_tx),
        n_addrs=_n_distinct_input_addresses(T),
        at_pool=_member(value, WHIRLPOOL_POOLS),
        pool_fee={
            pool: np.bincount(o_tx[o_val == pool // 20], minlength=T.n_tx) > 0
            for pool in WHIRLPOOL_POOLS
        },
    )
    return shape, rows


def _coinjoin_arrays(T: TxTables):
    """Kind (object array, None when no shape fits), denomination and count per transaction."""
    f, rows = _shape_arrays(T)
    o_tx, o_val, o_type = T.out_tx[rows], T.out_value[rows], T.out_type[rows]
    kind = np.full(T.n_tx, None, dtype=object)
    for name, shape in reversed(_SHAPES):  # later assignments win: the first shape that fits
        kind[shape(f)] = name

    # rows of one transaction by binary search (o_tx is sorted): a comparison over every
    # output for each candidate cost milliseconds apiece at 10^6 transactions
    def mine(t):
        return slice(*np.searchsorted(o_tx, [t, t + 1]))

    for t in np.flatnonzero(_joinmarket_shape(f) & (kind == None)):  # noqa: E711
        lo, hi = T.in_start[t], T.in_start[t + 1]
        names = [SCRIPT_TYPES[i] for i in T.in_type[lo:hi]]
        out_names = [SCRIPT_TYPES[i] for i in o_type[mine(t)]]
        vals, ins = o_val[mine(t)].tolist(), T.in_value[lo:hi].tolist()
        if _makers_pay(ins, vals, names, out_names, int(f.value[t]), int(f.k[t])):
            kind[t] = "joinmarket"
    free = kind == None  # noqa: E711
    tx0 = np.zeros(len(kind), dtype=bool)  # a Tx0 is one owner's: before equal outputs
    for pool in WHIRLPOOL_POOLS:
        tx0 |= free & _tx0_shape(f, pool)
    kind[tx0] = "whirlpool_tx0"
    for t in np.flatnonzero(_equal_outputs_shape(f) & (kind == None)):  # noqa: E711 (few)
        types, vals = o_type[mine(t)], o_val[mine(t)]
        if _coordinated_types(SCRIPT_TYPES[i] for i in types[vals == f.value[t]]):
            kind[t] = "equal_outputs"
    return kind, f.value, f.k
