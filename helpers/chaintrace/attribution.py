"""Attribution: put names on clusters from their tagged members, and measure a cluster's
exposure to sanctioned or illicit counterparties.

A tag names one address; clustering spreads that name to the addresses spent with it. Both
steps can be wrong (a stale tag, a false merge), so every label keeps its confidence and its
conflicts (:meth:`chaintrace.TagPack.attribute_cluster`), and exposure tables say which
counterparties are only "unattributed clusters".

The strongest evidence names a cluster: among its candidate labels, an ``override`` tag wins
first, then a cluster-defining tag, then the highest confidence score, and only then the
weight (the sum of the members' confidence), as :func:`chaintrace.tags.cluster_rank` defines
for every cluster attribution. Many weak tags cannot outvote one strong tag, and a cluster
whose tags are all below ``min_confidence`` (by default, tags of ``unknown`` provenance) gets
no label. Measured on the course data (common-input clustering, ground truth by majority
owner): 24 of 659 labelled clusters had the wrong category before this rule (all individuals'
clusters named by one ``unknown`` pastebin tag as "Northmint", "Fogbank" or "LuckyOrbit
Casino", category exchange), 0 of 635 after.

>>> from chaintrace import load_dataset, load_tagpack
>>> from chaintrace.cluster import cluster_addresses
>>> ds = load_dataset("course")
>>> clusters, tags = cluster_addresses(ds), load_tagpack(ds.tags_path)
>>> labels = label_clusters(clusters, tags)
>>> bool((labels["n_tagged"] >= 1).all()), list(labels.columns[:3])
(True, ['cluster', 'size', 'label'])
>>> bool((labels["confidence_score"] >= 10).all())   # no label rests on "unknown" tags alone
True
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from .tags import CONFIDENCE_LEVELS

__all__ = ["label_clusters", "attribute", "exposure", "ILLICIT_CATEGORIES"]

# TagPack categories whose counterparties an exposure report flags as illicit or high risk
ILLICIT_CATEGORIES = frozenset(
    {"market", "darknet_market", "ransomware", "mixing_service", "scam", "theft", "sanctioned"}
)
# below this, a tag's source is of unknown provenance: it may show as a conflict, never as a name
DEFAULT_MIN_CONFIDENCE = "heuristic"
_LABEL_COLUMNS = [
    "cluster", "size", "label", "category", "confidence", "confidence_score", "n_tagged",
    "conflicting", "other_labels",
]  # fmt: skip
_EXPOSURE_COLUMNS = [
    "entity", "category", "sanctioned", "illicit", "n_transfers", "sats", "btc", "share",
    "sanctioned_cluster", "counterparty_cluster", "n_clusters",
]  # fmt: skip


def _min_score(min_confidence) -> int:
    if isinstance(min_confidence, str) and min_confidence in CONFIDENCE_LEVELS:
        return CONFIDENCE_LEVELS[min_confidence]
    if isinstance(min_confidence, (int, np.integer)) and not isinstance(min_confidence, bool):
        if 0 <= min_confidence <= 100:
            return int(min_confidence)
    levels = ", ".join(CONFIDENCE_LEVELS)
    raise ValueError(
        f"min_confidence must be a confidence name ({levels}) or a score from 0 to 100, not "
        f"{min_confidence!r}; use 'unknown' (or 0) to label clusters from every tag"
    )


def _label_rows(clustering, tags, min_score: int) -> pd.DataFrame:
    tagged = clustering._tagged(tags)
    sizes = np.bincount(clustering.labels)
    rows = []
    for cluster_id, group in tagged.groupby("cluster", sort=True):
        a = tags.attribute_cluster(group["address"].unique(), name=f"cluster {cluster_id}")
        if a.confidence_score < min_score:
            continue
        rows.append(
            {
                "cluster": int(cluster_id),
                "size": int(sizes[cluster_id]),
                "label": a.label,
                "category": a.category,
                "confidence": a.confidence,
                "confidence_score": a.confidence_score,
                "n_tagged": a.n_tagged,
                "conflicting": a.conflicting,
                "other_labels": "; ".join(c.label for c in a.conflicts),
            }
        )
    frame = pd.DataFrame(rows, columns=_LABEL_COLUMNS)
    return frame.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)


# clustering -> tags -> {(min score, number of tags): labels}; entries die with either object
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached_labels(clustering, tags, min_score: int) -> pd.DataFrame:
    per_tags = _CACHE.setdefault(clustering, weakref.WeakKeyDictionary())
    per_key = per_tags.setdefault(tags, {})
    key = (min_score, len(tags.tags))  # a pack that gained tags is labelled anew
    if key not in per_key:
        per_key[key] = _label_rows(clustering, tags, min_score)
    return per_key[key]


def label_clusters(clustering, tags, min_confidence=DEFAULT_MIN_CONFIDENCE) -> pd.DataFrame:
    """One row per cluster named by a tag at ``min_confidence`` or above: its best label and
    conflicts.

    Largest clusters first. The best label is the one with the strongest evidence (see the
    module text): an ``override`` tag, then a cluster-defining tag, then the highest
    confidence score, then the weight. ``conflicting`` is True when members carry other labels
    at any confidence, listed in ``other_labels`` (a false merge, a wrong tag, or one service
    using another's wallet: check with ``clustering.tag_conflicts``). ``min_confidence`` is a
    confidence name or score (default ``"heuristic"``, 10: a cluster tagged only at ``unknown``
    gets no row; pass ``"unknown"`` to see every tagged cluster). Results are cached per
    (clustering, tags) pair, so calling it again is cheap; change neither object in place.

    >>> from chaintrace import load_dataset, load_tagpack
    >>> from chaintrace.cluster import cluster_addresses
    >>> ds = load_dataset("course")
    >>> clusters, tags = cluster_addresses(ds), load_tagpack(ds.tags_path)
    >>> weak = label_clusters(clusters, tags, min_confidence="unknown")
    >>> sorted(set(weak.loc[weak["confidence"] == "unknown", "category"]))
    ['exchange']
    """
    return _cached_labels(clustering, tags, _min_score(min_confidence)).copy()


def _cluster_id(subject, clustering) -> int:
    if isinstance(subject, (int, np.integer)):
        return int(subject)
    if isinstance(subject, str):
        return clustering.cluster_of(subject)
    raise TypeError(f"give a cluster id (int) or an address (str), not {type(subject).__name__}")


def attribute(subject, clustering, tags):
    """The :class:`~chaintrace.Attribution` of a cluster (by id, or by one of its addresses),
    its candidate labels ranked as :func:`label_clusters` ranks them (at any confidence).

    >>> from chaintrace import load_case, load_dataset, load_tagpack
    >>> from chaintrace.cluster import cluster_addresses
    >>> ds = load_dataset("course")
    >>> a = attribute(load_case("sanctions-01").reported["deposit_address"],
    ...               cluster_addresses(ds), load_tagpack(ds.tags_path))
    >>> a.is_cluster
    True
    """
    cid = _cluster_id(subject, clustering)
    return tags.attribute_cluster(clustering.members(cid), name=f"cluster {cid}")


def _listed_codes(clustering, sanctions) -> np.ndarray:
    """Per address code: is the address itself on ``sanctions``."""
    T = clustering.T
    listed = np.zeros(len(clustering.labels), dtype=bool)
    if sanctions is not None:
        codes = [T.code_of[e.address] for e in sanctions if e.address in T.code_of]
        listed[codes] = True
    return listed


def _counterparty_names(clustering, tags, sanctions, codes: np.ndarray) -> pd.DataFrame:
    """Cluster, entity, category and the two sanctions flags for address ``codes``."""
    labels = None
    if tags is not None:
        labels = _cached_labels(clustering, tags, _min_score(DEFAULT_MIN_CONFIDENCE))
        labels = labels.set_index("cluster")
    cl = clustering.labels[codes]
    listed = _listed_codes(clustering, sanctions)
    listed_clusters = np.zeros(len(listed), dtype=bool)
    listed_clusters[clustering.labels[listed]] = True
    entity, category = [], []
    for c in cl.tolist():
        if labels is not None and c in labels.index:
            entity.append(labels.at[c, "label"])
            category.append(labels.at[c, "category"] or "unknown")
        else:
            entity.append(f"unattributed cluster {c}")
            category.append("unknown")
    return pd.DataFrame(
        {
            "counterparty_cluster": cl,
            "entity": entity,
            "category": category,
            "sanctioned": listed[codes],
            "sanctioned_cluster": listed_clusters[cl],
        }
    )


def _flows(clustering, cid: int, direction: str):
    """(counterparty address code, sats) of every transfer into or out of cluster ``cid``."""
    T = clustering.T
    inside = clustering.labels == cid
    in_mine = inside[T.in_addr]
    out_ok = T.out_addr >= 0
    out_mine = np.zeros(len(T.out_addr), dtype=bool)
    out_mine[out_ok] = inside[T.out_addr[out_ok]]
    spends = np.bincount(T.in_tx[in_mine], minlength=T.n_tx) > 0
    if direction == "out":  # outputs of the cluster's own spends that leave the cluster
        sel = spends[T.out_tx] & ~out_mine & out_ok
        return T.out_addr[sel], T.out_value[sel]
    # payments into the cluster by transactions it did not fund: the payer is the first input
    sel = out_mine & ~spends[T.out_tx] & (T.n_in[T.out_tx] > 0)
    payer = T.in_addr[T.in_start[T.out_tx[sel]]]
    return payer, T.out_value[sel]


def _by_entity(names: pd.DataFrame) -> pd.DataFrame:
    """One row per (entity, flags): totals, and the cluster that moved the most of the value."""
    keys = ["entity", "category", "sanctioned", "illicit", "sanctioned_cluster"]
    per_cluster = (
        names.groupby([*keys, "counterparty_cluster"], sort=False)
        .agg(n_transfers=("sats", "size"), sats=("sats", "sum"))
        .reset_index()
    )
    top = per_cluster.sort_values(["sats", "counterparty_cluster"], ascending=[False, True])
    top = top.drop_duplicates(keys).set_index(keys)["counterparty_cluster"]
    table = per_cluster.groupby(keys, sort=False).agg(
        n_transfers=("n_transfers", "sum"),
        sats=("sats", "sum"),
        n_clusters=("counterparty_cluster", "size"),
    )
    table["counterparty_cluster"] = top.reindex(table.index)
    return table.reset_index()


def exposure(cluster, clustering, tags=None, sanctions=None, direction: str = "in") -> pd.DataFrame:
    """Where a cluster's money came from (``direction="in"``) or went (``"out"``), by entity.

    One row per counterparty entity (a labelled cluster, or "unattributed cluster N", see
    :func:`label_clusters`) and sanctions status, largest value first:

    - ``category``: the entity's TagPack category ("unknown" when unattributed);
    - ``sanctioned``: the counterparty address itself is on ``sanctions`` (for ``"in"`` the
      payer, the first input of the paying transaction; for ``"out"`` the address paid);
    - ``illicit``: ``sanctioned``, or a high-risk category (:data:`ILLICIT_CATEGORIES`);
    - ``n_transfers``, ``sats``, ``btc`` and ``share`` of the total value;
    - ``sanctioned_cluster``: a listed address is in the counterparty's cluster, though the
      counterparty address is not necessarily listed (an exchange that holds a listed customer's
      deposit address). It needs review; it does not make the row ``illicit``;
    - ``counterparty_cluster``: the cluster id to follow up (``clustering.members(...)``); when
      a row covers several clusters with one label, the one that moved the most value;
    - ``n_clusters``: how many clusters the row covers.

    An entity can take two rows (listed addresses and unlisted ones). Direct (one-hop)
    exposure only: indirect exposure needs a taint model (module 08). Newly mined coins have no
    payer and are left out. Cluster labels are cached per (clustering, tags) pair, so a loop
    over many counterparties labels the clusters once.

    >>> from chaintrace import load_case, load_dataset, load_sanctions, load_tagpack
    >>> from chaintrace.cluster import cluster_addresses
    >>> ds = load_dataset("course")
    >>> deposit = load_case("sanctions-01").reported["deposit_address"]
    >>> table = exposure(deposit, cluster_addresses(ds), load_tagpack(ds.tags_path),
    ...                  load_sanctions(ds.sanctions_dir), direction="in")
    >>> round(float(table["share"].sum()), 6)
    1.0
    >>> list(table.columns[8:])
    ['sanctioned_cluster', 'counterparty_cluster', 'n_clusters']
    """
    if direction not in ("in", "out"):
        raise ValueError(
            f'direction must be "in" (who paid the cluster) or "out" (whom it paid), not {direction!r}'
        )
    cid = _cluster_id(cluster, clustering)
    codes, sats = _flows(clustering, cid, direction)
    names = _counterparty_names(clustering, tags, sanctions, codes).assign(sats=sats)
    names["illicit"] = names["sanctioned"]
    if tags is not None:
        names["illicit"] |= names["category"].isin(ILLICIT_CATEGORIES)
    table = _by_entity(names)
    total = table["sats"].sum()
    table["btc"] = table["sats"] / 1e8
    table["share"] = table["sats"] / total if total else 0.0
    table = table.sort_values(["sats", "entity"], ascending=[False, True], ignore_index=True)
    types = {
        "entity": "str",
        "category": "str",
        "counterparty_cluster": "int64",
        "n_clusters": "int64",
    }
    return table[_EXPOSURE_COLUMNS].astype(types)
