"""CoinJoin detection on hand-built rounds, look-alikes, and the course data's ground truth."""

from dataclasses import replace

import pytest
from _handbuilt import addr, tx
from chaintrace.coinjoin import coinjoin_table, is_coinjoin
from chaintrace.txtables import from_transactions


def whirlpool(n=5, pool=1_000_000, remix=1):
    ins = [(addr(f"w-in-{i}"), pool if i < remix else pool + 1_000, "p2wpkh") for i in range(n)]
    outs = [(addr(f"w-out-{i}"), pool, "p2wpkh") for i in range(n)]
    return tx("1", ins, outs, version=1)


def wasabi(n=12, denom=10_500_000):
    ins = [(addr(f"ws-in-{i}"), 14_000_000 + i, "p2wpkh") for i in range(n)]
    outs = [(addr(f"ws-out-{i}"), denom, "p2wpkh") for i in range(n)]
    outs += [(addr(f"ws-ch-{i}"), 3_000_000 + i, "p2wpkh") for i in range(n)]
    return tx("2", ins, outs, version=1)


def wasabi2(n=60):
    denoms = [2**27, 10_000_000, 5_000_000, 3**14, 2 * 3**12, 1_000_000]
    ins = [(addr(f"w2-in-{i}"), 200_000_000 - i * 1_000_000, "p2tr") for i in range(n)]
    outs = [(addr(f"w2-out-{i}"), denoms[i % len(denoms)], "p2wpkh") for i in range(n)]
    outs.sort(key=lambda o: -o[1])
    return tx("3", ins, outs)


def joinmarket(makers=4, denom=2_000_000, honest=True):
    """A taker and ``makers`` makers; each maker gets the denomination plus change (+ a fee)."""
    ins, outs = [], []
    for m in range(makers):
        coins = [1_500_000 + 10_000 * m, 900_000]
        ins += [(addr(f"jm-{m}-{c}"), v, "p2wpkh") for c, v in enumerate(coins)]
        outs.append((addr(f"jm-out-{m}"), denom, "p2wpkh"))
        change = sum(coins) - denom + 1_000  # the maker earns 1,000 sat
        outs.append((addr(f"jm-ch-{m}"), change if honest else change + 5_000_000, "p2wpkh"))
    ins.append((addr("taker"), 2_100_000, "p2wpkh"))
    outs.append((addr("taker-out"), denom, "p2wpkh"))  # the taker spends all: no change
    return tx("4", ins, outs)


def test_whirlpool_mix_and_its_tx0():
    v = is_coinjoin(whirlpool())
    assert v and v.kind == "whirlpool" and v.denomination == 1_000_000 and v.n_equal == 5
    assert "1 of them remix" in v.reason
    tx0 = tx(
        "5",
        [(addr("sam"), 6_000_000, "p2wpkh")],
        [(addr(f"pre-{i}"), 1_001_000, "p2wpkh") for i in range(4)]
        + [(addr("coord-fee"), 50_000, "p2wpkh"), (addr("toxic"), 1_940_000, "p2wpkh")],
    )
    v0 = is_coinjoin(tx0)
    assert not v0 and v0.kind == "whirlpool_tx0" and "one owner" in v0.reason
    # one input above the pool margin: not a Whirlpool mix any more (equal outputs remain)
    ins = [(addr(f"x-{i}"), 1_000_000 + (200_000 if i == 0 else 0), "p2wpkh") for i in range(5)]
    near = tx("6", ins, [(addr(f"y-{i}"), 1_000_000, "p2wpkh") for i in range(5)])
    assert is_coinjoin(near).kind == "equal_outputs"


def test_wasabi_rounds():
    assert is_coinjoin(wasabi()).kind == "wasabi"
    assert is_coinjoin(wasabi(denom=5_000_000)).kind == "equal_outputs"  # not ~0.1 BTC
    assert is_coinjoin(wasabi2()).kind == "wasabi2"


def test_joinmarket_subset_matching():
    v = is_coinjoin(joinmarket())
    assert v.kind == "joinmarket" and "4 of which" in v.reason
    # same shape, but the change outputs match no subset of inputs: not JoinMarket
    assert is_coinjoin(joinmarket(honest=False)).kind != "joinmarket"


def test_batch_payout_from_one_wallet_is_not_a_coinjoin():
    """Tricky: an exchange pays ten customers the same amount from two hot-wallet coins."""
    hot = addr("exchange-hot")
    batch = tx(
        "7",
        [(hot, 60_000_000, "p2wpkh"), (hot, 50_000_000, "p2wpkh")],
        [(addr(f"cust-{i}"), 10_000_000, "p2wpkh") for i in range(10)]
        + [(hot, 9_990_000, "p2wpkh")],
    )
    v = is_coinjoin(batch)
    assert not v and v.n_equal == 10
    # the same batch from ten different addresses would be flagged: the rule's known limit
    spread = tx(
        "8",
        [(addr(f"hot-{i}"), 2_100_000, "p2wpkh") for i in range(10)],
        [(addr(f"cust-{i}"), 2_000_000, "p2wpkh") for i in range(10)],
    )
    assert is_coinjoin(spread).kind == "equal_outputs"


def test_simple_payments_and_bad_input():
    pay = tx(
        "9",
        [(addr("a"), 100_000, "p2wpkh")],
        [(addr("b"), 60_000, "p2wpkh"), (addr("c"), 39_000, "p2wpkh")],
    )
    assert not is_coinjoin(pay) and is_coinjoin(pay).kind is None
    with pytest.raises(TypeError, match="chain.tx"):
        is_coinjoin("ab" * 32)


def test_table_agrees_with_per_tx_on_hand_built_rounds():
    txs = [
        whirlpool(),
        whirlpool(8, 5_000_000, 0),
        wasabi(),
        wasabi2(),
        joinmarket(),
        joinmarket(honest=False),
    ]
    txs = [replace(t, txid=f"{n:x}" * 64) for n, t in enumerate(txs)]  # distinct txids
    table = coinjoin_table(from_transactions(txs))
    for t, row in zip(txs, table.itertuples(), strict=True):
        v = is_coinjoin(t)
        assert (row.kind if isinstance(row.kind, str) else None) == v.kind
        assert (row.is_coinjoin, row.n_equal, row.denomination) == (
            bool(v),
            v.n_equal,
            v.denomination,
        )


def test_course_rounds_found_without_false_positives():
    from chaintrace import truth

    table = coinjoin_table("course").merge(
        truth.load().transactions[["txid", "typology"]], on="txid"
    )
    true_cj = table["typology"] == "coinjoin"
    assert true_cj.sum() >= 10
    assert (table["is_coinjoin"] == true_cj).all()
    tx0 = table["typology"] == "whirlpool_tx0"
    assert ((table["kind"] == "whirlpool_tx0") == tx0).all()
