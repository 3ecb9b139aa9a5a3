"""How often are the heuristics right? Measured against the generator's ground truth.

Courts ask for error rates. This module measures, on a generated dataset whose true owners and
true change outputs are known (``groundtruth/<name>/``), each change heuristic's coverage and
precision in the shape Möser & Narayanan (FC 2022) use for real Bitcoin, the clustering's
purity and completeness against the true entities, and the CoinJoin detector's misses and
false alarms. ``python -m chaintrace.accuracy`` regenerates ``docs/accuracy.md``.

Definitions (Möser & Narayanan): among transactions that truly have one change output,
*coverage* is the share where the heuristic picks an output, *precision* the share of those
picks that are the true change. We also count picks on transactions that have no change at all
(every such pick is wrong).

>>> table = change_accuracy("course", heuristics=["address_type"])
>>> row = table.set_index("heuristic").loc["address_type"]
>>> bool(0 < row["coverage"] <= 1 and 0 < row["precision"] <= 1)
True
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from .cluster import pairs_within
from .dataset import as_dataset
from .txtables import tables

__all__ = [
    "change_accuracy", "cluster_accuracy", "coinjoin_accuracy", "truth_rates", "report", "main"
]  # fmt: skip


def _truth(dataset, truth):
    if truth is not None:
        return truth
    from . import truth as truth_module

    return truth_module.load(as_dataset(dataset).name)


def _true_change(T, truth) -> np.ndarray:
    t = truth.transactions
    rows = pd.Index(T.txid).get_indexer(t["txid"].to_numpy(dtype=object))
    if (rows < 0).any() or len(rows) != T.n_tx:
        raise ValueError(
            "the ground truth does not describe this dataset's transactions; load the truth "
            "generated with it (chaintrace.truth.load(<dataset name>))"
        )
    change = np.full(T.n_tx, -1, dtype=np.int64)
    change[rows] = t["change_vout"].to_numpy()
    return change


def change_accuracy(
    dataset="course", truth=None, heuristics=None, thresholds=(0.95,)
) -> pd.DataFrame:
    """Coverage and precision of each change heuristic, the vote, and the vote above each of
    ``thresholds``, beside Möser & Narayanan's published real-chain figures.

    Columns: ``heuristic``, ``coverage``, ``precision``, ``picks`` (on transactions with a
    true change), ``correct``, ``picks_without_change`` (picks on transactions that have none),
    ``published_coverage``, ``published_precision``.
    """
    from .heuristics import resolve, round_payment_heuristic
    from .heuristics_table import change_table, eligible

    T = tables(dataset)
    chosen = resolve(heuristics)
    extra = [round_payment_heuristic(d) for d in (2, 6)] if heuristics is None else []
    table = change_table(T, chosen)
    extra_picks = {h.name: h.table(T) for h in extra}
    truth_change = _true_change(T, _truth(dataset, truth))
    el = eligible(T)
    has = el & (truth_change >= 0)
    none = el & (truth_change < 0)
    rows = []

    def row(name, pick, published=None):
        picked = pick >= 0
        n_pick = int((picked & has).sum())
        correct = int((picked & has & (pick == truth_change)).sum())
        rows.append(
            {
                "heuristic": name,
                "coverage": n_pick / max(int(has.sum()), 1),
                "precision": correct / n_pick if n_pick else float("nan"),
                "picks": n_pick,
                "correct": correct,
                "picks_without_change": int((picked & none).sum()),
                "published_coverage": published[0] if published else float("nan"),
                "published_precision": published[1] if published else float("nan"),
            }
        )

    for h in [*chosen, *extra]:
        pick = table[h.name].to_numpy() if h.name in table else extra_picks[h.name]
        row(h.name, pick, h.published)
    vote = table["vout"].to_numpy()
    row("vote", vote)
    conf = table["confidence"].to_numpy()
    for th in thresholds:
        row(f"vote, confidence >= {th}", np.where(conf >= th, vote, -1))
    out = pd.DataFrame(rows)
    out.attrs.update(n_with_change=int(has.sum()), n_without_change=int(none.sum()))
    return out


def cluster_accuracy(clustering, truth="course") -> dict:
    """Purity, completeness and pairwise precision/recall of ``clustering`` against true owners.

    *Purity*: the share of addresses whose cluster's majority owner is their owner (1.0 means
    no false merges). *Completeness*: the share of addresses in their owner's largest cluster
    (1.0 means each owner is one cluster). Pair precision/recall count address pairs: of the
    pairs put together, how many share an owner; of the pairs sharing an owner, how many were
    put together. ``truth`` is a loaded ground truth or the name of the clustered dataset.

    >>> from chaintrace.cluster import cluster_addresses
    >>> scores = cluster_accuracy(cluster_addresses("course"))
    >>> scores["purity"] > 0.9
    True
    """
    T = clustering.T
    truth = _truth(truth, None) if isinstance(truth, str) else truth
    owner = pd.Series(truth.addresses["entity_id"].to_numpy(), index=truth.addresses["address"])
    entity = owner.reindex(T.addresses).to_numpy()
    known = ~pd.isna(entity)
    frame = pd.DataFrame(
        {"cluster": clustering.labels[known], "entity": entity[known].astype(np.int64)}
    )
    joint = frame.groupby(["cluster", "entity"]).size()
    n = len(frame)
    purity = joint.groupby(level="cluster").max().sum() / n
    completeness = joint.groupby(level="entity").max().sum() / n
    together = pairs_within(frame.groupby("cluster").size().to_numpy())
    same_owner = pairs_within(frame.groupby("entity").size().to_numpy())
    both = pairs_within(joint.to_numpy())
    sizes = clustering.sizes()
    return {
        "addresses": n,
        "clusters": int(frame["cluster"].nunique()),
        "entities": int(frame["entity"].nunique()),
        "purity": float(purity),
        "completeness": float(completeness),
        "pair_precision": both / together if together else float("nan"),
        "pair_recall": both / same_owner if same_owner else float("nan"),
        "largest_cluster_share": float(sizes.iloc[0] / T.n_addresses),
    }


def coinjoin_accuracy(dataset="course", truth=None) -> dict:
    """The CoinJoin detector against true CoinJoins (``typology == "coinjoin"``) and Tx0s.

    >>> scores = coinjoin_accuracy("course")
    >>> scores["false_positives"] <= scores["true_coinjoins"]
    True
    """
    from .coinjoin import coinjoin_table

    T = tables(dataset)
    table = coinjoin_table(T)
    t = _truth(dataset, truth).transactions.set_index("txid")["typology"].reindex(table["txid"])
    true_cj = (t == "coinjoin").to_numpy()
    true_tx0 = (t == "whirlpool_tx0").to_numpy()
    found = table["is_coinjoin"].to_numpy()
    tx0 = (table["kind"] == "whirlpool_tx0").to_numpy()
    return {
        "transactions": T.n_tx,
        "true_coinjoins": int(true_cj.sum()),
        "detected": int(found.sum()),
        "true_positives": int((found & true_cj).sum()),
        "false_positives": int((found & ~true_cj).sum()),
        "false_negatives": int((~found & true_cj).sum()),
        "kinds": table.loc[found, "kind"].value_counts().to_dict(),
        "true_tx0": int(true_tx0.sum()),
        "tx0_found": int((tx0 & true_tx0).sum()),
        "tx0_false_positives": int((tx0 & ~true_tx0).sum()),
    }


def truth_rates(dataset="course", clustering=None, truth=None) -> pd.DataFrame:
    """:func:`chaintrace.measured_rates`'s table measured against the generator's ground truth:
    every transaction, not a sample (the figures of ``docs/accuracy.md``). For instructors, who
    hold the ground truth; pass the result on as ``rates=`` to
    :func:`chaintrace.reliability_table`.

    >>> rates = truth_rates("course")
    >>> rates["basis"].iat[0], bool(0.5 < rates.loc["peel_chain", "precision"] <= 1)
    ('ground truth', True)
    """
    from .legal import CLUSTER_ROW, VOTE_SURE, rates_table
    from .truth import TruthError

    try:
        change = change_accuracy(dataset, truth, thresholds=(VOTE_SURE,))
    except (FileNotFoundError, TruthError) as exc:
        raise TruthError(
            f"measured error rates need the dataset's ground truth ({exc}); without it, measure "
            "on the dataset's reference set: chaintrace.measured_rates(dataset, clustering)"
        ) from None
    name = as_dataset(dataset).name
    frame = change.set_index("heuristic")[["precision", "picks", "correct"]].astype(float)
    if clustering is not None:
        s = cluster_accuracy(clustering, truth if truth is not None else name)
        frame.loc[CLUSTER_ROW] = [s["pair_precision"], np.nan, np.nan]
    return rates_table(frame, "ground truth", f"dataset {name!r}")


# ----------------------------------------------------------------------------- the report


def _pct(x) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f} %"


def _change_section(table: pd.DataFrame) -> list[str]:
    lines = [
        "| heuristic | coverage | precision | picks | picks on txs without change | "
        "published coverage | published precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.heuristic} | {_pct(r.coverage)} | {_pct(r.precision)} | {r.picks:,} | "
            f"{r.picks_without_change:,} | {_pct(r.published_coverage)} | {_pct(r.published_precision)} |"
        )
    return lines


def _cluster_section(results: dict[str, dict]) -> list[str]:
    lines = [
        "| clustering | clusters | purity | completeness | pair precision | pair recall | largest cluster |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in results.items():
        lines.append(
            f"| {name} | {s['clusters']:,} | {_pct(s['purity'])} | {_pct(s['completeness'])} | "
            f"{_pct(s['pair_precision'])} | {_pct(s['pair_recall'])} | {_pct(s['largest_cluster_share'])} |"
        )
    return lines


def report(dataset="course") -> str:
    """The accuracy report as Markdown (what ``docs/accuracy.md`` holds)."""
    from .cluster import cluster_addresses

    truth = _truth(dataset, None)
    change = change_accuracy(dataset, truth)
    clusterings = {
        "common inputs, CoinJoins excluded": cluster_addresses(dataset),
        "common inputs + change (vote >= 0.95)": cluster_addresses(dataset, change=True),
        "common inputs, CoinJoins NOT excluded": cluster_addresses(
            dataset, exclude_coinjoins=False
        ),
    }
    clusters = {k: cluster_accuracy(v, truth) for k, v in clusterings.items()}
    cj = coinjoin_accuracy(dataset, truth)
    name = as_dataset(dataset).name
    lines = [
        "# Accuracy of the heuristics, measured",
        "",
        f"Generated by `python -m chaintrace.accuracy` on dataset `{name}` against its ground "
        "truth (`groundtruth/`). Do not edit by hand: regenerate it after changing a heuristic "
        "or the data. `tests/test_accuracy.py` pins these figures within tolerances.",
        "",
        "## Change detection",
        "",
        f"Transactions that can have change (not coinbase, two or more outputs with an "
        f"address): {change.attrs['n_with_change']:,} with a true change output, "
        f"{change.attrs['n_without_change']:,} without. Coverage and precision are over the "
        "first group, as Möser & Narayanan (FC 2022) measure them on 35,257,428 real "
        "transactions whose change was later revealed; their figures are printed beside ours.",
        "",
        *_change_section(change),
        "",
        "Read with care: our economy is synthetic, and its wallets keep their habits more "
        "consistently than real ones, so fingerprint heuristics (version, RBF, locktime) look "
        "better here than on the real chain. The published numbers are the ones to quote in "
        "court; ours show the method and catch regressions. `address_reuse` and `peel_chain` "
        "have no published counterpart (Möser & Narayanan use reuse to build their ground truth).",
        "",
        "## Clustering",
        "",
        "Against the true owner of every address. Purity 100 % means no false merge; "
        "completeness 100 % means every owner is one cluster.",
        "",
        *_cluster_section(clusters),
        "",
        "## CoinJoin detection",
        "",
        f"{cj['true_coinjoins']} true CoinJoins among {cj['transactions']:,} transactions; "
        f"detected {cj['detected']} ({', '.join(f'{k}: {v}' for k, v in sorted(cj['kinds'].items()))}): "
        f"{cj['true_positives']} right, {cj['false_positives']} false positives, "
        f"{cj['false_negatives']} missed. Whirlpool Tx0s: {cj['tx0_found']} of {cj['true_tx0']} "
        f"found, {cj['tx0_false_positives']} false alarms.",
        "",
        "The synthetic economy holds the historical Wasabi 1 and Whirlpool shapes and the two "
        "designs still running: WabiSabi (Wasabi 2) rounds and JoinMarket taker/maker rounds. "
        "Its exchanges never pay several customers one amount in a batch; on the real chain, "
        "equal-output rules also flag some batch payouts: check who paid.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m chaintrace.accuracy [--dataset NAME] [--out PATH]``: write the report."""
    from .paths import REPO_ROOT

    parser = argparse.ArgumentParser(
        prog="python -m chaintrace.accuracy", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dataset", default="course", help="dataset name (default: course)")
    parser.add_argument(
        "--out", default=str(REPO_ROOT / "docs" / "accuracy.md"), help="where to write"
    )
    args = parser.parse_args(argv)
    text = report(args.dataset)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
