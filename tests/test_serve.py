"""The classroom server: Esplora(url) against `serve` must agree with LocalChain exactly."""

import json

import pytest
import requests
from _chain_fixtures import HUB
from chaintrace import Esplora, NotFound, rawtx
from chaintrace.serve import make_server


@pytest.fixture(scope="module")
def server(mini_chain):
    srv = make_server(mini_chain, port=0)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def remote(server, tmp_path):
    return Esplora(server.url, min_interval=0, cache_dir=tmp_path / "cache")


def test_every_transaction_is_identical(server, remote, mini_chain):
    for txid in mini_chain.dataset.transactions["txid"]:
        assert remote.tx(txid) == mini_chain.tx(txid)
        assert remote.outspends(txid) == mini_chain.outspends(txid)


def test_addresses_agree_including_paging(server, remote, mini_chain):
    addresses = set(mini_chain.dataset.outputs["address"]) - {""}
    for address in sorted(addresses):
        assert remote.address_summary(address) == mini_chain.address_summary(address)
    history = remote.address_txs(HUB)
    assert len(history) > 25 and history == mini_chain.address_txs(HUB)
    assert remote.address_txs(HUB, limit=3) == mini_chain.address_txs(HUB, limit=3)


def test_blocks_and_tip_agree(server, remote, mini_chain):
    assert remote.tip_height() == mini_chain.tip_height()
    for height in mini_chain.dataset.blocks["height"]:
        assert remote.block_time(int(height)) == mini_chain.block_time(int(height))


def test_raw_hex_rebuilds_every_txid(server, mini_chain):
    for txid in mini_chain.dataset.transactions["txid"]:
        raw = requests.get(f"{server.url}/tx/{txid}/hex", timeout=5).text
        assert rawtx.txid(bytes.fromhex(raw)) == txid
        tx = mini_chain.tx(txid)
        assert len(raw) // 2 == tx.size and rawtx.weight(raw) == tx.weight


def test_json_has_the_real_esplora_shape(server, mini_chain):
    txid = mini_chain.dataset.case("M1").payment_txid
    data = requests.get(f"{server.url}/api/tx/{txid}", timeout=5).json()
    assert set(data) == {
        "txid",
        "version",
        "locktime",
        "vin",
        "vout",
        "size",
        "weight",
        "fee",
        "status",
    }
    assert set(data["status"]) == {"confirmed", "block_height", "block_hash", "block_time"}
    assert [v["scriptpubkey_type"] for v in data["vout"]] == ["p2pkh", "v1_p2tr", "op_return"]
    assert "scriptpubkey_address" not in data["vout"][2]
    assert data["vin"][0]["prevout"]["scriptpubkey_type"] == "v0_p2wpkh"
    summary = requests.get(f"{server.url}/address/{HUB}", timeout=5).json()
    assert set(summary) == {"address", "chain_stats", "mempool_stats"}
    assert requests.get(f"{server.url}/address/{HUB}/txs/mempool", timeout=5).json() == []
    utxo = requests.get(f"{server.url}/address/{HUB}/utxo", timeout=5).json()
    assert sum(u["value"] for u in utxo) == mini_chain.address_summary(HUB).balance
    coinbase = requests.get(
        f"{server.url}/tx/{mini_chain.dataset.transactions.txid[0]}", timeout=5
    ).json()
    assert coinbase["vin"][0]["is_coinbase"] and coinbase["vin"][0]["prevout"] is None


def test_errors_are_http_errors(server, remote):
    assert requests.get(f"{server.url}/tx/{'00' * 32}", timeout=5).status_code == 404
    bad = requests.get(f"{server.url}/tx/xyz", timeout=5)
    assert bad.status_code == 400 and "64 hexadecimal" in bad.text
    assert requests.get(f"{server.url}/nothing/here", timeout=5).status_code == 404
    with pytest.raises(NotFound):
        remote.tx("00" * 32)
    with pytest.raises(NotFound):
        remote.address_summary("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")


def test_pages_are_25_and_continue_after_last_seen(server, mini_chain):
    first = requests.get(f"{server.url}/address/{HUB}/txs", timeout=5).json()
    rest = requests.get(
        f"{server.url}/address/{HUB}/txs/chain/{first[-1]['txid']}", timeout=5
    ).json()
    txids = [t["txid"] for t in first + rest]
    assert len(first) == 25 and txids == mini_chain.address_txids(HUB)
    assert json.loads(json.dumps(first[0])) == first[0]


def test_port_in_use_is_a_clear_error(server, mini_chain):
    from chaintrace import ChainError

    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(ChainError, match="another --port"):
        make_server(mini_chain, port=port)


def test_course_dataset_served_matches_local(tmp_path):
    from chaintrace import LocalChain, load_dataset, paths

    if not (paths.datasets_root() / "course" / "SHA256SUMS").is_file():
        pytest.skip("datasets/course is not generated yet")
    local = LocalChain(load_dataset("course"))
    srv = make_server(local, port=0)
    srv.start()
    try:
        remote = Esplora(srv.url, min_interval=0, cache_dir=tmp_path)
        for txid in local.dataset.transactions["txid"].sample(40, random_state=3):
            assert remote.tx(txid) == local.tx(txid)
        outs = local.dataset.outputs
        for address in (
            outs.loc[outs["address"] != "", "address"].drop_duplicates().sample(10, random_state=3)
        ):
            assert remote.address_summary(address) == local.address_summary(address)
            assert remote.address_txs(address, limit=30) == local.address_txs(address, limit=30)
    finally:
        srv.stop()


def test_states_what_it_serves(server, mini_chain):
    from chaintrace.serve import banner

    info = requests.get(f"{server.url}/info", timeout=5).json()
    assert info == {
        "dataset": mini_chain.dataset.name,
        "variant": "bundled",
        "checksum": mini_chain.dataset.checksum,
    }
    text = banner(server)
    assert mini_chain.dataset.name in text and info["checksum"][:16] in text
    assert f"CHAINTRACE_CHAIN={server.url}" in text


def test_keeps_connections_alive(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
    socks = set()
    for _ in range(3):
        conn.request("GET", "/blocks/tip/height")
        assert conn.getresponse().read().isdigit()
        socks.add(id(conn.sock))
    conn.close()
    assert len(socks) == 1  # one connection served all three


def test_idle_connections_lock_nobody_out_and_are_closed(mini_chain):
    import socket

    srv = make_server(mini_chain, port=0, idle_timeout=0.5)
    srv.start()
    host, port = srv.server_address[:2]
    idle = [socket.create_connection((host, port), timeout=10) for _ in range(300)]
    try:
        assert requests.get(f"{srv.url}/blocks/tip/height", timeout=5).ok
        assert idle[0].recv(1) == b""  # the server closed the silent connection
    finally:
        for s in idle:
            s.close()
        srv.stop()


def test_a_client_hanging_up_is_not_a_traceback(server, capsys):
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
