"""The generated sections of the datasheet ``datasets/README.md``.

A datasheet whose numbers drift from the data is worse than none, so its statistics are computed
from the bundled dataset and its ground truth and written between marker comments; the prose
around them is kept as is. Two blocks are generated:

- ``<!-- stats:begin -->`` ... ``<!-- stats:end -->``: sizes, entities, script types, input and
  output counts, change, CoinJoin rounds, clusters, tags, sanctions, cases, file sizes;
- ``<!-- realism:begin -->`` ... ``<!-- realism:end -->``: the realism gaps, from
  :func:`chaintrace.course.realism.measure`.

Run ``python -m chaintrace.course.datasheet`` to rewrite them (``--check``: exit 1 when the
committed datasheet is out of date; the tests do this).

>>> block = "a\\n<!-- stats:begin -->\\nold\\n<!-- stats:end -->\\nb\\n"
>>> replace_block(block, "stats", "new")
'a\\n<!-- stats:begin -->\\nnew\\n<!-- stats:end -->\\nb\\n'
"""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import paths

# which CoinJoin coordinator of the economy plays which real design (chaintrace.sim.privacy)
COORDINATORS = {
    "Zephyr Coordinator": "Wasabi-like",
    "Eddy Pool": "Whirlpool-like",
    "Gale Coordinator": "WabiSabi-like",
    "Loom Market": "JoinMarket-like",
}
SCRIPT_TYPES = ("p2wpkh", "p2sh", "p2pkh", "p2tr", "p2wsh", "op_return")
COUNT_BINS = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 9), (10, 99), (100, None)]
CLUSTER_BINS = [(1, 1), (2, 2), (3, 9), (10, 99), (100, 999), (1000, None)]


def datasheet_path() -> Path:
    """Where the datasheet lives: ``<datasets>/README.md``."""
    return paths.datasets_root() / "README.md"


# ----------------------------------------------------------------------------- helpers
def _n(x) -> str:
    return f"{int(x):,}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _bin_label(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"≥{lo:,}"
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _binned(values: np.ndarray, bins) -> list[tuple[str, float]]:
    """Share of ``values`` in each ``(lo, hi)`` bin (``hi`` None: open-ended).

    >>> _binned(np.array([1, 1, 2, 7]), [(1, 1), (2, 2), (3, None)])
    [('1', 0.5), ('2', 0.25), ('≥3', 0.25)]
    """
    n = max(len(values), 1)
    out = []
    for lo, hi in bins:
        inside = (values >= lo) if hi is None else ((values >= lo) & (values <= hi))
        out.append((_bin_label(lo, hi), float(inside.sum()) / n))
    return out


def _load(name: str) -> dict:
    d, g = paths.dataset_dir(name), paths.groundtruth_dir(name)
    t = {k: pd.read_parquet(d / f"{k}.parquet") for k in ("blocks", "transactions", "outputs")}
    t["inputs"] = pd.read_parquet(d / "inputs.parquet")
    for k in ("entities", "addresses", "transactions"):
        t[f"truth_{k}"] = pd.read_parquet(g / f"{k}.parquet")
    t["dir"], t["truth_dir"] = d, g
    return t


# ----------------------------------------------------------------------------- sections
def overview(t: dict) -> list[str]:
    """Sizes and time span of the chain."""
    tx, b = t["transactions"], t["blocks"]
    day = lambda s: datetime.fromtimestamp(int(s), UTC).strftime("%Y-%m-%d")  # noqa: E731
    addrs = pd.concat([t["outputs"]["address"], t["inputs"]["address"]])
    return [
        f"Size: {_n(len(tx))} transactions ({_n(tx['coinbase'].sum())} coinbases), "
        f"{_n(len(t['outputs']))} outputs, {_n(len(t['inputs']))} inputs, "
        f"{_n(addrs[addrs != ''].nunique())} distinct addresses, {_n(len(b))} blocks "
        f"(heights {_n(b['height'].min())}–{_n(b['height'].max())}, {day(b['time'].min())} "
        f"to {day(b['time'].max())}).",
    ]


