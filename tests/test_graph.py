"""TxGraph: dense ids and CSR arrays agree with the tables they were built from."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from _chain_fixtures import address, build_chain
from chaintrace import ChainError, NotFound
from chaintrace.graph import GraphError, TxGraph, build_graph, segment_sums, txid_keys

BASE = 1_700_000_000


def txid(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def tables(spec):
    """Tables for a hand-built chain. ``spec``: (name, [(parent name, vout)], [(addr, sats)]).

    Transactions get one block each, in the order given; a transaction without inputs is a
    coinbase. Addresses are labels turned into real mainnet addresses.
    """
    txs, outs, ins = [], [], []
    values = {}
    for n, (name, spends, pays) in enumerate(spec):
        t = txid(name)
        for vin, (parent, vout) in enumerate(spends):
            a, v = values[(parent, vout)]
            ins.append([t, vin, txid(parent), vout, a, v, 0xFFFFFFFF])
            for row in outs:
                if row[0] == txid(parent) and row[1] == vout:
                    row[4], row[5] = t, vin
        for vout, (label, sats) in enumerate(pays):
            addr = "" if label == "" else address(label)
            kind = "op_return" if label == "" else "p2wpkh"
            outs.append([t, vout, addr, sats, None, None, kind])
            values[(name, vout)] = (addr, sats)
        fee = sum(values[p][1] for p in spends) - sum(s for _, s in pays) if spends else 0
        n_in, n_out = len(spends), len(pays)
        txs.append([t, 900_000 + n, 0, BASE + 600 * n, n_in, n_out, not spends, fee, 2, 0])
    transactions = pd.DataFrame(
        txs,
        columns=[
            "txid", "height", "position", "time", "n_inputs", "n_outputs", "coinbase", "fee",
            "version", "locktime",
        ],
    )  # fmt: skip
    outputs = pd.DataFrame(
        outs,
        columns=["txid", "vout", "address", "value", "spent_txid", "spent_vin", "script_type"],
    )
    inputs = pd.DataFrame(
        ins, columns=["txid", "vin", "prev_txid", "prev_vout", "address", "value", "sequence"]
    )
    return transactions, outputs, inputs


def tiny_graph(spec) -> TxGraph:
    return TxGraph.from_tables(*tables(spec), name="tiny")


SPEC = [
    ("cb", [], [("alice", 50_0000_0000)]),
    ("pay", [("cb", 0)], [("bob", 10_0000_0000), ("alice-change", 39_9999_0000)]),
    ("merge", [("pay", 0), ("pay", 1)], [("carol", 49_9998_0000), ("", 0)]),
]


def test_csr_arrays_match_tables():
    g = tiny_graph(SPEC)
    assert (g.n_tx, g.n_out) == (3, 5)
    pay, merge = g.tx_id(txid("pay")), g.tx_id(txid("merge"))
    assert g.outputs_of(pay).tolist() == [1, 2]
    assert g.inputs_of(merge).tolist() == [1, 2]
    assert g.out_spent_tx.tolist() == [pay, merge, merge, -1, -1]
    assert g.out_addr[4] == -1 and g.out_addr_text(4) == ""  # OP_RETURN has no address
    assert g.in_value().tolist() == [0, 50_0000_0000, 49_9999_0000]
    carol = g.addr_id(address("carol"))
    assert g.outputs_of_address(carol).tolist() == [3]
    assert g.find_output(txid("pay"), address("bob")) == 1


def test_shuffled_tables_give_the_same_graph():
    t, o, i = tables(SPEC)
    a = TxGraph.from_tables(t, o, i)
    b = TxGraph.from_tables(t, o.sample(frac=1, random_state=1), i.sample(frac=1, random_state=2))
    for name in ("out_tx", "out_vout", "out_value", "out_spent_tx", "in_out", "tx_out_ptr"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert [a.out_addr_text(x) for x in range(a.n_out)] == [
        b.out_addr_text(x) for x in range(b.n_out)
    ]


def test_graph_of_fixture_dataset_agrees_with_rows(mini_path):
    from chaintrace import load_dataset

    ds = load_dataset(mini_path)
    g = build_graph(ds)
    assert g is build_graph(ds)
    outs = ds.outputs
    for row in outs.sample(20, random_state=0).itertuples():
        o = g.output_id(row.txid, row.vout)
        assert g.out_value[o] == row.value and g.out_addr_text(o) == row.address
        spender = g.out_spent_tx[o]
        assert (g.txids[spender] if spender >= 0 else None) == (
            row.spent_txid if isinstance(row.spent_txid, str) else None
        )


def test_bad_lookups_say_what_to_do():
    g = tiny_graph(SPEC)
    with pytest.raises(ChainError, match="64 hexadecimal") as info:
        g.tx_id("abc")
    assert not isinstance(info.value, NotFound)  # bad input, as LocalChain.tx says it
    with pytest.raises(NotFound, match="not in 'tiny'"):
        g.tx_id("00" * 32)
    with pytest.raises(NotFound, match="vout 7"):
        g.output_id(txid("pay"), 7)
    with pytest.raises(NotFound, match="txid>:<vout"):
        g.parse_output("nonsense")
    with pytest.raises(NotFound, match="typos"):
        g.addr_id(address("nobody"))


def test_missing_previous_transaction_is_reported():
    t, o, i = tables(SPEC)
    with pytest.raises(GraphError, match="incomplete"):
        TxGraph.from_tables(t[t.txid != txid("cb")], o[o.txid != txid("cb")], i)


def test_txid_keys_and_segments():
    keys = txid_keys(["0123456789abcdef" + "0" * 48, "F" * 64])
    assert keys.tolist() == [0x0123456789ABCDEF, 2**64 - 1]
    with pytest.raises(GraphError, match="hexadecimal"):
        txid_keys(["zz" * 32])
    assert segment_sums(np.array([5, 6]), np.array([0, 0, 1, 2])).tolist() == [0, 5, 6]


def test_bech32_lookup_ignores_case():
    g = tiny_graph(SPEC)
    assert g.addr_id(address("bob").upper()) == g.addr_id(address("bob"))


def test_fixture_chain_is_importable():
    assert len(build_chain().txs) > 30
