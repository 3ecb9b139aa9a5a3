"""Serve a dataset as a read-only, Esplora-compatible HTTP API (the classroom server).

A class without internet starts ``chaintrace serve`` on one machine and every trainee points
``chaintrace.open_chain("http://<that machine>:3002")`` at it: the same online workflow, the same
answers as the bundled backend. Endpoints and JSON shapes follow Blockstream's Esplora API:
``/tx/:txid`` (``/status``, ``/hex``, ``/raw``, ``/outspends``, ``/outspend/:vout``),
``/address/:address`` (``/txs``, ``/txs/chain[/:last_seen_txid]``, ``/txs/mempool``, ``/utxo``),
``/block-height/:height``, ``/block/:hash``, ``/blocks/tip/height``, ``/blocks/tip/hash``.
Paths may also start with ``/api``. Address history comes 25 transactions a page. ``/info``
says what is served: dataset name, cohort variant and checksum (also printed at start).

Set ``CHAINTRACE_CHAIN=http://<that machine>:3002`` for the trainees' JupyterLab and every
``open_chain()`` without an argument reads from the server: no notebook cell changes.

It serves a class from one laptop: connections are kept alive, each answer is built once and
kept, an idle connection is closed after ``idle_timeout`` seconds, and a client hanging up is
not an error (``bench/serve_bench.py`` measures requests per second and latency). The dataset's
block hashes are not header hashes, so no ``/block/:hash/header`` is served and clients mark
block times as unverified.

>>> server = make_server("course", port=0)          # doctest: +SKIP
>>> threading.Thread(target=server.serve_forever, daemon=True).start()   # doctest: +SKIP
>>> Esplora(server.url).tip_height()                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import sys
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .chain import ChainError, LocalChain, NotFound
from .model import Transaction

__all__ = ["serve", "make_server", "EsploraApi", "what_is_served", "banner"]

PAGE = 25
_TO_ESPLORA = {"p2wpkh": "v0_p2wpkh", "p2wsh": "v0_p2wsh", "p2tr": "v1_p2tr"}
_COINBASE_PREV = ("0" * 64, 0xFFFFFFFF)


class EsploraApi:
    """Answers Esplora paths from a :class:`~chaintrace.chain.LocalChain`: ``(status, type, body)``.

    >>> api = EsploraApi(LocalChain("course"))           # doctest: +SKIP
    >>> api.get("/blocks/tip/height")[0]                 # doctest: +SKIP
    200
    """

    def __init__(self, chain: LocalChain):
        self.chain = chain
        self.dataset = chain.dataset
        blocks = self.dataset.blocks
        self.block_hash = dict(zip(blocks["height"].tolist(), blocks["hash"].tolist(), strict=True))
        self.block_by_hash = {h: n for n, h in self.block_hash.items()}
        self.n_tx = dict(zip(blocks["height"].tolist(), blocks["n_tx"].tolist(), strict=True))
        self.tx_json = lru_cache(maxsize=8192)(self._tx_json)
        self.raw = lru_cache(maxsize=8192)(self._raw)
        chain.warm_up()

    # ------------------------------------------------------------------ routing

    def get(self, path: str) -> tuple[int, str, bytes]:
        """Answer one GET path (query strings ignored)."""
        path = path.split("?", 1)[0]
        if path.startswith("/api/"):
            path = path[4:]
        parts = [p for p in path.split("/") if p]
        try:
            value = self._route(parts)
        except NotFound as exc:
            return 404, "text/plain", str(exc).encode()
        except (ChainError, ValueError) as exc:
            return 400, "text/plain", str(exc).encode()
        if value is None:
            return 404, "text/plain", f"no such endpoint: {path}".encode()
        if isinstance(value, bytes):
            return 200, "application/octet-stream", value
        if isinstance(value, (str, int)):
            return 200, "text/plain", str(value).encode()
        return 200, "application/json", json.dumps(value, separators=(",", ":")).encode()

    def _route(self, p: list[str]):
        match p:
            case ["tx", txid]:
                return self.tx_json(self._txid(txid))
            case ["tx", txid, "status"]:
                return self.tx_json(self._txid(txid))["status"]
            case ["tx", txid, "hex"]:
                return self.raw(self._txid(txid)).hex()
            case ["tx", txid, "raw"]:
                return self.raw(self._txid(txid))
            case ["tx", txid, "outspends"]:
                return [self._outspend(s) for s in self.chain.outspends(txid)]
            case ["tx", txid, "outspend", vout]:
                return self._outspend(self.chain.outspend(txid, int(vout)))
            case ["address", address]:
                return self._address(address)
            case ["address", address, "txs"] | ["address", address, "txs", "chain"]:
                return self._history(address, None)
            case ["address", address, "txs", "chain", last_seen]:
                return self._history(address, last_seen)
            case ["address", address, "txs", "mempool"]:
                self.chain.address_summary(address)  # 404 for an unknown address
                return []
            case ["address", address, "utxo"]:
                return self._utxo(address)
            case ["block-height", height] if height.isdigit():
                if int(height) not in self.block_hash:
                    raise NotFound(f"Block not found: no block at height {height}")
                return self.block_hash[int(height)]
            case ["block", block_hash]:
                return self._block(block_hash)
            case ["blocks", "tip", "height"]:
                return self.chain.tip_height()
            case ["blocks", "tip", "hash"]:
                return self.block_hash[self.chain.tip_height()]
        return None

    def _txid(self, txid: str) -> str:
        return self.chain.tx(txid).txid  # validates, and raises NotFound

    # ------------------------------------------------------------------ JSON shapes

    def _raw(self, txid: str) -> bytes:
        """The serialised transaction, rebuilt from the tables (needs the generator's columns)."""
        from . import rawtx

        return rawtx.serialize(self._raw_dict(txid))

    def _raw_dict(self, txid: str) -> dict | None:
        ds = self.dataset
        if "spend_type" not in ds.inputs.columns or "op_return" not in ds.outputs.columns:
            raise NotFound(
                f"raw transactions cannot be rebuilt from dataset {ds.name!r}: it lacks the "
                "generator's spend_type/op_return columns; regenerate it with `chaintrace generate`"
            )
        from .rebuild import raw_transaction

        row, ins, outs = self.chain.table_rows(txid)
        return raw_transaction(
            txid, ds.transactions.iloc[[row]], ds.inputs.iloc[ins], ds.outputs.iloc[outs]
        )

    def _status(self, height: int | None) -> dict:
        if height is None:
            return {"confirmed": False}
        return {
            "confirmed": True,
            "block_height": height,
            "block_hash": self.block_hash[height],
            "block_time": int(self.chain.block_time(height).timestamp()),
        }

    def _tx_json(self, txid: str) -> dict:
        tx = self.chain.tx(txid)
        try:
            raw = self._raw_dict(txid)
        except NotFound:
            raw = None
        return tx_to_esplora(tx, raw, self._status(tx.height))

    def _outspend(self, spend) -> dict:
        if spend is None:
            return {"spent": False}
        return {
            "spent": True,
            "txid": spend.txid,
            "vin": spend.vin,
            "status": self._status(spend.height),
        }

    def _address(self, address: str) -> dict:
        s = self.chain.address_summary(address)
        zero = dict.fromkeys(
            ("funded_txo_count", "funded_txo_sum", "spent_txo_count", "spent_txo_sum", "tx_count"),
            0,
        )
        return {
            "address": s.address,
            "chain_stats": {
                "funded_txo_count": s.funded_count,
                "funded_txo_sum": s.funded_sum,
                "spent_txo_count": s.spent_count,
                "spent_txo_sum": s.spent_sum,
                "tx_count": s.tx_count,
            },
            "mempool_stats": zero,
        }

    def _history(self, address: str, last_seen: str | None) -> list[dict]:
        txids = self.chain.address_txids(address)
        start = 0
        if last_seen is not None:
            try:
                start = txids.index(last_seen.lower()) + 1
            except ValueError:
                raise NotFound(f"{last_seen} is not in the history of {address}") from None
        return [self.tx_json(t) for t in txids[start : start + PAGE]]

    def _utxo(self, address: str) -> list[dict]:
        address = address.strip()
        out = []
        for txid in self.chain.address_txids(address):
            tx = self.chain.tx(txid)
            for o in tx.outputs:
                if o.address == address and not o.spent:
                    out.append(
                        {
                            "txid": txid,
                            "vout": o.vout,
                            "value": o.value,
                            "status": self._status(tx.height),
                        }
                    )
        return out

    def _block(self, block_hash: str) -> dict:
        height = self.block_by_hash.get(block_hash.lower())
        if height is None:
            raise NotFound(f"Block not found: {block_hash}")
        block = {
            "id": self.block_hash[height],
            "height": height,
            "timestamp": int(self.chain.block_time(height).timestamp()),
            "tx_count": self.n_tx[height],
        }
        if height - 1 in self.block_hash:
            block["previousblockhash"] = self.block_hash[height - 1]
        return block


def _vout_json(address: str, value: int, script_type: str, spk: bytes | None) -> dict:
    out = {}
    if spk is not None:
        out["scriptpubkey"] = spk.hex()
    out["scriptpubkey_type"] = _TO_ESPLORA.get(script_type, script_type)
    if address:
        out["scriptpubkey_address"] = address
    out["value"] = value
    return out


def _spk(address: str) -> bytes | None:
    from .encoding import address_to_script_pubkey

    try:
        return address_to_script_pubkey(address) if address else None
    except ValueError:
        return None


def tx_to_esplora(tx: Transaction, raw: dict | None, status: dict) -> dict:
    """Esplora's ``/tx/:txid`` JSON for ``tx``; ``raw`` (rawtx dict) adds scripts and witnesses."""
    raw_ins = raw["inputs"] if raw else None
    vin = []
    if tx.coinbase:
        first = raw_ins[0] if raw_ins else {}
        vin.append(
            {
                "txid": _COINBASE_PREV[0],
                "vout": _COINBASE_PREV[1],
                "prevout": None,
                "scriptsig": first.get("script_sig", b"").hex(),
                "witness": [w.hex() for w in first.get("witness", [])],
                "is_coinbase": True,
                "sequence": first.get("sequence", 0xFFFFFFFF),
            }
        )
    for n, i in enumerate(tx.inputs):
        entry = {
            "txid": i.prev_txid,
            "vout": i.prev_vout,
            "prevout": _vout_json(i.address, i.value, i.script_type, _spk(i.address)),
        }
        if raw_ins:
            entry["scriptsig"] = raw_ins[n]["script_sig"].hex()
            if raw_ins[n]["witness"]:
                entry["witness"] = [w.hex() for w in raw_ins[n]["witness"]]
        entry.update(is_coinbase=False, sequence=i.sequence)
        vin.append(entry)
    vout = []
    for n, o in enumerate(tx.outputs):
        spk = raw["outputs"][n]["script_pubkey"] if raw else _spk(o.address)
        vout.append(_vout_json(o.address, o.value, o.script_type, spk))
    return {
        "txid": tx.txid,
        "version": tx.version,
        "locktime": tx.locktime,
        "vin": vin,
        "vout": vout,
        "size": tx.size,
        "weight": tx.weight,
        "fee": tx.fee,
        "status": status,
    }


# ---------------------------------------------------------------------- HTTP server

IDLE_TIMEOUT = 30.0  # seconds a connection may sit idle (or half-sent) before it is closed
_CACHE_SIZE = 50_000  # whole answers kept ready; the dataset never changes while served
_IMMUTABLE = re.compile(r"^(/api)?/(tx/[0-9a-f]{64}(/hex|/raw)?|block/)")


def what_is_served(dataset) -> dict:
    """Dataset name, cohort variant and checksum: what a class can check it is connected to.

    The variant is the cohort's name when the dataset sits in a cohort folder (one holding
    ``cohort.toml``), else ``"bundled"``.
    """
    path = dataset.path.resolve()
    cohort = path.parents[1] if len(path.parents) > 1 else path
    variant = cohort.name if (cohort / "cohort.toml").is_file() else "bundled"
    return {"dataset": dataset.name, "variant": variant, "checksum": dataset.checksum}


class _Handler(BaseHTTPRequestHandler):
    server_version = "chaintrace-esplora/2"
    protocol_version = "HTTP/1.1"  # keep-alive: a client reuses one connection
    timeout = IDLE_TIMEOUT  # per socket read: an idle client cannot hold a thread for ever

    def do_GET(self):  # noqa: N802 (http.server's naming)
        head, body = self.server.answer(self.path)
        self.wfile.write(head + body)
        self.log_request(int(head[9:12]))

    def do_HEAD(self):  # noqa: N802
        head, _ = self.server.answer(self.path)
        self.wfile.write(head)

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            super().log_message(fmt, *args)


class EsploraServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer carrying its :class:`EsploraApi`; ``url`` is its base URL.

    Answers are built once per path and kept (the data is read-only); connections are kept
    alive between requests and closed after ``idle_timeout`` seconds of silence; a client that
    hangs up mid-answer is not an error worth a traceback.
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, api: EsploraApi, quiet: bool = True, idle_timeout=IDLE_TIMEOUT):
        self.api, self.quiet = api, quiet
        self.info = what_is_served(api.dataset)
        handler = type("Handler", (_Handler,), {"timeout": idle_timeout})
        super().__init__(address, handler)
        host, port = self.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.answer = lru_cache(maxsize=_CACHE_SIZE)(self._answer)

    def _answer(self, path: str) -> tuple[bytes, bytes]:
        """The status line and headers, and the body, for ``path``."""
        if path.split("?", 1)[0].rstrip("/") in ("/info", "/api/info"):
            status, kind, body = 200, "application/json", json.dumps(self.info).encode()
        else:
            status, kind, body = self.api.get(path)
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
            f"Server: {_Handler.server_version}",
            f"Content-Type: {kind}",
            f"Content-Length: {len(body)}",
            "Access-Control-Allow-Origin: *",
        ]
        if status == 200 and _IMMUTABLE.match(path):
            lines.append("Cache-Control: public, max-age=31536000, immutable")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body

    def handle_error(self, request, client_address):
        # a client closing its connection (or timing out) is normal on a busy classroom network
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (tests, notebooks); stop with :meth:`stop`."""
        thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


def make_server(
    dataset="course",
    host: str = "127.0.0.1",
    port: int = 3002,
    *,
    quiet: bool = True,
    idle_timeout: float = IDLE_TIMEOUT,
) -> EsploraServer:
    """A ready (not yet running) server for ``dataset``; ``port=0`` picks a free port."""
    chain = dataset if isinstance(dataset, LocalChain) else LocalChain(dataset)
    try:
        return EsploraServer((host, int(port)), EsploraApi(chain), quiet, idle_timeout)
    except OSError as exc:
        raise ChainError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port, or "
            "stop the program already using it"
        ) from None


def banner(server: EsploraServer) -> str:
    """What ``chaintrace serve`` prints at start: what it serves, and how to point at it."""
    info = server.info
    lines = [
        f"Serving dataset {info['dataset']!r} (variant {info['variant']}, checksum "
        f"{info['checksum'][:16]}...) as an Esplora API at {server.url}",
        f"  check: {server.url}/info   try: {server.url}/blocks/tip/height   (Ctrl-C stops)",
        f"  notebooks: set CHAINTRACE_CHAIN={server.url} before starting JupyterLab, and every "
        "open_chain() reads from here",
    ]
    if server.server_address[0] not in ("127.0.0.1", "localhost", "::1"):
        lines.append(
            "  note: reachable from other machines (use this machine's address instead of "
            f"{server.server_address[0]}); it is read-only and serves training data only"
        )
    return "\n".join(lines)


def serve(dataset="course", host: str = "127.0.0.1", port: int = 3002) -> None:
    """Serve ``dataset`` until interrupted (Ctrl-C), printing what is served and where."""
    server = make_server(dataset, host, port, quiet=False)
    print(banner(server), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
