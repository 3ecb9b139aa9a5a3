"""Typologies: first moves on hand-built transactions and on the course cases; payout matching."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import chaintrace as ct
import pytest
from _handbuilt import WHEN, tx
from chaintrace.model import AddressSummary
from chaintrace.typology import MAX_ESCROWS, TypologyError, first_move, match_payouts


class Chain:
    """Just what first_move asks: transactions by txid and how often each address was paid."""

    def __init__(self, txs):
        self.txs = {t.txid: t for t in txs}

    def tx(self, txid):
        return self.txs[txid]

    def address_summary(self, address):
        paid = sum(o.address == address for t in self.txs.values() for o in t.outputs)
        return AddressSummary(address, paid, paid, 0, 0, 0, 0)


def escrow_sweep():
    """Two orders pay one-use escrows; the market sweeps both into one output, 3 blocks later."""
    order = tx("a", [("buyer", 50_000, "p2wpkh")], [("escrow-1", 40_000, "p2wpkh", "c" * 64)])
    other = tx("b", [("buyer2", 30_000, "p2wpkh")], [("escrow-2", 20_000, "p2wpkh", "c" * 64)])
    sweep = tx(
        "c",
        [("escrow-1", 40_000, "p2wpkh"), ("escrow-2", 20_000, "p2wpkh")],
        [("market", 59_000, "p2wpkh")],
        height=830_003,
        prevs=[("a" * 64, 0), ("b" * 64, 0)],
    )
    sweep = replace(sweep, time=WHEN + timedelta(hours=5))
    return Chain([order, other, sweep]), order, sweep


def test_first_move_of_an_escrow_sweep():
    chain, order, sweep = escrow_sweep()
    move = first_move(order.txid, "escrow-1", chain=chain)
    assert (move.txid, move.inputs, move.outputs) == (sweep.txid, 2, 1)
    assert move.one_use_inputs == 1.0 and move.largest_share == 1.0
    assert (move.blocks, move.hours) == (3, 5.0)
    assert move.as_dict()["one_use_inputs"] == 1.0
    assert (move.input_once, move.followed_vin) == ((True, True), 0)


def test_a_reused_input_address_counts_once():
    """A deposit address paid twice and spent twice in one sweep is one address, not used once."""
    first = tx("a", [("payer", 10_000, "p2wpkh")], [("deposit", 9_000, "p2wpkh", "c" * 64)])
    again = tx("b", [("payer", 10_000, "p2wpkh")], [("deposit", 8_000, "p2wpkh", "c" * 64)])
    fresh = tx("d", [("payer", 10_000, "p2wpkh")], [("fresh", 7_000, "p2wpkh", "c" * 64)])
    sweep = tx(
        "c",
        [("deposit", 9_000, "p2wpkh"), ("deposit", 8_000, "p2wpkh"), ("fresh", 7_000, "p2wpkh")],
        [("hot", 20_000, "p2wpkh"), ("hot2", 3_000, "p2wpkh")],
        prevs=[("a" * 64, 0), ("b" * 64, 0), ("d" * 64, 0)],
    )
    move = first_move(first.txid, "deposit", chain=Chain([first, again, fresh, sweep]))
    assert (move.inputs, move.input_addresses, move.one_use_inputs) == (3, 2, 0.5)
    assert move.input_once == (False, False, True)
    assert move.largest_share == pytest.approx(20_000 / 23_000)


def test_first_move_says_what_is_wrong():
    chain, order, _ = escrow_sweep()
    with pytest.raises(TypologyError, match="pays no output to nobody"):
        first_move(order.txid, "nobody", chain=chain)
    unspent = tx("e", [("x", 1_000, "p2wpkh")], [("y", 900, "p2wpkh")])
    with pytest.raises(TypologyError, match="unspent"):
        first_move(unspent.txid, "y", chain=Chain([unspent]))
    assert issubclass(TypologyError, ct.ChaintraceError)


@pytest.mark.parametrize(
    ("case_id", "txid_field", "address_field"),
    [
        ("darknet-01", "order_txid", "escrow_address"),
        ("sanctions-01", "deposit_txid", "deposit_address"),
        ("theft-01", "theft_txid", "thief_address"),
        ("ransom-01", "payment_txid", "ransom_address"),
    ],
)
def test_the_course_cases_have_their_typology_shape(case_id, txid_field, address_field):
    """The shapes module 10 teaches hold on the bundled cases (and, by design, on any variant)."""
    case = ct.load_case(case_id)
    move = ct.first_move(getattr(case, txid_field), getattr(case, address_field))
    assert move.blocks >= 0
    if case.typology == "darknet_market":
        assert move.outputs == 1 and move.one_use_inputs == 1.0 and move.inputs >= 2
    elif case.typology == "sanctions_evasion":
        assert move.outputs == 1 and move.one_use_inputs < 1.0
    elif case.typology == "theft":
        assert move.outputs >= 10
    else:
        assert move.outputs == 2


def sweep_and_batch(vendor_sats=(475_000, 95_000)):
    sweep = tx(
        "s",
        [("e1", 100_000, "p2wpkh"), ("e2", 300_000, "p2wpkh"), ("e3", 200_000, "p2wpkh")],
        [("m", 599_000, "p2wpkh")],
    )
    outs = [(f"v{n}", sats, "p2wpkh") for n, sats in enumerate(vendor_sats)]
    batch = tx("t", [("m", 599_000, "p2wpkh")], [*outs, ("m", 20_000, "p2wpkh")])
    return sweep, batch


def test_match_payouts_explains_each_output():
    sweep, batch = sweep_and_batch()
    table = match_payouts(batch, sweep, {"m"})
    assert list(table["explained_by"]) == [
        "95 % of 2 escrow(s)",
        "95 % of 1 escrow(s)",
        "change to the market",
    ]
    assert list(table["escrow_vins"]) == [(1, 2), (0,), ()]
    assert list(table["sats"]) == [475_000, 95_000, 20_000]


def test_match_payouts_tolerates_rounding_but_not_a_wrong_share():
    sweep, batch = sweep_and_batch((474_993, 95_000))  # 7 sats under 95 %: the market rounds down
    assert match_payouts(batch, sweep, {"m"})["explained_by"][0] == "95 % of 2 escrow(s)"
    wrong = match_payouts(batch, sweep, {"m"}, commission=0.02)
    assert list(wrong["explained_by"][:2]) == ["no match", "no match"]


def test_match_payouts_refuses_what_it_cannot_do():
    sweep, batch = sweep_and_batch()
    with pytest.raises(TypologyError, match="0.05"):
        match_payouts(batch, sweep, {"m"}, commission=5)
    big = tx(
        "u", [(f"e{n}", 1_000, "p2wpkh") for n in range(MAX_ESCROWS + 1)], [("m", 1, "p2wpkh")]
    )
    with pytest.raises(TypologyError, match="too slow"):
        match_payouts(batch, big, {"m"})
