"""Clustering: the fast and the plain-Python engines agree; evidence answers why and which merge."""

import numpy as np
import pytest
from _handbuilt import addr, tx
from chaintrace import NotFound
from chaintrace.cluster import (
    cluster_addresses,
    cluster_ids,
    common_input_clusters_python,
    union_find_python,
)
from chaintrace.tags import TagPack
from chaintrace.txtables import from_transactions, tables

A1, A2, A3 = addr("alice-1"), addr("alice-2"), addr("alice-3")
B1, B2 = addr("bob-1"), addr("bob-2")


def same_partition(x, y) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    pairs = np.unique(np.c_[x, y], axis=0)
    return len(pairs) == len(np.unique(x)) == len(np.unique(y))


def story(coinjoin=True):
    """Alice links A1-A2 then A2-A3; Bob links B1-B2; then A3 and B1 meet in a Whirlpool mix."""
    t1 = tx(
        "1",
        [(A1, 50_000, "p2wpkh"), (A2, 60_000, "p2wpkh")],
        [(addr("shop"), 100_000, "p2wpkh")],
        height=1,
    )
    t2 = tx(
        "2",
        [(A2, 70_000, "p2wpkh"), (A3, 1_001_000, "p2wpkh")],
        [(addr("x"), 1_060_000, "p2wpkh")],
        height=2,
    )
    t3 = tx(
        "3",
        [(B1, 1_001_000, "p2wpkh"), (B2, 10_000, "p2wpkh")],
        [(addr("y"), 1_000_000, "p2wpkh")],
        height=3,
    )
    others = [(addr(f"mixer-{i}"), 1_001_000, "p2wpkh") for i in range(3)]
    mix = tx(
        "4",
        [(A3, 1_001_000, "p2wpkh"), (B1, 1_001_000, "p2wpkh"), *others],
        [(addr(f"post-{i}"), 1_000_000, "p2wpkh") for i in range(5)],
        height=4,
    )
    return from_transactions([t1, t2, t3, mix] if coinjoin else [t1, t2, t3])


def test_union_find_python_agrees_with_scipy_on_random_graphs():
    rng = np.random.default_rng(7)
    n, m = 300, 250
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    fast = cluster_ids(np.r_[np.arange(m), np.arange(m)], np.r_[a, b], n)
    slow = union_find_python(n, zip(a.tolist(), b.tolist(), strict=True))
    assert same_partition(fast, slow)


def test_plain_python_clustering_agrees_on_course_inputs():
    from chaintrace import load_dataset

    ds = load_dataset("course")
    slow = common_input_clusters_python(zip(ds.inputs["txid"], ds.inputs["address"], strict=True))
    fast = cluster_addresses("course", exclude_coinjoins=False)
    T = fast.T
    codes = np.array([T.code_of[a] for a in slow])
    rep = np.array([T.code_of[r] for r in slow.values()])
    assert same_partition(fast.labels[codes], rep)


def test_coinjoin_would_create_a_false_merge():
    honest = cluster_addresses(story(), exclude_coinjoins=True)
    assert honest.cluster_of(A1) == honest.cluster_of(A3) != honest.cluster_of(B2)
    with pytest.raises(ValueError, match="different clusters"):
        honest.merged_by(A1, B2)
    naive = cluster_addresses(story(), exclude_coinjoins=False)
    assert naive.cluster_of(A1) == naive.cluster_of(B2)
    merge = naive.merged_by(A1, B2)
    assert merge.txid == "4" * 64 and merge.heuristic == "common_input"
    assert set(merge.side_a) == {A1, A2, A3} and set(merge.side_b) == {B1, B2}


def test_why_gives_the_shortest_chain_of_transactions():
    c = cluster_addresses(story())
    links = c.why(A1, A3)
    assert [link.txid[0] for link in links] == ["1", "2"]
    assert (links[0].a, links[0].b, links[1].b) == (A1, A2, A3)
    assert "spent together in transaction 1111" in str(links[0])
    text = c.explain_why(A1, A3)
    assert text.startswith(f"{A1} and {A3} share a cluster through 2 transaction(s)")
    assert c.merged_by(A1, A3).txid == "2" * 64
    with pytest.raises(ValueError, match="same address"):
        c.why(A1, A1)
    with pytest.raises(NotFound, match="never appears"):
        c.cluster_of("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")


