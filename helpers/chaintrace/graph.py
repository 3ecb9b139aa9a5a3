"""The engine index: one chain as dense integer ids and CSR arrays, under every analysis.

Trace, taint, clustering, change and CoinJoin detection, plots and the bundled chain backend
(:class:`~chaintrace.chain.LocalChain`) all read one :class:`TxGraph` per dataset: loaded from
the dataset's engine index (:mod:`chaintrace.graphstore`), derived from its three tables, or
built from a handful of transactions fetched or typed in (:meth:`TxGraph.from_transactions`).
A :class:`TxGraph` numbers every transaction (``0..n_tx-1``, in chain order, which is also a
topological order: a transaction only spends outputs of earlier ones), every output
(``0..n_out-1``, grouped by transaction, in ``vout`` order) and every address. Four compressed
sparse row (CSR) maps answer the questions tracing asks, each in one array slice:

* transaction -> its outputs: ``out[tx_out_ptr[t]:tx_out_ptr[t+1]]`` (a range of output ids)
* output -> the transaction spending it: ``out_spent_tx[o]`` (-1 while unspent)
* transaction -> the outputs its inputs spend: ``in_out[tx_in_ptr[t]:tx_in_ptr[t+1]]``
* address -> the outputs paying it: ``addr_out[addr_out_ptr[a]:addr_out_ptr[a+1]]``

Building one from a dataset's three tables takes a fraction of a second even at 10^6
transactions (txids are matched by their first 64 bits with numpy, not by hashing strings),
and :func:`build_graph` keeps one per dataset for the life of the process. Looking up what is
not there raises :class:`~chaintrace.chain.NotFound`, whichever part of the toolkit asks.

>>> g = build_graph("course")
>>> case = load_case("ransom-01")
>>> t = g.tx_id(case.payment_txid)
>>> g.txids[t] == case.payment_txid
True
>>> o = g.find_output(case.payment_txid, case.ransom_address)
>>> g.out_addr_text(o) == case.ransom_address, int(g.out_value[o]) > 0
(True, True)
"""

from __future__ import annotations

import weakref
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .dataset import Dataset, as_dataset, load_case, load_dataset  # noqa: F401 (load_case, load_dataset: doctests)
from .errors import ChaintraceError
from .lookup import NotFound, check_address, check_txid

if TYPE_CHECKING:  # imported where used: a question that needs no table never loads pandas
    import pandas as pd
    import pyarrow as pa

__all__ = ["TxGraph", "build_graph", "GraphError", "SCRIPT_TYPES"]

# what an output's ``out_type`` code means (the index stores the code)
SCRIPT_TYPES = ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "op_return")
OP_RETURN = SCRIPT_TYPES.index("op_return")
_TYPE_CODES = {name: code for code, name in enumerate(SCRIPT_TYPES)}


class GraphError(ChaintraceError, ValueError):
    """The tables cannot form a consistent transaction graph (the message says which rows)."""


# ----------------------------------------------------------------------------- txid keys