def entities(t: dict) -> list[str]:
    """Entities by kind, and the wallet profiles individuals run."""
    e = t["truth_entities"]
    kinds = e["kind"].value_counts()
    kinds = kinds.sort_index().sort_values(ascending=False, kind="stable")
    people = e[e["kind"] == "individual"]["wallet"].value_counts()
    people = people.sort_index().sort_values(ascending=False, kind="stable")
    return [
        f"Entities ({_n(len(e))}): "
        + ", ".join(f"{k.replace('_', ' ')} {_n(v)}" for k, v in kinds.items())
        + ".",
        "Wallet profiles of individuals: "
        + ", ".join(f"{k} {_n(v)}" for k, v in people.items())
        + ".",
    ]


def script_types(t: dict) -> list[str]:
    """Output script types (as visible on chain) by count and by value."""
    o = t["outputs"]
    by_n = o["script_type"].value_counts(normalize=True)
    by_v = o.groupby("script_type")["value"].sum() / max(int(o["value"].sum()), 1)
    lines = [
        "| output script type | share of outputs | share of value |",
        "|---|---|---|",
    ]
    for k in SCRIPT_TYPES:
        lines.append(f"| {k} | {_pct(by_n.get(k, 0.0))} | {_pct(by_v.get(k, 0.0))} |")
    unknown = set(by_n.index) - set(SCRIPT_TYPES)
    if unknown:
        raise ValueError(
            f"outputs have script types {sorted(unknown)} the datasheet does not know; "
            "add them to chaintrace.course.datasheet.SCRIPT_TYPES"
        )
    return lines


def counts(t: dict) -> list[str]:
    """Input and output count distributions of non-coinbase transactions."""
    tx = t["transactions"]
    normal = tx[~tx["coinbase"]]
    ins = _binned(normal["n_inputs"].to_numpy(), COUNT_BINS)
    outs = _binned(normal["n_outputs"].to_numpy(), COUNT_BINS)
    lines = [
        "| per non-coinbase tx | " + " | ".join(label for label, _ in ins) + " | mean | max |",
        "|---" * (len(ins) + 3) + "|",
    ]
    for what, shares, col in (("inputs", ins, "n_inputs"), ("outputs", outs, "n_outputs")):
        lines.append(
            f"| {what} | "
            + " | ".join(_pct(s) for _, s in shares)
            + f" | {normal[col].mean():.2f} | {_n(normal[col].max())} |"
        )
    return lines


def change(t: dict) -> list[str]:
    """How many transactions have a true change output, and how many a heuristic can find."""
    from . import changeheur

    tx, truth = t["transactions"], t["truth_transactions"]
    normal = tx[~tx["coinbase"]]
    has = normal["txid"].map(truth.set_index("txid")["change_vout"]).ge(0).mean()
    gt = changeheur.ground_truth_set(tx, t["outputs"], t["inputs"], truth)
    return [
        f"Change: {_pct(has)} of non-coinbase transactions have a true change output (ground "
        f"truth); {_n(len(gt))} two-output transactions ({_pct(len(gt) / max(len(normal), 1))})"
        " form the change-heuristic ground-truth set of `chaintrace.course.changeheur` (change "
        "known, not paid back to an input address, both outputs spent, the change later spent "
        "together with other coins).",
    ]