def test_change_links_join_the_change_address():
    change = addr("alice-change")
    t1 = tx(
        "1",
        [(A1, 50_000, "p2wpkh"), (A2, 60_000, "p2wpkh")],
        [(addr("shop", "p2sh"), 100_000, "p2sh"), (change, 9_000, "p2wpkh")],
    )
    T = from_transactions([t1])
    plain = cluster_addresses(T)
    assert plain.cluster_of(change) != plain.cluster_of(A1)
    linked = cluster_addresses(T, change=True, min_confidence=0.8)
    assert linked.cluster_of(change) == linked.cluster_of(A1)
    (link,) = linked.why(A1, change)
    assert link.heuristic == "change" and link.confidence > 0.8 and "likely change" in str(link)
    # a single vote below the threshold links nothing (address type alone: precision 0.886)
    strict = cluster_addresses(T, change=True, min_confidence=0.9, heuristics=["address_type"])
    assert strict.cluster_of(change) != strict.cluster_of(A1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        cluster_addresses(T, min_confidence=95)


def test_tag_conflicts_and_super_clusters():
    naive = cluster_addresses(story(), exclude_coinjoins=False)
    tags = TagPack.from_yaml(
        f"{{title: t, creator: c, source: s, currency: BTC, confidence: web_crawl,\n"
        f" tags: [{{address: {A1}, label: Alice}}, {{address: {B2}, label: Bob}}]}}"
    )
    conflicts = naive.tag_conflicts(tags)
    assert len(conflicts) == 1
    row = conflicts.iloc[0]
    assert row["merge_txid"] == "4" * 64 and set(row["labels"].split("; ")) == {"Alice", "Bob"}
    assert cluster_addresses(story()).tag_conflicts(tags).empty
    sup = naive.super_clusters(min_size=5, min_share=0.1)
    assert sup["size"].tolist() == [8]  # A1-3, B1-2 and the three other mixers
    frame = naive.frame()
    assert len(frame) == naive.T.n_addresses and frame["cluster_size"].max() == 8


def test_one_address_with_two_labels_is_a_conflict_without_a_merge():
    clusters = cluster_addresses(story())
    tags = TagPack.from_yaml(
        f"{{title: t, creator: c, source: s, currency: BTC, confidence: web_crawl,\n"
        f" tags: [{{address: {A1}, label: Alice}}, {{address: {A1}, label: Mallory}}]}}"
    )
    row = clusters.tag_conflicts(tags).iloc[0]
    assert row["address_a"] == row["address_b"] == A1
    assert row["merge_txid"] is None and row["merge_heuristic"] == "one address, two labels"


def test_course_case_cluster_01_matches_ground_truth():
    from chaintrace import load_case, truth

    answer = truth.load().case("cluster-01")
    c = cluster_addresses("course")
    suspect = load_case("cluster-01").reported["suspect_address"]
    assert set(c.members(c.cluster_of(suspect))) == set(answer["cluster_addresses"])
    side_a, side_b = answer["clusters_before_merge"]
    merge = c.merged_by(side_a[0], side_b[0])
    assert merge.txid == answer["merge_txid"]
    assert {frozenset(merge.side_a), frozenset(merge.side_b)} == {
        frozenset(side_a),
        frozenset(side_b),
    }


def test_course_coinjoin_01_false_merge_needs_coinjoins_included():
    from chaintrace import truth

    answer = truth.load().case("coinjoin-01")
    T = tables("course")
    t = T.row(answer["false_merge_txid"])
    inputs = [T.addresses[c] for c in T.in_addr[T.in_start[t] : T.in_start[t + 1]]]
    naive = cluster_addresses("course", exclude_coinjoins=False)
    honest = cluster_addresses("course")
    assert len({naive.cluster_of(a) for a in inputs}) == 1
    assert len({honest.cluster_of(a) for a in inputs}) >= answer["false_merge_owners"] // 2
