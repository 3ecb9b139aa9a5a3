"""One interface for every chain backend, and the bundled (local, offline) backend.

:class:`Chain` is what lessons and tools call: a transaction, an address's history and
balance, who spent an output, a block's time. :class:`LocalChain` answers from a bundled
dataset with indexes built once (hash lookups, not table scans); ``chaintrace.Esplora``
answers the same questions from an Esplora HTTP API with the same result types.

>>> chain = open_chain("course")                    # doctest: +SKIP
>>> tx = chain.tx(load_case("R1").payment_txid)     # doctest: +SKIP
>>> chain.tx("not-a-txid")                          # doctest: +SKIP
Traceback (most recent call last):
...
chaintrace.chain.ChainError: 'not-a-txid' is not a txid: ...
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from .lookup import ChainError, NotFound, check_address, check_txid
from .model import AddressSummary, Spend, Transaction, TxInput, TxOutput

__all__ = [
    "Chain",
    "LocalChain",
    "open_chain",
    "ChainError",
    "NotFound",
    "check_txid",
    "check_address",
]


class Chain(ABC):
    """The lookups every backend answers, with the same result types.

    Subclasses: :class:`LocalChain` (bundled dataset) and ``chaintrace.Esplora`` (HTTP).
    """

    @abstractmethod
    def tx(self, txid: str) -> Transaction:
        """The transaction ``txid``; raises :class:`NotFound` if unknown."""

    @abstractmethod
    def address_summary(self, address: str) -> AddressSummary:
        """Counts and sums of what ``address`` received and spent."""

    @abstractmethod
    def address_txs(self, address: str, limit: int | None = None) -> list[Transaction]:
        """Transactions touching ``address``, newest first (at most ``limit``)."""

    @abstractmethod
    def outspends(self, txid: str) -> list[Spend | None]:
        """For each output of ``txid``, the input that spent it, or ``None`` if unspent."""

    @abstractmethod
    def block_time(self, height: int) -> datetime:
        """The timestamp (UTC) of the block at ``height``."""

    @abstractmethod
    def tip_height(self) -> int:
        """Height of the newest block."""

    def outspend(self, txid: str, vout: int) -> Spend | None:
        """The input that spent output ``vout`` of ``txid``, or ``None`` while unspent."""
        spends = self.outspends(txid)
        if not 0 <= int(vout) < len(spends):
            raise ChainError(
                f"transaction {txid} has {len(spends)} outputs (vout 0 to {len(spends) - 1}); "
                f"there is no vout {vout}"
            )
        return spends[int(vout)]


def _utc(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


class LocalChain(Chain):
    """The bundled-dataset backend: fast, offline, answered from the dataset's engine index.

    Every lookup goes through the dataset's one :class:`~chaintrace.graph.TxGraph` (the same
    object clustering, trace and taint read, built once per process): its txid and address
    lookups, its spend edges. The text tables are read only for what the index does not copy
    (fee and sizes, a few numbers per transaction; block times).

    >>> from chaintrace import load_dataset
    >>> chain = LocalChain(load_dataset("course"))
    >>> chain.tip_height() >= int(chain.dataset.blocks.height.min())
    True
    >>> from chaintrace.graph import build_graph
    >>> chain.graph is build_graph(chain.dataset)
    True
    """

    def __init__(self, dataset):
        from .dataset import as_dataset

        self.dataset = as_dataset(dataset)

    def __repr__(self) -> str:
        return f"<LocalChain {self.dataset.name!r}>"

    # ------------------------------------------------------------------ indexes

    @cached_property
    def graph(self):
        """The dataset's engine index (:func:`chaintrace.graph.build_graph`)."""
        from .graph import build_graph

        return build_graph(self.dataset)

    @cached_property
    def _sizes(self) -> dict[str, np.ndarray]:
        """Fee and sizes by transaction id (the index holds no copy of them)."""
        from .graphstore import _numpy, read_parquet

        columns = ["fee", "size", "vsize", "weight"]
        table = read_parquet(self.dataset._file("transactions.parquet"), columns)
        return {c: _numpy(table.column(c)) for c in columns}

    @cached_property
    def _blocks(self) -> dict:
        b = self.dataset.blocks
        return dict(zip(b["height"].tolist(), b["time"].tolist(), strict=True))

    @cached_property
    def _type_names(self) -> tuple[str, ...]:
        from .graph import SCRIPT_TYPES

        return SCRIPT_TYPES

    # ------------------------------------------------------------------ lookups

    def _tx_at(self, t: int) -> Transaction:
        g, names = self.graph, self._type_names
        outs = np.arange(g.tx_out_ptr[t], g.tx_out_ptr[t + 1])
        spent = g.in_out[g.tx_in_ptr[t] : g.tx_in_ptr[t + 1]]  # the outputs the inputs spend
        # every address of the transaction in one lookup: naming them one by one costs more
        text = g.address_texts(np.concatenate([g.out_addr[outs], g.out_addr[spent]]))
        spenders = g.out_spent_tx[outs].tolist()
        outputs = tuple(
            TxOutput(
                int(g.out_vout[o]),
                text[k],
                int(g.out_value[o]),
                names[g.out_type[o]],
                g._txid_text(spenders[k]) if spenders[k] >= 0 else None,
                int(g.out_spent_in[o] - g.tx_in_ptr[spenders[k]]) if spenders[k] >= 0 else None,
            )
            for k, o in enumerate(outs.tolist())
        )
        first_in = int(g.tx_in_ptr[t])
        inputs = tuple(
            TxInput(
                g._txid_text(int(g.out_tx[o])),
                int(g.out_vout[o]),
                text[len(outs) + k],
                int(g.out_value[o]),
                names[g.out_type[o]],
                int(g.in_sequence[first_in + k]),
            )
            for k, o in enumerate(spent.tolist())
        )
        height, sizes = int(g.tx_height[t]), self._sizes
        return Transaction(
            txid=g._txid_text(t),
            inputs=inputs,
            outputs=outputs,
            fee=int(sizes["fee"][t]),
            size=int(sizes["size"][t]),
            vsize=int(sizes["vsize"][t]),
            weight=int(sizes["weight"][t]),
            version=int(g.tx_version[t]),
            locktime=int(g.tx_locktime[t]),
            height=height,
            time=_utc(g.tx_time[t]),
            confirmations=self.tip_height() - height + 1,
            coinbase=bool(g.tx_coinbase[t]),
        )

    def tx(self, txid: str) -> Transaction:
        return self._tx_at(self.graph.tx_id(txid))

    def _address_outputs(self, address: str) -> tuple[np.ndarray, np.ndarray]:
        """The outputs paying ``address``, and those of them spent."""
        g = self.graph
        outs = g.outputs_of_address(g.addr_id(address))
        return outs, outs[g.out_spent_tx[outs] >= 0]

    def address_summary(self, address: str) -> AddressSummary:
        outs, spent = self._address_outputs(address)
        funded = int(self.graph.out_value[outs].sum())
        spent_sum = int(self.graph.out_value[spent].sum())
        return AddressSummary(
            address=address.strip(),
            tx_count=len(self._address_txs(outs, spent)),
            funded_count=len(outs),
            funded_sum=funded,
            spent_count=len(spent),
            spent_sum=spent_sum,
            balance=funded - spent_sum,
        )

    def _address_txs(self, outs, spent) -> np.ndarray:
        """Transaction ids paying or spending from the address, newest first."""
        g = self.graph
        txs = np.unique(np.concatenate([g.out_tx[outs], g.out_spent_tx[spent]]))
        return txs[::-1]  # ids are in chain order, so newest first

    def address_txs(self, address: str, limit: int | None = None) -> list[Transaction]:
        txs = self._address_txs(*self._address_outputs(address))
        return [self._tx_at(int(t)) for t in txs[:limit]]

    def address_txids(self, address: str) -> list[str]:
        """Txids touching ``address``, newest first (cheaper than :meth:`address_txs`)."""
        txs = self._address_txs(*self._address_outputs(address))
        return self.graph.txid_texts(txs).to_pylist()

    def table_rows(self, txid: str) -> tuple[int, list[int], list[int]]:
        """Positions of ``txid`` in the transactions, inputs and outputs tables (for rebuilding).

        The transaction's row is its id in the index. Its inputs and outputs are rows
        ``tx_in_ptr[t]:tx_in_ptr[t+1]`` and ``tx_out_ptr[t]:...`` of tables written in chain
        order, as the generator writes them; for tables in another order they are looked up.
        """
        g = self.graph
        t = g.tx_id(txid)
        found = []
        for name, ptr, rows in (
            ("inputs", g.tx_in_ptr, getattr(g, "_in_rows", None)),
            ("outputs", g.tx_out_ptr, getattr(g, "_out_rows", None)),
        ):
            span = np.arange(ptr[t], ptr[t + 1])
            if rows is not None:  # a graph built from the tables knows where each row is
                found.append(rows[span].tolist())
                continue
            table = getattr(self.dataset, name)
            if (table["txid"].iloc[span] == g._txid_text(t)).all() and len(table) == ptr[-1]:
                found.append(span.tolist())
            else:
                found.append(np.flatnonzero(table["txid"].to_numpy() == g._txid_text(t)).tolist())
        return t, found[0], found[1]

    def warm_up(self) -> None:
        """Build every index now (before serving many threads, or to time loading)."""
        g = self.graph
        self.tip_height()
        _ = self._sizes, g.addresses, g._addr_index, g.addr_out, g.out_spent_in, g.txids

    def outspends(self, txid: str) -> list[Spend | None]:
        g = self.graph
        t = g.tx_id(txid)
        result = []
        for o in range(g.tx_out_ptr[t], g.tx_out_ptr[t + 1]):
            spender = int(g.out_spent_tx[o])
            if spender < 0:
                result.append(None)
                continue
            result.append(
                Spend(
                    g._txid_text(spender),
                    int(g.out_spent_in[o] - g.tx_in_ptr[spender]),
                    int(g.tx_height[spender]),
                    _utc(g.tx_time[spender]),
                )
            )
        return result

    def block_time(self, height: int) -> datetime:
        try:
            return _utc(self._blocks[int(height)])
        except KeyError:
            lo, hi = min(self._blocks), max(self._blocks)
            raise NotFound(
                f"no block at height {height} in dataset {self.dataset.name!r}; it holds blocks "
                f"{lo:,} to {hi:,}"
            ) from None

    def tip_height(self) -> int:
        return self._tip

    @cached_property
    def _tip(self) -> int:
        return max(self._blocks)


