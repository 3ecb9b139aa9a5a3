"""Pictures an investigator reads faster than a table: flows, clusters and timelines.

Layouts are layered (by hop or by time), never force-directed on big graphs; colours come
from the Okabe-Ito palette, which stays distinguishable for colour-blind readers; graphs
over ``max_nodes`` are summarised (the largest counterparties kept, the rest of each hop
merged into one "others" node) instead of drawn as a hairball. Every function returns the
matplotlib Axes and never calls ``plt.show()``.

>>> import matplotlib; matplotlib.use("Agg")
>>> from chaintrace.trace import follow_peel_chain
>>> from chaintrace.graph import build_graph
>>> case = load_case("ransom-01"); g = build_graph("course")
>>> ax = plot_flow(follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address))))
>>> ax.get_title().startswith("Peel chain")
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import load_case  # noqa: F401 (doctests)
from .formats import number_text
from .messages import language

__all__ = ["plot_flow", "plot_cluster", "plot_timeline", "OKABE_ITO", "CATEGORY_COLOURS"]

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
GREY = "#BBBBBB"
CATEGORY_COLOURS = {
    "start": OKABE_ITO["black"],
    "exchange": OKABE_ITO["blue"],
    "gambling": OKABE_ITO["reddish purple"],
    "market": OKABE_ITO["vermillion"],
    "mixer": OKABE_ITO["orange"],
    "mixing_service": OKABE_ITO["orange"],
    "coinjoin": OKABE_ITO["orange"],
    "other service": OKABE_ITO["bluish green"],
    "untagged": GREY,
    "others (merged)": OKABE_ITO["sky blue"],
}
STATUS_MARKERS = {
    "service": "D",
    "unspent": "s",
    "peel": "v",
    "merged": "P",
    "followed": "o",
    "others": "h",
}
# tag categories that name a crime rather than a business: drawn in vermillion
ILLICIT = frozenset(
    "ransomware scam market darknet_market sanction extortion sextortion phishing "
    "service_hack ponzi_scheme investment_fraud perpetrator".split()
)


def _new_axes(plt, size, left):
    """A figure with room on the right for the legend. Fixed margins, not a layout engine:
    constrained layout measures every text and doubles the drawing time."""
    fig, ax = plt.subplots(figsize=size)
    fig.subplots_adjust(left=left, right=0.80, top=0.91, bottom=0.13)
    return ax


def _colour(category: str) -> str:
    if not category:
        return CATEGORY_COLOURS["untagged"]
    if category in ILLICIT:
        return OKABE_ITO["vermillion"]
    return CATEGORY_COLOURS.get(category, CATEGORY_COLOURS["other service"])


def _short(address: str) -> str:
    return address if len(address) <= 12 else f"{address[:6]}…{address[-3:]}"


def _btc(sats: float) -> str:
    """An edge's amount, short, in the reader's number form: bitcoins to four decimals, never
    grouped (as :func:`chaintrace.btc`), or satoshis grouped in thousands when under 0.001 BTC.

    >>> from chaintrace.messages import use
    >>> _btc(123_456_789_012), _btc(12_345)
    ('1234.5679 BTC', '12,345 sat')
    >>> with use("uk"):
    ...     _btc(123_456_789_012), _btc(12_345)
    ('1234,5679 BTC', '12\xa0345 sat')
    """
    btc = sats / 1e8
    if btc < 0.001:
        return f"{number_text(int(sats), 0)} sat"
    point = "," if language() == "uk" else "."
    return f"{btc:.4f}".replace(".", point) + " BTC"


# ----------------------------------------------------------------------------- flow graph


def _flow_nodes(trace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (address at a hop) and edges (from node, to node, sats, time) of a trace."""
    h = trace.hops
    backward = trace.kind == "backward"
    own = h["from_address"] if backward else h["to_address"]
    other = h["to_address"] if backward else h["from_address"]
    nodes = pd.DataFrame(
        {
            "address": own.to_numpy(),
            "hop": h["hop"].to_numpy(),
            "sats": h["sats"].to_numpy(),
            "label": h["label"].to_numpy(),
            "category": h["category"].to_numpy(),
            "status": h["status"].to_numpy(),
            "time": h["time"].to_numpy(),
        }
    )
    nodes.loc[nodes["hop"] == nodes["hop"].min(), "category"] = nodes["category"].where(
        nodes["category"] != "", "start"
    )
    nodes = (
        nodes.groupby(["address", "hop"], sort=False)
        .agg(
            {"sats": "sum", "label": "first", "category": "first", "status": "first", "time": "min"}
        )
        .reset_index()
    )
    seen: dict[str, list[int]] = {}
    for a, hop in zip(nodes["address"], nodes["hop"], strict=True):
        seen.setdefault(a, []).append(int(hop))
    edges, starts = [], []
    for src_text, a, hop, sats, t in zip(other, own, h["hop"], h["sats"], h["time"], strict=True):
        src = str(src_text).split(" (+")[0].split(", ")[0]
        if not src:
            continue
        earlier = [x for x in seen.get(src, []) if x < hop]
        src_hop = max(earlier) if earlier else int(hop) - 1
        if not earlier:  # the other side is the start transaction's (not itself a row)
            starts.append([src, src_hop, 0, "", "start", "followed", t])
            seen.setdefault(src, []).append(src_hop)
        edges.append(((src, src_hop), (a, int(hop)), int(sats), t))
    if starts:
        extra = pd.DataFrame(starts, columns=nodes.columns).astype({"time": nodes["time"].dtype})
        nodes = pd.concat([nodes, extra], ignore_index=True)
    edge_frame = pd.DataFrame(edges, columns=["src", "dst", "sats", "time"])
    if backward:  # money flows from the funders (higher hops) towards the start
        edge_frame = edge_frame.rename(columns={"src": "dst", "dst": "src"})
    return nodes, edge_frame


