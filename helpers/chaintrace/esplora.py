"""``Esplora(base_url)``: the Chain interface over any Esplora-compatible HTTP API.

Works against Blockstream's and mempool.space's public servers, a self-hosted electrs/Esplora,
or a classroom server started with ``chaintrace serve``.

**It checks what it can and says what it could not.** A server can be faulty or lie, so:

- the raw transaction must hash to the txid asked for (double SHA-256); version, locktime,
  outpoints, sequences, output values, scripts, addresses, size and weight are then read from
  those verified bytes, and a JSON answer that contradicts them is refused;
- input addresses, values and script types (and so the fee) are read from the *parents'* raw
  transactions when ``verify_inputs=True`` (one request per parent, kept for good);
- block time and inclusion: the block header must hash to the block hash the server gave,
  meet the proof of work its ``bits`` claim (at least ``min_work_bits``), carry the block time
  the server gave, and lead, through the server's merkle proof, to the txid; with
  ``verify_heights=True`` the height is checked against the block's coinbase (BIP-34);
- whatever could not be checked is named in ``Transaction.unverified``: always
  ``"confirmations"`` and ``"spends"`` (no server can prove a tip or that an output is
  unspent), ``"inputs"``/``"fee"`` unless ``verify_inputs``, ``"height"`` unless
  ``verify_heights``, ``"time"`` when the server has no headers (a ``chaintrace serve``
  classroom server has none: its dataset's block hashes are not header hashes).

**Only what was verified is cached as final** (raw transactions, headers, verified block
records), so a server that lied once and turned honest is believed at once; everything else
is asked again each time, and the last answer is kept only as a fallback used (with a
warning) when the server cannot be reached, so a notebook that ran once runs again offline.

**It is bounded against a hostile server:** each request has a total deadline (a slow drip
cannot hold a call past it), a size limit on the body, compressed or not (a gzip bomb stops at
the limit), redirects are followed only within the same host, and ``address_txs`` stops at
``limit`` or ``max_address_txs`` and when a page repeats itself. 429 and 5xx are retried a
bounded number of times with backoff that honours ``Retry-After`` (capped).

**It is polite where it matters and fast where it does not:** requests to one public host are
spaced by ``min_interval`` (0.2 s); loopback and private-network hosts (a classroom server)
get no delay. Outputs' spenders cost one request per transaction: they are fetched with the
transaction for private hosts and only when asked (:meth:`Esplora.outspends`,
:meth:`~chaintrace.chain.Chain.outspend`) for public ones, unless ``spends=`` says otherwise.

Every failure raises :class:`EsploraError` (or :class:`~chaintrace.chain.NotFound`) saying what
happened, at which URL, and what to do.

>>> Esplora("https://blockstream.info/api", cache_dir=False)
<Esplora https://blockstream.info/api>
>>> is_local_host("127.0.0.1:3002"), is_local_host("10.0.0.5"), is_local_host("blockstream.info")
(True, True, False)
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import os
import re
import threading
import time
import warnings
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from . import rawtx
from .chain import Chain, ChainError, NotFound, check_address, check_txid
from .encoding import script_pubkey_to_address, script_type_of
from .messages import translate
from .model import AddressSummary, Spend, Transaction, TxInput, TxOutput

__all__ = ["Esplora", "EsploraError", "SCRIPT_TYPES", "default_cache_dir", "is_local_host"]

PAGE = 25  # confirmed transactions per page of /address/:a/txs/chain
# Esplora's scriptpubkey_type -> the names the datasets use
SCRIPT_TYPES = {"v0_p2wpkh": "p2wpkh", "v0_p2wsh": "p2wsh", "v1_p2tr": "p2tr"}
MAINNET_MIN_WORK = 0x1D00FFFF  # difficulty 1: no mainnet header has ever had less work
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_COINBASE_VOUT = 0xFFFFFFFF
ALWAYS_UNVERIFIED = frozenset({"confirmations", "spends"})
_JSON_ONLY = frozenset({"inputs", "fee", "height", "time", "outputs", "size", "weight"})


class EsploraError(ChainError):
    """An Esplora server could not answer (network, HTTP error, bad or unverifiable data)."""


class Unreachable(EsploraError):
    """The server did not answer in time, refused the connection, or kept failing."""


def default_cache_dir() -> Path:
    """``$CHAINTRACE_CACHE`` or ``~/.cache/chaintrace``: where HTTP answers are kept.

    >>> default_cache_dir().name in ("chaintrace", os.environ.get("CHAINTRACE_CACHE", "")[-10:])
    True
    """
    return Path(os.environ.get("CHAINTRACE_CACHE") or Path.home() / ".cache" / "chaintrace")


def is_local_host(netloc: str) -> bool:
    """True for loopback, private-network and link-local hosts (no rate limit to respect).

    Decided from the name alone (no DNS lookup): IP literals by their range, and
    ``localhost``/``*.localhost``/``*.local`` names.

    >>> is_local_host("[::1]:3002"), is_local_host("class.local"), is_local_host("8.8.8.8")
    (True, True, False)
    """
    name = (urlsplit(f"//{netloc}").hostname or "").lower()
    if name == "localhost" or name.endswith((".localhost", ".local")):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


_sleep = time.sleep  # one name to patch in tests, so they never wait for real
_LAST_REQUEST: dict[str, float] = {}  # host -> monotonic time, shared by every client
_THROTTLE_LOCK = threading.Lock()


class Esplora(Chain):
    """A :class:`~chaintrace.chain.Chain` answered by an Esplora HTTP API at ``base_url``.

    ``timeout`` is (connect, read) seconds for each socket operation; ``deadline`` bounds a
    whole request, body included (default: connect + read). ``max_bytes`` bounds a body after
    decompression. ``retries`` bounds the extra attempts after a 429 or 5xx, waiting
    ``backoff * 2**attempt`` seconds or the server's ``Retry-After`` (at most ``max_wait``).
    ``min_interval`` spaces requests to one host (default 0.2 s, or 0 for loopback and private
    hosts). ``cache_dir=False`` turns the disk cache off. ``verify=False`` skips every check
    (everything is then unverified and nothing is cached as final). ``verify_inputs`` and
    ``verify_heights`` ask for the extra checks described in the module docstring.
    ``spends`` says whether :meth:`tx` and :meth:`address_txs` fill in the outputs'
    spenders (default: yes for loopback and private hosts, no for public ones, where
    ``spent_txid`` is then ``None`` and ``outspends()`` asks). ``max_address_txs`` stops
    ``address_txs`` from paging through a huge address unless a ``limit`` is given.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout=(3.05, 10),
        deadline: float | None = None,
        max_bytes: int = 32 * 1024 * 1024,
        retries: int = 4,
        backoff: float = 0.5,
        min_interval: float | None = None,
        max_wait: float = 30.0,
        cache_dir: str | Path | bool | None = None,
        session: requests.Session | None = None,
        verify: bool = True,
        verify_inputs: bool = False,
        verify_heights: bool = False,
        min_work_bits: int = MAINNET_MIN_WORK,
        spends: bool | None = None,
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
        local = is_local_host(parts.netloc)
        self.timeout, self.retries, self.backoff = timeout, int(retries), float(backoff)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.deadline = float(deadline if deadline is not None else connect + read)
        self.max_bytes = int(max_bytes)
        self.min_interval = float((0.0 if local else 0.2) if min_interval is None else min_interval)
        self.max_wait = float(max_wait)
        self.verify, self.verify_inputs = verify, verify_inputs
        self.verify_heights, self.min_work_bits = verify_heights, min_work_bits
        self.spends = local if spends is None else bool(spends)
        self.max_address_txs, self.tip_ttl = max_address_txs, tip_ttl
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "chaintrace (training toolkit)")
        # only encodings this client decodes itself, within max_bytes
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        if cache_dir is False:
            self.cache = None
        else:
            root = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
            key = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{parts.netloc}{parts.path}").strip("_")
            self.cache = root / "esplora" / key
        self._tip: tuple[float, int] | None = None
        self._no_headers = False  # set once the server shows it has no /block/:hash/header

    def __repr__(self) -> str:
        return f"<Esplora {self.base_url}>"

    # ------------------------------------------------------------------ HTTP

    def _throttle(self) -> None:
        if self.min_interval <= 0:
            return
        with _THROTTLE_LOCK:
            wait = _LAST_REQUEST.get(self.host, -1e9) + self.min_interval - time.monotonic()
            if wait > 0:
                _sleep(wait)
            _LAST_REQUEST[self.host] = time.monotonic()

    def _retry_wait(self, headers, attempt: int) -> float:
        wait = self.backoff * 2**attempt
        header = headers.get("Retry-After")
        if header:
            try:
                wait = float(header)
            except ValueError:
                try:
                    wait = email.utils.parsedate_to_datetime(header).timestamp() - time.time()
                except (TypeError, ValueError):
                    pass  # an unreadable Retry-After: keep our own backoff
        return min(max(wait, 0.0), self.max_wait)

    def _fetch(self, path: str) -> str:
        """GET ``path``; retry 429/5xx; raise EsploraError/NotFound with a clear message."""
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            self._throttle()
            status, headers, body = self._follow(url)
            if status == 429 or status >= 500:
                if attempt < self.retries:
                    _sleep(self._retry_wait(headers, attempt))
                    continue
                what = "kept rate-limiting us" if status == 429 else "kept failing"
                raise Unreachable(
                    f"{url} {what} (HTTP {status}) after {self.retries + 1} attempts; wait a few "
                    "minutes, lower the request rate (min_interval=...), or use a self-hosted "
                    "Esplora"
                )
            text = _text(body, url)
            if status == 404:
                raise NotFound(f"{url} answered 404 Not Found: {text.strip()[:200]}")
            if status >= 300:
                raise EsploraError(
                    f"{url} refused the request (HTTP {status}): {text.strip()[:200]}"
                )
            return text
        raise AssertionError("unreachable")

    def _follow(self, url: str) -> tuple[int, dict, bytes]:
        """One request, following redirects only to the same scheme and host."""
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._request(url)
            if status not in (301, 302, 303, 307, 308):
                return status, headers, body
            target = urljoin(url, headers.get("Location", ""))
            here, there = urlsplit(url), urlsplit(target)
            if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                raise EsploraError(
                    f"{url} redirects to another host ({there.scheme}://{there.netloc}); not "
                    "followed, so that host's answers never pass as this server's. If you "
                    "trust it, use its URL directly"
                )
            url = target
        raise EsploraError(f"{url} redirected more than {MAX_REDIRECTS} times; use another server")

    def _request(self, url: str) -> tuple[int, dict, bytes]:
        """GET ``url`` within ``deadline`` seconds in all; the body at most ``max_bytes``.

        The transfer runs in a helper thread so that the caller's wait is bounded even when a
        server drips bytes slowly enough to beat every per-read timeout.
        """
        box: dict = {}
        done = threading.Event()

        def work():
            try:
                box["result"] = self._transfer(url, box)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, daemon=True, name="esplora-request").start()
        if not done.wait(self.deadline):
            box["cancel"] = True
            if box.get("response") is not None:
                box["response"].raw.shutdown()  # unblocks the helper thread's read
            raise Unreachable(
                f"{url} did not finish answering within {self.deadline:g} seconds (deadline); "
                "the server is slow or stalling: try again later, raise deadline=..., or use "
                "another Esplora server"
            )
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _transfer(self, url: str, box: dict) -> tuple[int, dict, bytes]:
        try:
            response = self.session.get(
                url, timeout=self.timeout, stream=True, allow_redirects=False
            )
        except requests.Timeout:
            raise Unreachable(
                f"{url} did not answer within {self.timeout} seconds (connect, read); the "
                "server is slow or unreachable: try again later, raise timeout=..., or use "
                "another Esplora server"
            ) from None
        except requests.ConnectionError as exc:
            raise Unreachable(
                f"cannot connect to {url} ({_reason(exc)}); check the address and your "
                "network, or work offline with the bundled dataset (open_chain('course'))"
            ) from None
        except requests.RequestException as exc:
            raise EsploraError(f"request to {url} failed: {_reason(exc)}; try again") from None
        box["response"] = response
        try:
            return response.status_code, response.headers, self._read_body(response, url, box)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            if box.get("cancel"):
                return response.status_code, response.headers, b""
            raise EsploraError(
                f"the answer from {url} broke off ({_reason(exc)}); try again"
            ) from None
        finally:
            response.close()

    def _read_body(self, response, url: str, box: dict) -> bytes:
        """The body, decompressed here so that its size is bounded after decompression too."""
        limit = self.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_big(url, limit, f"it announces {int(declared):,} bytes")
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise EsploraError(
                f"{url} sent a body encoded as {encoding!r}, which was not asked for"
            )
        inflate = None if encoding in ("identity", "") else zlib.decompressobj(wbits=47)
        parts, size = [], 0
        while not box.get("cancel"):
            chunk = response.raw.read(_CHUNK, decode_content=False)
            if not chunk:
                break
            while chunk:
                out = chunk
                if inflate is not None:
                    out = inflate.decompress(chunk, limit - size + 1)
                    chunk = inflate.unconsumed_tail
                else:
                    chunk = b""
                size += len(out)
                if size > limit:
                    raise _too_big(url, limit, "the body goes on past it")
                parts.append(out)
        return b"".join(parts)

    def _json(self, path: str):
        return _loads(self._fetch(path), self.base_url + path)

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
        except (OSError, ValueError, RecursionError):
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
            warnings.warn(
                translate(f"could not write the Esplora cache at {file}: {exc}"), stacklevel=3
            )

    def _get(self, path: str, *, parse=None):
        """A fresh answer (never taken from the cache while the server answers).

        The answer is kept as the fallback for ``path``: used, with a warning, only when the
        server cannot be reached later.
        """
        try:
            text = self._fetch(path)
        except NotFound:
            raise
        except EsploraError as exc:
            stale = self._cache_read("last", path)
            if stale is None:
                raise
            warnings.warn(
                translate(f"{exc}; using the answer cached earlier for {path}"), stacklevel=3
            )
            return stale
        value = parse(text) if parse else _loads(text, self.base_url + path)
        self._cache_write("last", path, value)
        return value

    def _verified(self, path: str, fetch_and_check):
        """A verified value: from the cache, or fetched, checked and then cached for good."""
        value = self._cache_read("verified", path)
        if value is None:
            value = fetch_and_check()
            if value is not None:
                self._cache_write("verified", path, value)
        return value

    # ------------------------------------------------------------------ verified pieces

    def raw_hex(self, txid: str) -> str:
        """The raw transaction in hex, verified to hash to ``txid``."""
        txid = check_txid(txid)
        path = f"/tx/{txid}/hex"

        def fetch():
            text = self._fetch(path).strip().lower()
            _verify_hex(txid, text, self.base_url + path)
            return text

        return self._verified(path, fetch)

    def _raw(self, txid: str) -> dict:
        text = self.raw_hex(txid)
        return {**rawtx.parse(text), "size": len(text) // 2}

    def header(self, block_hash: str) -> dict | None:
        """The verified header of ``block_hash`` (see :func:`chaintrace.rawtx.parse_header`).

        ``None`` when the server serves no headers. Raises :class:`EsploraError` when the
        header does not hash to ``block_hash`` or lacks the proof of work it claims.
        """
        if not isinstance(block_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", block_hash):
            raise EsploraError(f"{self.base_url} gave {block_hash!r} as a block hash (64 hex)")
        path = f"/block/{block_hash}/header"
        if self._no_headers and self._cache_read("verified", path) is None:
            return None

        def fetch():
            try:
                text = self._fetch(path).strip()
            except NotFound:
                self._no_headers = True
                return None
            return _check_header(text, block_hash, self.min_work_bits, self.base_url + path)

        hex_header = self._verified(path, fetch)
        return rawtx.parse_header(hex_header) if hex_header else None

    def _block_record(self, txid: str, status: dict) -> dict | None:
        """Block hash, time (and height when asked) of a confirmed ``txid``, verified."""
        path = f"/verified-block/{txid}"
        record = self._cache_read("verified", path)
        if record is not None and (record["height"] is not None or not self.verify_heights):
            return record
        url = f"{self.base_url}/tx/{txid}"
        try:
            header = self.header(_field(status, "block_hash", str, url))
            proof = self._json(f"/tx/{txid}/merkle-proof") if header else None
        except Unreachable:
            return None  # offline: the block fields stay marked unverified
        if header is None:
            return None
        if header["time"] != _field(status, "block_time", int, url):
            raise _lie(url, f"block time {status['block_time']}", f"{header['time']} in the header")
        _check_inclusion(txid, proof, header, f"{url}/merkle-proof")
        height = self._block_height(header) if self.verify_heights else None
        if height is not None and height != _field(status, "block_height", int, url):
            raise _lie(url, f"height {status['block_height']}", f"{height} in the coinbase")
        record = {"block_hash": header["hash"], "time": header["time"], "height": height}
        self._cache_write("verified", path, record)
        return record

    def _block_height(self, header: dict) -> int | None:
        """The height the block's coinbase commits to (BIP-34), checked by merkle proof."""
        block_hash = header["hash"]
        coinbase = self._fetch(f"/block/{block_hash}/txid/0").strip().lower()
        url = f"{self.base_url}/tx/{coinbase}/merkle-proof"
        proof = self._json(f"/tx/{check_txid(coinbase)}/merkle-proof")
        if proof.get("pos") != 0:
            raise _lie(url, "a coinbase", f"position {proof.get('pos')}, not 0")
        _check_inclusion(coinbase, proof, header, url)
        return rawtx.coinbase_height(self._raw(coinbase))

    def _parent_outputs(self, raw: dict) -> list[tuple[str, int, str]]:
        """(address, value, script type) of every input, read from the parents' raw bytes."""
        out = []
        for i in raw["inputs"]:
            if i["prev_vout"] == _COINBASE_VOUT:
                continue
            parent = self._raw(i["prev_txid"])
            if i["prev_vout"] >= len(parent["outputs"]):
                raise EsploraError(
                    f"{i['prev_txid']} has no output {i['prev_vout']}, yet a verified "
                    "transaction spends it: the server gave a wrong parent; use another server"
                )
            o = parent["outputs"][i["prev_vout"]]
            out.append(_describe_script(o["script_pubkey"], o["value"]))
        return out

    # ------------------------------------------------------------------ Chain

    def tip_height(self) -> int:
        now = time.monotonic()
        if self._tip and now - self._tip[0] < self.tip_ttl:
            return self._tip[1]
        height = self._get("/blocks/tip/height", parse=_parse_int)
        self._tip = (now, int(height))
        return int(height)

    def tx(self, txid: str, *, verify_inputs: bool | None = None) -> Transaction:
        """The transaction ``txid``, checked as the module docstring says.

        ``verify_inputs`` overrides the client's setting for this call.
        """
        return self._build(check_txid(txid), None, verify_inputs)

    def _build(self, txid: str, data: dict | None, verify_inputs: bool | None) -> Transaction:
        """A Transaction from verified bytes and records, asking for JSON only when needed."""
        url = f"{self.base_url}/tx/{txid}"
        if not self.verify:
            data = data if data is not None else self._tx_data(txid)
            spends = self._spends(txid, len(data["vout"])) if self.spends else None
            return _guarded(url, lambda: parse_tx(data, spends, self.tip_height()))
        verify_inputs = self.verify_inputs if verify_inputs is None else verify_inputs
        raw = self._raw(txid)
        record = self._cache_read("verified", f"/verified-block/{txid}")
        parents = self._parent_outputs(raw) if verify_inputs else None
        if data is None and (parents is None or record is None or record["height"] is None):
            data = self._tx_data(txid)
        if data is not None:
            _check_shape(data, txid, url)
            _check_against_raw(data, raw, url)
            if parents is not None:
                _check_prevouts(data, parents, url)
        if data is not None and record is None and data["status"].get("confirmed"):
            record = self._block_record(txid, data["status"])
        spends = self._spends(txid, len(raw["outputs"])) if self.spends else None
        return _guarded(url, lambda: _assemble(txid, raw, data, parents, record, spends, self))

    def _tx_data(self, txid: str) -> dict:
        data = self._get(f"/tx/{txid}")
        _check_shape(data, txid, f"{self.base_url}/tx/{txid}")
        return data

    def _spends(self, txid: str, n_outputs: int) -> list:
        url = f"{self.base_url}/tx/{txid}/outspends"
        spends = self._get(f"/tx/{txid}/outspends")
        if not isinstance(spends, list) or len(spends) != n_outputs:
            got = len(spends) if isinstance(spends, list) else "no list"
            raise EsploraError(
                f"{url} gave {got} entries for {n_outputs} outputs; the server is inconsistent, "
                "try another"
            )
        return _guarded(url, lambda: [_spend(s) for s in spends])

    def outspends(self, txid: str) -> list[Spend | None]:
        txid = check_txid(txid)
        n = len(self._raw(txid)["outputs"]) if self.verify else len(self._tx_data(txid)["vout"])
        return self._spends(txid, n)

    def address_summary(self, address: str) -> AddressSummary:
        address = check_address(address)
        path = f"/address/{address}"
        return _guarded(self.base_url + path, lambda: parse_address_summary(self._get(path)))

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
        cap = self.max_address_txs if limit is None else max(int(limit), 0)
        history = self._history(address, cap, strict=limit is None)
        return [self._build(check_txid(d.get("txid", "")), d, None) for d in history]

    def _history(self, address: str, cap: int, strict: bool) -> list[dict]:
        """At most ``cap`` entries of the history, paging 25 at a time; a loop is an error."""
        path = f"/address/{address}/txs"
        page = self._page(path)  # mempool first, then 25 confirmed
        history, seen = [], set()
        while True:
            for entry in page:
                if entry["txid"] in seen:
                    raise EsploraError(
                        f"{self.base_url}{path} repeats transaction {entry['txid']} after "
                        f"{len(history)} entries: the server's paging is looping; stopped. Use "
                        "another server, or limit=N"
                    )
                seen.add(entry["txid"])
                history.append(entry)
            confirmed = [t for t in page if (t.get("status") or {}).get("confirmed")]
            if len(confirmed) < PAGE or len(history) >= cap:
                break
            path = f"/address/{address}/txs/chain/{confirmed[-1]['txid']}"
            page = self._page(path)
        if strict and len(history) > cap:
            raise EsploraError(
                f"{self.base_url}/address/{address} said it has at most {cap:,} transactions "
                f"(max_address_txs) but its pages go on past that; stopped. Pass limit=N"
            )
        return history[:cap]

    def _page(self, path: str) -> list[dict]:
        page = self._get(path)
        if not isinstance(page, list) or not all(
            isinstance(t, dict) and isinstance(t.get("txid"), str) for t in page
        ):
            raise EsploraError(
                f"{self.base_url}{path} is not a list of transactions; the server is faulty, "
                "use another"
            )
        return page

    def block_time(self, height: int) -> datetime:
        """The time of the block at ``height``, from its verified header when it has one."""
        if int(height) < 0:
            raise ChainError(f"a block height is 0 or more, not {height}")
        block_hash = self._get(f"/block-height/{int(height)}", parse=str.strip)
        if not re.fullmatch(r"[0-9a-f]{64}", block_hash):
            raise EsploraError(
                f"{self.base_url}/block-height/{height} gave {block_hash[:80]!r}, not a block hash"
            )
        try:
            header = self.header(block_hash)
        except Unreachable:
            header = None  # offline: the answer kept from before, with a warning, below
        if header is not None:
            return datetime.fromtimestamp(header["time"], tz=UTC)
        url = f"{self.base_url}/block/{block_hash}"
        block = self._get(f"/block/{block_hash}")
        return _guarded(url, lambda: datetime.fromtimestamp(int(block["timestamp"]), tz=UTC))


# ---------------------------------------------------------------------- checks


def _text(body: bytes, url: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EsploraError(
            f"{url} sent bytes that are not UTF-8 text (at byte {exc.start}); base_url must "
            "be an Esplora API root, or the server is faulty"
        ) from None


def _loads(text: str, url: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise EsploraError(
            f"{url} sent JSON nested too deeply to be an Esplora answer; the server is faulty "
            "or hostile, use another"
        ) from None
    except ValueError as exc:
        hint = (
            "it sent a web page: base_url must be the API root (e.g. .../api)"
            if text.lstrip().startswith("<")
            else "the response was cut short or is not JSON: try again"
        )
        raise EsploraError(
            f"invalid JSON from {url} ({len(text)} characters, {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}); {hint}"
        ) from None


def _guarded(url: str, build):
    """Run ``build``; a missing or malformed field becomes an EsploraError naming ``url``."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, ChainError):
            raise
        what = f"field {exc}" if isinstance(exc, KeyError) else str(exc)[:160]
        raise EsploraError(
            f"{url} gave an answer in the wrong shape ({type(exc).__name__}: {what}); it is "
            "not an Esplora API or is faulty: check base_url, or use another server"
        ) from None


def _field(data: dict, name: str, kind, url: str):
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise EsploraError(f"{url} gave no usable {name!r} (got {value!r}); the server is faulty")
    return value


def _too_big(url: str, limit: int, why: str) -> EsploraError:
    return EsploraError(
        f"the answer from {url} is larger than max_bytes={limit:,} ({why}); stopped reading. "
        "A genuine answer is far smaller: the server is faulty or hostile"
    )


def _lie(url: str, claimed: str, found: str) -> EsploraError:
    return EsploraError(
        f"{url} claims {claimed}, but the verified data says {found}: the server's data is "
        "wrong or was altered. Nothing was cached; use another server"
    )


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


def _check_shape(data, txid: str, url: str) -> None:
    if not isinstance(data, dict) or not {"txid", "vin", "vout", "status"} <= set(data):
        raise EsploraError(f"{url} did not return a transaction (missing txid/vin/vout/status)")
    if data["txid"] != txid:
        raise EsploraError(f"{url} returned transaction {data['txid']}, not the {txid} asked for")
    if not isinstance(data["vin"], list) or not isinstance(data["vout"], list):
        raise EsploraError(f"{url} gave vin/vout that are not lists; the server is faulty")
    if not isinstance(data["status"], dict):
        raise EsploraError(f"{url} gave a status that is not an object; the server is faulty")


def _verify_hex(txid: str, text: str, url: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
        got = rawtx.txid(raw)
    except (ValueError, KeyError) as exc:
        raise EsploraError(f"{url} did not return a raw transaction in hex ({exc})") from None
    if got != txid:
        raise EsploraError(
            f"the raw transaction from {url} hashes to {got}, not to the {txid} asked for: the "
            "server's data is wrong or was altered. Nothing was cached; use another server"
        )
    return raw


def _check_header(text: str, block_hash: str, min_work_bits: int, url: str) -> str:
    """``text`` if it is an 80-byte header hashing to ``block_hash`` with real work behind it."""
    try:
        header = rawtx.parse_header(text.lower())
    except ValueError as exc:
        raise EsploraError(f"{url} did not return a block header in hex ({exc})") from None
    if header["hash"] != block_hash:
        raise _lie(url, f"block {block_hash}", f"the header hashes to {header['hash']}")
    target = rawtx.bits_to_target(header["bits"])
    if target > rawtx.bits_to_target(min_work_bits) or int(header["hash"], 16) > target:
        raise _lie(url, "a mined block", "the header lacks the proof of work a block needs")
    return text.lower()


def _check_inclusion(txid: str, proof, header: dict, url: str) -> None:
    try:
        root = rawtx.merkle_root_from_proof(txid, list(proof["merkle"]), int(proof["pos"]))
    except (KeyError, TypeError, ValueError):
        raise EsploraError(f"{url} did not return a merkle proof (merkle, pos)") from None
    if root != header["merkle_root"]:
        raise _lie(
            url, f"{txid} is in block {header['hash']}", "the merkle proof does not lead there"
        )


def _check_against_raw(data: dict, raw: dict, url: str) -> None:
    """The JSON must describe the verified bytes: outpoints, values, scripts, version, locktime."""
    same = _guarded(
        url,
        lambda: (
            (data.get("version"), data.get("locktime")) == (raw["version"], raw["locktime"])
            and [(o["value"], o.get("scriptpubkey")) for o in data["vout"]]
            == [(o["value"], o["script_pubkey"].hex()) for o in raw["outputs"]]
            and [(i["txid"], i["vout"]) for i in data["vin"] if not i.get("is_coinbase")]
            == [(i["prev_txid"], i["prev_vout"]) for i in _spending(raw)]
        ),
    )
    if not same:
        raise EsploraError(
            f"{url} describes a transaction that differs from its own raw bytes (which hash to "
            "the txid); the server is faulty. Nothing was cached; use another server"
        )


def _check_prevouts(data: dict, parents: list, url: str) -> None:
    claimed = _guarded(
        url,
        lambda: [
            (v["prevout"].get("scriptpubkey_address", ""), int(v["prevout"]["value"]))
            for v in data["vin"]
            if not v.get("is_coinbase")
        ],
    )
    if claimed != [(address, value) for address, value, _ in parents]:
        raise _lie(url, "these input addresses and values", "others in the parent transactions")


def _spending(raw: dict) -> list[dict]:
    return [i for i in raw["inputs"] if i["prev_vout"] != _COINBASE_VOUT]


def _describe_script(spk: bytes, value: int, label: str | None = None) -> tuple[str, int, str]:
    """(address, value, script type) of a locking script; ``label``: the server's name for it."""
    kind = script_type_of(spk)
    if kind == "unknown" and label:
        kind = SCRIPT_TYPES.get(label, label)  # e.g. p2pk, which has no address form
    return script_pubkey_to_address(spk) or "", value, kind


# ---------------------------------------------------------------------- building


def _assemble(txid, raw, data, parents, record, spends, chain) -> Transaction:
    """The Transaction: bytes-derived fields, plus the checked (or named unverified) rest."""
    unverified = set(ALWAYS_UNVERIFIED)
    labels = [o.get("scriptpubkey_type") for o in data["vout"]] if data else []
    outputs = []
    for n, o in enumerate(raw["outputs"]):
        address, value, kind = _describe_script(o["script_pubkey"], o["value"], _at(labels, n))
        spend = spends[n] if spends else None
        outputs.append(
            TxOutput(
                n, address, value, kind, spend.txid if spend else None, spend.vin if spend else None
            )
        )
    if parents is None:
        unverified |= {"inputs", "fee"}
        prevouts = [_prevout(v) for v in data["vin"] if not v.get("is_coinbase")]
    else:
        prevouts = parents
    inputs = tuple(
        TxInput(i["prev_txid"], i["prev_vout"], address, value, kind, i["sequence"])
        for i, (address, value, kind) in zip(_spending(raw), prevouts, strict=True)
    )
    coinbase = len(raw["inputs"]) == 1 and raw["inputs"][0]["prev_vout"] == _COINBASE_VOUT
    height, when, more = _block_fields(data, record)
    unverified |= more
    weight = rawtx.weight(raw)
    fee = 0 if coinbase else sum(i.value for i in inputs) - sum(o.value for o in outputs)
    return Transaction(
        txid=txid,
        inputs=inputs,
        outputs=tuple(outputs),
        fee=fee,
        size=raw["size"],
        vsize=-(-weight // 4),
        weight=weight,
        version=raw["version"],
        locktime=raw["locktime"],
        height=height,
        time=datetime.fromtimestamp(when, tz=UTC) if when is not None else None,
        confirmations=chain.tip_height() - height + 1 if height is not None else 0,
        coinbase=coinbase,
        unverified=frozenset(unverified),
    )


def _block_fields(data, record) -> tuple[int | None, int | None, set]:
    """Height, time and the names of those the server's word alone supplied."""
    status = (data or {}).get("status") or {}
    if record is None and not status.get("confirmed"):
        return None, None, {"height", "time"}
    height = record["height"] if record and record["height"] is not None else status["block_height"]
    when = record["time"] if record else status["block_time"]
    unverified = set()
    if record is None:
        unverified.add("time")
    if record is None or record["height"] is None:
        unverified.add("height")
    return int(height), int(when), unverified


def _at(items: list, n: int):
    return items[n] if n < len(items) else None


def _prevout(vin: dict) -> tuple[str, int, str]:
    prevout = vin["prevout"]
    return (
        prevout.get("scriptpubkey_address", ""),
        int(prevout["value"]),
        _script_type(prevout),
    )


def _script_type(vout: dict) -> str:
    kind = vout.get("scriptpubkey_type", "unknown")
    return SCRIPT_TYPES.get(kind, kind)


def _spend(entry: dict) -> Spend | None:
    if not entry.get("spent"):
        return None
    status = entry.get("status") or {}
    when = status.get("block_time")
    return Spend(
        check_txid(entry["txid"]),
        int(entry["vin"]),
        status.get("block_height"),
        datetime.fromtimestamp(when, tz=UTC) if when is not None else None,
    )


def parse_tx(data: dict, outspends: list | None, tip: int | None) -> Transaction:
    """A :class:`Transaction` from Esplora's ``/tx`` JSON alone, every field unverified.

    ``outspends``: :class:`~chaintrace.model.Spend` objects (or ``/outspends`` entries).

    >>> data = {"txid": "ab" * 32, "version": 2, "locktime": 0, "size": 100, "weight": 400,
    ...         "fee": 0, "status": {"confirmed": False},
    ...         "vin": [{"is_coinbase": True, "txid": "00" * 32, "vout": 4294967295, "prevout": None}],
    ...         "vout": [{"scriptpubkey_type": "v0_p2wpkh", "value": 5,
    ...                   "scriptpubkey_address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}]}
    >>> tx = parse_tx(data, [{"spent": False}], tip=None)
    >>> tx.coinbase, tx.inputs, tx.outputs[0].script_type, tx.time, tx.confirmations
    (True, (), 'p2wpkh', None, 0)
    >>> sorted(tx.unverified)[:3]
    ['confirmations', 'fee', 'height']
    """
    spends = [s if isinstance(s, Spend) or s is None else _spend(s) for s in outspends or []]
    spends = spends or [None] * len(data["vout"])
    inputs = tuple(
        TxInput(v["txid"], int(v["vout"]), *_prevout(v)[:3], int(v["sequence"]))
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
        unverified=ALWAYS_UNVERIFIED | _JSON_ONLY,
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
