"""``Esplora(base_url)``: the Chain interface over any Esplora-compatible HTTP API.

Works against Blockstream's and mempool.space's public servers, a self-hosted electrs/Esplora,
or a classroom server started with ``chaintrace serve``. It is polite and robust:

- connect/read timeouts, and bounded retries with exponential backoff on HTTP 429 and 5xx
  that honour ``Retry-After`` (capped, so nothing hangs);
- a minimum interval between requests to the same host;
- an on-disk cache: immutable answers (confirmed transactions, raw hex, settled outspends,
  blocks) are reused without asking again, and the last answer to anything else is kept as a
  fallback used (with a warning) when the server cannot be reached, so a notebook that ran
  once runs again offline;
- raw transactions are checked to hash to the txid asked for, and a transaction's JSON is
  checked against those verified bytes, so a faulty or lying server is caught.

Every failure raises :class:`EsploraError` (or :class:`~chaintrace.chain.NotFound`) saying what
happened, at which URL, and what to do.

>>> Esplora("https://blockstream.info/api", cache_dir=False)
<Esplora https://blockstream.info/api>
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import threading
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .chain import Chain, ChainError, NotFound, check_address, check_txid
from .model import AddressSummary, Spend, Transaction, TxInput, TxOutput

__all__ = ["Esplora", "EsploraError", "SCRIPT_TYPES", "default_cache_dir"]

PAGE = 25  # confirmed transactions per page of /address/:a/txs/chain
# Esplora's scriptpubkey_type -> the names the datasets use
SCRIPT_TYPES = {"v0_p2wpkh": "p2wpkh", "v0_p2wsh": "p2wsh", "v1_p2tr": "p2tr"}


class EsploraError(ChainError):
    """An Esplora server could not answer (network, HTTP error, bad or unverifiable data)."""


def default_cache_dir() -> Path:
    """``$CHAINTRACE_CACHE`` or ``~/.cache/chaintrace``: where HTTP answers are kept."""
    return Path(os.environ.get("CHAINTRACE_CACHE") or Path.home() / ".cache" / "chaintrace")


_sleep = time.sleep  # one name to patch in tests, so they never wait for real
_LAST_REQUEST: dict[str, float] = {}  # host -> monotonic time, shared by every client
_THROTTLE_LOCK = threading.Lock()


class Esplora(Chain):
    """A :class:`~chaintrace.chain.Chain` answered by an Esplora HTTP API at ``base_url``.

    ``timeout`` is (connect, read) seconds. ``retries`` bounds the extra attempts after a 429
    or 5xx, waiting ``backoff * 2**attempt`` seconds or the server's ``Retry-After`` (at most
    ``max_wait``). ``min_interval`` spaces requests to one host. ``cache_dir=False`` turns the
    disk cache off. ``verify`` checks every transaction against its raw bytes (one extra
    request per transaction, cached). ``max_address_txs`` stops ``address_txs`` from paging
    through a huge address unless a ``limit`` is given.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout=(3.05, 10),
        retries: int = 4,
        backoff: float = 0.5,
        min_interval: float = 0.2,
        max_wait: float = 30.0,
        cache_dir: str | Path | bool | None = None,
        session: requests.Session | None = None,
        verify: bool = True,
        max_address_txs: int = 1000,
        tip_ttl: float = 30.0,
    ):
        url = str(base_url).strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EsploraError(
                f"{base_url!r} is not an http(s) URL; give the API root, e.g. "
                "https://blockstream.info/api or http://127.0.0.1:3002"
            )
        self.base_url, self.host = url, parts.netloc
        self.timeout, self.retries, self.backoff = timeout, int(retries), float(backoff)
        self.min_interval, self.max_wait = float(min_interval), float(max_wait)
        self.verify, self.max_address_txs, self.tip_ttl = verify, max_address_txs, tip_ttl
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "chaintrace (training toolkit)")
        if cache_dir is False:
            self.cache = None
        else:
            root = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
            key = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{parts.netloc}{parts.path}").strip("_")
            self.cache = root / "esplora" / key
        self._tip: tuple[float, int] | None = None

    def __repr__(self) -> str:
        return f"<Esplora {self.base_url}>"

    # ------------------------------------------------------------------ HTTP

    def _throttle(self) -> None:
        with _THROTTLE_LOCK:
            wait = _LAST_REQUEST.get(self.host, -1e9) + self.min_interval - time.monotonic()
            if wait > 0:
                _sleep(wait)
            _LAST_REQUEST[self.host] = time.monotonic()

    def _retry_wait(self, response, attempt: int) -> float:
        wait = self.backoff * 2**attempt
        header = response.headers.get("Retry-After")
        if header:
            try:
                wait = float(header)
            except ValueError:
                when = email.utils.parsedate_to_datetime(header)  # HTTP-date form
                if when is not None:
                    wait = when.timestamp() - time.time()
        return min(max(wait, 0.0), self.max_wait)

    def _fetch(self, path: str) -> str:
        """GET ``path``; retry 429/5xx; raise EsploraError/NotFound with a clear message."""
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            self._throttle()
            try:
                response = self.session.get(url, timeout=self.timeout)
                text = response.text
            except requests.Timeout:
                raise EsploraError(
                    f"{url} did not answer within {self.timeout} seconds (connect, read); the "
                    "server is slow or unreachable: try again later, raise timeout=..., or use "
                    "another Esplora server"
                ) from None
            except requests.ConnectionError as exc:
                raise EsploraError(
                    f"cannot connect to {url} ({_reason(exc)}); check the address and your "
                    "network, or work offline with the bundled dataset (open_chain('course'))"
                ) from None
            except requests.RequestException as exc:
                raise EsploraError(f"request to {url} failed: {_reason(exc)}; try again") from None
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt < self.retries:
                    _sleep(self._retry_wait(response, attempt))
                    continue
                what = (
                    "kept rate-limiting us (HTTP 429)"
                    if status == 429
                    else f"kept failing (HTTP {status})"
                )
                raise EsploraError(
                    f"{url} {what} after {self.retries + 1} attempts; wait a few minutes, lower "
                    "the request rate (min_interval=...), or use a self-hosted Esplora"
                )
            if status == 404:
                raise NotFound(f"{url} answered 404 Not Found: {text.strip()[:200]}")
            if status >= 400:
                raise EsploraError(
                    f"{url} refused the request (HTTP {status}): {text.strip()[:200]}"
                )
            return text
        raise AssertionError("unreachable")

    def _json(self, path: str):
        text = self._fetch(path)
        try:
            return json.loads(text)
        except ValueError:
            hint = (
                "it sent a web page: base_url must be the API root (e.g. .../api)"
                if text.lstrip().startswith("<")
                else "the response was cut short or is not JSON: try again"
            )
            raise EsploraError(
                f"invalid JSON from {self.base_url + path} ({len(text)} characters); {hint}"
            ) from None

    # ------------------------------------------------------------------ cache

    def _cache_path(self, kind: str, path: str) -> Path | None:
        if self.cache is None:
            return None
        return self.cache / kind / path.strip("/").replace("/", "__")

    def _cache_read(self, kind: str, path: str):
        file = self._cache_path(kind, path)
        if file is None or not file.is_file():
            return None
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged cache entry is simply fetched again

    def _cache_write(self, kind: str, path: str, value) -> None:
        file = self._cache_path(kind, path)
        if file is None:
            return
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(value), encoding="utf-8")
            os.replace(tmp, file)  # atomic: a crash never leaves half a file
        except OSError as exc:
            warnings.warn(f"could not write the Esplora cache at {file}: {exc}", stacklevel=3)

    def _get(self, path: str, *, final=None, parse=json.loads):
        """Cached GET. ``final(value)`` says whether the answer can never change."""
        value = self._cache_read("final", path)
        if value is not None:
            return value
        try:
            value = self._json(path) if parse is json.loads else parse(self._fetch(path))
        except NotFound:
            raise
        except EsploraError as exc:
            stale = self._cache_read("last", path)
            if stale is None:
                raise
            warnings.warn(f"{exc}; using the answer cached earlier for {path}", stacklevel=3)
            return stale
        if final is not None and final(value):
            self._cache_write("final", path, value)
        else:
            self._cache_write("last", path, value)
        return value

    # ------------------------------------------------------------------ Chain

    def tip_height(self) -> int:
        now = time.monotonic()
        if self._tip and now - self._tip[0] < self.tip_ttl:
            return self._tip[1]
        height = self._get("/blocks/tip/height", parse=_parse_int)
        self._tip = (now, int(height))
        return int(height)

    def raw_hex(self, txid: str) -> str:
        """The raw transaction in hex, verified to hash to ``txid``."""
        txid = check_txid(txid)
        path = f"/tx/{txid}/hex"
        cached = self._cache_read("final", path)
        if cached is not None:
            return cached
        text = self._fetch(path).strip().lower()
        _verify_hex(txid, text, self.base_url + path)
        self._cache_write("final", path, text)
        return text

    def _tx_json(self, txid: str, data: dict | None = None) -> dict:
        """The verified JSON of ``txid`` (``data``: an unverified copy already in hand)."""
        txid = check_txid(txid)
        path = f"/tx/{txid}"
        cached = self._cache_read("final", path)
        if cached is not None:
            return cached
        if data is None:
            data = self._get(path, final=lambda v: False)
        _check_shape(data, txid, self.base_url + path)
        if self.verify:
            _check_against_raw(data, self.raw_hex(txid), self.base_url + path)
        if data["status"].get("confirmed"):
            self._cache_write("final", path, data)
        return data

    def _outspends_json(self, txid: str, tx: dict) -> list:
        final = lambda spends: _settled(spends, tx)  # noqa: E731
        spends = self._get(f"/tx/{txid}/outspends", final=final)
        if not isinstance(spends, list) or len(spends) != len(tx["vout"]):
            raise EsploraError(
                f"{self.base_url}/tx/{txid}/outspends gave {len(spends) if isinstance(spends, list) else 'no list'}"
                f" entries for {len(tx['vout'])} outputs; the server is inconsistent, try another"
            )
        return spends

    def tx(self, txid: str) -> Transaction:
        data = self._tx_json(txid)
        spends = self._outspends_json(data["txid"], data)
        return parse_tx(data, spends, self.tip_height())

    def outspends(self, txid: str) -> list[Spend | None]:
        data = self._tx_json(txid)
        return [_spend(s) for s in self._outspends_json(data["txid"], data)]

    def address_summary(self, address: str) -> AddressSummary:
        address = check_address(address)
        return parse_address_summary(self._get(f"/address/{address}"))

    def address_txs(self, address: str, limit: int | None = None) -> list[Transaction]:
        address = check_address(address)
        if limit is None:
            count = self.address_summary(address).tx_count
            if count > self.max_address_txs:
                raise EsploraError(
                    f"address {address} has {count:,} transactions, about {count // PAGE + 1:,} "
                    f"pages of requests; pass limit=N for the newest N, or raise "
                    f"max_address_txs (now {self.max_address_txs:,})"
                )
        found = self._get(f"/address/{address}/txs")  # mempool first, then 25 confirmed
        history = list(found)
        confirmed = [t for t in found if t.get("status", {}).get("confirmed")]
        while len(confirmed) >= PAGE and (limit is None or len(history) < limit):
            page = self._get(f"/address/{address}/txs/chain/{confirmed[-1]['txid']}")
            history.extend(page)
            confirmed = page
        tip = self.tip_height()
        result = []
        for data in history[:limit]:
            data = self._tx_json(data.get("txid", ""), data)  # verified and cached like tx()
            result.append(parse_tx(data, self._outspends_json(data["txid"], data), tip))
        return result

    def block_time(self, height: int) -> datetime:
        if int(height) < 0:
            raise ChainError(f"a block height is 0 or more, not {height}")
        block_hash = self._get(f"/block-height/{int(height)}", parse=str.strip)
        if not re.fullmatch(r"[0-9a-f]{64}", block_hash):
            raise EsploraError(
                f"{self.base_url}/block-height/{height} gave {block_hash[:80]!r}, not a block hash"
            )
        block = self._get(f"/block/{block_hash}", final=lambda b: True)
        return datetime.fromtimestamp(int(block["timestamp"]), tz=UTC)