def coinjoins(t: dict) -> list[str]:
    """CoinJoin rounds per coordinator design, with their sizes."""
    truth, e = t["truth_transactions"], t["truth_entities"]
    tx = t["transactions"].set_index("txid")
    names = e.set_index("entity_id")["name"]
    cj = truth[truth["typology"] == "coinjoin"]
    parts = []
    for coord, design in COORDINATORS.items():
        mine = cj[cj["entity_id"].map(names) == coord]
        if mine.empty:
            parts.append(f"{design} ({coord}) 0 rounds")
            continue
        n_in, n_out = tx.loc[mine["txid"], "n_inputs"], tx.loc[mine["txid"], "n_outputs"]
        parts.append(
            f"{design} ({coord}) {_n(len(mine))} rounds, inputs {_n(n_in.min())}–"
            f"{_n(n_in.max())} (median {n_in.median():g}), outputs {_n(n_out.min())}–"
            f"{_n(n_out.max())}"
        )
    other = cj[~cj["entity_id"].map(names).isin(list(COORDINATORS))]
    if len(other):
        raise ValueError(
            f"{len(other)} CoinJoins have a coordinator the datasheet does not know; add it to "
            "chaintrace.course.datasheet.COORDINATORS"
        )
    tx0 = (truth["typology"] == "whirlpool_tx0").sum()
    return [f"CoinJoin rounds: {'; '.join(parts)}; plus {_n(tx0)} Whirlpool Tx0 transactions."]


def clusters(name: str) -> list[str]:
    """Cluster sizes under common-input clustering (CoinJoins excluded)."""
    from ..cluster import cluster_addresses

    sizes = cluster_addresses(name).sizes().to_numpy()
    n_addr = int(sizes.sum())
    by_cluster = _binned(sizes, CLUSTER_BINS)
    lines = [
        f"Common-input clustering (`chaintrace.cluster_addresses`, CoinJoins excluded): "
        f"{_n(len(sizes))} clusters over {_n(n_addr)} addresses "
        f"(clusters/addresses {len(sizes) / max(n_addr, 1):.2f}); largest "
        f"{_n(sizes.max())} addresses ({_pct(sizes.max() / max(n_addr, 1))} of addresses).",
        "",
        "| cluster size (addresses) | " + " | ".join(label for label, _ in by_cluster) + " |",
        "|---" * (len(by_cluster) + 1) + "|",
        "| share of clusters | " + " | ".join(_pct(s) for _, s in by_cluster) + " |",
    ]
    in_bin = []
    for lo, hi in CLUSTER_BINS:
        mask = (sizes >= lo) if hi is None else ((sizes >= lo) & (sizes <= hi))
        in_bin.append(sizes[mask].sum() / max(n_addr, 1))
    lines.append("| share of addresses | " + " | ".join(_pct(s) for s in in_bin) + " |")
    return lines


