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

import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from .errors import ChaintraceError
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


class ChainError(ChaintraceError, ValueError):
    """A lookup could not be answered: bad input, or a backend failure."""


class NotFound(ChainError, LookupError):
    """The transaction, address or block is not known to this backend."""


_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_BASE58 = re.compile(r"[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}")
_BECH32 = re.compile(r"(bc|tb|bcrt)1[02-9ac-hj-np-z]{6,87}", re.IGNORECASE)


def _looks_like_btc_address(text: str) -> bool:
    return bool(_BASE58.fullmatch(text) or _BECH32.fullmatch(text))


def check_txid(txid) -> str:
    """Normalise a txid (strip, lowercase) or raise :class:`ChainError` saying what is wrong.

    >>> check_txid("  " + "AB" * 32 + " ") == "ab" * 32
    True
    >>> check_txid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    Traceback (most recent call last):
    ...
    chaintrace.chain.ChainError: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' looks like a Bitcoin address, not a txid; use address_txs(...) or address_summary(...) for an address
    """
    if not isinstance(txid, str):
        raise ChainError(f"a txid is text (64 hex characters), not {type(txid).__name__}: {txid!r}")
    text = txid.strip()
    if _HEX64.fullmatch(text):
        return text.lower()
    if _looks_like_btc_address(text):
        raise ChainError(
            f"{text!r} looks like a Bitcoin address, not a txid; use address_txs(...) or "
            "address_summary(...) for an address"
        )
    if text[:2].lower() == "0x" and _HEX64.fullmatch(text[2:]):
        raise ChainError(
            f"{text!r} is an Ethereum/TRON-style transaction hash (0x...); Bitcoin txids have "
            "no 0x prefix. Account-model transfers are in dataset.transfers"
        )
    if ":" in text and _HEX64.fullmatch(text.split(":")[0]):
        raise ChainError(
            f"{text!r} is an outpoint (txid:vout); pass the txid and the vout separately"
        )
    bad = sorted({c for c in text if c not in "0123456789abcdefABCDEF"})
    what = f"it has {len(text)} characters" if len(text) != 64 else "it has the right length"
    extra = f" and non-hex characters {''.join(bad)!r}" if bad else ""
    raise ChainError(
        f"{text!r} is not a txid: a txid is 64 hexadecimal characters (0-9, a-f); {what}{extra}. "
        "Copy the whole id from the case file or explorer"
    )


