"""Attribution: cluster labels with conflicts, and exposure in and out, on a hand-built chain."""

import pytest
from _handbuilt import addr, tx
from chaintrace.attribution import attribute, exposure, label_clusters
from chaintrace.cluster import cluster_addresses
from chaintrace.sanctions import SanctionsList
from chaintrace.tags import TagPack
from chaintrace.txtables import from_transactions

MARKET1, MARKET2 = addr("market-1"), addr("market-2")
BAD = addr("sanctioned-exchange")
SHOP = addr("shop")
ALICE, ALICE2 = addr("alice"), addr("alice-2")


def chain():
    # the market pays Alice; a sanctioned exchange pays Alice; Alice pays a shop and keeps change
    t1 = tx(
        "1",
        [(MARKET1, 900_000, "p2wpkh"), (MARKET2, 200_000, "p2wpkh")],
        [(ALICE, 600_000, "p2wpkh"), (MARKET1, 490_000, "p2wpkh")],
    )
    t2 = tx(
        "2", [(BAD, 500_000, "p2wpkh")], [(ALICE2, 200_000, "p2wpkh"), (BAD, 290_000, "p2wpkh")]
    )
    t3 = tx(
        "3",
        [(ALICE, 600_000, "p2wpkh"), (ALICE2, 200_000, "p2wpkh")],
        [(SHOP, 700_000, "p2wpkh"), (ALICE, 90_000, "p2wpkh")],
    )
    return cluster_addresses(from_transactions([t1, t2, t3]))


TAGS = TagPack.from_yaml(
    f"""{{title: t, creator: c, source: s, currency: BTC, confidence: web_crawl,
 tags: [{{address: {MARKET1}, label: Tundra Market, category: market}},
        {{address: {MARKET2}, label: Tundra, category: market, confidence: unknown}},
        {{address: {SHOP}, label: Corner Shop, category: merchant}}]}}"""
)


def test_label_clusters_with_conflicts():
    c = chain()
    labels = label_clusters(c, TAGS)
    market = labels[labels["cluster"] == c.cluster_of(MARKET2)].iloc[0]
    assert market["label"] == "Tundra Market" and market["conflicting"]
    assert market["other_labels"] == "Tundra" and market["n_tagged"] == 2
    assert set(labels["label"]) == {"Tundra Market", "Corner Shop"}
    a = attribute(MARKET2, c, TAGS)
    assert a.label == "Tundra Market" and a.n_members == 2
    assert attribute(c.cluster_of(ALICE), c, TAGS).label is None
    with pytest.raises(TypeError, match="cluster id"):
        attribute(1.5, c, TAGS)


def test_exposure_in_and_out():
    c = chain()
    sanctions = SanctionsList.from_lines([BAD], "XBT")
    inflow = exposure(ALICE, c, TAGS, sanctions, direction="in")
    assert inflow["sats"].tolist() == [600_000, 200_000]
    top, second = inflow.iloc[0], inflow.iloc[1]
    assert (top["entity"], top["category"], top["illicit"], top["sanctioned"]) == (
        "Tundra Market",
        "market",
        True,
        False,
    )
    assert (
        second["sanctioned"]
        and second["illicit"]
        and second["entity"].startswith("unattributed cluster")
    )
    assert inflow["share"].tolist() == pytest.approx([0.75, 0.25])
    outflow = exposure(ALICE2, c, TAGS, sanctions, direction="out")  # the same cluster
    assert outflow[["entity", "sats", "illicit"]].to_dict("records") == [
        {"entity": "Corner Shop", "sats": 700_000, "illicit": False}
    ]
    no_tags = exposure(ALICE, c, direction="in")
    assert not no_tags["illicit"].any() and no_tags["category"].eq("unknown").all()
    with pytest.raises(ValueError, match='direction must be "in"'):
        exposure(ALICE, c, TAGS, direction="sideways")