_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def _hex_chars(column) -> np.ndarray:
    """The column's 64-character hex strings as an ``(n, 64)`` uint8 array (zero-copy if we can)."""
    if isinstance(column, (list, tuple)):  # a few txids typed in: no Arrow needed
        text = np.asarray(column, dtype="S64")
        return np.frombuffer(text.tobytes(), np.uint8).reshape(len(text), 64)
    import pyarrow as pa

    try:
        arr = pa.array(column.array if hasattr(column, "array") else column)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        n, large = len(arr), pa.types.is_large_string(arr.type)
        if n and arr.null_count == 0 and (large or pa.types.is_string(arr.type)):
            offsets = np.frombuffer(arr.buffers()[1], np.int64 if large else np.int32)
            offsets = offsets[arr.offset : arr.offset + n + 1]
            if np.all(np.diff(offsets) == 64):  # every txid 64 characters: one (n, 64) block
                data = np.frombuffer(arr.buffers()[2], np.uint8)
                return data[offsets[0] : offsets[-1]].reshape(n, 64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass
    # the general path: any sequence of str; a wrong length shows up as a failed match later
    text = np.asarray(list(column), dtype="S64")
    return np.frombuffer(text.tobytes(), np.uint8).reshape(len(text), 64)


def txid_keys(column) -> np.ndarray:
    """The first 64 bits of each txid as uint64: unique in any real chain, cheap to sort.

    >>> txid_keys(["00" * 31 + "ff", "ff" * 32]).tolist()
    [0, 18446744073709551615]
    """
    return _keys_of(_hex_chars(column))


def _keys_of(chars: np.ndarray) -> np.ndarray:
    nib = _HEX[chars[:, :16]]
    if nib.size and nib.max() > 15:
        bad = int(np.nonzero((nib > 15).any(axis=1))[0][0])
        raise GraphError(
            f"txid number {bad} is not 64 hexadecimal characters; check the table's txid columns"
        )
    packed = (nib[:, 0::2] << 4) | nib[:, 1::2]
    return np.ascontiguousarray(packed).view(">u8").ravel().astype(np.uint64)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for every pair, without a Python loop."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, np.int64)
    keep = lens > 0
    starts, lens = starts[keep], lens[keep]
    shift = np.repeat(starts - np.cumsum(lens) + lens, lens)
    return shift + np.arange(total, dtype=np.int64)


# ----------------------------------------------------------------------------- the graph


class TxGraph:
    """A UTXO chain as dense ids and CSR arrays (see the module docstring for the layout).

    Make one with :func:`build_graph` (cached per dataset) or :meth:`from_tables`.
    """

    def __init__(self, transactions: pd.DataFrame, outputs: pd.DataFrame, inputs: pd.DataFrame):
        import pandas as pd

        self.name = "<tables>"
        self.dataset: Dataset | None = None
        # kept as the table's (Arrow) array: indexing gives str, and no 10^6 Python strings
        self.txids = transactions["txid"].array
        self.tx_time = transactions["time"].to_numpy(np.int64)
        self.tx_height = transactions["height"].to_numpy(np.int64)
        self.tx_coinbase = transactions["coinbase"].to_numpy(bool)
        self.tx_version = transactions["version"].to_numpy(np.int64)
        self.tx_locktime = transactions["locktime"].to_numpy(np.int64)
        # txids are matched by their first 64 bits in a uint64 hash index (pandas' khash):
        # ~5x cheaper than hashing the 64-character strings, and unique in any real chain
        self._keys = pd.Index(txid_keys(transactions["txid"]))
        if not self._keys.is_unique:
            raise GraphError("two transactions share a txid (or its first 16 hex digits)")

        vout = outputs["vout"].to_numpy(np.int64)
        counts = transactions["n_outputs"].to_numpy(np.int64)
        out_tx, order, ptr = self._row_tx(outputs["txid"], counts, vout, transactions, "outputs")
        self.out_tx = out_tx[order]
        self.out_vout = vout[order].astype(np.int32)
        self.out_value = outputs["value"].to_numpy(np.int64)[order]
        # -1 for a type outside SCRIPT_TYPES (graphstore refuses to index such tables)
        self.out_type = pd.Categorical(
            outputs["script_type"].to_numpy()[order], categories=SCRIPT_TYPES
        ).codes.astype(np.int8)
        self._out_rows = order  # output id -> row of the outputs table
        self._outputs_addr = outputs["address"]
        self.tx_out_ptr = ptr

        n_in = np.where(self.tx_coinbase, 0, transactions["n_inputs"].to_numpy(np.int64))
        vin = inputs["vin"].to_numpy(np.int64)
        in_tx, order, self.tx_in_ptr = self._row_tx(
            inputs["txid"], n_in, vin, transactions, "inputs"
        )
        in_tx = in_tx[order]
        self._in_rows = order  # input id -> row of the inputs table
        self.in_sequence = inputs["sequence"].to_numpy(np.int64)[order]
        prev_tx = self._lookup_keys(txid_keys(inputs["prev_txid"]), "inputs.prev_txid")[order]
        prev_vout = inputs["prev_vout"].to_numpy(np.int64)[order]
        n_out_prev = self.tx_out_ptr[prev_tx + 1] - self.tx_out_ptr[prev_tx]
        if np.any(prev_vout >= n_out_prev) or np.any(prev_vout < 0):
            raise GraphError("an input spends a vout its previous transaction does not have")
        self.in_out = self.tx_out_ptr[prev_tx] + prev_vout
        self.out_spent_tx = np.full(len(self.out_tx), -1, np.int64)
        self.out_spent_tx[self.in_out] = in_tx

    # ------------------------------------------------------------------ building helpers
    def _lookup_keys(self, keys: np.ndarray, what: str) -> np.ndarray:
        pos = self._keys.get_indexer(keys)
        if np.any(pos < 0):
            raise GraphError(
                f"{what} names a transaction the transactions table does not hold; the dataset "
                "is incomplete: regenerate it or load all its tables"
            )
        return pos.astype(np.int64)

    def _row_tx(self, column, counts, position, transactions, what):
        """Transaction id of each row, the row order grouping rows by (tx, vout/vin), and the
        CSR pointer (rows of transaction t: ``ptr[t]:ptr[t+1]`` after reordering).

        Tables written in chain order pass a cheap check (each transaction's first row names
        it, and positions count 0, 1, ... within it) and need no txid matching at all.
        """
        ptr = np.concatenate([[0], np.cumsum(counts)])
        if ptr[-1] == len(column):
            guess = np.repeat(np.arange(len(counts)), counts)
            firsts = np.nonzero(counts > 0)[0]
            if np.array_equal(position, np.arange(len(guess)) - ptr[guess]) and np.array_equal(
                _keys_of(_hex_chars(column)[ptr[firsts]]), self._keys.to_numpy()[firsts]
            ):
                return guess, np.arange(len(guess)), ptr.astype(np.int64)
        row_tx = self._lookup_keys(txid_keys(column), f"{what}.txid")
        order = _group_order(row_tx, position)
        ptr = np.searchsorted(row_tx[order], np.arange(len(transactions) + 1)).astype(np.int64)
        return row_tx, order, ptr

    @classmethod
    def from_tables(cls, transactions, outputs, inputs, name: str = "<tables>") -> TxGraph:
        """Build from the three tables of ``docs/ARCHITECTURE.md`` (any row order)."""
        graph = cls(transactions, outputs, inputs)
        graph.name = name
        return graph

    @classmethod
    def from_arrays(cls, arrays: dict, name: str = "<arrays>", dataset=None) -> TxGraph:
        """Build from a dataset's engine index (:func:`chaintrace.graphstore.read_arrays`).

        Nothing is matched or sorted: the index is already in graph order. Txid and address
        text are decoded on first use.
        """
        graph = cls.__new__(cls)
        graph.name, graph.dataset, graph._store = name, dataset, arrays
        graph._txid_raw = arrays["tx_txid"]
        graph.tx_time = arrays["tx_time"].astype(np.int64, copy=False)
        graph.tx_height = arrays["tx_height"].astype(np.int64, copy=False)
        graph.tx_coinbase = arrays["tx_coinbase"].astype(bool, copy=False)
        graph.tx_version = arrays["tx_version"].astype(np.int64, copy=False)
        graph.tx_locktime = arrays["tx_locktime"].astype(np.int64, copy=False)
        n_out = arrays["tx_n_outputs"].astype(np.int64, copy=False)
        n_in = arrays["tx_n_inputs"].astype(np.int64, copy=False)
        graph.tx_out_ptr = np.concatenate([[0], np.cumsum(n_out)])
        graph.tx_in_ptr = np.concatenate([[0], np.cumsum(n_in)])
        tx = np.arange(len(n_out))
        graph.out_tx = np.repeat(tx, n_out)
        graph.out_vout = arrays["out_vout"].astype(np.int32, copy=False)
        graph.out_value = arrays["out_value"].astype(np.int64, copy=False)
        graph.out_type = arrays["out_script_type"].astype(np.int8, copy=False)
        graph.in_out = arrays["in_spends"].astype(np.int64, copy=False)
        graph.in_sequence = arrays["in_sequence"].astype(np.int64, copy=False)
        graph.out_spent_tx = np.full(len(graph.out_tx), -1, np.int64)
        graph.out_spent_tx[graph.in_out] = np.repeat(tx, n_in)
        return graph

    @classmethod
    def from_transactions(cls, txs, name: str | None = None) -> TxGraph:
        """The index of a few :class:`~chaintrace.Transaction` objects, in the order given.

        This is how transactions fetched from an Esplora server, or built by hand, go through
        the same engine as a bundled dataset. An output counts as spent by a transaction given
        here when that transaction's input names it or the output names that transaction as its
        spender; spenders not given count as unspent. The outputs the inputs spend outside the
        transactions given become *outside outputs*: ids after every own output, with the
        address, value and type the input reports and no transaction (``out_tx`` -1).

        >>> from chaintrace import open_chain
        >>> chain = open_chain("course")
        >>> tx = chain.tx(load_case("ransom-01").payment_txid)
        >>> g = TxGraph.from_transactions([tx])
        >>> g.n_tx, g.n_out == len(tx.outputs) + len(tx.inputs), g.tx_id(tx.txid)
        (1, True, 0)
        """
        txs = list(txs)
        graph = cls.__new__(cls)
        graph.name = name or f"{len(txs)} transaction{'s' if len(txs) != 1 else ''} given"
        graph.dataset = None
        _given_transactions(graph, txs)
        outs, ins, ext = _given_outputs(graph, txs)
        _given_spends(graph, txs, outs, ins, ext)
        return graph

    _store: dict | None = None  # the engine index this graph was loaded from, if any
    _outside_txids: list | None = None  # txids of the outside outputs (from_transactions)
    # from_transactions: own outputs whose spender is named but was not handed in
    out_spent_outside: np.ndarray | None = None

    @cached_property
    def txids(self):
        """Txid text by transaction id (an Arrow-backed array: indexing gives ``str``)."""
        from .graphstore import hex_text

        return hex_text(self._txid_raw).to_pandas().array

    @cached_property
    def _keys(self) -> pd.Index:
        import pandas as pd

        return pd.Index(self._key_column)

    @cached_property
    def _key_column(self) -> np.ndarray:
        """The first 64 bits of every txid (uint64), in transaction order."""
        raw = np.ascontiguousarray(self._txid_raw[:, :8])
        return raw.view(">u8").ravel().astype(np.uint64)

    _scans = 0  # txid lookups answered by scanning (see _find_key)

    def _find_key(self, key: np.uint64) -> int:
        """Transaction id whose txid starts with the 64 bits ``key`` (-1: none).

        A new process usually looks up one txid or a few (the start of a trace or a taint):
        comparing 10^6 keys takes ~1 ms, building the hash index ~100 ms. So the first
        lookups scan, and the index is built once lookups become many.
        """
        if "_keys" not in self.__dict__ and self._scans < 32:
            self._scans += 1
            hits = np.flatnonzero(self._key_column == key)
            return int(hits[0]) if len(hits) else -1
        try:
            return int(self._keys.get_loc(np.uint64(key)))
        except KeyError:
            return -1

    # ------------------------------------------------------------------ sizes and addresses
    @property
    def n_tx(self) -> int:
        return len(self.tx_time)

    @property
    def n_out(self) -> int:
        return len(self.out_tx)

    @cached_property
    def n_addresses(self) -> int:
        """How many addresses (ids run 0..n-1, each used by an output): no text is read."""
        if "addresses" in self.__dict__:
            return len(self.__dict__["addresses"])
        return int(self.out_addr.max(initial=-1)) + 1

    def __repr__(self) -> str:
        return f"<TxGraph {self.name!r}: {self.n_tx:,} transactions, {self.n_out:,} outputs>"

    @cached_property
    def _address_codes(self):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(self._outputs_addr.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        encoded = arr.dictionary_encode()  # Arrow's C++ hash of the address strings
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)[self._out_rows]
        # number addresses by first appearance in chain order, as the engine index does
        seen, first = np.unique(codes, return_index=True)
        order = seen[np.argsort(first, kind="stable")]
        renumber = np.empty(len(encoded.dictionary), np.int64)
        renumber[order] = np.arange(len(order))
        names = encoded.dictionary.take(pa.array(order))
        codes = renumber[codes]
        b = pc.index(names, "").as_py()
        if b >= 0:  # OP_RETURN outputs have no address: code -1, and drop the name
            codes = np.where(codes == b, -1, np.where(codes > b, codes - 1, codes))
            keep = np.ones(len(names), bool)
            keep[b] = False
            names = names.filter(pa.array(keep))
        # kept as an Arrow-backed array: indexing gives str without 10^6 Python objects
        return codes, names.to_pandas().array

    @cached_property
    def out_addr(self) -> np.ndarray:
        """Address id of every output (-1 for OP_RETURN); built on first use."""
        if self._store is not None:
            return self._store["out_address"].astype(np.int64)
        return self._address_codes[0]

    @cached_property
    def addresses(self) -> np.ndarray:
        """Address text by address id."""
        if self._store is not None:
            from .graphstore import read_addresses

            return read_addresses(self.dataset)
        return self._address_codes[1]

    @cached_property
    def _addr_csr(self) -> tuple[np.ndarray, np.ndarray]:
        codes = self.out_addr
        order = np.argsort(codes, kind="stable")
        ptr = np.searchsorted(codes[order], np.arange(-1, self.n_addresses + 1))
        return ptr[1:].astype(np.int64), order.astype(np.int64)

    @property
    def addr_out_ptr(self) -> np.ndarray:
        return self._addr_csr[0]

    @property
    def addr_out(self) -> np.ndarray:
        return self._addr_csr[1]

    @cached_property
    def _address_arrow(self) -> pa.Array:
        """The address text as one Arrow array (made once: a take from it names many)."""
        return _arrow(self.addresses)

    def address_texts(self, ids) -> list[str]:
        """Address text of the address ids ``ids`` (``""`` for -1), as a list.

        >>> g = build_graph("course")
        >>> g.address_texts([0, -1]) == [str(g.addresses[0]), ""]
        True
        """
        import pyarrow as pa

        ids = np.asarray(ids, np.int64)
        if isinstance(self.addresses, np.ndarray):  # a few given by hand: plain indexing
            return [str(self.addresses[a]) if a >= 0 else "" for a in ids.tolist()]
        names = self._address_arrow.take(pa.array(np.maximum(ids, 0))).to_pylist()
        return [name if a >= 0 else "" for name, a in zip(names, ids.tolist(), strict=True)]

    @cached_property
    def _addr_index(self) -> pd.Index:
        import pandas as pd

        return pd.Index(self.addresses)

    # ------------------------------------------------------------------ lookups
    def where(self) -> str:
        """What this index holds, for messages: ``the bundled dataset 'course'``."""
        return f"the bundled dataset {self.name!r}" if self.dataset is not None else repr(self.name)

    def tx_id(self, txid: str) -> int:
        """Dense id of ``txid``; :class:`~chaintrace.chain.NotFound` if the chain lacks it.

        The one txid lookup of the toolkit: a chain backend, a clustering, a trace or a taint
        asked for a txid that is not there all raise this, with the same advice; text that is
        not a txid at all raises :class:`~chaintrace.chain.ChainError` saying what it is.
        """
        text = check_txid(txid)  # not even a txid: ChainError, saying what it looks like instead
        t = self._find_key(txid_keys([text])[0])
        if t >= 0 and self._txid_text(t) == text:
            return t
        raise NotFound(
            f"txid {text} is not in {self.where()}; check you copied the whole id from the case "
            "file, or use an Esplora backend (open_chain('https://...')) for the live chain"
        )

    def addr_id(self, address: str) -> int:
        """Dense id of ``address`` (bech32 in any letter case); NotFound if it never appears.

        >>> build_graph("course").addr_id("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
        Traceback (most recent call last):
        ...
        chaintrace.chain.NotFound: address 1BoatSLRHtKNngkdXEeobR76b53LETtpyT never appears in the bundled dataset 'course'; ...
        """
        text = check_address(address)  # empty, a txid, spaces: ChainError
        for candidate in (text, text.lower()):
            try:
                return int(self._addr_index.get_loc(candidate))
            except KeyError:
                continue
        raise NotFound(
            f"address {text} never appears in {self.where()}; check it for typos character by "
            "character (chaintrace.parse_address explains what is wrong with an address), or "
            "query the live chain with an Esplora backend"
        )

    def _txid_text(self, t: int) -> str:
        if self._store is not None:
            return bytes(self._txid_raw[t]).hex()  # one txid: cheaper than the text column
        return str(self.txids[t])

    def output_id(self, txid: str, vout: int) -> int:
        """Dense id of output ``txid:vout``."""
        t = self.tx_id(txid)
        n = int(self.tx_out_ptr[t + 1] - self.tx_out_ptr[t])
        if not 0 <= int(vout) < n:
            raise NotFound(f"transaction {txid} has outputs 0..{n - 1}, not vout {vout}")
        return int(self.tx_out_ptr[t] + int(vout))

    def parse_output(self, text: str) -> int:
        """Dense id of an output written ``"txid:vout"``."""
        txid, sep, vout = str(text).strip().partition(":")
        if not sep or not vout.isdigit():
            raise NotFound(f"{text!r} is not an output: write it as '<txid>:<vout>', e.g. '…ab:0'")
        return self.output_id(txid, int(vout))

    def find_output(self, txid: str, address: str) -> int:
        """The output of ``txid`` paying ``address`` (the first, if it is paid twice)."""
        t, a = self.tx_id(txid), self.addr_id(address)
        outs = np.arange(self.tx_out_ptr[t], self.tx_out_ptr[t + 1])
        hit = outs[self.out_addr[outs] == a]
        if not len(hit):
            raise NotFound(f"transaction {txid} pays nothing to {address}")
        return int(hit[0])

    def outputs_of(self, t: int) -> np.ndarray:
        """Output ids created by transaction ``t``."""
        return np.arange(self.tx_out_ptr[t], self.tx_out_ptr[t + 1])

    def inputs_of(self, t: int) -> np.ndarray:
        """Output ids spent by transaction ``t``, in input (vin) order."""
        return self.in_out[self.tx_in_ptr[t] : self.tx_in_ptr[t + 1]]

    def outputs_of_address(self, a: int) -> np.ndarray:
        """Output ids paying address ``a``, in chain order."""
        return self.addr_out[self.addr_out_ptr[a] : self.addr_out_ptr[a + 1]]

    def out_addr_text(self, o: int) -> str:
        a = int(self.out_addr[o])
        return "" if a < 0 else str(self.addresses[a])

    def out_label(self, o: int) -> str:
        """``txid:vout`` of output ``o``."""
        t = int(self.out_tx[o])
        txid = self._txid_text(t) if t >= 0 else self._outside_txids[int(o) - self.n_own_out]
        return f"{txid}:{int(self.out_vout[o])}"

    # ------------------------------------------------------------------ many at once
    # Results can name millions of outputs (a haircut from an early coin taints ~2 million at
    # 10^6 transactions). Naming them one at a time costs ~10 us each; these build the text
    # column in Arrow instead, with no Python object per row until a caller asks for a list.

    def txid_texts(self, txs) -> pa.Array:
        """Txid text of the transactions ``txs`` (ids), as an Arrow string array.

        >>> g = build_graph("course")
        >>> g.txid_texts([0, 1]).to_pylist() == [g.txids[0], g.txids[1]]
        True
        """
        import pyarrow as pa

        txs = np.asarray(txs, np.int64)
        if "txids" not in self.__dict__ and self._store is not None:
            from .graphstore import hex_text

            return hex_text(self._txid_raw[txs])  # decodes only the rows asked for
        return _arrow(self.txids).take(pa.array(txs))

    def out_labels(self, outs) -> pa.Array:
        """``txid:vout`` of the outputs ``outs`` (ids), as an Arrow string array.

        >>> g = build_graph("course")
        >>> g.out_labels([0, 5]).to_pylist() == [g.out_label(0), g.out_label(5)]
        True
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        outs = np.asarray(outs, np.int64)
        if self._outside_txids and np.any(outs >= self.n_own_out):  # a few fetched: one by one
            return pa.array([self.out_label(o) for o in outs.tolist()], pa.string())
        from .graphstore import arrow_ints, arrow_strings  # no pa.array: it imports pandas

        vout = self.out_vout[outs]
        top = int(vout.max()) + 1 if len(vout) else 1
        # a vout is a small number: look its text up rather than format every row
        txids = self.txid_texts(self.out_tx[outs])
        digits = arrow_strings([str(v) for v in range(top)], txids.type).take(arrow_ints(vout))
        return pc.binary_join_element_wise(txids, digits, arrow_strings([":"], txids.type)[0])

    def out_addr_texts(self, outs) -> pa.Array:
        """Address text of the outputs ``outs`` (``""`` for OP_RETURN), as an Arrow array.

        >>> g = build_graph("course")
        >>> g.out_addr_texts([0, 5]).to_pylist() == [g.out_addr_text(0), g.out_addr_text(5)]
        True
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        addr = self.out_addr[np.asarray(outs, np.int64)]
        names = self._address_arrow.take(pa.array(np.maximum(addr, 0)))
        return pc.if_else(pa.array(addr < 0), pa.scalar("", names.type), names)

    def in_value(self) -> np.ndarray:
        """Total input value of every transaction (0 for coinbase); computed once, read-only."""
        if "_in_value" not in self.__dict__:
            sums = segment_sums(self.out_value[self.in_out], self.tx_in_ptr)
            sums.flags.writeable = False
            self.__dict__["_in_value"] = sums
        return self.__dict__["_in_value"]

    # ------------------------------------------------------------------ inputs, one row each
    # What the change, CoinJoin and clustering rules read per input, derived from ``in_out``
    # (the output each input spends) on first use and kept.

    @property
    def n_own_out(self) -> int:
        """Outputs of the transactions held (the rest are outside outputs: from_transactions)."""
        return int(self.tx_out_ptr[-1])

    @cached_property
    def in_tx(self) -> np.ndarray:
        """The transaction of each input."""
        return np.repeat(np.arange(self.n_tx, dtype=np.int64), np.diff(self.tx_in_ptr))

    @cached_property
    def in_vin(self) -> np.ndarray:
        """The position (vin) of each input in its transaction."""
        return np.arange(len(self.in_out), dtype=np.int64) - self.tx_in_ptr[self.in_tx]

    @cached_property
    def in_addr(self) -> np.ndarray:
        """Address id of each input (the address of the output it spends)."""
        return self.out_addr[self.in_out]

    @cached_property
    def in_type(self) -> np.ndarray:
        """Script type code of each input (that of the output it spends, as on chain)."""
        return self.out_type[self.in_out]

    @cached_property
    def in_spent_value(self) -> np.ndarray:
        """Value in sats of each input (the output it spends)."""
        return self.out_value[self.in_out]

    @cached_property
    def in_prev_vout(self) -> np.ndarray:
        return self.out_vout[self.in_out].astype(np.int64)

    @cached_property
    def in_prev_rank(self) -> np.ndarray:
        """A number per input that sorts as its previous txid does (BIP-69's input order):
        the txid's first 64 bits, unique in a whole chain."""
        keys = self._keys.to_numpy() if "_keys" in self.__dict__ else self._key_column
        return keys[self.out_tx[self.in_out]]

    @cached_property
    def addr_first_tx(self) -> np.ndarray:
        """The first transaction paying each address (an output funds an address before an
        input can spend it), from the transactions' own spendable outputs; -1 for none.

        What "first seen here" means to the one-time-change rule. The small index
        :func:`~chaintrace.change_candidates` builds around one transaction sets it from the
        chain's address histories instead.
        """
        n = self.n_own_out
        addr, tx = self.out_addr[:n], self.out_tx[:n]
        ok = (addr >= 0) & (self.out_type[:n] != OP_RETURN)
        first = np.full(self.n_addresses, -1, np.int64)
        first[addr[ok][::-1]] = tx[ok][::-1]  # the last write wins: the earliest output
        return first

    @cached_property
    def out_spent_in(self) -> np.ndarray:
        """The input spending each output (-1 while unspent)."""
        spent_in = np.full(self.n_out, -1, np.int64)
        spent_in[self.in_out] = np.arange(len(self.in_out))
        return spent_in

    def outputs_of_txs(self, txs: np.ndarray) -> np.ndarray:
        """All output ids of the transactions ``txs`` (vectorised)."""
        return _ranges(self.tx_out_ptr[txs], self.tx_out_ptr[txs + 1])

    def inputs_of_txs(self, txs: np.ndarray) -> np.ndarray:
        """All output ids spent by the transactions ``txs`` (vectorised)."""
        return self.in_out[_ranges(self.tx_in_ptr[txs], self.tx_in_ptr[txs + 1])]


def _arrow(values) -> pa.Array:
    """One Arrow array of a text column (an Arrow-backed pandas array, or a list)."""
    import pyarrow as pa

    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def unique_ids(ids: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct values of ``ids`` (all in ``0..n-1``), negatives dropped.

    A boolean mask for big inputs and a sort for small ones: numpy's hash-based ``np.unique``
    is several times slower than either on 10^6 integers.

    >>> unique_ids(np.array([5, -1, 2, 5]), 10).tolist()
    [2, 5]
    """
    ids = np.asarray(ids, np.int64)
    ids = ids[ids >= 0]
    if len(ids) * 16 > n:
        mark = np.zeros(n, bool)
        mark[ids] = True
        return np.flatnonzero(mark)
    ids = np.sort(ids)
    return ids[np.concatenate([[True], ids[1:] != ids[:-1]])] if len(ids) else ids


def segment_sums(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """``values[ptr[i]:ptr[i+1]].sum()`` for every i (0 for empty segments), vectorised.

    >>> segment_sums(np.array([1, 2, 3, 4]), np.array([0, 2, 2, 4])).tolist()
    [3, 0, 7]
    """
    out = np.zeros(len(ptr) - 1, dtype=values.dtype)
    nonempty = ptr[1:] > ptr[:-1]
    if len(values):
        out[nonempty] = np.add.reduceat(values, ptr[:-1][nonempty])
    return out


def _group_order(row_tx: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Row order sorting by (transaction, vout/vin); identity when already sorted."""
    key = row_tx * (int(position.max()) + 1 if len(position) else 1) + position
    if len(key) < 2 or np.all(key[1:] > key[:-1]):
        return np.arange(len(key))
    return np.argsort(key, kind="stable")


# ----------------------------------------------------------------------------- transactions given


def _given_transactions(graph: TxGraph, txs: list) -> None:
    """The per-transaction columns of :meth:`TxGraph.from_transactions`."""
    texts = [t.txid for t in txs]
    graph._key_column = txid_keys(texts)  # looked up by scanning: a few, or an index later
    if len(np.unique(graph._key_column)) != len(txs):
        raise GraphError("a transaction is given twice (or two share their first 16 hex digits)")
    graph.txids = np.asarray(texts, dtype=object)
    graph.tx_time = np.array([int(t.time.timestamp()) if t.time else -1 for t in txs], np.int64)
    graph.tx_height = np.array([-1 if t.height is None else t.height for t in txs], np.int64)
    graph.tx_coinbase = np.array([bool(t.coinbase) for t in txs], bool)
    graph.tx_version = np.array([t.version for t in txs], np.int64)
    graph.tx_locktime = np.array([t.locktime for t in txs], np.int64)
    for t in txs:
        if sorted(o.vout for o in t.outputs) != list(range(len(t.outputs))):
            raise GraphError(f"the outputs of transaction {t.txid} are not vout 0, 1, 2, ...")
    counts = [len(t.outputs) for t in txs]
    graph.tx_out_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n_ins = [0 if t.coinbase else len(t.inputs) for t in txs]
    graph.tx_in_ptr = np.concatenate([[0], np.cumsum(n_ins)]).astype(np.int64)


def _given_outputs(graph: TxGraph, txs: list):
    """Own outputs, then one outside output per input spending outside ``txs``; returns the
    own outputs, the inputs and the inputs spending outside."""
    outs = [o for t in txs for o in sorted(t.outputs, key=lambda o: o.vout)]
    ins = [i for t in txs if not t.coinbase for i in t.inputs]
    first = dict(zip((t.txid for t in txs), graph.tx_out_ptr.tolist(), strict=False))
    n_outs = dict(zip((t.txid for t in txs), (len(t.outputs) for t in txs), strict=True))
    in_out, ext = [], []  # ext: inputs spending outside, one outside output each
    for i in ins:
        if i.prev_txid in first and 0 <= i.prev_vout < n_outs[i.prev_txid]:
            in_out.append(first[i.prev_txid] + i.prev_vout)
        else:
            in_out.append(len(outs) + len(ext))
            ext.append(i)
    graph.in_out = np.array(in_out, np.int64)
    graph.out_tx = np.concatenate(
        [np.repeat(np.arange(len(txs)), np.diff(graph.tx_out_ptr)), np.full(len(ext), -1)]
    ).astype(np.int64)
    graph.out_vout = np.array([o.vout for o in outs] + [i.prev_vout for i in ext], np.int32)
    graph.out_value = np.array([o.value for o in outs] + [i.value for i in ext], np.int64)
    types = [o.script_type for o in outs] + [i.script_type for i in ext]
    graph.out_type = np.array([_TYPE_CODES.get(t, -1) for t in types], np.int8)
    names = [o.address or "" for o in outs] + [i.address or "" for i in ext]
    codes: dict[str, int] = {"": -1}  # no address (OP_RETURN): -1
    graph.out_addr = np.array([codes.setdefault(n, len(codes) - 1) for n in names], np.int64)
    graph.addresses = np.asarray(list(codes)[1:], dtype=object)  # by first appearance
    graph._outside_txids = [i.prev_txid for i in ext]
    return outs, ins, ext


def _given_spends(graph: TxGraph, txs: list, outs: list, ins: list, ext: list) -> None:
    """Who spends each output: a transaction given whose input names it, or the spender the
    output names (given here, or not: ``out_spent_outside``)."""
    row = {t.txid: n for n, t in enumerate(txs)}
    graph.in_sequence = np.array([i.sequence for i in ins], np.int64)
    graph.out_spent_tx = np.full(len(graph.out_tx), -1, np.int64)
    graph.out_spent_tx[graph.in_out] = np.repeat(np.arange(len(txs)), np.diff(graph.tx_in_ptr))
    graph.out_spent_outside = np.zeros(len(graph.out_tx), bool)
    for o, out in enumerate(outs):
        if graph.out_spent_tx[o] < 0 and out.spent_txid is not None:
            if out.spent_txid in row:
                graph.out_spent_tx[o] = row[out.spent_txid]
            else:
                graph.out_spent_outside[o] = True
    # BIP-69 compares whole previous txids: rank them as text (no 64-bit key is unique here)
    prev = np.asarray([i.prev_txid for i in ins], dtype=object)
    graph.in_prev_rank = np.unique(prev, return_inverse=True)[1].astype(np.int64).ravel()


# ----------------------------------------------------------------------------- cache

_GRAPHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def build_graph(dataset: str | Path | Dataset | TxGraph = "course") -> TxGraph:
    """The :class:`TxGraph` of ``dataset``: a name, a folder or a loaded :class:`Dataset`, a
    ``LocalChain``, or a list of :class:`~chaintrace.Transaction` (fetched from any chain,
    :meth:`TxGraph.from_transactions`).

    Built once per dataset per process, then reused; passing a graph (or a view of one)
    returns it unchanged.

    >>> g = build_graph("course")
    >>> g is build_graph(load_dataset("course")), g.n_out > g.n_tx > 0
    (True, True)
    """
    if isinstance(dataset, TxGraph):
        return dataset
    if isinstance(getattr(dataset, "graph", None), TxGraph) and not hasattr(dataset, "dataset"):
        return dataset.graph  # a TxTables view
    if isinstance(dataset, (list, tuple)):
        return TxGraph.from_transactions(dataset)
    ds = as_dataset(dataset)
    graph = _GRAPHS.get(ds)
    if graph is None:
        from . import graphstore

        graph = graphstore.load(ds)  # the dataset's integer index: no text to decode
        if graph is None:
            graph = TxGraph.from_tables(ds.transactions, ds.outputs, ds.inputs, name=ds.name)
            graph.dataset = ds
        _GRAPHS[ds] = graph
    return graph