CHAIN_VARIABLE = "CHAINTRACE_CHAIN"


def open_chain(source=None) -> Chain:
    """A chain backend: a dataset name or folder gives :class:`LocalChain`; an ``http(s)://``
    URL gives ``Esplora(url)``; a ``Chain`` or ``Dataset`` is used as it is.

    With no argument: the environment variable ``CHAINTRACE_CHAIN`` when set (a classroom
    server's URL, or a dataset name or folder), else the bundled ``"course"`` dataset. So an
    instructor points every notebook at ``chaintrace serve`` by setting one variable before
    starting JupyterLab, without editing a cell.

    >>> open_chain("https://blockstream.info/api")
    <Esplora https://blockstream.info/api>
    >>> import os; os.environ["CHAINTRACE_CHAIN"] = "http://127.0.0.1:3002"
    >>> open_chain()
    <Esplora http://127.0.0.1:3002>
    >>> del os.environ["CHAINTRACE_CHAIN"]
    """
    if source is None:
        import os

        source = os.environ.get(CHAIN_VARIABLE, "").strip() or "course"
    if isinstance(source, Chain):
        return source
    if isinstance(source, str) and source.strip().lower().startswith(("http://", "https://")):
        from .esplora import Esplora

        return Esplora(source.strip())
    return LocalChain(source)
