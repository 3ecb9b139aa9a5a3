"""The Esplora client against a small, fully checkable chain served on 127.0.0.1, honest or lying.

The chain is built here from real serialisations (``chaintrace.rawtx``): two blocks with mined
headers (regtest difficulty), a coinbase committing to its height (BIP-34) and a transaction
spending it. The server answers Esplora's paths for it; ``lies[path]`` replaces one answer
with a hostile one: a wrong block time, a forged header, an endless or looping history, a
huge body, a gzip bomb, a slow drip, a redirect to another host, malformed JSON.
"""

import gzip
import http.server
import json
import threading
import time
import tracemalloc
from datetime import UTC, datetime

import pytest
from chaintrace import Esplora, EsploraError, rawtx
from chaintrace import esplora as esplora_module
from chaintrace.encoding import make_address, script_pubkey_for, sha256

REGTEST_BITS = 0x207FFFFF
A = make_address("p2wpkh", sha256(b"first owner")[:20])
B = make_address("p2wpkh", sha256(b"second owner")[:20])
C = make_address("p2tr", sha256(b"change"))
TYPES = {"p2wpkh": "v0_p2wpkh", "p2tr": "v1_p2tr"}


def _coinbase(height: int, pay: str, value: int) -> bytes:
    script = bytes([3]) + height.to_bytes(3, "little") + b"hostile-test"
    return rawtx.serialize(
        {
            "version": 2,
            "locktime": 0,
            "inputs": [{"prev_txid": "00" * 32, "prev_vout": 0xFFFFFFFF, "script_sig": script}],
            "outputs": [{"value": value, "script_pubkey": _spk(pay)}],
        }
    )


def _spk(address: str) -> bytes:
    from chaintrace.encoding import address_to_script_pubkey

    return address_to_script_pubkey(address)


def _mine(prev: str, root: str, when: int) -> bytes:
    """A header meeting regtest difficulty (about two tries)."""
    for nonce in range(1_000_000):
        header = (
            (0x20000000).to_bytes(4, "little")
            + bytes.fromhex(prev)[::-1]
            + bytes.fromhex(root)[::-1]
            + when.to_bytes(4, "little")
            + REGTEST_BITS.to_bytes(4, "little")
            + nonce.to_bytes(4, "little")
        )
        parsed = rawtx.parse_header(header)
        if int(parsed["hash"], 16) <= rawtx.bits_to_target(REGTEST_BITS):
            return header
    raise AssertionError("no nonce found")


class Chain:
    """Block 800,000: coinbase paying A. Block 800,001: coinbase, then CHILD spending A to B + C."""

    def __init__(self):
        cb1 = _coinbase(800_000, A, 50_000)
        self.parent = rawtx.txid(cb1)
        child = rawtx.serialize(
            {
                "version": 2,
                "locktime": 0,
                "inputs": [
                    {
                        "prev_txid": self.parent,
                        "prev_vout": 0,
                        "sequence": 0xFFFFFFFD,
                        "witness": [b"\x30" * 71, b"\x02" * 33],
                    }
                ],
                "outputs": [
                    {"value": 30_000, "script_pubkey": _spk(B)},
                    {
                        "value": 19_000,
                        "script_pubkey": script_pubkey_for("p2tr", sha256(b"change")),
                    },
                ],
            }
        )
        cb2 = _coinbase(800_001, A, 1_000)
        self.child, self.cb2 = rawtx.txid(child), rawtx.txid(cb2)
        self.raw = {self.parent: cb1, self.child: child, self.cb2: cb2}
        self.blocks, self.where = [], {}
        prev = "00" * 32
        for height, txids, when in (
            (800_000, [self.parent], 1_700_000_000),
            (800_001, [self.cb2, self.child], 1_700_000_600),
        ):
            root = rawtx.merkle_root_from_proof(txids[0], txids[1:2], 0)
            header = _mine(prev, root, when)
            block = rawtx.parse_header(header)["hash"]
            self.blocks.append((height, block, header, when, txids))
            for pos, t in enumerate(txids):
                self.where[t] = (height, block, when, pos, txids)
            prev = block

    def tx_json(self, txid: str) -> dict:
        d = rawtx.parse(self.raw[txid])
        height, block, when, _, _ = self.where[txid]
        vin = []
        for i in d["inputs"]:
            if i["prev_vout"] == 0xFFFFFFFF:
                vin.append(
                    {
                        "txid": "00" * 32,
                        "vout": i["prev_vout"],
                        "prevout": None,
                        "is_coinbase": True,
                        "sequence": i["sequence"],
                    }
                )
                continue
            parent = rawtx.parse(self.raw[i["prev_txid"]])["outputs"][i["prev_vout"]]
            vin.append(
                {
                    "txid": i["prev_txid"],
                    "vout": i["prev_vout"],
                    "prevout": _vout(parent),
                    "is_coinbase": False,
                    "sequence": i["sequence"],
                }
            )
        return {
            "txid": txid,
            "version": d["version"],
            "locktime": d["locktime"],
            "vin": vin,
            "vout": [_vout(o) for o in d["outputs"]],
            "size": len(self.raw[txid]),
            "weight": rawtx.weight(d),
            "fee": 1_000 if txid == self.child else 0,
            "status": {
                "confirmed": True,
                "block_height": height,
                "block_hash": block,
                "block_time": when,
            },
        }

    def answer(self, path: str):
        p = path.strip("/").split("/")
        if p[0] == "tx" and p[1] in self.raw:
            txid = p[1]
            height, block, when, pos, txids = self.where[txid]
            if len(p) == 2:
                return self.tx_json(txid)
            if p[2] == "hex":
                return self.raw[txid].hex()
            if p[2] == "merkle-proof":
                return {
                    "block_height": height,
                    "pos": pos,
                    "merkle": [t for t in txids if t != txid],
                }
            if p[2] == "outspends":
                spent = {
                    "spent": True,
                    "txid": self.child,
                    "vin": 0,
                    "status": {"confirmed": True, "block_height": 800_001},
                }
                return [
                    spent if txid == self.parent else {"spent": False}
                    for _ in rawtx.parse(self.raw[txid])["outputs"]
                ]
        for height, block, header, _, txids in self.blocks:
            if p == ["block", block, "header"]:
                return header.hex()
            if p == ["block", block, "txid", "0"]:
                return txids[0]
            if p == ["block-height", str(height)]:
                return block
        if p == ["blocks", "tip", "height"]:
            return "800001"
        return None