# ---------------------------------------------------------------------- parsing


def _reason(exc) -> str:
    text = str(exc)
    for known in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "IncompleteRead",
        "Connection reset",
        "Connection aborted",
    ):
        if known in text:
            return known
    return text[:160]


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise EsploraError(f"expected a block height (a number), got {text[:80]!r}") from None


def _script_type(vout: dict) -> str:
    kind = vout.get("scriptpubkey_type", "unknown")
    return SCRIPT_TYPES.get(kind, kind)


def _spend(entry: dict) -> Spend | None:
    if not entry.get("spent"):
        return None
    status = entry.get("status") or {}
    when = status.get("block_time")
    return Spend(
        entry["txid"],
        int(entry["vin"]),
        status.get("block_height"),
        datetime.fromtimestamp(when, tz=UTC) if when is not None else None,
    )


def _settled(spends: list, tx: dict) -> bool:
    """True when no answer can change: each output is spent (confirmed) or an OP_RETURN."""
    if not tx.get("status", {}).get("confirmed") or not isinstance(spends, list):
        return False
    for entry, vout in zip(spends, tx["vout"], strict=False):
        if vout.get("scriptpubkey_type") == "op_return":
            continue
        if not (entry.get("spent") and (entry.get("status") or {}).get("confirmed")):
            return False
    return len(spends) == len(tx["vout"])


