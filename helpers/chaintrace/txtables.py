"""The engine index under the names the change, CoinJoin and clustering rules are written in.

:class:`TxTables` holds no array of its own: it is a view of the one
:class:`~chaintrace.graph.TxGraph` of a dataset (or of transactions given by hand), with each
transaction's rows as a contiguous slice ``start[t]:start[t + 1]``:

=====================  ======================================================
``TxTables``           ``TxGraph``
=====================  ======================================================
``txid``               ``txids``
``out_start``          ``tx_out_ptr``
``out_spender``        ``out_spent_tx``
``in_start``           ``tx_in_ptr``
``in_value``           ``in_spent_value`` (per input; ``TxGraph.in_value()`` sums them)
``out_tx, out_vout,    the same names, over the transactions' own outputs
out_value, out_addr,
out_type``
``in_tx, in_vin,       the same names
in_addr, in_type,
in_sequence,
in_prev_rank,
in_prev_vout``
``row(txid)``          ``tx_id(txid)``
``code(address)``      ``addr_id(address)``
=====================  ======================================================

Both lookups raise :class:`~chaintrace.chain.NotFound`, as every lookup of the toolkit does.

>>> from chaintrace import load_dataset
>>> T = tables(load_dataset("course"))
>>> T.out_start is T.graph.tx_out_ptr, int(T.out_start[-1]) == len(T.out_tx)
(True, True)
>>> tables("course") is T is tables(T.graph)
True
>>> T.address_of(T.out_addr[T.out_start[1]]).startswith(("1", "3", "bc1"))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np

from .graph import OP_RETURN, SCRIPT_TYPES, TxGraph, build_graph

__all__ = ["TxTables", "tables", "from_transactions", "from_graph", "SCRIPT_TYPES"]


class TxTables:
    """A dataset's arrays for the rules (a view of its :class:`~chaintrace.graph.TxGraph`).

    Make one with :func:`tables`; ``out_*`` rows are the transactions' own outputs (outside
    outputs of :meth:`TxGraph.from_transactions` are left out), ``in_*`` rows every input.
    """

    def __init__(self, graph: TxGraph):
        self.graph = graph

    def __repr__(self) -> str:
        return f"<TxTables of {self.graph!r}>"

    # --- transactions ----------------------------------------------------------------------
    @property
    def n_tx(self) -> int:
        return self.graph.n_tx

    @property
    def txid(self):
        """Txid text by tx row."""
        return self.graph.txids

    @property
    def tx_height(self) -> np.ndarray:
        return self.graph.tx_height

    @property
    def tx_version(self) -> np.ndarray:
        return self.graph.tx_version

    @property
    def tx_locktime(self) -> np.ndarray:
        return self.graph.tx_locktime

    @property
    def tx_coinbase(self) -> np.ndarray:
        return self.graph.tx_coinbase

    # --- outputs (the transactions' own) ---------------------------------------------------
    def _own(self, values: np.ndarray) -> np.ndarray:
        n = self.graph.n_own_out
        return values if len(values) == n else values[:n]

    @property
    def out_start(self) -> np.ndarray:
        return self.graph.tx_out_ptr

    @cached_property
    def out_tx(self) -> np.ndarray:
        return self._own(self.graph.out_tx)

    @cached_property
    def out_vout(self) -> np.ndarray:
        return self._own(self.graph.out_vout)

    @cached_property
    def out_value(self) -> np.ndarray:
        return self._own(self.graph.out_value)

    @cached_property
    def out_addr(self) -> np.ndarray:
        return self._own(self.graph.out_addr)

    @cached_property
    def out_type(self) -> np.ndarray:
        return self._own(self.graph.out_type)

    @cached_property
    def out_spender(self) -> np.ndarray:
        return self._own(self.graph.out_spent_tx)

    # --- inputs ----------------------------------------------------------------------------
    @property
    def in_start(self) -> np.ndarray:
        return self.graph.tx_in_ptr

    @property
    def in_tx(self) -> np.ndarray:
        return self.graph.in_tx

    @property
    def in_vin(self) -> np.ndarray:
        return self.graph.in_vin

    @property
    def in_value(self) -> np.ndarray:
        return self.graph.in_spent_value

    @property
    def in_addr(self) -> np.ndarray:
        return self.graph.in_addr

    @property
    def in_type(self) -> np.ndarray:
        return self.graph.in_type

    @property
    def in_sequence(self) -> np.ndarray:
        return self.graph.in_sequence

    @property
    def in_prev_rank(self) -> np.ndarray:
        return self.graph.in_prev_rank

    @property
    def in_prev_vout(self) -> np.ndarray:
        return self.graph.in_prev_vout

    # --- addresses and lookups -------------------------------------------------------------
    @property
    def addresses(self):
        """Address text by code."""
        return self.graph.addresses

    @property
    def n_addresses(self) -> int:
        return self.graph.n_addresses  # no address text is read

    def address_of(self, code: int) -> str:
        return "" if code < 0 else str(self.graph.addresses[code])

    def row(self, txid: str) -> int:
        """The tx row of ``txid`` (:meth:`TxGraph.tx_id`: NotFound when it is not there)."""
        return self.graph.tx_id(txid)

    def code(self, address: str) -> int:
        """The code of ``address`` (:meth:`TxGraph.addr_id`: NotFound when it never appears)."""
        return self.graph.addr_id(address)

    @cached_property
    def code_of(self) -> Mapping[str, int]:
        """``address -> code``, read from the graph's address index."""
        return _Codes(self.graph)

    # --- per transaction -------------------------------------------------------------------
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


class _Codes(Mapping):
    """``address -> code`` over a graph's address index (exact text; no copy of it)."""

    def __init__(self, graph: TxGraph):
        self._index = graph._addr_index

    def __getitem__(self, address: str) -> int:
        return int(self._index.get_loc(address))

    def __contains__(self, address) -> bool:
        return address in self._index

    def __iter__(self):
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def tables(dataset) -> TxTables:
    """The arrays of ``dataset`` (a :class:`~chaintrace.Dataset`, a ``LocalChain``, a name, a
    :class:`~chaintrace.graph.TxGraph` or a :class:`TxTables`): a view of its one graph, kept
    with it (:func:`chaintrace.graph.build_graph`)."""
    if isinstance(dataset, TxTables):
        return dataset
    graph = build_graph(dataset)
    view = graph.__dict__.get("_tables")
    if view is None:  # kept with the graph: the same view, as long as the graph lives
        view = graph.__dict__["_tables"] = TxTables(graph)
    return view


def from_graph(graph: TxGraph) -> TxTables:
    """The arrays of ``graph`` (its :class:`TxTables` view, kept with it)."""
    return tables(graph)


def from_transactions(txs) -> TxTables:
    """Arrays of a handful of :class:`~chaintrace.Transaction` objects, in the order given
    (:meth:`chaintrace.graph.TxGraph.from_transactions`).

    This is how transactions fetched from an Esplora server, or built by hand in a test, go
    through the same engine as a bundled dataset. Spenders outside ``txs`` count as unspent.

    >>> from chaintrace import load_case, open_chain
    >>> chain = open_chain("course")
    >>> T = from_transactions([chain.tx(load_case("ransom-01").payment_txid)])
    >>> T.n_tx
    1
    """
    return tables(TxGraph.from_transactions(txs))