def _summarise(nodes: pd.DataFrame, edges: pd.DataFrame, max_nodes: int):
    """Keep the largest nodes of each hop; merge the rest of the hop into one 'others' node."""
    if len(nodes) <= max_nodes:
        return nodes, edges, 0
    hops = nodes["hop"].nunique()
    per_hop = max(2, max_nodes // hops - 1)
    ranked = nodes.sort_values("sats", ascending=False, kind="stable")
    keep_idx = ranked.groupby("hop", sort=False).head(per_hop).index
    keep_idx = keep_idx.union(
        nodes.index[nodes["category"].isin(["start"]) | (nodes["status"] == "service")][
            : max_nodes // 4
        ]
    )
    kept, dropped = nodes.loc[keep_idx], nodes.drop(index=keep_idx)
    other = (
        dropped.groupby("hop")
        .agg(sats=("sats", "sum"), n=("address", "size"), time=("time", "min"))
        .reset_index()
    )
    other_rows = pd.DataFrame(
        {
            "address": [f"{n:,} others" for n in other["n"]],
            "hop": other["hop"],
            "sats": other["sats"],
            "label": [f"{n:,} others" for n in other["n"]],
            "category": "others (merged)",
            "status": "others",
            "time": other["time"],
        }
    )
    mapping = {
        (a, h): (f"{n:,} others", h)
        for h, n in zip(other["hop"], other["n"], strict=True)
        for a in dropped.loc[dropped["hop"] == h, "address"]
    }
    edges = edges.assign(
        src=edges["src"].map(lambda k: mapping.get(k, k)),
        dst=edges["dst"].map(lambda k: mapping.get(k, k)),
    )
    edges = (
        edges.groupby(["src", "dst"], sort=False)
        .agg(sats=("sats", "sum"), time=("time", "min"))
        .reset_index()
    )
    return pd.concat([kept, other_rows], ignore_index=True), edges, len(dropped)


def plot_flow(
    trace, *, by: str = "hop", ax=None, max_nodes: int = 150, edge_labels: int = 12, title=None
):
    """Draw a trace as a left-to-right flow: addresses by hop (or time), amounts on edges.

    Node colour is the tagged entity's category (Okabe-Ito palette), shape its status
    (diamond: a service, square: unspent, circle: moved on); the largest ``edge_labels``
    edges carry their amount and date. Over ``max_nodes`` nodes, each hop keeps its largest
    nodes and merges the rest into one "others" node.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    if by not in ("hop", "time"):
        raise ValueError(f"by must be 'hop' or 'time', not {by!r}")
    nodes, edges = _flow_nodes(trace)
    nodes, edges, merged = _summarise(nodes, edges, max_nodes)
    if ax is None:
        ax = _new_axes(plt, (9, 4.5), left=0.02)
    graph = nx.DiGraph()
    pos = {}
    for hop, layer in nodes.groupby("hop"):
        layer = layer.sort_values("sats", ascending=False, kind="stable")
        ys = np.linspace(1, -1, len(layer)) if len(layer) > 1 else [0.0]
        for rec, y in zip(layer.to_dict("records"), ys, strict=True):
            key = (rec["address"], int(hop))
            x = float(hop)
            if by == "time" and pd.notna(rec["time"]):
                x = pd.Timestamp(rec["time"]).timestamp() / 86400.0
            graph.add_node(key, **rec)
            pos[key] = (x, float(y))
    for e in edges.itertuples(index=False):
        if e.src in pos and e.dst in pos:
            graph.add_edge(e.src, e.dst, sats=e.sats, time=e.time)
    small = graph.number_of_nodes() <= 60
    widths = _widths([d["sats"] for *_, d in graph.edges(data=True)])
    nx.draw_networkx_edges(
        graph,
        pos,
        ax=ax,
        width=widths,
        edge_color="#777777",
        arrows=small,
        arrowsize=10,
        node_size=220 if small else 60,
        alpha=0.8,
    )
    for status, marker in STATUS_MARKERS.items():
        keys = [k for k, d in graph.nodes(data=True) if _status_group(d["status"]) == status]
        if keys:
            nx.draw_networkx_nodes(
                graph,
                pos,
                nodelist=keys,
                ax=ax,
                node_shape=marker,
                node_size=220 if small else 60,
                node_color=[_colour(graph.nodes[k]["category"]) for k in keys],
                edgecolors="black",
                linewidths=0.6,
            )
    _node_text(ax, graph, pos, small)
    _edge_text(ax, graph, pos, edge_labels)
    _flow_axes(ax, trace, graph, pos, by, merged, title)
    return ax


def _status_group(status: str) -> str:
    return status if status in STATUS_MARKERS else "followed"


def _widths(sats: list[int]) -> list[float]:
    if not sats:
        return []
    top = max(max(sats), 1)
    return [0.6 + 3.4 * (s / top) ** 0.5 for s in sats]


def _node_text(ax, graph, pos, small):
    shown = [
        k
        for k, d in graph.nodes(data=True)
        if small or d["label"] or d["category"] in ("start", "others (merged)")
    ]
    named = set()
    for k in shown[:60]:
        d = graph.nodes[k]
        text = d["label"] or _short(k[0])
        if d["label"] and not small and (text, k[1]) in named:
            continue  # one name per service per hop is enough on a big graph
        named.add((text, k[1]))
        up = 9 if pos[k][1] >= 0 else -13  # upper half: name above; lower half: below
        ax.annotate(
            text, pos[k], xytext=(0, up), textcoords="offset points", ha="center",
            fontsize=8 if small else 7, fontweight="bold" if d["label"] else "normal",
            clip_on=True,
        )  # fmt: skip


def _edge_text(ax, graph, pos, limit):
    edges = sorted(graph.edges(data=True), key=lambda e: -e[2]["sats"])[:limit]
    for u, v, d in edges:
        (x0, y0), (x1, y1) = pos[u], pos[v]
        when = pd.Timestamp(d["time"]).strftime("%m-%d %H:%M") if pd.notna(d["time"]) else ""
        ax.annotate(
            f"{_btc(d['sats'])}\n{when}",
            ((x0 + x1) / 2, (y0 + y1) / 2),
            xytext=(0, -3),  # just under the edge: names sit above the nodes
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
            color="#333333",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )


def _flow_axes(ax, trace, graph, pos, by, merged, title):
    from matplotlib.lines import Line2D

    kind = {
        "peel chain": "Peel chain",
        "forward": "Forward trace",
        "backward": "Backward trace",
        "paths": "Paths",
    }.get(trace.kind, trace.kind)
    note = f" ({merged:,} smaller addresses merged)" if merged else ""
    ax.set_title(title or f"{kind} from {_short(trace.start.split(' ', 1)[-1])}{note}", fontsize=10)
    xs = sorted({p[0] for p in pos.values()})
    if by == "hop" and xs:
        ax.set_xticks(xs, [f"hop {int(x)}" if x >= 0 else "paid by" for x in xs], fontsize=8)
    elif xs:
        ticks = np.linspace(min(xs), max(xs), min(6, len(xs)))
        ax.set_xticks(
            ticks,
            [pd.Timestamp(t * 86400, unit="s").strftime("%m-%d %H:%M") for t in ticks],
            fontsize=7,
        )
        ax.set_xlabel("time (UTC)", fontsize=8)
    ax.tick_params(left=False, labelleft=False, bottom=True, labelbottom=True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    cats = dict.fromkeys(d["category"] or "untagged" for _, d in graph.nodes(data=True))
    # Colour and shape say different things; a heading over each half of the legend says which.
    handles = [_legend_heading("colour: tag"), *_category_handles(cats)]
    stats = dict.fromkeys(_status_group(d["status"]) for _, d in graph.nodes(data=True))
    names = {
        "service": "reached a service",
        "unspent": "unspent (at rest)",
        "followed": "moved on",
        "peel": "peeled off",
        "merged": "merged with other coins",
        "others": "merged small ones",
    }
    handles += [_legend_heading("shape: next step")]
    handles += [
        Line2D(
            [],
            [],
            marker=STATUS_MARKERS[s],
            ls="",
            markerfacecolor="none",  # hollow: any colour can have this shape
            markeredgecolor="black",
            label=names[s],
        )
        for s in stats
    ]
    ax.legend(
        handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
    )
    ax.margins(x=0.08, y=0.12)


# ----------------------------------------------------------------------------- cluster graph


def plot_cluster(
    addresses,
    transactions=None,
    *,
    dataset="course",
    tags=None,
    ax=None,
    max_nodes: int = 150,
    title=None,
):
    """Draw addresses linked by the transactions that spend them together (co-spends).

    ``addresses`` is a list of addresses (or an object with an ``addresses`` attribute, such
    as a cluster); ``transactions`` the txids linking them (default: every transaction that
    spends from two or more of them). Addresses are circles coloured by tag, transactions
    small grey squares. Over ``max_nodes`` the best-connected addresses are kept.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from chaintrace.graph import build_graph
    >>> g = build_graph("course"); case = load_case("cluster-01")
    >>> t = g.tx_id(case.payment_txid)
    >>> ax = plot_cluster([case.suspect_address])
    >>> "1 address" in ax.get_title()
    True
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    from .graph import build_graph
    from .trace import _services

    addrs = list(dict.fromkeys(getattr(addresses, "addresses", addresses)))
    g = build_graph(dataset)
    services = _services(g, tags, frozenset())
    ids = {g.addr_id(a): a for a in addrs}
    links = _co_spends(g, ids, transactions)
    graph = nx.Graph()
    for a_id, a in ids.items():
        label, category = services.label(a_id)
        graph.add_node(a, kind="address", label=label, category=category)
    for txid, members in links.items():
        graph.add_node(txid, kind="tx", label="", category="")
        for a in members:
            graph.add_edge(txid, a)
    dropped = 0
    if graph.number_of_nodes() > max_nodes:
        keep = sorted(graph.nodes, key=lambda n: -graph.degree(n))[:max_nodes]
        dropped = graph.number_of_nodes() - len(keep)
        graph = graph.subgraph(keep).copy()
    if ax is None:
        ax = _new_axes(plt, (8, 4.5), left=0.02)
    pos = (
        nx.spring_layout(graph, seed=7, k=1.5 / max(graph.number_of_nodes(), 1) ** 0.5)
        if graph.number_of_nodes() > 1
        else {n: (0, 0) for n in graph}
    )
    addr_nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == "address"]
    tx_nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == "tx"]
    nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#999999", width=0.8)
    nx.draw_networkx_nodes(
        graph, pos, nodelist=tx_nodes, node_shape="s", node_size=30, node_color="#666666", ax=ax
    )
    nx.draw_networkx_nodes(
        graph,
        pos,
        nodelist=addr_nodes,
        node_size=160,
        node_color=[_colour(graph.nodes[n]["category"]) for n in addr_nodes],
        edgecolors="black",
        linewidths=0.6,
        ax=ax,
    )
    for n in addr_nodes[:40]:
        d = graph.nodes[n]
        ax.annotate(
            d["label"] or _short(n),
            pos[n],
            xytext=(0, 8),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    _cluster_legend(ax, graph, addr_nodes)
    more = f", {dropped:,} nodes not drawn" if dropped else ""
    n_a = len(ids)
    ax.set_title(
        title
        or f"Cluster of {n_a} address{'es' if n_a != 1 else ''} linked by {len(links)} co-spend transaction{'s' if len(links) != 1 else ''}{more}",
        fontsize=10,
    )
    ax.axis("off")
    return ax


def _co_spends(g, ids: dict[int, str], transactions) -> dict[str, list[str]]:
    """txid -> the given addresses it spends from together."""
    members = np.zeros(len(g.addresses), bool)
    members[list(ids)] = True
    if transactions is not None:
        txs = [g.tx_id(t) for t in transactions]
    else:
        outs = np.concatenate([g.outputs_of_address(a) for a in ids] or [np.empty(0, np.int64)])
        txs = np.unique(g.out_spent_tx[outs][g.out_spent_tx[outs] >= 0]).tolist()
    links = {}
    for t in txs:
        addr = np.unique(g.out_addr[g.inputs_of(t)])
        inside = [ids[a] for a in addr.tolist() if a >= 0 and members[a]]
        if len(inside) >= (1 if transactions is not None else 2):
            links[str(g.txids[t])] = inside
    return links


def _legend_heading(text: str):
    """A legend line without a marker: the heading of a group of entries."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="", marker="", label=text)


def _category_handles(categories) -> list:
    """One legend marker per entity category, in the plot's colours."""
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [], [], marker="o", ls="", color=_colour("" if c == "untagged" else c),
            markeredgecolor="black", label=c,
        )
        for c in categories
    ]  # fmt: skip