def _check_shape(data, txid: str, url: str) -> None:
    if not isinstance(data, dict) or not {"txid", "vin", "vout", "status"} <= set(data):
        raise EsploraError(f"{url} did not return a transaction (missing txid/vin/vout/status)")
    if data["txid"] != txid:
        raise EsploraError(f"{url} returned transaction {data['txid']}, not the {txid} asked for")


def _verify_hex(txid: str, text: str, url: str) -> bytes:
    from .rawtx import txid as hash_txid

    try:
        raw = bytes.fromhex(text)
        got = hash_txid(raw)
    except ValueError as exc:
        raise EsploraError(f"{url} did not return a raw transaction in hex ({exc})") from None
    if got != txid:
        raise EsploraError(
            f"the raw transaction from {url} hashes to {got}, not to the {txid} asked for: the "
            "server's data is wrong or was altered. Nothing was cached; use another server"
        )
    return raw


def _check_against_raw(data: dict, raw_hex: str, url: str) -> None:
    """The JSON must describe the verified bytes: outpoints, values, scripts, version, locktime."""
    from .rawtx import parse

    raw = parse(raw_hex)
    same = (data.get("version"), data.get("locktime")) == (raw["version"], raw["locktime"])
    same = same and [(o["value"], o.get("scriptpubkey")) for o in data["vout"]] == [
        (o["value"], o["script_pubkey"].hex()) for o in raw["outputs"]
    ]
    same = same and [(i["txid"], i["vout"]) for i in data["vin"] if not i.get("is_coinbase")] == [
        (i["prev_txid"], i["prev_vout"]) for i in raw["inputs"] if i["prev_vout"] != 0xFFFFFFFF
    ]
    if not same:
        raise EsploraError(
            f"{url} describes a transaction that differs from its own raw bytes (which hash to "
            "the txid); the server is faulty. Nothing was cached; use another server"
        )