def tags(t: dict) -> list[str]:
    """The TagPack: size, categories, confidence levels, and how much of it is wrong."""
    pack = yaml.safe_load((t["dir"] / "tags.yaml").read_text(encoding="utf-8"))
    tg = pd.DataFrame(pack["tags"])
    true_name = t["truth_addresses"].merge(
        t["truth_entities"][["entity_id", "name"]], on="entity_id"
    )
    tg = tg.assign(owner=tg["address"].map(true_name.set_index("address")["name"]))
    wrong = (tg["label"] != tg["owner"]).mean()
    labels = tg.groupby("address")["label"].nunique()
    conflicting = (labels > 1).sum()
    cats = tg["category"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    conf = tg["confidence"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    return [
        f"Tags (`tags.yaml`): {_n(len(tg))} tags on {_n(tg['address'].nunique())} addresses; "
        "categories "
        + ", ".join(f"{k} {_n(v)}" for k, v in cats.items())
        + "; confidence "
        + ", ".join(f"{k} {_n(v)}" for k, v in conf.items())
        + f". Wrong (label is not the true owner): {_n((tg['label'] != tg['owner']).sum())} "
        f"tags ({_pct(wrong)}); addresses with conflicting labels: {_n(conflicting)} "
        f"({_pct(conflicting / max(len(labels), 1))} of tagged addresses).",
    ]


def sanctions(t: dict) -> list[str]:
    """Entries of the training sanctions list, per file."""
    from ..sanctions import load_sanctions

    folder = t["dir"] / "sanctions"
    listed = load_sanctions(folder)
    per_file = []
    for f in sorted(folder.glob("sanctioned_addresses_*.txt")):
        lines = [x for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
        per_file.append(f"`{f.name}` {_n(len(lines))} lines")
    parties = {e.party_id for e in listed if e.source == "sdn_advanced.xml"}
    programs = sorted({p for e in listed for p in e.programs})
    return [
        f"Sanctions: {_n(len(listed))} distinct listed addresses in {_n(len(listed.entries))} "
        f"entries ({', '.join(sorted(listed.assets))}); "
        + ", ".join(per_file)
        + f"; `sdn_advanced.xml` names {_n(len(parties))} parties (programs "
        + ", ".join(f"`{p}`" for p in programs)
        + ")"
        + f"; {_n(len(listed.problems))} quirks flagged on loading.",
        *_list_versions(folder),
    ]


def _list_versions(folder) -> list[str]:
    """Each list of ``sanctions/`` with its version dates and its delistings."""
    from ..screening import load_lists

    lists = load_lists(folder)
    out = []
    for name in lists.names:
        versions = lists.histories[name].versions
        dates = [v.issued or "undated" for v, _ in versions]
        latest = versions[-1][1]
        ended = {e.address for e in latest if e.delisted}
        ever = {e.address for _, read in versions for e in read}
        removed = ever - {e.address for e in latest}
        out.append(
            f"{name}: {_n(len(versions))} version{'s' if len(versions) != 1 else ''} "
            f"({', '.join(dates)}); "
            f"{_n(len({e.address for e in latest}))} addresses in the newest, "
            f"{_n(len(removed))} removed by a later version, {_n(len(ended))} marked delisted."
        )
    return out


def account(t: dict) -> list[str]:
    """The account-model ledger: rows per chain and asset."""
    rows = pd.read_parquet(t["dir"] / "account" / "transfers.parquet")
    by = (
        rows.groupby(["chain", "asset"]).size() if "chain" in rows else rows.groupby("asset").size()
    )
    parts = ", ".join(
        f"{_n(n)} {' '.join(k) if isinstance(k, tuple) else k}" for k, n in by.items()
    )
    lines = [f"Account ledger (`account/transfers.parquet`): {_n(len(rows))} rows ({parts})."]
    if "method" in rows:
        lines += account_economy(t, rows)
    return lines


def account_economy(t: dict, rows: pd.DataFrame) -> list[str]:
    """The account chains' services as measured in the ledger: crossings per bridge design,
    swaps, mixer use, address poisoning, token decimals and the official rate's range."""
    from .. import crossing

    table = crossing.crossings(rows)
    designs = []
    for design, part in table.groupby("design"):
        delay = part["delay"].median() / 60
        designs.append(f"{design} {_n(len(part))} (median {delay:.0f} min between the legs)")
    legs = rows.groupby("tx_hash").size()
    swaps = rows[rows["method"] == "swap"].groupby("tx_hash").size()
    mixer = rows[(rows["method"] == "deposit") & (rows["bridge_ref"] == "")]
    sizes = ", ".join(f"{_n(n)} x {int(v) // 10**18} ETH"
                      for v, n in mixer["value"].map(int).value_counts().sort_index().items())  # fmt: skip
    zero = rows[(rows["value"] == "0") & (rows["tx_from"] != rows["from"])]
    tokens = pd.read_csv(t["dir"] / "account" / "tokens.csv")
    decimals = ", ".join(f"{r.asset} on {r.chain} {r.decimals}" for r in tokens.itertuples())
    rates = pd.read_csv(t["dir"] / "account" / "rates.csv")
    return [
        "Crossings (`chaintrace.crossings`): " + "; ".join(designs) + ".",
        f"Swaps: {_n((swaps == 2).sum())} through one pool, {_n((swaps == 6).sum())} through the "
        f"aggregator (six transfers in one transaction); {_n((legs > 1).sum())} transactions with "
        "more than one transfer.",
        f"Mixer deposits: {_n(len(mixer))} ({sizes}); address poisoning: {_n(len(zero))} "
        "zero-value transfers sent by someone other than their `from`.",
        f"Token decimals (`account/tokens.csv`): {decimals}. Official rate "
        f"(`account/rates.csv`): {rates['uah_per_usd'].min():.4f}-{rates['uah_per_usd'].max():.4f} "
        "UAH per USD.",
    ]


def cases(t: dict) -> list[str]:
    """The case files: id, module, typology, title."""
    lines = ["| case | module | typology | title |", "|---|---|---|---|"]
    for f in sorted((t["dir"] / "cases").glob("*.json")):
        c = json.loads(f.read_text(encoding="utf-8"))
        lines.append(f"| `{c['case_id']}` | {c['module']} | {c['typology']} | {c['title']} |")
    return lines


def file_sizes(t: dict) -> list[str]:
    """Every file of the dataset and its ground truth, with its size."""
    rows = ["| file | size |", "|---|---|"]
    total = {}
    for label, root in (("datasets", t["dir"]), ("groundtruth", t["truth_dir"])):
        files = sorted(p for p in root.rglob("*") if p.is_file())
        total[label] = sum(p.stat().st_size for p in files)
        for p in files:
            if p.parent.name == "cases":
                continue  # one line for all case files below
            rows.append(
                f"| `{label}/{root.name}/{p.relative_to(root)}` | {_size(p.stat().st_size)} |"
            )
        n_cases = sorted((root / "cases").glob("*.json"))
        if n_cases:
            size = sum(p.stat().st_size for p in n_cases)
            rows.append(
                f"| `{label}/{root.name}/cases/*.json` ({len(n_cases)} files) | {_size(size)} |"
            )
    rows.append(
        f"| total | {_size(total['datasets'])} + {_size(total['groundtruth'])} ground truth |"
    )
    return rows


def _size(n: int) -> str:
    """Human-readable bytes.

    >>> _size(512), _size(2_048), _size(5_300_000)
    ('512 B', '2.0 kB', '5.3 MB')
    """
    if n < 1_000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


# ----------------------------------------------------------------------------- blocks
def stats_block(name: str = "course") -> str:
    """The Markdown of the statistics block for dataset ``name``."""
    t = _load(name)
    parts = [
        overview(t),
        entities(t),
        script_types(t),
        counts(t),
        change(t),
        coinjoins(t),
        clusters(name),
        tags(t),
        sanctions(t),
        account(t),
        cases(t),
        file_sizes(t),
    ]
    head = [
        f"Generated by `python -m chaintrace.course.datasheet` from `datasets/{name}/` and "
        f"`groundtruth/{name}/`; do not edit by hand.",
    ]
    return "\n\n".join("\n".join(p) for p in [head, *parts])


def realism_block(name: str = "course") -> str:
    """The realism-gaps list: every statistic of :mod:`chaintrace.course.realism` that fails."""
    from .realism import measure

    rows = measure(name)
    fails = [r for r in rows if not r.ok]
    head = (
        f"- Realism gaps (generated from `chaintrace.course.realism`; full table in "
        f"`docs/realism.md`): {len(rows) - len(fails)} of {len(rows)} statistics are within "
        "tolerance of the real chain"
    )
    if not fails:
        return head + "."
    items = [f"  - {r.name}: ours {r.ours}, real {r.real} (tolerance {r.tolerance})" for r in fails]
    return head + "; these are not:\n" + "\n".join(items)


def replace_block(text: str, key: str, body: str) -> str:
    """``text`` with the lines between ``<!-- key:begin -->`` and ``<!-- key:end -->`` replaced."""
    begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(
            f"the datasheet needs exactly one {begin} and one {end} line around its generated "
            f"{key} section; add them where the section belongs"
        )
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(text: str, name: str = "course") -> str:
    """The datasheet ``text`` with both generated blocks recomputed from dataset ``name``."""
    text = replace_block(text, "stats", stats_block(name))
    return replace_block(text, "realism", realism_block(name))


def main(argv=None) -> int:
    """``python -m chaintrace.course.datasheet [--check] [name]``."""
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    rest = [a for a in argv if a != "--check"]
    name = rest[0] if rest else "course"
    path = datasheet_path()
    current = path.read_text(encoding="utf-8")
    wanted = render(current, name)
    if check:
        if current != wanted:
            print(f"{path} is out of date: run python -m chaintrace.course.datasheet")
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
