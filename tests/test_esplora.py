"""The Esplora HTTP client against recorded real responses served on 127.0.0.1, with faults.

The server below replays files from tests/data/esplora (real mainnet answers in Esplora's
JSON shape) and injects one fault at a time: a slow answer, 429 with Retry-After, 5xx, a
response cut short, a raw transaction that does not hash to its txid. No test waits for real:
the client's sleeps are recorded instead.
"""

import http.server
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from chaintrace import ChainError, Esplora, EsploraError, NotFound, rawtx
from chaintrace import esplora as esplora_module

DATA = Path(__file__).parent / "data" / "esplora"
LEGACY = "3bbb2f597e714257d4a2f573e9ebfff4ab631277186a40875dbbf4140e90b748"
SEGWIT = "07c9d3fbffc20f96ea7c93ef3bcdf346c8a8456c25850ea76be62b24a7cf690c"
NEWER = "5e0668bf1cd24f2f8656ee82d4886f5303a06b26838e24b7db73afc59e228985"
ADDR = "bc1qvhykeqcpdzu0pdvy99xnh9ckhwzcfskct6h6l2"
BLOCK = "00000000000000000004c6171622f56692cc480d3c76ecae4355e69699a6ae44"
TIP = 674_400


def recorded(path: str):
    """(content type, body) for an Esplora path, from the recorded files; None if unknown."""
    p = path.strip("/").split("/")
    if p[0] == "tx" and len(p) == 2:
        name = f"tx_{p[1]}.json"
    elif p[0] == "tx" and p[2:] == ["hex"]:
        name = f"tx_{p[1]}.hex"
    elif p[0] == "tx" and p[2:] == ["outspends"]:
        name = f"outspends_{p[1]}.json"
    elif p[0] == "address" and len(p) == 2:
        name = f"address_{p[1]}.json"
    elif p[0] == "address" and p[2:] == ["txs"]:
        name = f"address_{p[1]}_txs.json"
    elif p[0] == "address" and p[2:4] == ["txs", "chain"]:
        return "application/json", b"[]"
    elif p == ["blocks", "tip", "height"]:
        return "text/plain", str(TIP).encode()
    elif p[0] == "block-height" and p[1] == "674358":
        return "text/plain", BLOCK.encode()
    elif p[0] == "block" and len(p) == 2:
        name = f"block_{p[1]}.json"
    else:
        return None
    file = DATA / name
    if not file.is_file():
        return None
    return ("text/plain" if name.endswith(".hex") else "application/json"), file.read_bytes()