def test_sanctioned_means_the_counterparty_address_not_its_cluster():
    """An exchange that holds a listed customer's deposit address is not itself sanctioned."""
    hot, deposit, listed_payer = addr("exch-hot"), addr("exch-deposit-listed"), addr("bad-payer")
    shopper = addr("shopper")
    t1 = tx(  # the exchange sweeps a listed customer's deposit address with its hot wallet
        "1", [(hot, 500_000, "p2wpkh"), (deposit, 100_000, "p2wpkh")], [(hot, 590_000, "p2wpkh")]
    )
    t2 = tx(
        "2", [(hot, 590_000, "p2wpkh")], [(shopper, 300_000, "p2wpkh"), (hot, 280_000, "p2wpkh")]
    )
    t3 = tx("3", [(listed_payer, 90_000, "p2wpkh")], [(shopper, 80_000, "p2wpkh")])
    c = cluster_addresses(from_transactions([t1, t2, t3]))
    sanctions = SanctionsList.from_lines([deposit, listed_payer], "XBT")
    table = exposure(shopper, c, None, sanctions, direction="in")
    assert list(table.columns) == [
        "entity", "category", "sanctioned", "illicit", "n_transfers", "sats", "btc", "share",
        "sanctioned_cluster", "counterparty_cluster", "n_clusters",
    ]  # fmt: skip
    exchange, bad = table.iloc[0], table.iloc[1]
    assert exchange["sats"] == 300_000 and exchange["counterparty_cluster"] == c.cluster_of(hot)
    assert not exchange["sanctioned"] and not exchange["illicit"] and exchange["sanctioned_cluster"]
    assert bad["sats"] == 80_000 and bad["counterparty_cluster"] == c.cluster_of(listed_payer)
    assert bad["sanctioned"] and bad["illicit"] and bad["sanctioned_cluster"]
    assert table["n_clusters"].tolist() == [1, 1]


def test_counterparty_cluster_of_an_entity_spanning_clusters():
    """Two unlinked clusters tagged with one label: one row, the bigger payer's cluster id."""
    a, b, me = addr("svc-a"), addr("svc-b"), addr("me")
    t1 = tx("1", [(a, 500_000, "p2wpkh")], [(me, 100_000, "p2wpkh"), (a, 390_000, "p2wpkh")])
    t2 = tx("2", [(b, 900_000, "p2wpkh")], [(me, 400_000, "p2wpkh"), (b, 490_000, "p2wpkh")])
    c = cluster_addresses(from_transactions([t1, t2]))
    pack = TagPack.from_yaml(
        f"""{{title: t, creator: c, source: s, currency: BTC, confidence: service_data,
 tags: [{{address: {a}, label: Svc, category: exchange}},
        {{address: {b}, label: Svc, category: exchange}}]}}"""
    )
    table = exposure(me, c, pack, direction="in")
    assert table[["entity", "sats", "n_transfers", "n_clusters"]].to_dict("records") == [
        {"entity": "Svc", "sats": 500_000, "n_transfers": 2, "n_clusters": 2}
    ]
    assert table["counterparty_cluster"].iloc[0] == c.cluster_of(b)
    assert c.cluster_of(a) != c.cluster_of(b)


def test_exposure_labels_clusters_once_per_pair(monkeypatch):
    import chaintrace.attribution as attribution

    c = chain()
    calls = []
    real = attribution._label_rows
    monkeypatch.setattr(attribution, "_label_rows", lambda *a: calls.append(a) or real(*a))
    first = exposure(ALICE, c, TAGS, direction="in")
    for _ in range(3):
        assert exposure(ALICE2, c, TAGS, direction="out")["sats"].sum() > 0
    assert len(calls) == 1
    mine = label_clusters(c, TAGS)
    mine.loc[0, "label"] = "changed by the caller"  # the caller's copy, not the cache
    assert exposure(ALICE, c, TAGS, direction="in").equals(first) and len(calls) == 1
    exposure(ALICE, chain(), TAGS)  # another clustering: labelled anew
    assert len(calls) == 2