def _vout(o: dict) -> dict:
    from chaintrace.encoding import script_pubkey_to_address, script_type_of

    spk = o["script_pubkey"]
    kind = script_type_of(spk)
    return {
        "scriptpubkey": spk.hex(),
        "scriptpubkey_type": TYPES.get(kind, kind),
        "scriptpubkey_address": script_pubkey_to_address(spk),
        "value": o["value"],
    }


class Server:
    """Serves :class:`Chain`; ``lies[path]`` is a function(handler) answering instead."""

    def __init__(self, chain: Chain):
        self.chain, self.lies, self.log = chain, {}, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.log.append(self.path)
                lie = outer.lies.get(self.path)
                if lie is not None:
                    try:
                        lie(self)
                    except OSError:
                        pass  # the client hung up on a hostile answer, as it should
                    return
                value = outer.chain.answer(self.path)
                if value is None:
                    return self.reply(404, b"not found")
                self.reply(200, value if isinstance(value, str) else value)

            def reply(self, status, value, headers=()):
                body = (
                    value
                    if isinstance(value, bytes)
                    else (value.encode() if isinstance(value, str) else json.dumps(value).encode())
                )
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def lie_json(self, path, change):
        value = change(json.loads(json.dumps(self.chain.answer(path))))
        self.lies[path] = lambda h: h.reply(200, value)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def chain():
    return Chain()


@pytest.fixture
def server(chain):
    s = Server(chain)
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(esplora_module, "_sleep", lambda s: None)


def client(server, tmp_path, **kw):
    opts = dict(
        timeout=(1, 2),
        min_work_bits=REGTEST_BITS,
        cache_dir=tmp_path / "cache",
        spends=False,
        retries=0,
    )
    return Esplora(server.url, **{**opts, **kw})


# ---------------------------------------------------------------------- honest, fully verified


def test_everything_checkable_is_verified(server, chain, tmp_path):
    tx = client(server, tmp_path, verify_inputs=True, verify_heights=True).tx(chain.child)
    assert tx.unverified == {"confirmations", "spends"}
    assert [(i.address, i.value) for i in tx.inputs] == [(A, 50_000)]
    assert [(o.address, o.value, o.script_type) for o in tx.outputs] == [
        (B, 30_000, "p2wpkh"),
        (C, 19_000, "p2tr"),
    ]
    assert tx.fee == 1_000 and tx.height == 800_001
    assert tx.time == datetime.fromtimestamp(1_700_000_600, tz=UTC)


