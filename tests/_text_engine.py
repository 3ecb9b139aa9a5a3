"""Oracles for the engine index: what it must hold, derived straight from the text tables.

The toolkit reads one index per dataset (:class:`chaintrace.graph.TxGraph`, its rules' view
:class:`chaintrace.txtables.TxTables`, and :class:`chaintrace.LocalChain` answering from it).
These functions compute the same things the plain way, with pandas over the three text tables
(txids and addresses matched as text), so tests can check the index against them whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from chaintrace.graph import SCRIPT_TYPES
from chaintrace.model import Transaction, TxInput, TxOutput


def rule_arrays(transactions, outputs, inputs) -> dict[str, np.ndarray]:
    """The arrays of :class:`~chaintrace.txtables.TxTables`, from the text tables.

    Rows sorted by (tx row, vout/vin); addresses coded by first appearance over the outputs,
    then the inputs; ``in_prev_rank`` the rank of the previous txid's text.
    """
    txid = transactions["txid"].to_numpy(dtype=object)
    index = pd.Index(txid)
    o_tx = index.get_indexer(outputs["txid"].to_numpy(dtype=object)).astype(np.int64)
    i_tx = index.get_indexer(inputs["txid"].to_numpy(dtype=object)).astype(np.int64)
    o_perm = np.lexsort((outputs["vout"].to_numpy(), o_tx))
    i_perm = np.lexsort((inputs["vin"].to_numpy(), i_tx))
    o, i = outputs.iloc[o_perm], inputs.iloc[i_perm]
    o_tx, i_tx = o_tx[o_perm], i_tx[i_perm]
    both = np.concatenate(
        [o["address"].to_numpy(dtype=object), i["address"].to_numpy(dtype=object)]
    )
    codes, uniques = pd.factorize(np.where(pd.isna(both), "", both))
    codes = codes.astype(np.int64)
    blank = np.flatnonzero(uniques == "")
    if len(blank):
        b = int(blank[0])
        codes = np.where(codes == b, -1, np.where(codes > b, codes - 1, codes))
        uniques = np.delete(uniques, b)
    n, n_o = len(txid), len(o)

    def types(column):
        return pd.Categorical(column, categories=SCRIPT_TYPES).codes.astype(np.int8)

    return {
        "txid": txid,
        "addresses": np.asarray(uniques, dtype=object),
        "tx_height": transactions["height"].to_numpy(np.int64),
        "tx_version": transactions["version"].to_numpy(np.int64),
        "tx_locktime": transactions["locktime"].to_numpy(np.int64),
        "tx_coinbase": transactions["coinbase"].to_numpy(bool),
        "out_tx": o_tx,
        "out_vout": o["vout"].to_numpy(np.int64),
        "out_value": o["value"].to_numpy(np.int64),
        "out_addr": codes[:n_o],
        "out_type": types(o["script_type"]),
        "out_spender": index.get_indexer(o["spent_txid"].fillna("").to_numpy(dtype=object)),
        "out_start": np.searchsorted(o_tx, np.arange(n + 1)),
        "in_tx": i_tx,
        "in_vin": i["vin"].to_numpy(np.int64),
        "in_value": i["value"].to_numpy(np.int64),
        "in_addr": codes[n_o:],
        "in_type": types(i["script_type"]),
        "in_sequence": i["sequence"].to_numpy(np.int64),
        "in_prev_rank": pd.factorize(i["prev_txid"].to_numpy(dtype=object), sort=True)[0],
        "in_prev_vout": i["prev_vout"].to_numpy(np.int64),
        "in_start": np.searchsorted(i_tx, np.arange(n + 1)),
    }


def transactions_from_tables(dataset) -> dict[str, Transaction]:
    """Every transaction of ``dataset`` as a :class:`~chaintrace.Transaction`, from its tables."""
    t, o, i = dataset.transactions, dataset.outputs, dataset.inputs
    tip = int(dataset.blocks["height"].max())
    outs: dict[str, list] = {}
    for r in o.sort_values(["txid", "vout"]).itertuples(index=False):
        spent = r.spent_txid if isinstance(r.spent_txid, str) else None
        vin = None if spent is None or pd.isna(r.spent_vin) else int(r.spent_vin)
        out = TxOutput(int(r.vout), r.address or "", int(r.value), r.script_type, spent, vin)
        outs.setdefault(r.txid, []).append(out)
    ins: dict[str, list] = {}
    for r in i.sort_values(["txid", "vin"]).itertuples(index=False):
        ins.setdefault(r.txid, []).append(
            TxInput(r.prev_txid, int(r.prev_vout), r.address or "", int(r.value), r.script_type,
                    int(r.sequence))
        )  # fmt: skip
    found = {}
    for r in t.itertuples(index=False):
        found[r.txid] = Transaction(
            txid=r.txid,
            inputs=tuple(ins.get(r.txid, [])),
            outputs=tuple(outs.get(r.txid, [])),
            fee=int(r.fee),
            size=int(r.size),
            vsize=int(r.vsize),
            weight=int(r.weight),
            version=int(r.version),
            locktime=int(r.locktime),
            height=int(r.height),
            time=datetime.fromtimestamp(int(r.time), tz=UTC),
            confirmations=tip - int(r.height) + 1,
            coinbase=bool(r.coinbase),
        )
    return found
