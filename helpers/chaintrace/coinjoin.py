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
  Whirlpool) are still found. The generator now also makes JoinMarket-like rounds (a taker,
  4-9 makers of at most three inputs each): on seeds 1-4 and 20240301 every one is found.
- ``equal_outputs``: any other transaction with at least 5 equal outputs, at least as many
  distinct input addresses, and equal outputs of one script type or only native SegWit (a
  coordinator's rule; a batch paying customers' legacy and SegWit addresses is not a round).
  CoinJoin-like, but a batch payout can still look the same: in the same 15 economies it
  flags 2 exchange batch withdrawals (3 before the script-type condition; check who paid).
- ``whirlpool_tx0`` (not a CoinJoin: one owner): two or more equal outputs just above a pool
  size and an output of the pool's fee (5 % of the pool size), the entrant's "Tx0" that
  prepares coins for Whirlpool. Checked before ``equal_outputs``: a Tx0 paid from five or more
  of the entrant's addresses has the generic round's shape, but the fee output gives it away.

>>> from chaintrace import load_case, open_chain
>>> chain = open_chain("course")
>>> case = load_case("coinjoin-01")
>>> v = is_coinjoin(chain.tx(case.received_txid))
>>> bool(v), v.kind
(False, None)
>>> table = coinjoin_table("course")
>>> sorted(set(table.loc[table["is_coinjoin"], "kind"]))
['wasabi', 'whirlpool']
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from .model import Transaction
from .txtables import SCRIPT_TYPES, TxTables, tables
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


# ----------------------------------------------------------------------------- per transaction


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


# ----------------------------------------------------------------------------- vectorised


def _top_equal_arrays(T: TxTables, rows: np.ndarray):
    """Per tx: the most repeated value among output ``rows`` (ties: larger) and its count.

    ``rows`` are grouped by transaction (chain order). Most transactions have one or two
    outputs and are answered directly; only the rest are sorted by (tx, value) and counted
    in runs: a sort of every row costs ~10x more at 10^6 transactions.
    """
    tx, val = T.out_tx[rows], T.out_value[rows]
    if np.any(tx[1:] < tx[:-1]):  # not grouped after all: group them (the tests' tables)
        order = np.argsort(tx, kind="stable")
        tx, val = tx[order], val[order]
    per_tx = np.bincount(tx, minlength=T.n_tx)[tx]  # rows of each row's transaction
    value = np.zeros(T.n_tx, dtype=np.int64)
    k = np.zeros(T.n_tx, dtype=np.int64)
    one = per_tx == 1
    value[tx[one]], k[tx[one]] = val[one], 1
    pair = np.flatnonzero(per_tx == 2)  # the two rows of a transaction are neighbours
    a, b, t = val[pair[0::2]], val[pair[1::2]], tx[pair[0::2]]
    value[t], k[t] = np.maximum(a, b), np.where(a == b, 2, 1)
    many = per_tx >= 3
    mt, mv = tx[many], val[many]
    if not len(mt):
        return value, k
    order = np.lexsort((mv, mt))
    mt, mv = mt[order], mv[order]
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

    Same rules as :func:`is_coinjoin`, on whole columns; JoinMarket's subset matching runs only
    on the few transactions whose shape fits.
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


def kind_is_coinjoin(kind: np.ndarray) -> np.ndarray:
    """Which kinds are CoinJoins: every named shape but a Whirlpool Tx0."""
    return (kind != None) & (kind != "whirlpool_tx0")  # noqa: E711 (elementwise)


