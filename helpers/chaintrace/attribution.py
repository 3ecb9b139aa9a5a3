"""Attribution: put names on clusters from their tagged members, and measure a cluster's
exposure to sanctioned or illicit counterparties.

A tag names one address; clustering spreads that name to the addresses spent with it. Both
steps can be wrong (a stale tag, a false merge), so every label keeps its confidence and its
conflicts (:meth:`chaintrace.TagPack.attribute_cluster`), and exposure tables say which
counterparties are only "unattributed clusters".

>>> from chaintrace import load_dataset, load_tagpack
>>> from chaintrace.cluster import cluster_addresses
>>> ds = load_dataset("course")
>>> clusters, tags = cluster_addresses(ds), load_tagpack(ds.tags_path)
>>> labels = label_clusters(clusters, tags)
>>> bool((labels["n_tagged"] >= 1).all()), list(labels.columns[:3])
(True, ['cluster', 'size', 'label'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["label_clusters", "attribute", "exposure", "ILLICIT_CATEGORIES"]

# TagPack categories whose counterparties an exposure report flags as illicit or high risk
ILLICIT_CATEGORIES = frozenset(
    {"market", "darknet_market", "ransomware", "mixing_service", "scam", "theft", "sanctioned"}
)
_LABEL_COLUMNS = [
    "cluster", "size", "label", "category", "confidence", "confidence_score", "n_tagged",
    "conflicting", "other_labels",
]  # fmt: skip


def label_clusters(clustering, tags) -> pd.DataFrame:
    """One row per cluster with at least one tagged member: its best label and conflicts.

    Largest clusters first. ``conflicting`` is True when members carry other labels (a false
    merge, or one service using another's wallet: check with ``clustering.tag_conflicts``).
    """
    tagged = clustering._tagged(tags)
    rows = []
    for cluster_id, group in tagged.groupby("cluster", sort=True):
        a = tags.attribute_cluster(group["address"].unique(), name=f"cluster {cluster_id}")
        rows.append(
            {
                "cluster": int(cluster_id),
                "size": int(np.count_nonzero(clustering.labels == cluster_id)),
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


def _cluster_id(subject, clustering) -> int:
    if isinstance(subject, (int, np.integer)):
        return int(subject)
    if isinstance(subject, str):
        return clustering.cluster_of(subject)
    raise TypeError(f"give a cluster id (int) or an address (str), not {type(subject).__name__}")


def attribute(subject, clustering, tags):
    """The :class:`~chaintrace.Attribution` of a cluster (by id, or by one of its addresses).

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


def _counterparty_names(clustering, tags, sanctions, codes: np.ndarray) -> pd.DataFrame:
    """Entity, category and sanctioned flag for the clusters of address ``codes``."""
    labels = label_clusters(clustering, tags).set_index("cluster") if tags is not None else None
    cl = clustering.labels[codes]
    sanctioned_clusters = set()
    if sanctions is not None:
        T = clustering.T
        listed = [T.code_of[e.address] for e in sanctions if e.address in T.code_of]
        sanctioned_clusters = {int(clustering.labels[c]) for c in listed}
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
            "sanctioned": [c in sanctioned_clusters for c in cl.tolist()],
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


def exposure(cluster, clustering, tags=None, sanctions=None, direction: str = "in") -> pd.DataFrame:
    """Where a cluster's money came from (``direction="in"``) or went (``"out"``), by entity.

    One row per counterparty entity (a labelled cluster, or "unattributed cluster N"):
    ``category``, ``sanctioned`` (any member on ``sanctions``), ``illicit`` (sanctioned or a
    high-risk category, :data:`ILLICIT_CATEGORIES`), ``n_transfers``, ``sats``, ``btc`` and
    ``share`` of the total. Direct (one-hop) exposure only: indirect exposure needs a taint
    model (module 08). Newly mined coins have no payer and are left out.

    >>> from chaintrace import load_case, load_dataset, load_sanctions, load_tagpack
    >>> from chaintrace.cluster import cluster_addresses
    >>> ds = load_dataset("course")
    >>> deposit = load_case("sanctions-01").reported["deposit_address"]
    >>> table = exposure(deposit, cluster_addresses(ds), load_tagpack(ds.tags_path),
    ...                  load_sanctions(ds.sanctions_dir), direction="in")
    >>> round(float(table["share"].sum()), 6)
    1.0
    """
    if direction not in ("in", "out"):
        raise ValueError(
            f'direction must be "in" (who paid the cluster) or "out" (whom it paid), not {direction!r}'
        )
    cid = _cluster_id(cluster, clustering)
    codes, sats = _flows(clustering, cid, direction)
    names = _counterparty_names(clustering, tags, sanctions, codes).assign(sats=sats)
    if tags is not None:
        names["illicit"] = names["sanctioned"] | names["category"].isin(ILLICIT_CATEGORIES)
    else:
        names["illicit"] = names["sanctioned"]
    keys = ["entity", "category", "sanctioned", "illicit"]
    table = (
        names.groupby(keys, sort=False)
        .agg(n_transfers=("sats", "size"), sats=("sats", "sum"))
        .reset_index()
    )
    total = table["sats"].sum()
    table["btc"] = table["sats"] / 1e8
    table["share"] = table["sats"] / total if total else 0.0
    return table.sort_values(["sats", "entity"], ascending=[False, True], ignore_index=True)