def check_address(address) -> str:
    """Strip an address and reject obvious mistakes (empty, a txid) with a clear message.

    >>> check_address(" 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ")
    '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'
    """
    if not isinstance(address, str) or not address.strip():
        raise ChainError(f"an address is non-empty text, got {address!r}")
    text = address.strip()
    if _HEX64.fullmatch(text):
        raise ChainError(
            f"{text!r} is a txid (64 hex characters), not an address; use tx(...) for it"
        )
    if any(c.isspace() for c in text):
        raise ChainError(f"{text!r} contains spaces; an address is one word, copy it again")
    return text


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
    """The bundled-dataset backend: fast, offline, indexed once on first use.

    >>> from chaintrace import load_dataset                          # doctest: +SKIP
    >>> chain = LocalChain(load_dataset("course"))                   # doctest: +SKIP
    >>> chain.tip_height() >= chain.dataset.blocks.height.min()      # doctest: +SKIP
    True
    """

    def __init__(self, dataset):
        from .dataset import as_dataset

        self.dataset = as_dataset(dataset)

    def __repr__(self) -> str:
        return f"<LocalChain {self.dataset.name!r}>"

    # ------------------------------------------------------------------ indexes

    @cached_property
    def _tx(self) -> dict:
        """Columns of transactions.parquet as numpy arrays, plus ``txid -> row``."""
        t = self.dataset.transactions
        cols = {c: t[c].to_numpy() for c in t.columns if c != "txid"}
        cols["txid"] = t["txid"].to_numpy(dtype=object)
        cols["row"] = {txid: n for n, txid in enumerate(cols["txid"].tolist())}
        return cols

    def _grouped(self, frame, key: str, order: str) -> dict:
        """Rows of ``frame`` grouped by the tx row of ``frame[key]``, sorted by ``order``."""
        import pandas as pd

        rows = pd.Index(self._tx["txid"]).get_indexer(frame[key].to_numpy(dtype=object))
        perm = np.lexsort((frame[order].to_numpy(), rows))
        cols = {c: _column(frame[c])[perm] for c in frame.columns}
        starts = np.searchsorted(rows[perm], np.arange(len(self._tx["txid"]) + 1))
        return {"cols": cols, "starts": starts, "perm": perm}

    @cached_property
    def _outs(self) -> dict:
        return self._grouped(self.dataset.outputs, "txid", "vout")

    @cached_property
    def _ins(self) -> dict:
        return self._grouped(self.dataset.inputs, "txid", "vin")

    @cached_property
    def _by_address(self) -> dict:
        """``address -> code`` plus positions of each address's outputs/inputs, grouped by code."""
        import pandas as pd

        outs, ins = self._outs["cols"]["address"], self._ins["cols"]["address"]
        codes, uniques = pd.factorize(np.concatenate([outs, ins]))
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        index = {a: n for n, a in enumerate(uniques.tolist()) if isinstance(a, str) and a}
        return {"index": index, "order": order, "starts": starts, "n_outs": len(outs)}

    @cached_property
    def _blocks(self) -> dict:
        b = self.dataset.blocks
        return dict(zip(b["height"].tolist(), b["time"].tolist(), strict=True))

    # ------------------------------------------------------------------ lookups

    def _row(self, txid: str) -> int:
        txid = check_txid(txid)
        try:
            return self._tx["row"][txid]
        except KeyError:
            raise NotFound(
                f"txid {txid} is not in the bundled dataset {self.dataset.name!r}; check you "
                "copied the whole id from the case file, or use an Esplora backend "
                "(open_chain('https://...')) for the live chain"
            ) from None

    def _tx_at(self, row: int) -> Transaction:
        t = self._tx
        o, i = self._outs, self._ins
        oc, ic = o["cols"], i["cols"]
        outputs = tuple(
            TxOutput(
                int(oc["vout"][k]),
                oc["address"][k] or "",
                int(oc["value"][k]),
                oc["script_type"][k],
                _none(oc["spent_txid"][k]),
                _none_int(oc["spent_vin"][k]),
            )
            for k in range(o["starts"][row], o["starts"][row + 1])
        )
        inputs = tuple(
            TxInput(
                ic["prev_txid"][k],
                int(ic["prev_vout"][k]),
                ic["address"][k] or "",
                int(ic["value"][k]),
                ic["script_type"][k],
                int(ic["sequence"][k]),
            )
            for k in range(i["starts"][row], i["starts"][row + 1])
        )
        height = int(t["height"][row])
        return Transaction(
            txid=t["txid"][row],
            inputs=inputs,
            outputs=outputs,
            fee=int(t["fee"][row]),
            size=int(t["size"][row]),
            vsize=int(t["vsize"][row]),
            weight=int(t["weight"][row]),
            version=int(t["version"][row]),
            locktime=int(t["locktime"][row]),
            height=height,
            time=_utc(t["time"][row]),
            confirmations=self.tip_height() - height + 1,
            coinbase=bool(t["coinbase"][row]),
        )

    def tx(self, txid: str) -> Transaction:
        return self._tx_at(self._row(txid))

    def _address_rows(self, address: str) -> tuple[list, list]:
        address = check_address(address)
        by = self._by_address
        try:
            code = by["index"][address]
        except KeyError:
            hint = " (a txid?)" if len(address) == 64 else ""
            raise NotFound(
                f"address {address}{hint} never appears in the bundled dataset "
                f"{self.dataset.name!r}; check it character by character (chaintrace."
                "parse_address validates it), or query the live chain with an Esplora backend"
            ) from None
        positions = by["order"][by["starts"][code] : by["starts"][code + 1]]
        is_out = positions < by["n_outs"]
        return positions[is_out], positions[~is_out] - by["n_outs"]

    def address_summary(self, address: str) -> AddressSummary:
        outs, ins = self._address_rows(address)
        funded = int(sum(self._outs["cols"]["value"][outs]))
        spent = int(sum(self._ins["cols"]["value"][ins]))
        return AddressSummary(
            address=address.strip(),
            tx_count=len(self._address_txrows(outs, ins)),
            funded_count=len(outs),
            funded_sum=funded,
            spent_count=len(ins),
            spent_sum=spent,
            balance=funded - spent,
        )

    def _address_txrows(self, outs, ins) -> list[int]:
        rows = {int(r) for r in _owner_rows(self._outs, outs)}
        rows.update(int(r) for r in _owner_rows(self._ins, ins))
        return sorted(rows, reverse=True)  # rows are in chain order, so newest first

    def address_txs(self, address: str, limit: int | None = None) -> list[Transaction]:
        rows = self._address_txrows(*self._address_rows(address))
        return [self._tx_at(r) for r in rows[:limit]]

    def address_txids(self, address: str) -> list[str]:
        """Txids touching ``address``, newest first (cheaper than :meth:`address_txs`)."""
        rows = self._address_txrows(*self._address_rows(address))
        return [self._tx["txid"][r] for r in rows]

    def table_rows(self, txid: str) -> tuple[int, list[int], list[int]]:
        """Positions of ``txid`` in the transactions, inputs and outputs tables (for rebuilding)."""
        row = self._row(txid)
        ins, outs = self._ins, self._outs
        return (
            row,
            ins["perm"][ins["starts"][row] : ins["starts"][row + 1]].tolist(),
            outs["perm"][outs["starts"][row] : outs["starts"][row + 1]].tolist(),
        )

    def warm_up(self) -> None:
        """Build every index now (before serving many threads, or to time loading)."""
        self.tip_height()
        _ = self._outs, self._ins, self._by_address

    def outspends(self, txid: str) -> list[Spend | None]:
        tx = self.tx(txid)
        result = []
        for out in tx.outputs:
            if out.spent_txid is None:
                result.append(None)
                continue
            row = self._tx["row"][out.spent_txid]
            result.append(
                Spend(
                    out.spent_txid,
                    out.spent_vin,
                    int(self._tx["height"][row]),
                    _utc(self._tx["time"][row]),
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
        return max(self._blocks)


def _owner_rows(table: dict, positions) -> np.ndarray:
    """Transaction rows of grouped-table ``positions`` (inverse of the group offsets)."""
    return np.searchsorted(table["starts"], np.asarray(positions, dtype=np.int64), side="right") - 1


def _column(series) -> np.ndarray:
    """Numbers stay numpy; text and nullable columns become object arrays (None for missing)."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return series.to_numpy()
    return series.astype(object).where(series.notna(), None).to_numpy(dtype=object)


def _none(value):
    return value if isinstance(value, str) else None


def _none_int(value):
    # None, NaN (a float column) and pandas.NA all mean "not spent"
    try:
        if value is None or value != value:
            return None
    except TypeError:  # pandas.NA refuses to be a bool
        return None
    return int(value)


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