def _cluster_legend(ax, graph, addr_nodes):
    from matplotlib.lines import Line2D

    cats = dict.fromkeys(graph.nodes[n]["category"] or "untagged" for n in addr_nodes)
    handles = _category_handles(cats)
    handles.append(Line2D([], [], marker="s", ls="", color="#666666", label="co-spend transaction"))
    ax.legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
    )


# ----------------------------------------------------------------------------- timeline


def plot_timeline(trace, *, ax=None, title=None):
    """When each hop happened and how much moved: time across, amount (log scale) up.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from chaintrace.trace import trace_forward
    >>> ax = plot_timeline(trace_forward(load_case("ransom-01").payment_txid, hops=4))
    >>> ax.get_ylabel()
    'amount (BTC, log scale)'
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    h = trace.hops
    if ax is None:
        ax = _new_axes(plt, (9, 4), left=0.09)
        ax.figure.subplots_adjust(bottom=0.2)  # room for two-line dates
    times = pd.to_datetime(h["time"]).dt.tz_convert("UTC").dt.tz_localize(None)
    btc = np.maximum(h["sats"].to_numpy() / 1e8, 1e-8)
    for status, marker in STATUS_MARKERS.items():
        sel = h["status"].map(_status_group).to_numpy() == status
        if sel.any():
            ax.scatter(
                times[sel],
                btc[sel],
                marker=marker,
                s=40,
                c=[_colour(c) for c in h.loc[sel, "category"]],
                edgecolors="black",
                linewidths=0.5,
                zorder=3,
            )
    if trace.kind == "peel chain":
        main = (
            h["status"].isin(["followed", "service", "unspent", "merged", "hop limit"]).to_numpy()
        )
        ax.plot(times[main], btc[main], color="#555555", lw=1, zorder=2, label="remainder")
    for i in np.nonzero((h["label"] != "").to_numpy())[0][:15]:
        ax.annotate(
            h["label"].iloc[i],
            (mdates.date2num(times.iloc[i]), btc[i]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_yscale("log")
    ax.set_ylabel("amount (BTC, log scale)")
    ax.set_xlabel("time (UTC)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d\n%H:%M"))
    ax.grid(True, which="major", alpha=0.3)
    cats = dict.fromkeys(c or "untagged" for c in h["category"])
    handles = _category_handles(cats)
    ax.legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
    )
    kind = trace.kind.capitalize()
    ax.set_title(
        title or f"{kind} from {_short(trace.start.split(' ', 1)[-1])}: {len(h)} outputs over time",
        fontsize=10,
    )
    return ax