def parse_tx(data: dict, outspends: list | None, tip: int | None) -> Transaction:
    """Build a :class:`Transaction` from Esplora's ``/tx`` JSON and ``/outspends`` list.

    >>> data = {"txid": "ab" * 32, "version": 2, "locktime": 0, "size": 100, "weight": 400,
    ...         "fee": 0, "status": {"confirmed": False},
    ...         "vin": [{"is_coinbase": True, "txid": "00" * 32, "vout": 4294967295, "prevout": None}],
    ...         "vout": [{"scriptpubkey_type": "v0_p2wpkh", "value": 5,
    ...                   "scriptpubkey_address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}]}
    >>> tx = parse_tx(data, [{"spent": False}], tip=None)
    >>> tx.coinbase, tx.inputs, tx.outputs[0].script_type, tx.time, tx.confirmations
    (True, (), 'p2wpkh', None, 0)
    """
    spends = [_spend(s) for s in outspends] if outspends else [None] * len(data["vout"])
    inputs = tuple(
        TxInput(
            v["txid"],
            int(v["vout"]),
            v["prevout"].get("scriptpubkey_address", ""),
            int(v["prevout"]["value"]),
            _script_type(v["prevout"]),
            int(v["sequence"]),
        )
        for v in data["vin"]
        if not v.get("is_coinbase")
    )
    outputs = tuple(
        TxOutput(
            n,
            o.get("scriptpubkey_address", ""),
            int(o["value"]),
            _script_type(o),
            s.txid if s else None,
            s.vin if s else None,
        )
        for n, (o, s) in enumerate(zip(data["vout"], spends, strict=True))
    )
    status = data.get("status") or {}
    confirmed = bool(status.get("confirmed"))
    height = int(status["block_height"]) if confirmed else None
    weight = int(data["weight"])
    return Transaction(
        txid=data["txid"],
        inputs=inputs,
        outputs=outputs,
        fee=int(data.get("fee", 0)),
        size=int(data["size"]),
        vsize=int(data.get("vsize") or -(-weight // 4)),
        weight=weight,
        version=int(data["version"]),
        locktime=int(data["locktime"]),
        height=height,
        time=datetime.fromtimestamp(status["block_time"], tz=UTC) if confirmed else None,
        confirmations=(tip - height + 1) if confirmed and tip is not None else 0,
        coinbase=any(v.get("is_coinbase") for v in data["vin"]),
    )


def parse_address_summary(data: dict) -> AddressSummary:
    """An :class:`AddressSummary` from ``/address/:address`` (chain plus mempool stats).

    >>> stats = {"tx_count": 2, "funded_txo_count": 1, "funded_txo_sum": 7,
    ...          "spent_txo_count": 1, "spent_txo_sum": 7}
    >>> zero = dict.fromkeys(stats, 0)
    >>> parse_address_summary({"address": "a", "chain_stats": stats, "mempool_stats": zero}).balance
    0
    """
    total = {}
    for key in (
        "tx_count",
        "funded_txo_count",
        "funded_txo_sum",
        "spent_txo_count",
        "spent_txo_sum",
    ):
        total[key] = sum(
            int((data.get(s) or {}).get(key, 0)) for s in ("chain_stats", "mempool_stats")
        )
    return AddressSummary(
        address=data["address"],
        tx_count=total["tx_count"],
        funded_count=total["funded_txo_count"],
        funded_sum=total["funded_txo_sum"],
        spent_count=total["spent_txo_count"],
        spent_sum=total["spent_txo_sum"],
        balance=total["funded_txo_sum"] - total["spent_txo_sum"],
    )