def test_a_verified_transaction_costs_no_request_the_second_time(server, chain, tmp_path):
    opts = dict(verify_inputs=True, verify_heights=True)
    first = client(server, tmp_path, **opts).tx(chain.child)
    server.log.clear()
    again = client(server, tmp_path, **opts).tx(chain.child)
    assert again == first and server.log == ["/blocks/tip/height"]


def test_default_checks_name_what_they_left(server, chain, tmp_path):
    tx = client(server, tmp_path).tx(chain.child)
    assert tx.unverified == {"confirmations", "spends", "inputs", "fee", "height"}
    assert f"/tx/{chain.child}/outspends" not in server.log  # spends only when asked
    assert client(server, tmp_path).outspend(chain.parent, 0).txid == chain.child


# ---------------------------------------------------------------------- liars


def test_wrong_block_time_is_refused_and_not_kept(server, chain, tmp_path):
    server.lie_json(
        f"/tx/{chain.child}", lambda d: {**d, "status": {**d["status"], "block_time": 946_684_800}}
    )
    with pytest.raises(EsploraError, match="block time 946684800.*1700000600 in the header"):
        client(server, tmp_path).tx(chain.child)
    server.lies.clear()  # the server turns honest: believed at once
    tx = client(server, tmp_path).tx(chain.child)
    assert tx.time == datetime.fromtimestamp(1_700_000_600, tz=UTC) and "time" not in tx.unverified


def test_header_without_work_or_of_another_block_is_refused(server, chain, tmp_path):
    height, block, header, _, _ = chain.blocks[1]
    with pytest.raises(EsploraError, match="proof of work"):
        client(server, tmp_path, min_work_bits=esplora_module.MAINNET_MIN_WORK).tx(chain.child)
    other = chain.blocks[0][2].hex()
    server.lies[f"/block/{block}/header"] = lambda h: h.reply(200, other)
    with pytest.raises(EsploraError, match="the header hashes to"):
        client(server, tmp_path).tx(chain.child)
    assert not list((tmp_path / "cache").rglob("*header*"))


def test_false_inclusion_height_and_inputs_are_refused(server, chain, tmp_path):
    server.lie_json(f"/tx/{chain.child}/merkle-proof", lambda d: {**d, "pos": 0})
    with pytest.raises(EsploraError, match="merkle proof does not lead there"):
        client(server, tmp_path).tx(chain.child)
    server.lies.clear()
    server.lie_json(
        f"/tx/{chain.child}", lambda d: {**d, "status": {**d["status"], "block_height": 5}}
    )
    with pytest.raises(EsploraError, match="height 5.*800001 in the coinbase"):
        client(server, tmp_path, verify_heights=True).tx(chain.child)

    def inflate(d):
        d["vin"][0]["prevout"]["value"] = 5_000_000
        return d

    server.lie_json(f"/tx/{chain.child}", inflate)
    with pytest.raises(EsploraError, match="input addresses and values"):
        client(server, tmp_path, verify_inputs=True).tx(chain.child)


def test_raw_bytes_of_another_transaction_are_refused(server, chain, tmp_path):
    other = chain.raw[chain.parent].hex()
    server.lies[f"/tx/{chain.child}/hex"] = lambda h: h.reply(200, other)
    with pytest.raises(EsploraError, match=f"hashes to {chain.parent}"):
        client(server, tmp_path).tx(chain.child)


# ---------------------------------------------------------------------- bounded


def _entry(n: int) -> dict:
    return {"txid": f"{n:064x}", "status": {"confirmed": True}}


def test_endless_history_stops_at_max_address_txs(server, tmp_path):
    server.lies[f"/address/{A}"] = lambda h: h.reply(
        200, {"address": A, "chain_stats": {"tx_count": 3}}
    )
    page = lambda n: lambda h: h.reply(200, [_entry(n * 25 + k) for k in range(25)])  # noqa: E731
    server.lies[f"/address/{A}/txs"] = page(0)
    for n in range(1, 400):
        server.lies[f"/address/{A}/txs/chain/{_entry(n * 25 - 1)['txid']}"] = page(n)
    with pytest.raises(EsploraError, match="pages go on past that"):
        client(server, tmp_path, max_address_txs=60).address_txs(A)
    assert len([p for p in server.log if "/txs" in p]) == 3