def test_label_cache_dies_with_its_clustering():
    import gc
    import weakref

    import chaintrace.attribution as attribution

    c = chain()
    label_clusters(c, TAGS)
    assert c in attribution._CACHE and TAGS in attribution._CACHE[c]
    gone = weakref.ref(c)
    del c
    gc.collect()
    assert gone() is None  # the cache did not keep the clustering (or its labels) alive


def test_exposure_without_transfers_keeps_its_columns():
    table = exposure(SHOP, chain(), TAGS, direction="out")  # the shop never spends
    assert table.empty and list(table.columns[-3:]) == [
        "sanctioned_cluster",
        "counterparty_cluster",
        "n_clusters",
    ]


def test_strongest_tag_names_the_cluster_and_weak_tags_still_conflict():
    """Five 'unknown' tags (weight 25) must not outvote one web_crawl tag (weight 20)."""
    ins = [(addr(f"weak-{i}"), 100_000, "p2wpkh") for i in range(5)]
    strong = addr("strong")
    t = tx("1", [*ins, (strong, 100_000, "p2wpkh")], [(addr("out"), 590_000, "p2wpkh")])
    lonely = addr("lonely")
    t2 = tx("2", [(lonely, 50_000, "p2wpkh")], [(addr("out-2"), 40_000, "p2wpkh")])
    c = cluster_addresses(from_transactions([t, t2]))
    weak_tags = "".join(
        f"{{address: {a}, label: Fogbank, category: exchange, confidence: unknown}},"
        for a, _, _ in ins
    )
    pack = TagPack.from_yaml(
        f"""{{title: t, creator: c, source: s, currency: BTC, confidence: web_crawl,
 tags: [{weak_tags} {{address: {strong}, label: LuckyOrbit, category: gambling}},
        {{address: {lonely}, label: Northmint, category: exchange, confidence: unknown}}]}}"""
    )
    labels = label_clusters(c, pack)
    assert labels[["label", "category", "confidence", "conflicting", "other_labels"]].to_dict(
        "records"
    ) == [
        {
            "label": "LuckyOrbit",
            "category": "gambling",
            "confidence": "web_crawl",
            "conflicting": True,
            "other_labels": "Fogbank",
        }
    ]
    assert attribute(strong, c, pack).label == "LuckyOrbit"  # same ranking one cluster at a time
    # a cluster named only by an 'unknown' tag is unattributed unless asked for
    everything = label_clusters(c, pack, min_confidence="unknown")
    assert set(everything["label"]) == {"LuckyOrbit", "Northmint"}
    assert exposure(addr("out-2"), c, pack)["entity"].tolist() == [
        f"unattributed cluster {c.cluster_of(lonely)}"
    ]
    for bad in ("sure", 101, True):
        with pytest.raises(ValueError, match="confidence name"):
            label_clusters(c, pack, min_confidence=bad)


def test_course_labels_against_ground_truth():
    """No course cluster labelled only by a wrong 'unknown' tag; conflicts stay visible."""
    from chaintrace import load_dataset, load_tagpack, truth

    ds = load_dataset("course")
    c, pack = cluster_addresses(ds), load_tagpack(ds.tags_path)
    gt = truth.load()
    kind = gt.addresses.merge(gt.entities, on="entity_id").set_index("address")["kind"]
    members = c.frame()
    members["kind"] = members["address"].map(kind)
    owner = members.groupby("cluster")["kind"].agg(lambda s: s.value_counts().index[0])
    service = {"individual": None, "mixer": "mixing_service", "gambling": "gambling"}

    def wrong(labels):
        true = labels["cluster"].map(owner).map(lambda k: service.get(k, "other"))
        return int((true.isna() | (true.ne("other") & true.ne(labels["category"]))).sum())

    weak = label_clusters(c, pack, min_confidence="unknown")
    assert wrong(weak) == 24  # the planted pastebin tags: individuals called exchanges
    labels = label_clusters(c, pack)
    assert wrong(labels) == 0 and len(labels) == len(weak) - 24
    assert labels["conflicting"].sum() == 7
