"""Follow funds forward or backward, along a peel chain, or between two addresses.

Every link in a trace says how it is known: an output *spent by* a transaction is a fact of
the chain ("certain"); that the larger output of a peel-chain step is the sender's remainder
is a heuristic ("likely"). Traces stop at services (addresses a TagPack tags as exchanges,
markets, mixers...), because funds entering a service mix with everyone else's: the next
step there is a production order, not more tracing.

>>> case = load_case("ransom-01")
>>> g = build_graph("course")
>>> start = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
>>> peel = follow_peel_chain(start)
>>> peel.endpoints().iloc[-1]["status"] in ("service", "merged")  # a deposit, then a sweep
True
>>> fwd = trace_forward(case.payment_txid, hops=3, min_sats=100_000)
>>> int(fwd.hops["hop"].max()) <= 3
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import load_case  # noqa: F401 (doctests)
from .formats import number_text
from .graph import TxGraph, build_graph, unique_ids
from .messages import language, translate, use
from .units import btc

__all__ = [
    "Trace",
    "trace_forward",
    "trace_backward",
    "follow_peel_chain",
    "paths_between",
    "simple_forward",
    "SERVICE_CATEGORIES",
]

# Tag categories where funds join a pool whose owner keeps customer records (or at least
# mixes them with others'): tracing stops there.
SERVICE_CATEGORIES = frozenset(
    "exchange market mixer mixing_service coinjoin gambling payment_processor wallet_service "
    "miner mining_service atm shop hosting vpn escrow_wallet defi_bridge defi_dex".split()
)

SPENT_BY = ("spent-by link (certain)", "certain")
START = ("start (given)", "certain")
PEEL_REMAINDER = ("peel-chain remainder (heuristic: larger output)", "likely")
PEEL_PAYMENT = ("peel: smaller output paid out of the chain (certain)", "certain")
ONLY_OUTPUT = ("single output: all funds moved on (certain)", "certain")
SPLIT = ("even split: no remainder to follow", "certain")
FUNDED_BY = ("funded-by link: input of the transaction (certain)", "certain")
PATH = ("spent-by link on a shortest path (certain)", "certain")

# status of each row; the ones in ENDPOINTS are where funds came to rest (or the trace stopped)
ENDPOINTS = (
    "unspent",
    "service",
    "hop limit",
    "burned",
    "merged",
    "even split",
    "peel",
    "coinbase",
    "limit",
    "target",
    "not fetched",
)


# ----------------------------------------------------------------------------- services


class _Services:
    """Tagged addresses of one graph: label, category, confidence per address id."""

    def __init__(self, graph: TxGraph, tags, categories):
        self.is_service = np.zeros(len(graph.addresses), bool)
        self.info: dict[int, tuple[str, str, int]] = {}
        if tags is None:
            return
        frame = tags.frame() if hasattr(tags, "frame") else pd.DataFrame(tags)
        frame = frame.sort_values("confidence_score", ascending=False, kind="stable")
        for row in frame.itertuples(index=False):
            try:
                a = graph.addr_id(row.address)
            except LookupError:
                continue  # tagged but never paid in this dataset
            if a not in self.info:
                self.info[a] = (str(row.label), str(row.category or ""), int(row.confidence_score))
                self.is_service[a] = str(row.category or "") in categories

    def label(self, a: int) -> tuple[str, str]:
        label, category, _ = self.info.get(int(a), ("", "", 0))
        return label, category


def _services(graph: TxGraph, tags, categories) -> _Services:
    """Services of ``graph``; ``tags`` None means the graph's dataset's own ``tags.yaml``.

    Cached on the graph itself, so it goes when the graph goes (a TagPack passed in is keyed
    by identity: pass the same object to reuse the work).
    """
    cache = graph.__dict__.setdefault("_services", {})
    categories = frozenset(categories)
    if tags is None and graph.dataset is not None and graph.dataset.tags_path.is_file():
        key = ("dataset", categories)
        if key not in cache:
            from .tags import load_tagpack

            pack = load_tagpack(graph.dataset.tags_path, strict=False)
            cache[key] = _Services(graph, pack, categories)
        return cache[key]
    key = (id(tags), categories)
    if key not in cache or cache[key][0] is not tags:
        cache[key] = (tags, _Services(graph, tags, categories))
    return cache[key][1]


# ----------------------------------------------------------------------------- the result


class Trace:
    """The result of a trace: which outputs funds moved through, how each link is known, and
    where the funds came to rest.

    ``hops`` is a DataFrame, one row per output reached: ``hop``, ``txid`` (the transaction on
    the link), ``from_address``, ``to_address``, ``output`` (``txid:vout`` carrying the
    amount), ``vout``, ``sats``, ``btc``, ``time`` (UTC), ``height``, ``label``/``category``
    (of the address the funds reached), ``method``, ``confidence`` and ``status`` (``followed``,
    ``unspent``, ``service``, ``hop limit``, ``peel``...). :meth:`endpoints` lists where funds
    came to rest; :meth:`summary` says it in words.
    """

    def __init__(self, graph, kind, start, rows, status, hop, method, params, services, link_tx):
        self.graph, self.kind, self.start, self.params = graph, kind, start, dict(params)
        self._out = np.asarray(rows, np.int64)
        self._status = np.asarray(status, dtype=object)
        self._hop = np.asarray(hop, np.int64)
        self._method = method  # a list of (method, confidence), or _Methods for big traces
        self._services = services
        self._link_tx = np.asarray(link_tx, np.int64)
        self.notes: list[str] = []
        self._frame = None

    # ------------------------------------------------------------------ tables
    @property
    def dataset_name(self) -> str:
        return self.graph.name

    @property
    def hops(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._build_frame()
        return self._frame

    def frame(self) -> pd.DataFrame:
        """A copy of :attr:`hops` (safe to edit)."""
        return self.hops.copy()

    def __len__(self) -> int:
        return len(self._out)

    def _build_frame(self) -> pd.DataFrame:
        g, o = self.graph, self._out
        addr = g.out_addr[o] if len(o) else np.empty(0, np.int64)
        own = [g.addresses[a] if a >= 0 else "" for a in addr]
        labels = [self._services.label(a) if a >= 0 else ("", "") for a in addr]
        link = self._link_tx
        linked = {}  # the other side of each link, from the traced outputs on it
        backward = self.kind == "backward"
        traced = set(o.tolist())
        for t in np.unique(link[link >= 0]).tolist():
            side = g.outputs_of(t) if backward else g.inputs_of(t)
            on_trace = [x for x in side.tolist() if x in traced]
            linked[t] = _join([own_addr(g, x) for x in (on_trace or side)])  # start: all of them
        other = [linked.get(int(t), "") for t in link]
        times = g.tx_time[np.maximum(link, 0)]
        times = np.where(link >= 0, times, g.tx_time[g.out_tx[o]] if len(o) else times)
        frame = pd.DataFrame(
            {
                "hop": self._hop,
                "txid": [g.txids[t] if t >= 0 else "" for t in link],
                "from_address": own if backward else other,
                "to_address": other if backward else own,
                "output": [g.out_label(x) for x in o],
                "vout": g.out_vout[o].astype(np.int64) if len(o) else np.empty(0, np.int64),
                "sats": g.out_value[o] if len(o) else np.empty(0, np.int64),
                "btc": (g.out_value[o] / 1e8) if len(o) else np.empty(0),
                "time": pd.to_datetime(times, unit="s", utc=True),
                "height": g.tx_height[np.maximum(link, 0)] if len(o) else np.empty(0, np.int64),
                "label": [x[0] for x in labels],
                "category": [x[1] for x in labels],
                "method": _method_column(self._method, 0),
                "confidence": _method_column(self._method, 1),
                "status": self._status,
            }
        )
        return frame

    def endpoints(self) -> pd.DataFrame:
        """Where the funds came to rest or the trace stopped, with amounts, largest first."""
        frame = self.hops
        ends = frame[frame["status"].isin(ENDPOINTS)]
        cols = ["status", "address", "label", "category", "sats", "btc", "output", "hop", "time"]
        out = ends.assign(address=ends["from_address" if self.kind == "backward" else "to_address"])
        if self.kind == "peel chain":
            return out[cols].reset_index(drop=True)  # chain order tells the story
        return out[cols].sort_values("sats", ascending=False, kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ words
    def summary(self, lang: str | None = None) -> str:
        """What the trace found, in plain words, in ``lang`` (default: the reader's language,
        :func:`chaintrace.messages.language`; numbers and bitcoins written as it writes them).
        An exhibit file asks for ``"en"``: its bytes are hashed and must not depend on the
        language of whoever exports it.

        >>> t = trace_forward(load_case("ransom-01").payment_txid, hops=1)
        >>> t.summary("en")[:40]
        'Forward trace from transaction 62dd9de36'
        >>> t.summary("uk")[:40]
        'Відстеження вперед від транзакції 62dd9d'
        """
        with use(lang or language()):
            return " ".join(self._summary_parts())

    def _summary_parts(self) -> list[str]:
        frame = self.hops
        n_tx = frame.loc[frame["txid"] != "", "txid"].nunique()
        # words of their own, translated before they fill a sentence (side by side, as fields
        # they could not be told apart)
        what = translate(_KIND_WORDS.get(self.kind, f"{self.kind.capitalize()} trace"))
        name, outputs = self.dataset_name, len(frame)
        last_hop = int(frame["hop"].max()) if len(frame) else 0
        noun, _, start = self.start.partition(" ")  # "transaction <txid>", "output <txid:n>", ...
        if self.kind == "paths" and " to " in start:
            a, b = start.split(" to ", 1)
            head = translate(
                f"{what} from address {a} to {b} in dataset {name!r}: {outputs} outputs in "
                f"{n_tx} transactions, up to hop {last_hop}"
            )
        else:
            source = translate(_FROM.get(noun, f"from {noun}"))
            head = translate(
                f"{what} {source} {start} in dataset {name!r}: {outputs} outputs in "
                f"{n_tx} transactions, up to hop {last_hop}"
            )
        if self.params.get("min_sats"):
            min_sats = number_text(self.params["min_sats"], 0)
            head += translate(f", ignoring outputs under {min_sats} sats")
        parts = [head + "."]
        for status, group in self.endpoints().groupby("status", sort=False):
            words, count = _STATUS_WORDS.get(status, status), len(group)
            amount = btc(int(group["sats"].sum()))
            named = group[group["label"] != ""].groupby("label")["sats"].sum()
            names = ", ".join(f"{k} {btc(int(v))}" for k, v in named.nlargest(4).items())
            parts.append(
                translate(f"{words}: {count} output(s), {amount} ({names}).")
                if names
                else translate(f"{words}: {count} output(s), {amount}.")
            )
        methods = "; ".join(translate(m) for m in frame["method"].unique().tolist())
        parts.append(translate(f"Links: {methods}."))
        parts.extend(translate(note) for note in self.notes)
        return parts

    def __repr__(self) -> str:
        return f"<Trace {self.kind} from {self.start}: {len(self)} outputs>"

    def _repr_html_(self) -> str:
        from html import escape

        ends = self.endpoints().drop(columns=["time"]).head(15)
        shown = self.hops.drop(columns=["from_address", "vout"]).head(20)
        more = (
            f"<p>… {len(self.hops) - 20} more rows in <code>.hops</code></p>"
            if len(self) > 20
            else ""
        )
        return (
            f"<p>{escape(self.summary())}</p><h4>Where the funds came to rest</h4>"
            f"{ends.to_html(index=False)}<h4>Hops</h4>{shown.to_html(index=False)}{more}"
        )


_KIND_WORDS = {  # what summary() calls each kind of trace (its own words: they are translated)
    "forward": "Forward trace",
    "backward": "Backward trace",
    "paths": "Paths trace",
    "peel chain": "Peel chain trace",
}

_FROM = {  # where a trace starts, as summary() says it
    "transaction": "from transaction",
    "address": "from address",
    "output": "from output",
}

_STATUS_WORDS = {
    "unspent": "Unspent (funds at rest)",
    "service": "Reached a service (ask it who the customer is)",
    "hop limit": "Still moving at the hop limit",
    "burned": "Burned in OP_RETURN",
    "merged": "Merged with other coins",
    "even split": "Split evenly (no remainder to follow)",
    "peel": "Peeled off the chain",
    "coinbase": "Newly mined (coinbase)",
    "limit": "Not followed (row limit reached)",
    "target": "Reached the target address",
    "not fetched": "Moved on in a transaction not fetched (fetch it to follow)",
}


class _Methods:
    """Method and confidence of many rows as a code per row into a small table (no lists)."""

    def __init__(self, codes, table):
        self.codes, self.table = np.asarray(codes, np.int64), table


def _method_column(method, i: int):
    if isinstance(method, _Methods):
        return np.asarray([m[i] for m in method.table], dtype=object)[method.codes]
    return [m[i] for m in method]


def own_addr(g: TxGraph, o: int) -> str:
    return g.out_addr_text(int(o))


def _join(names: list[str], most: int = 2) -> str:
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" (+{len(names) - most} more)"


# ----------------------------------------------------------------------------- starts


def _resolve_start(g: TxGraph, start, direction: str) -> tuple[np.ndarray, int, str]:
    """Output ids of hop 0 (or hop 1 for a txid), the first hop number, and a description."""
    text = str(start).strip()
    if ":" in text:
        return np.array([g.parse_output(text)]), 0, f"output {text}"
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        t = g.tx_id(text)
        outs = g.outputs_of(t) if direction == "forward" else g.inputs_of(t)
        return np.asarray(outs, np.int64), 1, f"transaction {text}"
    a = g.addr_id(text)
    return g.outputs_of_address(a), 0, f"address {text}"


def _check_hops(hops) -> int:
    if not isinstance(hops, (int, np.integer)) or isinstance(hops, bool) or hops < 0:
        raise ValueError(f"hops must be a whole number >= 0, got {hops!r}; try hops=5")
    return int(hops)


# ----------------------------------------------------------------------------- forward / back


def trace_forward(
    start,
    hops: int = 5,
    *,
    min_sats: int = 0,
    stop_at_services: bool = True,
    dataset="course",
    tags=None,
    categories=SERVICE_CATEGORIES,
    max_outputs: int = 100_000,
) -> Trace:
    """Follow funds forward from a txid, an output (``"txid:vout"``) or an address.

    Each hop follows every output to the transaction that spent it and lists that
    transaction's outputs. Outputs under ``min_sats`` are ignored (neither listed nor
    followed). An output paying a service (tag category in ``categories``) is a stop: the
    funds reached a business that can be asked who its customer is. ``tags`` defaults to the
    dataset's own ``tags.yaml``; ``max_outputs`` bounds the work on a busy graph.

    >>> case = load_case("ransom-01")
    >>> t = trace_forward(case.payment_txid, hops=2)
    >>> sorted(t.hops["hop"].unique().tolist())
    [1, 2]
    >>> t.hops["confidence"].unique().tolist()
    ['certain']
    """
    return _directed(
        "forward", SPENT_BY, start, hops, min_sats, stop_at_services, dataset, tags,
        categories, max_outputs,
    )  # fmt: skip


def trace_backward(
    start,
    hops: int = 5,
    *,
    min_sats: int = 0,
    stop_at_services: bool = True,
    dataset="course",
    tags=None,
    categories=SERVICE_CATEGORIES,
    max_outputs: int = 100_000,
) -> Trace:
    """Follow funds backward: which outputs paid for a txid, an output or an address.

    Each hop goes from an output to the transaction that created it and lists the outputs
    that transaction spent. Stops at coinbase transactions (newly mined coins) and at
    services (the funds were withdrawn from a business that knows its customer).

    >>> case = load_case("ransom-01")
    >>> t = trace_backward(case.payment_txid, hops=1)
    >>> bool((t.hops["to_address"] != "").all()), t.hops["hop"].unique().tolist()
    (True, [1])
    """
    return _directed(
        "backward", FUNDED_BY, start, hops, min_sats, stop_at_services, dataset, tags,
        categories, max_outputs,
    )  # fmt: skip


def _directed(
    direction, link_method, start, hops, min_sats, stop_at_services, dataset, tags,
    categories, max_outputs,
) -> Trace:  # fmt: skip
    """The body both trace directions share: resolve the start, walk, wrap as a Trace."""
    g = build_graph(dataset)
    hops = _check_hops(hops)
    services = _services(g, tags, categories)
    first, h0, where = _resolve_start(g, start, direction)
    rows, hop, status, link = _bfs(
        g, first, h0, hops, min_sats, services, stop_at_services, max_outputs, direction
    )
    method = _Methods(hop > 0, (START, link_method))
    params = _params(locals())
    trace = Trace(g, direction, where, rows, status, hop, method, params, services, link)
    _note_limits(trace, status, max_outputs)
    return trace


def _params(scope: dict) -> dict:
    keys = ("hops", "min_sats", "stop_at_services", "max_outputs")
    return {k: scope[k] for k in keys if k in scope}


def _note_limits(trace: Trace, status, max_outputs) -> None:
    if np.any(np.asarray(status) == "limit"):
        trace.notes.append(
            f"Stopped after {max_outputs:,} outputs: raise max_outputs, min_sats or lower hops."
        )


def _bfs(g, first, h0, hops, min_sats, services, stop, max_outputs, direction):
    """Vectorised breadth-first walk over the CSR arrays; returns rows, hop, status, link tx."""
    forward = direction == "forward"
    first = first[g.out_value[first] >= min_sats]
    seen = np.zeros(g.n_out, bool)
    seen[first] = True
    # the link transaction of hop-0 rows is the one that created them (forward) or spent them
    link0 = g.out_tx[first] if forward else g.out_spent_tx[first]
    if h0 == 1 and not forward:
        link0 = g.out_spent_tx[first]
    out_parts, hop_parts, link_parts = [first], [np.full(len(first), h0)], [link0]
    frontier, total = first, len(first)
    for h in range(h0 + 1, hops + 1):
        movable = _movable(g, frontier, services, stop, forward, at_start=(h == h0 + 1 and h0 == 0))
        if forward:
            txs = unique_ids(g.out_spent_tx[movable], g.n_tx)
            new = g.outputs_of_txs(txs)
        else:
            txs = unique_ids(g.out_tx[movable], g.n_tx)
            new = g.inputs_of_txs(txs)
        new = new[(g.out_value[new] >= min_sats) & ~seen[new]]  # distinct txs: distinct outputs
        if total + len(new) > max_outputs:
            new = new[: max(max_outputs - total, 0)]
        seen[new] = True
        total += len(new)
        out_parts.append(new)
        hop_parts.append(np.full(len(new), h))
        link_parts.append(g.out_tx[new] if forward else g.out_spent_tx[new])
        frontier = new
        if not len(new):
            break
    rows = np.concatenate(out_parts)
    hop = np.concatenate(hop_parts)
    link = np.concatenate(link_parts)
    status = _status(g, rows, hop, hops, services, stop, forward, total >= max_outputs, h0)
    return rows, hop, status, link


def _movable(g, outs, services, stop, forward, at_start):
    """The outputs a walk may go on from (not at a service, spent / not coinbase)."""
    if forward:
        ok = g.out_spent_tx[outs] >= 0
    else:  # an outside output (transactions handed in) has no transaction to go back to
        made_by = g.out_tx[outs]
        ok = (made_by >= 0) & ~g.tx_coinbase[np.maximum(made_by, 0)]
    if stop and not at_start:
        addr = g.out_addr[outs]
        ok &= ~((addr >= 0) & services.is_service[np.maximum(addr, 0)])
    return outs[ok]


def _status(g, rows, hop, hops, services, stop, forward, limited, h0):
    addr = g.out_addr[rows]
    is_service = (addr >= 0) & services.is_service[np.maximum(addr, 0)] & (hop > 0) & stop
    status = np.full(len(rows), "followed", dtype=object)
    if forward:
        end = g.out_spent_tx[rows] < 0
        status[end] = "unspent"
        status[end & (addr < 0)] = "burned"
        if g.out_spent_outside is not None:  # spent by a transaction that was not handed in
            status[end & g.out_spent_outside[rows]] = "not fetched"
    else:
        made_by = g.out_tx[rows]
        status[g.tx_coinbase[np.maximum(made_by, 0)] & (made_by >= 0)] = "coinbase"
        status[made_by < 0] = "not fetched"
    status[is_service] = "service"
    at_limit = (hop == hops) & (status == "followed")
    status[at_limit] = "hop limit"
    if limited:
        status[(hop == hop.max()) & (status == "followed")] = "limit"
    # an output whose successors were all below the threshold still counts as followed
    return status


# ----------------------------------------------------------------------------- peel chains


def follow_peel_chain(
    start,
    vout: int | None = None,
    *,
    max_hops: int = 500,
    even_split: float = 0.1,
    min_sats: int = 0,
    dataset="course",
    tags=None,
    categories=SERVICE_CATEGORIES,
) -> Trace:
    """Follow the larger ("remainder") output hop by hop until the chain ends.

    ``start`` is ``"txid:vout"`` (or a txid with ``vout``). At each step the transaction
    spending the current output pays out one or more smaller outputs (the *peels*, listed with
    status ``peel``) and keeps the largest as the remainder. The chain ends at a service, an
    unspent output, a transaction with other inputs (``merged``: the funds mix with other
    coins), or one whose two largest outputs are within ``even_split`` (10%) of each other
    (no remainder to tell apart). A one-output transaction moves everything on (certain).

    >>> case = load_case("ransom-01")
    >>> g = build_graph("course")
    >>> t = follow_peel_chain(g.out_label(g.find_output(case.payment_txid, case.ransom_address)))
    >>> int((t.hops["status"] == "peel").sum()) >= 5
    True
    """
    g = build_graph(dataset)
    services = _services(g, tags, categories)
    o = g.output_id(start, vout) if vout is not None else g.parse_output(start)
    rows, status, hops, methods, links = [o], ["followed"], [0], [START], [int(g.out_tx[o])]
    for h in range(1, max_hops + 1):
        reason, t = _chain_stop(g, o, services, h)
        if reason:
            status[rows.index(o)] = reason
            break
        outs = [x for x in g.outputs_of(t).tolist() if g.out_value[x] >= min_sats]
        outs.sort(key=lambda x: (-int(g.out_value[x]), x))
        if not outs:
            status[rows.index(o)] = "burned"
            break
        if len(outs) > 1 and g.out_value[outs[1]] >= (1 - even_split) * g.out_value[outs[0]]:
            for x in outs:
                rows.append(x), status.append("even split"), hops.append(h)
                methods.append(SPLIT), links.append(t)
            status[rows.index(o)] = "followed"
            break
        remainder, peels = outs[0], outs[1:]
        rows.append(remainder), hops.append(h), links.append(t), status.append("followed")
        methods.append(ONLY_OUTPUT if not peels else PEEL_REMAINDER)
        for x in peels:
            rows.append(x), status.append("peel"), hops.append(h)
            methods.append(PEEL_PAYMENT), links.append(t)
        o = remainder
    else:
        status[rows.index(o)] = "hop limit"
    params = {"max_hops": max_hops, "even_split": even_split, "min_sats": min_sats}
    trace = Trace(
        g,
        "peel chain",
        f"output {g.out_label(rows[0])}",
        rows,
        status,
        hops,
        methods,
        params,
        services,
        links,
    )
    return trace


def _chain_stop(g: TxGraph, o: int, services: _Services, h: int) -> tuple[str, int]:
    a = int(g.out_addr[o])
    if h > 1 and a >= 0 and services.is_service[a]:
        return "service", -1
    t = int(g.out_spent_tx[o])
    if t < 0 and g.out_spent_outside is not None and g.out_spent_outside[o]:
        return "not fetched", -1
    if t < 0:
        return ("unspent" if a >= 0 else "burned"), -1
    if len(g.inputs_of(t)) > 1:
        return "merged", t
    return "", t


# ----------------------------------------------------------------------------- paths


def paths_between(
    addr_a: str,
    addr_b: str,
    max_hops: int = 6,
    *,
    max_paths: int = 10,
    min_sats: int = 0,
    stop_at_services: bool = True,
    dataset="course",
    tags=None,
    categories=SERVICE_CATEGORIES,
) -> Trace:
    """The shortest money paths (fewest hops) from ``addr_a`` to ``addr_b``, as one trace.

    Walks forward from every output paying ``addr_a``; the first hop at which an output pays
    ``addr_b`` gives the shortest paths (at most ``max_paths`` of them). Each row carries a
    ``path`` number; the last row of each path has status ``target``. An empty trace means
    no path within ``max_hops`` (raise it, or pass ``stop_at_services=False`` to go through
    services, where links stop meaning ownership).

    >>> case = load_case("ransom-01")
    >>> p = paths_between(case.victim_address, case.ransom_address, max_hops=2)
    >>> p.hops.iloc[-1]["to_address"] == case.ransom_address
    True
    """
    g = build_graph(dataset)
    max_hops = _check_hops(max_hops)
    services = _services(g, tags, categories)
    src, dst = g.addr_id(addr_a), g.addr_id(addr_b)
    first = g.outputs_of_address(src)
    first = first[g.out_value[first] >= min_sats]
    parent = np.full(g.n_out, -2, np.int64)  # -2 unseen, -1 a start
    parent[first] = -1
    frontier, hits = first, np.empty(0, np.int64)
    for _h in range(1, max_hops + 1):
        movable = _movable(g, frontier, services, stop_at_services, True, at_start=(_h == 1))
        spend = g.out_spent_tx[movable]
        order = np.argsort(spend, kind="stable")
        spend, movable = spend[order], movable[order]
        txs, first_in = np.unique(spend, return_index=True)
        new = g.outputs_of_txs(txs)
        new = new[(g.out_value[new] >= min_sats) & (parent[new] == -2)]
        parent[new] = movable[first_in[np.searchsorted(txs, g.out_tx[new])]]
        hits = new[g.out_addr[new] == dst]
        if len(hits) or not len(new):
            break
        frontier = new
    return _path_trace(g, hits[:max_paths], parent, services, addr_a, addr_b, max_hops, min_sats)


def _path_trace(g, hits, parent, services, addr_a, addr_b, max_hops, min_sats):
    rows, status, hops, links, paths = [], [], [], [], []
    for n, o in enumerate(hits.tolist(), 1):
        chain = [o]
        while parent[chain[-1]] >= 0:
            chain.append(int(parent[chain[-1]]))
        chain.reverse()
        for h, x in enumerate(chain):
            rows.append(x), hops.append(h), paths.append(n)
            links.append(int(g.out_tx[x]))
            status.append("target" if x == o else "followed")
    method = [START if h == 0 else PATH for h in hops]
    params = {"max_hops": max_hops, "min_sats": min_sats}
    trace = Trace(
        g,
        "paths",
        f"address {addr_a} to {addr_b}",
        rows,
        status,
        hops,
        method,
        params,
        services,
        links,
    )
    trace.hops.insert(0, "path", np.asarray(paths, np.int64))
    if not rows:
        trace.notes.append(f"No path within {max_hops} hops.")
    return trace


# ----------------------------------------------------------------------------- lesson version


def simple_forward(dataset, start: str, hops: int, min_sats: int = 0) -> dict[str, int]:
    """The forward trace in plain Python over dicts: what a lesson shows first.

    Returns ``{"txid:vout": hop}`` for every output reached, like :func:`trace_forward` with
    ``stop_at_services=False`` (the fast version walks the same graph as numpy arrays; the
    tests check that both give the same answer).

    >>> case = load_case("ransom-01")
    >>> slow = simple_forward("course", case.payment_txid, hops=3)
    >>> fast = trace_forward(case.payment_txid, hops=3, stop_at_services=False)
    >>> slow == dict(zip(fast.hops["output"], fast.hops["hop"]))
    True
    """
    from .dataset import as_dataset

    ds = as_dataset(dataset)
    outs = ds.outputs
    spent_by, tx_outputs, paid_to = {}, {}, {}
    for txid, vout, value, spent, address in zip(
        outs["txid"], outs["vout"], outs["value"], outs["spent_txid"], outs["address"], strict=True
    ):
        key = f"{txid}:{vout}"
        tx_outputs.setdefault(txid, []).append((key, int(value)))
        paid_to.setdefault(address, []).append((key, int(value)))
        if isinstance(spent, str):
            spent_by[key] = spent
    if ":" in start:
        reached, first_hop = {start: 0}, 1
        frontier = [start]
    elif start not in tx_outputs:  # an address: hop 0 is every output paying it
        first = [k for k, v in paid_to.get(start, []) if v >= min_sats]
        reached, frontier, first_hop = dict.fromkeys(first, 0), first, 1
    else:
        first = [k for k, v in tx_outputs[start] if v >= min_sats]
        reached, frontier, first_hop = dict.fromkeys(first, 1), first, 2
    for hop in range(first_hop, hops + 1):
        spenders = {spent_by[k] for k in frontier if k in spent_by}
        frontier = []
        for txid in sorted(spenders):
            for key, value in tx_outputs[txid]:
                if value >= min_sats and key not in reached:
                    reached[key] = hop
                    frontier.append(key)
    return reached