def test_a_page_that_repeats_itself_stops_paging(server, tmp_path):
    same = lambda h: h.reply(200, [_entry(k) for k in range(25)])  # noqa: E731
    server.lies[f"/address/{A}/txs"] = same
    server.lies[f"/address/{A}/txs/chain/{_entry(24)['txid']}"] = same
    with pytest.raises(EsploraError, match="repeats transaction .* looping"):
        client(server, tmp_path).address_txs(A, limit=100)


def _endless(h, chunk=b"x" * 65536):
    h.send_response(200)
    h.end_headers()  # no Content-Length: read until the server stops, which it never does
    while True:
        h.wfile.write(chunk)


def test_a_huge_body_stops_at_max_bytes(server, chain, tmp_path):
    server.lies[f"/tx/{chain.child}"] = _endless
    with pytest.raises(EsploraError, match="larger than max_bytes=1,048,576"):
        client(server, tmp_path, max_bytes=2**20).tx(chain.child)
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(200, b"", [("Content-Length", "10")])
    announced = f"/tx/{chain.parent}"
    server.lies[announced] = lambda h: (
        h.send_response(200),
        h.send_header("Content-Length", str(10**10)),
        h.end_headers(),
    )
    with pytest.raises(EsploraError, match="announces 10,000,000,000 bytes"):
        client(server, tmp_path, max_bytes=2**20).tx(chain.parent)


def test_a_gzip_bomb_stops_at_max_bytes_in_memory_too(server, chain, tmp_path):
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # about 50 kB
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(200, bomb, [("Content-Encoding", "gzip")])
    tracemalloc.start()
    try:
        with pytest.raises(EsploraError, match="larger than max_bytes"):
            client(server, tmp_path, max_bytes=2**20).tx(chain.child)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the 50 MB never exist


def test_compressed_honest_answers_are_read(server, chain, tmp_path):
    body = gzip.compress(json.dumps(chain.tx_json(chain.child)).encode())
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(200, body, [("Content-Encoding", "gzip")])
    assert client(server, tmp_path).tx(chain.child).txid == chain.child


def test_a_slow_drip_cannot_outlast_the_deadline(server, chain, tmp_path):
    def drip(h):
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(2000):  # a byte every 20 ms beats any per-read timeout
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.02)

    server.lies[f"/tx/{chain.child}"] = drip
    start = time.monotonic()
    with pytest.raises(EsploraError, match=r"within 0.5 seconds \(deadline\)"):
        client(server, tmp_path, deadline=0.5).tx(chain.child)
    assert time.monotonic() - start < 10  # bounded (the drip alone would last 40 s)


def test_redirects_stay_on_the_same_host(server, chain, tmp_path):
    elsewhere = server.url.replace("127.0.0.1", "localhost") + f"/tx/{chain.child}"
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(302, b"", [("Location", elsewhere)])
    with pytest.raises(EsploraError, match="redirects to another host .*not followed"):
        client(server, tmp_path).tx(chain.child)
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(301, b"", [("Location", "/api/x")])
    server.lies["/api/x"] = lambda h: h.reply(200, chain.tx_json(chain.child))
    assert client(server, tmp_path).tx(chain.child).txid == chain.child


# ---------------------------------------------------------------------- malformed answers


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"txid": "\xff\xfe"}', "not UTF-8 text"),
        (b'{"txid": 1', "invalid JSON .*line 1 column"),
    ],
)
def test_malformed_answers_are_clear_errors(server, chain, tmp_path, body, message):
    server.lies[f"/tx/{chain.child}"] = lambda h: h.reply(200, body)
    with pytest.raises(EsploraError, match=message):
        client(server, tmp_path).tx(chain.child)


def test_missing_fields_name_the_url(server, chain, tmp_path):
    server.lie_json(f"/tx/{chain.child}", lambda d: {**d, "vin": [{}]})
    with pytest.raises(EsploraError, match=f"/tx/{chain.child} gave an answer in the wrong shape"):
        client(server, tmp_path).tx(chain.child)
    server.lies[f"/address/{A}"] = lambda h: h.reply(200, {"chain_stats": []})
    with pytest.raises(EsploraError, match=f"/address/{A} gave an answer in the wrong shape"):
        client(server, tmp_path).address_summary(A)


def test_no_delay_for_loopback_and_private_hosts():
    local = Esplora("http://127.0.0.1:3002", cache_dir=False)
    lan = Esplora("http://192.168.1.20:3002", cache_dir=False)
    public = Esplora("https://blockstream.info/api", cache_dir=False)
    assert (local.min_interval, lan.min_interval, public.min_interval) == (0, 0, 0.2)
    assert (local.spends, public.spends) == (True, False)
