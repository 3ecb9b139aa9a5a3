"""Tracing: hand-built chains with known answers, the course's ransom case, slow == fast."""

from __future__ import annotations

import json

import pytest
from _chain_fixtures import HUB, address
from chaintrace import TagPack, load_case, paths
from chaintrace.graph import build_graph
from chaintrace.trace import (
    follow_peel_chain,
    paths_between,
    simple_forward,
    trace_backward,
    trace_forward,
)
from test_graph import tiny_graph, txid

BTC = 100_000_000
TAGS = TagPack.from_yaml(
    f"""
title: test tags
creator: tests
source: https://example.org
currency: BTC
confidence: ownership
tags:
- {{address: {address("exchange-deposit")}, label: Kestrel, category: exchange}}
- {{address: {address("shop")}, label: Corner Shop, category: shop}}
- {{address: {address("friend")}, label: a friend, category: user}}
"""
)

# a thief's peel chain: each step pays a little out and keeps the rest, then deposits it all
PEEL = [
    ("cb", [], [("thief", 10 * BTC)]),
    ("p1", [("cb", 0)], [("c1", 9 * BTC - 1000), ("shop", 1 * BTC)]),
    ("p2", [("p1", 0)], [("friend", BTC // 2), ("c2", 8 * BTC)]),
    ("p3", [("p2", 1)], [("exchange-deposit", 8 * BTC - 500)]),
    ("sweep", [("p3", 0)], [("exchange-hot", 8 * BTC - 900)]),
]


def test_peel_chain_reports_each_peel_and_stops_at_the_exchange():
    g = tiny_graph(PEEL)
    t = follow_peel_chain(f"{txid('cb')}:0", dataset=g, tags=TAGS)
    h = t.hops
    assert h["status"].tolist() == ["followed", "followed", "peel", "followed", "peel", "service"]
    assert h.loc[h.status == "peel", "to_address"].tolist() == [address("shop"), address("friend")]
    end = t.endpoints().iloc[-1]
    assert (end["label"], end["sats"]) == ("Kestrel", 8 * BTC - 500)
    # the remainder guess is a heuristic and says so; the single-output hop is certain
    assert h.loc[1, "confidence"] == "likely" and "heuristic" in h.loc[1, "method"]
    assert h.loc[5, "confidence"] == "certain"
    assert "Kestrel" in t.summary()


def test_payment_that_looks_like_change_is_followed_as_a_guess_only():
    # the buyer pays 9 BTC for a car and keeps 1 BTC change: the larger output is the payment
    spec = [
        ("cb", [], [("buyer", 10 * BTC)]),
        ("car", [("cb", 0)], [("buyer-change", 1 * BTC), ("car-dealer", 9 * BTC - 300)]),
        ("dealer", [("car", 1)], [("dealer-savings", 9 * BTC - 600)]),
    ]
    t = follow_peel_chain(f"{txid('cb')}:0", dataset=tiny_graph(spec), tags=TAGS)
    row = t.hops.iloc[1]
    assert row["to_address"] == address("car-dealer")  # the rule picks the payment...
    assert row["confidence"] == "likely"  # ...and the trace says it is only a guess
    assert t.hops.iloc[2]["to_address"] == address("buyer-change")
    assert t.hops.iloc[2]["status"] == "peel"


def test_even_split_and_merge_end_a_chain():
    spec = [
        ("cb", [], [("a", 10 * BTC)]),
        ("cb2", [], [("other", 3 * BTC)]),
        ("split", [("cb", 0)], [("b", 5 * BTC - 100), ("c", 5 * BTC)]),
        ("merge", [("split", 1), ("cb2", 0)], [("d", 8 * BTC)]),
    ]
    g = tiny_graph(spec)
    t = follow_peel_chain(f"{txid('cb')}:0", dataset=g)
    assert t.hops["status"].tolist() == ["followed", "even split", "even split"]
    t = follow_peel_chain(txid("split"), 1, dataset=g)
    assert t.hops["status"].tolist() == ["merged"]


def test_forward_trace_with_a_cycle_and_a_merge_lists_each_output_once():
    # money goes a -> b -> a (address cycle) and two traced outputs merge into one transaction
    spec = [
        ("cb", [], [("a", 10 * BTC)]),
        ("t1", [("cb", 0)], [("b", 6 * BTC), ("a", 4 * BTC - 100)]),
        ("t2", [("t1", 0)], [("a", 6 * BTC - 100)]),
        ("t3", [("t1", 1), ("t2", 0)], [("z", 10 * BTC - 500), ("dust", 300)]),
    ]
    g = tiny_graph(spec)
    t = trace_forward(txid("cb"), hops=10, dataset=g)
    outs = t.hops["output"].tolist()
    assert len(outs) == len(set(outs)) == 6
    assert t.hops.set_index("output").loc[f"{txid('t3')}:0", "hop"] == 3
    ends = t.endpoints()
    assert set(ends["status"]) == {"unspent"} and ends["sats"].sum() == 10 * BTC - 200
    # a threshold drops the dust output and says so in the parameters
    t = trace_forward(txid("cb"), hops=10, min_sats=1000, dataset=g)
    assert f"{txid('t3')}:1" not in set(t.hops["output"]) and "1,000 sats" in t.summary()


def test_forward_stops_at_services_and_at_the_hop_limit():
    g = tiny_graph(PEEL)
    t = trace_forward(f"{txid('cb')}:0", hops=10, dataset=g, tags=TAGS)
    status = dict(zip(t.hops["to_address"], t.hops["status"], strict=True))
    assert status[address("shop")] == "service" and status[address("exchange-deposit")] == "service"
    assert address("exchange-hot") not in status  # not followed past the deposit
    t = trace_forward(f"{txid('cb')}:0", hops=10, dataset=g, tags=TAGS, stop_at_services=False)
    assert address("exchange-hot") in set(t.hops["to_address"])
    t = trace_forward(f"{txid('cb')}:0", hops=1, dataset=g, tags=TAGS)
    assert set(t.hops.loc[t.hops.hop == 1, "status"]) == {"hop limit", "service"}


def test_backward_trace_reaches_the_coinbase():
    g = tiny_graph(PEEL)
    t = trace_backward(txid("sweep"), hops=10, dataset=g)
    assert t.hops["status"].iloc[-1] == "coinbase" and t.hops["hop"].max() == 4
    assert t.hops["from_address"].iloc[0] == address("exchange-deposit")
    assert t.hops["to_address"].iloc[0] == address("exchange-hot")


def test_paths_between_two_addresses():
    g = tiny_graph(PEEL)
    p = paths_between(address("thief"), address("exchange-deposit"), dataset=g, tags=TAGS)
    assert p.hops["to_address"].tolist() == [
        address("thief"),
        address("c1"),
        address("c2"),
        address("exchange-deposit"),
    ]
    assert p.hops["path"].unique().tolist() == [1] and p.hops["status"].iloc[-1] == "target"
    none = paths_between(address("thief"), address("exchange-deposit"), 2, dataset=g, tags=TAGS)
    assert len(none) == 0 and "No path" in none.summary()


def test_bad_input_is_explained():
    g = tiny_graph(PEEL)
    with pytest.raises(ValueError, match="hops must be"):
        trace_forward(txid("cb"), hops=-1, dataset=g)
    with pytest.raises(LookupError, match="typos"):
        trace_forward("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", dataset=g)


def test_ransom_peel_chain_reaches_the_deposit_in_the_ground_truth():
    case = load_case("ransom-01")
    truth = json.loads((paths.groundtruth_dir("course") / "cases/ransom-01.json").read_text())
    g = build_graph("course")
    t = follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))
    rows = t.hops
    deposit = rows[rows["to_address"] == truth["deposit_address"]]
    assert deposit["sats"].tolist() == [truth["deposit_sats"]]
    # an untagged deposit is not known as a service, so the chain runs on into the exchange's
    # own wallet until its sweep merges it with other customers' coins (a hop or two later)
    end = t.endpoints().iloc[-1]
    assert end["status"] in ("service", "merged")
    assert int(rows["hop"].max()) - int(deposit["hop"].iloc[0]) <= 2
    assert set(truth["peel_txids"]) <= set(t.hops["txid"])


@pytest.mark.parametrize("hops,min_sats", [(2, 0), (6, 0), (8, 1_000_000)])
def test_plain_python_and_csr_versions_agree_on_course(hops, min_sats):
    case = load_case("theft-01")
    slow = simple_forward("course", case.theft_txid, hops, min_sats)
    fast = trace_forward(case.theft_txid, hops, min_sats=min_sats, stop_at_services=False)
    assert slow == dict(zip(fast.hops["output"], fast.hops["hop"], strict=True))


def test_plain_python_and_csr_versions_agree_from_an_address():
    case = load_case("ransom-01")
    slow = simple_forward("course", case.ransom_address, 5)
    fast = trace_forward(case.ransom_address, 5, stop_at_services=False)
    assert slow == dict(zip(fast.hops["output"], fast.hops["hop"], strict=True))


def test_plain_python_and_csr_versions_agree_on_fixture(mini_path):
    from chaintrace import load_dataset

    ds = load_dataset(mini_path)
    start = ds.case("M1").payment_txid
    slow = simple_forward(ds, start, 40)
    fast = trace_forward(start, 40, dataset=ds, stop_at_services=False)
    assert slow == dict(zip(fast.hops["output"], fast.hops["hop"], strict=True))
    hub = TagPack.from_yaml(
        f"{{title: t, creator: c, source: s, currency: BTC, confidence: ownership,"
        f" tags: [{{address: {HUB}, label: Hub, category: exchange}}]}}"
    )
    stopped = trace_forward(start, 40, dataset=ds, tags=hub)
    assert set(stopped.hops.loc[stopped.hops.to_address == HUB, "status"]) == {"service"}


def test_trace_displays_in_a_notebook():
    case = load_case("ransom-01")
    html = trace_forward(case.payment_txid, hops=3)._repr_html_()
    assert "Where the funds came to rest" in html and case.payment_txid[:16] in html


def test_trace_taint_and_clusters_on_transactions_fetched_from_esplora(mini_chain, tmp_path):
    """The engine runs on what an Esplora server returned (here one started on 127.0.0.1):
    the whole chain fetched gives the dataset's answers; a part gives them within that part,
    and says where fetching ended."""
    import pandas as pd
    from chaintrace import (
        Esplora,
        cluster_addresses,
        haircut,
        label_clusters,
        load_tagpack,
        trace_backward,
        trace_forward,
    )
    from chaintrace.serve import make_server

    server = make_server(mini_chain, port=0)
    server.start()
    try:
        remote = Esplora(server.url, min_interval=0, cache_dir=tmp_path / "cache")
        fetched = [remote.tx(t) for t in mini_chain.dataset.transactions["txid"]]
    finally:
        server.stop()
    ds = mini_chain.dataset
    whole = build_graph(ds)
    start = whole.out_label(int(whole.outputs_of(0)[0]))  # the first coin mined
    tags = load_tagpack(ds.tags_path, strict=False)  # the same services on both sides
    columns = ["hop", "txid", "output", "sats", "status"]

    def hops(trace):
        return trace.hops[columns].reset_index(drop=True)

    expected = hops(trace_forward(start, hops=8, dataset=ds, tags=tags))
    pd.testing.assert_frame_equal(
        hops(trace_forward(start, 8, dataset=fetched, tags=tags)), expected
    )
    assert haircut(start, dataset=fetched).as_dict() == haircut(start, dataset=ds).as_dict()
    assert (cluster_addresses(fetched).labels == cluster_addresses(ds).labels).all()
    pd.testing.assert_frame_equal(
        label_clusters(cluster_addresses(fetched), tags),
        label_clusters(cluster_addresses(ds), tags),
    )

    # the first half of the chain, in chain order: every input of it spends inside it
    half = fetched[: len(fetched) // 2]
    part = trace_forward(start, hops=60, dataset=half, tags=tags).hops
    assert "not fetched" in set(part["status"])
    everywhere = trace_forward(start, hops=60, dataset=ds, tags=tags).hops
    assert set(part["output"]) < set(everywhere["output"])
    own = {f"{t.txid}:{o.vout}" for t in half for o in t.outputs}
    full = haircut(start, dataset=ds).as_dict()
    assert haircut(start, dataset=half).as_dict() == {k: v for k, v in full.items() if k in own}
    # the second half: a backward trace stops where its inputs were not fetched
    second = fetched[len(half) :]
    older = {t.txid for t in half}
    edge = next(t for t in second if any(i.prev_txid in older for i in t.inputs))
    back = trace_backward(edge.txid, hops=3, dataset=second, tags=tags).hops
    assert "not fetched" in set(back["status"])
    assert not back[back["status"] == "not fetched"]["output"].str[:64].isin(older - {""}).empty
