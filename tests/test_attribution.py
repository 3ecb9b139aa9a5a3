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