class Server:
    """Replays recordings; ``faults[path]`` is a list of faults consumed one per request."""

    def __init__(self):
        self.faults, self.log = {}, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.log.append(self.path)
                queue = outer.faults.get(self.path) or []
                fault = queue.pop(0) if queue else None
                if fault and fault[0] == "sleep":
                    time.sleep(fault[1])
                elif fault and fault[0] == "status":
                    self.send_response(fault[1])
                    for k, v in fault[2].items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(b"busy")
                    return
                found = recorded(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    self.wfile.write(b"Transaction not found")
                    return
                kind, body = found
                if fault and fault[0] == "body":
                    body = fault[1]
                length = len(body)
                if fault and fault[0] == "cut":  # promise more than we send, then hang up
                    length, body = len(body), body[: len(body) // 2]
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def sleeps(monkeypatch):
    """Record the client's sleeps instead of sleeping."""
    waited = []
    monkeypatch.setattr(esplora_module, "_sleep", waited.append)
    return waited


def client(server, tmp_path, **kw):
    opts = dict(
        timeout=(1, 2), min_interval=0, backoff=0.5, retries=3, cache_dir=tmp_path / "cache"
    )
    return Esplora(server.url, **{**opts, **kw})


def test_recorded_hex_hashes_to_txid():
    for txid in (LEGACY, SEGWIT, NEWER):
        raw = bytes.fromhex((DATA / f"tx_{txid}.hex").read_text())
        data = json.loads((DATA / f"tx_{txid}.json").read_text())
        assert (
            rawtx.txid(raw) == txid
            and len(raw) == data["size"]
            and rawtx.weight(raw) == data["weight"]
        )


def test_parses_real_legacy_tx_with_op_return(server, tmp_path, sleeps):
    tx = client(server, tmp_path).tx(LEGACY)
    assert tx.txid == LEGACY and tx.version == 1 and not tx.coinbase
    assert [(i.address, i.value, i.script_type) for i in tx.inputs] == [
        ("1EzqAPpc7MqTncf6atHMMfCS4UBX8vwzvB", 1_133_333, "p2pkh"),
        ("1BhCBs46WpMkG9vYxyma9eiT5BMPJrbEiK", 52_393_250, "p2pkh"),
    ]
    assert [(o.address, o.value, o.script_type) for o in tx.outputs] == [
        ("1EMGRwrmJ5EN95H5aXkjr9fG3HjnPAuM2A", 1_132_333, "p2pkh"),
        ("12Jmw3YwGCn83uZBzKSb5jnJWxcfaK2FnX", 52_390_190, "p2pkh"),
        ("", 0, "op_return"),
    ]
    assert tx.fee == 4_060 == tx.value_in - tx.value_out
    assert (tx.size, tx.weight, tx.vsize) == (406, 1624, 406)
    assert tx.height == 613_546 and tx.confirmations == TIP - 613_546 + 1
    assert tx.time == datetime.fromtimestamp(1_579_438_021, tz=UTC)


def test_parses_real_segwit_tx_with_spend(server, tmp_path, sleeps):
    chain = client(server, tmp_path)
    tx = chain.tx(SEGWIT)
    assert [o.script_type for o in tx.outputs] == ["p2wpkh", "p2wsh"]
    assert tx.vsize == 221  # ceil(881 / 4)
    assert (tx.outputs[0].spent_txid, tx.outputs[0].spent_vin) == (NEWER, 0)
    assert not tx.outputs[1].spent
    spend = chain.outspend(SEGWIT, 0)
    assert (spend.txid, spend.vin, spend.height) == (NEWER, 0, 674_358)
    assert chain.outspend(SEGWIT, 1) is None
    assert chain.block_time(674_358) == spend.time


def test_address_summary_and_history(server, tmp_path, sleeps):
    chain = client(server, tmp_path)
    s = chain.address_summary(ADDR)
    assert (s.tx_count, s.funded_sum, s.spent_sum, s.balance) == (2, 263_216, 263_216, 0)
    txs = chain.address_txs(ADDR)
    assert [t.txid for t in txs] == [NEWER, SEGWIT]  # newest first, as recorded
    assert txs[0].inputs[0].address == ADDR and txs[0].inputs[0].script_type == "p2wpkh"


def test_paging_follows_last_seen_txid(server, tmp_path, sleeps, monkeypatch):
    monkeypatch.setattr(
        esplora_module, "PAGE", 2
    )  # the recording has 2 txs: pretend a page is full
    client(server, tmp_path).address_txs(ADDR)
    assert f"/address/{ADDR}/txs/chain/{SEGWIT}" in server.log


def test_slow_server_times_out_with_clear_error(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("sleep", 1.5)]
    with pytest.raises(EsploraError, match=r"did not answer within \(1, 0.5\) seconds"):
        client(server, tmp_path, timeout=(1, 0.5)).tx(LEGACY)


def test_429_honours_retry_after_then_succeeds(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("status", 429, {"Retry-After": "7"})]
    assert client(server, tmp_path).tx(LEGACY).txid == LEGACY
    assert sleeps == [7.0]


def test_retry_after_is_capped(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("status", 429, {"Retry-After": "3600"})]
    client(server, tmp_path, max_wait=5).tx(LEGACY)
    assert sleeps == [5.0]


def test_500_then_success_backs_off_exponentially(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("status", 500, {}), ("status", 503, {})]
    assert client(server, tmp_path).tx(LEGACY).fee == 4_060
    assert sleeps == [0.5, 1.0]


def test_persistent_429_gives_up_after_bounded_retries(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("status", 429, {})] * 10
    with pytest.raises(EsploraError, match=r"rate-limiting us \(HTTP 429\) after 4 attempts"):
        client(server, tmp_path).tx(LEGACY)
    assert sleeps == [0.5, 1.0, 2.0]
    assert server.log.count(f"/tx/{LEGACY}") == 4


def test_truncated_json_is_an_error(server, tmp_path, sleeps):
    body = (DATA / f"tx_{LEGACY}.json").read_bytes()
    server.faults[f"/tx/{LEGACY}"] = [("body", body[:200])]
    with pytest.raises(EsploraError, match="invalid JSON .*cut short"):
        client(server, tmp_path).tx(LEGACY)


def test_connection_cut_mid_body_is_an_error(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("cut",)]
    with pytest.raises(EsploraError, match=f"/tx/{LEGACY}"):
        client(server, tmp_path).tx(LEGACY)


def test_web_page_instead_of_api(server, tmp_path, sleeps):
    server.faults[f"/tx/{LEGACY}"] = [("body", b"<!doctype html><html>explorer</html>")]
    with pytest.raises(EsploraError, match="API root"):
        client(server, tmp_path).tx(LEGACY)


def test_raw_tx_with_wrong_hash_is_refused_and_not_cached(server, tmp_path, sleeps):
    other = (DATA / f"tx_{SEGWIT}.hex").read_bytes()
    server.faults[f"/tx/{LEGACY}/hex"] = [("body", other)]
    chain = client(server, tmp_path)
    with pytest.raises(EsploraError, match=f"hashes to {SEGWIT}, not to the {LEGACY}"):
        chain.tx(LEGACY)
    assert not list((tmp_path / "cache").rglob(f"*{LEGACY}*hex*"))
    assert chain.tx(LEGACY).txid == LEGACY  # the honest answer is then accepted


def test_json_that_contradicts_the_raw_bytes_is_refused(server, tmp_path, sleeps):
    data = json.loads((DATA / f"tx_{LEGACY}.json").read_text())
    data["vout"][1]["value"] += 100_000_000  # a server inflating an amount
    server.faults[f"/tx/{LEGACY}"] = [("body", json.dumps(data).encode())]
    with pytest.raises(EsploraError, match="differs from its own raw bytes"):
        client(server, tmp_path).tx(LEGACY)


def test_404_is_not_found(server, tmp_path, sleeps):
    with pytest.raises(NotFound, match="404"):
        client(server, tmp_path).tx("11" * 32)


def test_malformed_txid_never_reaches_the_server(server, tmp_path, sleeps):
    with pytest.raises(ChainError, match="looks like a Bitcoin address"):
        client(server, tmp_path).tx(ADDR)
    assert server.log == []


def test_connection_refused_is_clear(tmp_path, sleeps):
    s = Server()
    s.stop()  # nothing listens on that port any more
    with pytest.raises(EsploraError, match="cannot connect to .*offline with the bundled dataset"):
        Esplora(s.url, cache_dir=False, min_interval=0).tx(LEGACY)


def test_cache_answers_with_the_server_stopped(server, tmp_path, sleeps):
    chain = client(server, tmp_path)
    first = (
        chain.tx(SEGWIT),
        chain.address_txs(ADDR),
        chain.address_summary(ADDR),
        chain.block_time(674_358),
    )
    server.stop()
    offline = client(server, tmp_path)  # a new session, as after a notebook restart
    with pytest.warns(UserWarning, match="cached earlier"):
        again = offline.tx(SEGWIT), offline.address_txs(ADDR), offline.address_summary(ADDR)
        assert offline.block_time(674_358) == first[3]  # block-height can change: stale copy
    assert again == first[:3]


def test_only_verified_answers_are_kept(server, tmp_path, sleeps):
    first = client(server, tmp_path).tx(LEGACY)
    server.log.clear()
    again = client(server, tmp_path).tx(LEGACY)
    assert f"/tx/{LEGACY}/hex" not in server.log  # verified by its hash: kept for good
    assert f"/tx/{LEGACY}" in server.log  # input values and block fields: asked again
    assert f"/tx/{LEGACY}/outspends" in server.log  # unspent outputs may be spent later
    # this recording has no headers: the block fields are the server's word, and say so
    assert again == first and {"inputs", "fee", "time", "height"} <= again.unverified


def test_huge_address_needs_a_limit(server, tmp_path, sleeps):
    with pytest.raises(EsploraError, match="has 2 transactions.*limit=N"):
        client(server, tmp_path, max_address_txs=1).address_txs(ADDR)
    assert len(client(server, tmp_path, max_address_txs=1).address_txs(ADDR, limit=1)) == 1


def test_min_interval_spaces_requests(server, tmp_path, monkeypatch):
    waited = []
    monkeypatch.setattr(esplora_module, "_sleep", waited.append)
    chain = client(server, tmp_path, min_interval=60, cache_dir=False)
    chain.tip_height()
    chain._fetch("/blocks/tip/height")
    assert len(waited) == 1 and 59 < waited[0] <= 60


def test_bad_base_url():
    with pytest.raises(EsploraError, match="not an http"):
        Esplora("blockstream.info/api")