def _coinjoin_arrays(T: TxTables):
    """Kind (object array, None when no shape fits), denomination and count per transaction."""
    p2wpkh, p2tr = SCRIPT_TYPES.index("p2wpkh"), SCRIPT_TYPES.index("p2tr")
    rows = np.flatnonzero(T.out_type != SCRIPT_TYPES.index("op_return"))
    o_tx, o_val, o_type = T.out_tx[rows], T.out_value[rows], T.out_type[rows]
    n_out = np.bincount(o_tx, minlength=T.n_tx)
    n_in = T.n_in
    value, k = _top_equal_arrays(T, rows)
    in_min = np.full(T.n_tx, 0, dtype=np.int64)
    in_max = np.full(T.n_tx, 0, dtype=np.int64)
    has = n_in > 0
    in_min[has] = np.minimum.reduceat(T.in_value, T.in_start[:-1][has])
    in_max[has] = np.maximum.reduceat(T.in_value, T.in_start[:-1][has])
    in_wpkh = _all(T, T.in_tx, T.in_type == p2wpkh)
    out_wpkh = _all(T, o_tx, o_type == p2wpkh)
    base = ~T.tx_coinbase & (n_in >= 2)

    whirl = base & (n_in >= 5) & (n_in <= 10) & (n_out == n_in) & (k == n_out)
    whirl &= _member(value, WHIRLPOOL_POOLS) & out_wpkh
    whirl &= (in_min >= value) & (in_max <= value + WHIRLPOOL_MARGIN)
    wasabi = base & (k >= 10) & (value >= WASABI_RANGE[0]) & (value <= WASABI_RANGE[1])
    n_addrs = _n_distinct_input_addresses(T)
    wasabi &= in_wpkh & out_wpkh & (n_addrs >= WASABI_MIN_OWNERS)
    seg = (T.in_type == p2wpkh) | (T.in_type == p2tr)
    wasabi2 = (
        base
        & (n_in >= 50)
        & _all(T, T.in_tx, seg)
        & _all(T, o_tx, (o_type == p2wpkh) | (o_type == p2tr))
    )
    wasabi2 &= _descending(T, T.in_tx, T.in_value) & _descending(T, o_tx, o_val)
    n_std = np.bincount(o_tx[_member(o_val, WASABI2_DENOMS)], minlength=T.n_tx)
    wasabi2 &= 2 * n_std >= n_out

    kind = np.full(T.n_tx, None, dtype=object)
    for name, mask in (("wasabi2", wasabi2), ("wasabi", wasabi), ("whirlpool", whirl)):
        kind[mask] = name  # later assignments win: same precedence as is_coinjoin
    free = base & (kind == None)  # noqa: E711 (elementwise on an object array)
    jm_shape = free & (k >= 3) & (value >= JOINMARKET_MIN) & (n_in >= k)
    jm_shape &= (n_out - k >= k - 1) & (n_out - k <= k)
    jm_shape &= n_addrs >= k

    # rows of one transaction by binary search (o_tx is sorted): a comparison over every
    # output for each candidate cost milliseconds apiece at 10^6 transactions
    def mine(t):
        return slice(*np.searchsorted(o_tx, [t, t + 1]))

    for t in np.flatnonzero(jm_shape):
        lo, hi = T.in_start[t], T.in_start[t + 1]
        mine_t = mine(t)
        names = [SCRIPT_TYPES[i] for i in T.in_type[lo:hi]]
        out_names = [SCRIPT_TYPES[i] for i in o_type[mine_t]]
        if _joinmarket(
            T.in_value[lo:hi].tolist(), o_val[mine_t].tolist(), names, out_names, n_addrs[t]
        ):
            kind[t] = "joinmarket"
    tx0 = np.zeros(T.n_tx, dtype=bool)  # a Tx0 (premix outputs + pool fee): one owner's
    for pool in WHIRLPOOL_POOLS:
        has_fee = np.bincount(o_tx[o_val == pool // 20], minlength=T.n_tx) > 0
        tx0 |= (k >= 2) & (value > pool) & (value <= pool + WHIRLPOOL_MARGIN) & has_fee
    free = base & (kind == None) & ~tx0  # noqa: E711
    for t in np.flatnonzero(free & (k >= EQUAL_MIN) & (n_addrs >= k)):  # few: check each
        types, vals = o_type[mine(t)], o_val[mine(t)]
        if _coordinated_types(SCRIPT_TYPES[i] for i in types[vals == value[t]]):
            kind[t] = "equal_outputs"
    kind[tx0 & (kind == None)] = "whirlpool_tx0"  # noqa: E711
    return kind, value, k
