"""A dataset's transactions, inputs and outputs as dense integer arrays (the analytics engine).

Change detection, CoinJoin detection and clustering all work on these arrays rather than on
text: every transaction is its row number in ``transactions.parquet`` (which is in chain order),
every address is an integer code, and inputs/outputs are sorted by transaction so one
transaction's rows are a contiguous slice ``start[t]:start[t + 1]``. Built once per dataset and
kept.

>>> from chaintrace import load_dataset
>>> T = tables(load_dataset("course"))
>>> len(T.txid) == len(T.tx_version), int(T.out_start[-1]) == len(T.out_tx)
(True, True)
>>> T.address_of(T.out_addr[T.out_start[1]]).startswith(("1", "3", "bc1"))
True
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported by the functions reading tables: the engine index needs none
    import pandas as pd

__all__ = ["TxTables", "tables", "from_transactions", "SCRIPT_TYPES"]

SCRIPT_TYPES = ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "op_return")
OP_RETURN = SCRIPT_TYPES.index("op_return")
_CACHE: dict[tuple, TxTables] = {}
_LOCK = threading.Lock()


@dataclass(eq=False)
class TxTables:
    """Arrays of one dataset; ``out_*`` and ``in_*`` rows are sorted by (tx row, index)."""

    tx_height: np.ndarray
    tx_version: np.ndarray
    tx_locktime: np.ndarray
    tx_coinbase: np.ndarray
    out_tx: np.ndarray  # int64 tx row of each output
    out_vout: np.ndarray
    out_value: np.ndarray
    out_addr: np.ndarray  # int64 address code, -1 for none (OP_RETURN)
    out_type: np.ndarray  # int8 index into SCRIPT_TYPES
    out_spender: np.ndarray  # int64 tx row that spends the output, -1 when unspent
    out_start: np.ndarray  # out rows of tx t: out_start[t]:out_start[t+1]
    in_tx: np.ndarray
    in_vin: np.ndarray
    in_value: np.ndarray
    in_addr: np.ndarray
    in_type: np.ndarray
    in_sequence: np.ndarray
    in_prev_rank: np.ndarray  # sorts as prev_txid does (a rank, or its first 64 bits)
    in_prev_vout: np.ndarray
    in_start: np.ndarray
    # txid text by tx row and address text by code: an array, or a function that loads it
    # (the engine index decodes text only when a question needs it)
    txid_source: object = field(default=None, repr=False)
    address_source: object = field(default=None, repr=False)

    @cached_property
    def txid(self):
        """Txid text by tx row."""
        source = self.txid_source
        return source() if callable(source) else source

    @cached_property
    def addresses(self):
        """Address text by code."""
        source = self.address_source
        return source() if callable(source) else source

    @property
    def n_tx(self) -> int:
        return len(self.tx_height)

    @cached_property
    def n_addresses(self) -> int:
        # codes are dense 0..k-1 over both sides, so the largest one counts them
        top = max(self.out_addr.max(initial=-1), self.in_addr.max(initial=-1))
        return int(top) + 1

    @cached_property
    def row_of(self) -> dict[str, int]:
        """``txid -> tx row``."""
        return {t: n for n, t in enumerate(self.txid.tolist())}

    @cached_property
    def code_of(self) -> dict[str, int]:
        """``address -> code``."""
        return {a: n for n, a in enumerate(self.addresses.tolist())}

    def address_of(self, code: int) -> str:
        return "" if code < 0 else self.addresses[code]

    def row(self, txid: str) -> int:
        """The tx row of ``txid``, with an error that says what to check."""
        try:
            return self.row_of[txid]
        except KeyError:
            raise KeyError(
                f"txid {txid!r} is not in this dataset; copy the whole 64-character id from "
                "the case file or the transaction table"
            ) from None

    def code(self, address: str) -> int:
        """The code of ``address``, with an error that says what to check."""
        try:
            return self.code_of[address.strip()]
        except (KeyError, AttributeError):
            raise KeyError(
                f"address {address!r} never appears in this dataset; check it character by "
                "character (chaintrace.parse_address validates it)"
            ) from None

    @cached_property
    def n_in(self) -> np.ndarray:
        return np.diff(self.in_start)

    @cached_property
    def n_out(self) -> np.ndarray:
        return np.diff(self.out_start)

    @cached_property
    def out_spendable(self) -> np.ndarray:
        """Outputs that can be change: they have an address (not OP_RETURN)."""
        return (self.out_type != OP_RETURN) & (self.out_addr >= 0)

    @cached_property
    def n_spendable(self) -> np.ndarray:
        return np.bincount(self.out_tx[self.out_spendable], minlength=self.n_tx)


def _codes(series, categories) -> np.ndarray:
    import pandas as pd

    return pd.Categorical(series, categories=categories).codes.astype(np.int8)


def _sorted_rows(frame: pd.DataFrame, tx_rows: np.ndarray, index: str) -> np.ndarray:
    return np.lexsort((frame[index].to_numpy(), tx_rows))


def build(transactions: pd.DataFrame, outputs: pd.DataFrame, inputs: pd.DataFrame) -> TxTables:
    """Arrays from the three tables of ``docs/ARCHITECTURE.md`` (transactions in chain order)."""
    import pandas as pd

    txid = transactions["txid"].to_numpy(dtype=object)
    tx_index = pd.Index(txid)
    o_tx = tx_index.get_indexer(outputs["txid"].to_numpy(dtype=object)).astype(np.int64)
    i_tx = tx_index.get_indexer(inputs["txid"].to_numpy(dtype=object)).astype(np.int64)
    if (o_tx < 0).any() or (i_tx < 0).any():
        raise ValueError(
            "outputs or inputs name a txid that transactions.parquet lacks; the dataset is "
            "inconsistent: regenerate it with `chaintrace generate`"
        )
    o_perm, i_perm = _sorted_rows(outputs, o_tx, "vout"), _sorted_rows(inputs, i_tx, "vin")
    o, i = outputs.iloc[o_perm], inputs.iloc[i_perm]
    o_tx, i_tx = o_tx[o_perm], i_tx[i_perm]
    # one code space for addresses, whichever side they appear on; "" (OP_RETURN) -> -1
    both = np.concatenate(
        [o["address"].to_numpy(dtype=object), i["address"].to_numpy(dtype=object)]
    )
    both = np.where(pd.isna(both), "", both)
    codes, uniques = pd.factorize(both)
    empty = np.flatnonzero(uniques == "")
    codes = codes.astype(np.int64)
    if len(empty):  # renumber so that "" is -1 and the rest stay dense
        e = int(empty[0])
        codes = np.where(codes == e, -1, np.where(codes > e, codes - 1, codes))
        uniques = np.delete(uniques, e)
    n_o = len(o)
    spender = tx_index.get_indexer(o["spent_txid"].fillna("").to_numpy(dtype=object))
    n = len(txid)
    return TxTables(
        txid_source=txid,
        tx_height=transactions["height"].to_numpy(np.int64),
        tx_version=transactions["version"].to_numpy(np.int64),
        tx_locktime=transactions["locktime"].to_numpy(np.int64),
        tx_coinbase=transactions["coinbase"].to_numpy(bool),
        out_tx=o_tx,
        out_vout=o["vout"].to_numpy(np.int64),
        out_value=o["value"].to_numpy(np.int64),
        out_addr=codes[:n_o],
        out_type=_codes(o["script_type"], SCRIPT_TYPES),
        out_spender=spender.astype(np.int64),
        out_start=np.searchsorted(o_tx, np.arange(n + 1)),
        in_tx=i_tx,
        in_vin=i["vin"].to_numpy(np.int64),
        in_value=i["value"].to_numpy(np.int64),
        in_addr=codes[n_o:],
        in_type=_codes(i["script_type"], SCRIPT_TYPES),
        in_sequence=i["sequence"].to_numpy(np.int64),
        in_prev_rank=pd.factorize(i["prev_txid"].to_numpy(dtype=object), sort=True)[0],
        in_prev_vout=i["prev_vout"].to_numpy(np.int64),
        in_start=np.searchsorted(i_tx, np.arange(n + 1)),
        address_source=np.asarray(uniques, dtype=object),
    )


def from_graph(graph) -> TxTables:
    """The arrays of a graph loaded from a dataset's engine index (:mod:`chaintrace.graphstore`).

    Everything is an integer array already; txid and address text are borrowed from the graph,
    which decodes them on first use.
    """
    stored, spends = graph._store, graph.in_out
    n = graph.n_tx
    in_tx = np.repeat(np.arange(n), np.diff(graph.tx_in_ptr))
    out_type = stored["out_script_type"].astype(np.int8)
    # BIP-69 only compares prev txids, and their first 64 bits sort as the text does
    keys = np.ascontiguousarray(graph._txid_raw[:, :8]).view(">u8").ravel().astype(np.uint64)
    return TxTables(
        tx_height=graph.tx_height,
        tx_version=stored["tx_version"].astype(np.int64),
        tx_locktime=stored["tx_locktime"].astype(np.int64),
        tx_coinbase=graph.tx_coinbase,
        out_tx=graph.out_tx,
        out_vout=graph.out_vout.astype(np.int64),
        out_value=graph.out_value,
        out_addr=graph.out_addr,
        out_type=out_type,
        out_spender=graph.out_spent_tx,
        out_start=graph.tx_out_ptr,
        in_tx=in_tx,
        in_vin=np.arange(len(spends)) - graph.tx_in_ptr[in_tx],
        in_value=graph.out_value[spends],
        in_addr=graph.out_addr[spends],
        in_type=out_type[spends],
        in_sequence=stored["in_sequence"].astype(np.int64),
        in_prev_rank=keys[graph.out_tx[spends]],
        in_prev_vout=graph.out_vout[spends].astype(np.int64),
        in_start=graph.tx_in_ptr,
        txid_source=lambda: graph.txids,
        address_source=lambda: graph.addresses,
    )


def tables(dataset) -> TxTables:
    """The arrays of ``dataset`` (a :class:`~chaintrace.Dataset`, a ``LocalChain``, a name or
    a :class:`TxTables`), built once per dataset version and kept."""
    if isinstance(dataset, TxTables):
        return dataset
    from .dataset import as_dataset

    dataset = as_dataset(dataset)
    key = (str(dataset.path), dataset.checksum)
    with _LOCK:
        if key not in _CACHE:
            from .graph import build_graph

            graph = build_graph(dataset)  # from the engine index when the dataset has one
            if graph._store is not None:
                _CACHE[key] = from_graph(graph)
            else:
                _CACHE[key] = build(dataset.transactions, dataset.outputs, dataset.inputs)
        return _CACHE[key]


def from_transactions(txs) -> TxTables:
    """Arrays of a handful of :class:`~chaintrace.Transaction` objects, in the order given.

    This is how transactions fetched from an Esplora server, or built by hand in a test, go
    through the same engine as a bundled dataset. Spenders outside ``txs`` count as unspent.

    >>> from chaintrace import load_case, open_chain
    >>> chain = open_chain("course")
    >>> T = from_transactions([chain.tx(load_case("ransom-01").payment_txid)])
    >>> T.n_tx
    1
    """
    import pandas as pd

    txs = list(txs)
    known = {t.txid for t in txs}
    tx_rows = [
        {
            "txid": t.txid,
            "height": t.height if t.height is not None else -1,
            "version": t.version,
            "locktime": t.locktime,
            "coinbase": t.coinbase,
        }
        for t in txs
    ]
    outs = [
        {
            "txid": t.txid,
            "vout": o.vout,
            "address": o.address,
            "value": o.value,
            "script_type": o.script_type,
            "spent_txid": o.spent_txid if o.spent_txid in known else None,
        }
        for t in txs
        for o in t.outputs
    ]
    ins = [
        {
            "txid": t.txid,
            "vin": n,
            "prev_txid": i.prev_txid,
            "prev_vout": i.prev_vout,
            "address": i.address,
            "value": i.value,
            "script_type": i.script_type,
            "sequence": i.sequence,
        }
        for t in txs
        for n, i in enumerate(t.inputs)
    ]
    out_cols = ["txid", "vout", "address", "value", "script_type", "spent_txid"]
    in_cols = [
        "txid",
        "vin",
        "prev_txid",
        "prev_vout",
        "address",
        "value",
        "script_type",
        "sequence",
    ]
    return build(
        pd.DataFrame(tx_rows, columns=["txid", "height", "version", "locktime", "coinbase"]),
        pd.DataFrame(outs, columns=out_cols).astype({"spent_txid": object}),
        pd.DataFrame(ins, columns=in_cols),
    )
