"""Taint: how much of each output "is" the stolen (or ransom, or sanctioned) money?

The chain only says which outputs a transaction spent and created; how the value mixes
inside a transaction is a *model*, and the models disagree by orders of magnitude:

* **poison** -- every output of a transaction with any tainted input is wholly tainted;
* **haircut** -- taint is shared pro rata: each output gets the transaction's tainted share
  of its inputs (the fee takes its share too);
* **FIFO** -- first in, first out (Clayton's Case, 1816): inputs in order form a tape of
  value, outputs in order take consecutive slices of it (the fee is the tape's end);
* **TIHO** -- taint in, highest out: the tainted amount fills the largest outputs first.

Every function takes source outputs (``"txid:vout"``, a txid meaning all its outputs, an
address meaning every output paying it, or output ids) and a ``dust`` threshold: an output
whose tainted amount is below ``dust`` sats counts as clean and passes nothing on (this is
what stops haircut taint smearing over the whole chain). Each returns a :class:`Taint` with
per-output tainted sats and shares; :func:`compare_taint` puts the four side by side.

>>> case = load_case("ransom-01")
>>> g = build_graph("course")
>>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))  # "txid:vout"
>>> table = compare_taint(ransom, dust=10_000)
>>> n = table["outputs"]
>>> bool(n["poison"] >= n["haircut"] >= n["fifo"])
True
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from .dataset import load_case  # noqa: F401 (doctests)
from .graph import TxGraph, build_graph, unique_ids

if TYPE_CHECKING:  # imported where used: a taint asked for as a dict never loads pandas
    import pandas as pd

__all__ = [
    "Taint",
    "taint",
    "poison",
    "haircut",
    "fifo",
    "tiho",
    "compare_taint",
    "haircut_simple",
    "source_outputs",
    "MODELS",
]

MODELS = ("poison", "haircut", "fifo", "tiho")


# ----------------------------------------------------------------------------- result


class Taint:
    """Per-output taint under one model: ``outputs`` (ids) and ``sats`` (tainted amounts)."""

    def __init__(self, graph: TxGraph, model: str, sources, outputs, sats, dust: int):
        order = np.argsort(outputs, kind="stable")
        self.graph, self.model, self.dust = graph, model, int(dust)
        self.sources = np.asarray(sources, np.int64)
        self.outputs = np.asarray(outputs, np.int64)[order]
        self.sats = np.asarray(sats, np.int64)[order]

    def __repr__(self) -> str:
        return (
            f"<Taint {self.model}: {len(self.outputs):,} outputs, "
            f"{self.unspent_sats / 1e8:.8f} BTC tainted in unspent outputs>"
        )

    @property
    def unspent_sats(self) -> int:
        """Tainted sats now resting in unspent outputs (where seizure is possible)."""
        return int(self.sats[self.graph.out_spent_tx[self.outputs] < 0].sum())

    @property
    def n_addresses(self) -> int:
        addr = self.graph.out_addr[self.outputs]
        return len(np.unique(addr[addr >= 0]))

    def frame(self) -> pd.DataFrame:
        """One row per tainted output: address, value, tainted sats and share, spent or not."""
        import pandas as pd

        g, o = self.graph, self.outputs
        value = g.out_value[o]
        return pd.DataFrame(
            {  # text columns built in Arrow: a taint can name millions of outputs
                "output": g.out_labels(o).to_pandas(),
                "address": g.out_addr_texts(o).to_pandas(),
                "value_sats": value,
                "tainted_sats": self.sats,
                "share": np.where(value > 0, self.sats / np.maximum(value, 1), 0.0),
                "tainted_btc": self.sats / 1e8,
                "spent": g.out_spent_tx[o] >= 0,
                "time": pd.to_datetime(g.tx_time[g.out_tx[o]], unit="s", utc=True),
            }
        )

    def as_dict(self) -> dict[str, int]:
        """``{"txid:vout": tainted sats}`` (handy for comparing with a lesson's version).

        The names are made in one vectorised pass (:meth:`chaintrace.graph.TxGraph.out_labels`)
        and become Python strings in one call: a taint of millions of outputs converts in about
        a second, not minutes (most of that second is the dict itself).

        >>> case = load_case("ransom-01"); g = build_graph("course")
        >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
        >>> d = poison(ransom).as_dict()
        >>> d[ransom] == int(g.out_value[g.parse_output(ransom)])
        True
        """
        names = self.graph.out_labels(self.outputs).to_pylist()
        return dict(zip(names, self.sats.tolist(), strict=True))

    def summary(self) -> dict:
        """Counts and amounts for :func:`compare_taint`."""
        return {
            "outputs": len(self.outputs),
            "addresses": self.n_addresses,
            "tainted_btc_unspent": self.unspent_sats / 1e8,
            "tainted_btc_all_outputs": int(self.sats.sum()) / 1e8,
        }


# ----------------------------------------------------------------------------- sources


def source_outputs(graph: TxGraph, sources) -> np.ndarray:
    """Output ids named by ``sources`` (see the module docstring for the accepted forms).

    >>> g = build_graph("course")
    >>> case = load_case("ransom-01"); g = build_graph("course")
    >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    >>> source_outputs(g, [ransom]).tolist() == [g.find_output(case.payment_txid, case.ransom_address)]
    True
    """
    if isinstance(sources, (str, int, np.integer)):
        sources = [sources]
    ids = []
    for s in sources:
        if isinstance(s, (int, np.integer)):
            if not 0 <= int(s) < graph.n_out:
                raise ValueError(f"output id {s} is outside 0..{graph.n_out - 1}")
            ids.append([int(s)])
            continue
        text = str(s).strip()
        if ":" in text:
            ids.append([graph.parse_output(text)])
        elif len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            ids.append(graph.outputs_of(graph.tx_id(text)).tolist())
        else:
            ids.append(graph.outputs_of_address(graph.addr_id(text)).tolist())
    out = np.unique(np.asarray([i for group in ids for i in group], np.int64))
    if not len(out):
        raise ValueError("no source outputs given; pass 'txid:vout' strings, txids or addresses")
    return out


def _setup(sources, dataset, dust):
    g = build_graph(dataset)
    if not isinstance(dust, (int, np.integer)) or dust < 0:
        raise ValueError(f"dust is a whole number of sats >= 0, got {dust!r}; try dust=1000")
    return g, source_outputs(g, sources)


# ----------------------------------------------------------------------------- poison


def _reach_arrays(g: TxGraph, dust: int):
    """Transactions as one directed CSR graph: t -> the spenders of t's outputs (of >= ``dust``).

    At the transaction level the graph has a third of the nodes the output -> spender ->
    outputs graph has, and a search is that much cheaper.
    """
    has = (g.out_spent_tx >= 0) & (g.out_value >= dust)
    counts = np.bincount(g.out_tx[has], minlength=g.n_tx)
    ptr = np.concatenate([[0], np.cumsum(counts)])  # outputs are grouped by transaction
    return ptr, g.out_spent_tx[has], has


def _reach_txs(g: TxGraph, src: np.ndarray, dust: int = 0) -> np.ndarray:
    """Every transaction downstream of the outputs ``src`` (sorted).

    A breadth-first search one hop at a time in numpy: as fast as scipy's C search at 10^6
    transactions (2,000 hops), and a new process asking one question does not import scipy's
    graph package (~0.25 s of CPU).
    """
    cache = g.__dict__.setdefault("_taint_reach", {})
    if dust not in cache:
        cache.clear()  # keep one: it is as big as the graph
        cache[dust] = _reach_arrays(g, dust)
    ptr, spender, has = cache[dust]
    front = unique_ids(g.out_spent_tx[src[has[src]]], g.n_tx)
    seen = np.zeros(g.n_tx, bool)
    seen[front] = True
    slot = np.zeros(g.n_tx, np.int64)  # where a transaction was first met in this hop's list
    while len(front):
        ends = ptr[front + 1]
        n = ends - ptr[front]
        total = int(n.sum())
        if not total:
            break
        nxt = spender[np.repeat(ends - np.cumsum(n), n) + np.arange(total)]
        nxt = nxt[~seen[nxt]]
        at = np.arange(len(nxt))
        slot[nxt] = at
        front = nxt[slot[nxt] == at]  # each new transaction once, without sorting
        seen[front] = True
    return np.flatnonzero(seen)


def _reach(g: TxGraph, src: np.ndarray, dust: int = 0) -> np.ndarray:
    """Every output downstream of ``src`` (itself included): the outputs of every reached
    transaction."""
    txs = _reach_txs(g, src, dust)
    return unique_ids(np.concatenate([src, g.outputs_of_txs(txs)]), g.n_out)


def poison(sources, *, dust: int = 0, dataset="course") -> Taint:
    """Everything downstream of a source is wholly tainted (outputs under ``dust`` excepted).

    >>> case = load_case("ransom-01"); g = build_graph("course")
    >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    >>> p = poison(ransom)
    >>> f = p.frame()
    >>> bool((f["tainted_sats"] == f["value_sats"]).all())
    True
    """
    g, src = _setup(sources, dataset, dust)
    out = _reach(g, src, dust)
    out = out[g.out_value[out] >= dust]
    return Taint(g, "poison", src, out, g.out_value[out], dust)


# ----------------------------------------------------------------------------- haircut


def _lower_csc(n: int, rows, cols, data):
    """CSC arrays ``(indptr, indices, data)`` of the n x n matrix with these entries:
    duplicates summed, rows ascending in each column (what SuperLU reads).

    >>> _lower_csc(3, np.array([0, 1, 2, 2, 2]), np.array([0, 1, 0, 0, 2]), np.ones(5))
    (array([0, 2, 3, 4]), array([0, 2, 1, 2]), array([1., 2., 1., 1.]))
    """
    key = cols.astype(np.int64) * n + rows  # column-major position: unique but for duplicates
    m = len(key)
    if n * n * m < 2**62:  # the entry's number fits beside its position: a plain sort is enough
        packed = np.sort(key * m + np.arange(m))  # (argsort takes 3x longer)
        key, order = packed // m, packed % m
    else:
        order = np.argsort(key)  # duplicates are summed, so their order does not matter
        key = key[order]
    data = data[order]
    new = np.ones(len(key), bool)
    new[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    key = key[starts]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(key // n, minlength=n), out=indptr[1:])
    return indptr, key % n, np.add.reduceat(data, starts) if len(data) else data


def _superlu():
    """SuperLU's C module from scipy, loaded without scipy's ``sparse.linalg`` package: the
    module needs only numpy, and the package's import costs a new process ~0.25 s of CPU.
    None if scipy is not there or its layout changed (the caller then imports scipy)."""
    if "module" not in _SUPERLU:
        _SUPERLU["module"] = _load_superlu()
    return _SUPERLU["module"]


_SUPERLU: dict = {}  # the module once loaded (kept here, not in sys.modules: scipy loads its own)


def _load_superlu():
    import sys
    from importlib import util
    from importlib.machinery import EXTENSION_SUFFIXES
    from pathlib import Path

    name = "scipy.sparse.linalg._dsolve._superlu"
    if name in sys.modules:
        return sys.modules[name]
    try:
        folder = Path(util.find_spec("scipy").submodule_search_locations[0])
        found = [
            path
            for suffix in EXTENSION_SUFFIXES
            for path in (folder / "sparse" / "linalg" / "_dsolve").glob(f"_superlu{suffix}")
        ]
        spec = util.spec_from_file_location(name, found[0])
        module = util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (ImportError, AttributeError, IndexError, TypeError, OSError):
        return None
    finally:  # loading registers it; scipy's package import must make (and attach) its own
        sys.modules.pop(name, None)
    return module


def _triangular_solve(n: int, lower, b: np.ndarray) -> np.ndarray:
    """Solve ``lower @ x = b`` for a unit lower-triangular matrix given as CSC arrays
    ``(indptr, indices, data)`` (SuperLU's C loop).

    scipy's public ``spsolve_triangular`` spends most of its time re-checking and copying
    the matrix; calling the same SuperLU routine directly is ~6x faster. Falls back to the
    public function if scipy's internals change.
    """
    indptr, indices, data = lower
    superlu = _superlu()
    if superlu is not None:
        try:
            empty = np.zeros(n + 1, np.intc)
            x, info = superlu.gstrs(
                "N", n, len(data), data, indices.astype(np.intc), indptr.astype(np.intc),
                n, 0, np.zeros(0), np.zeros(0, np.intc), empty, b.astype(np.float64).copy(),
            )  # fmt: skip
            if info == 0:
                return x
        except (AttributeError, TypeError, ValueError):
            pass
    from scipy.sparse import csc_array
    from scipy.sparse.linalg import spsolve_triangular

    matrix = csc_array((data, indices, indptr), shape=(n, n))
    return spsolve_triangular(matrix.tocsr(), b, lower=True, unit_diagonal=True)


def _haircut_pass(g, src, txs, in_value, cut):
    """Tainted sats of the outputs of ``txs`` (sorted tx ids) given the ``cut`` outputs."""
    n = len(txs)
    local = np.full(g.n_tx, -1, np.int64)
    local[txs] = np.arange(n)
    ins = g.inputs_of_txs(txs)  # outputs spent by the reached transactions, grouped by tx
    n_in = g.tx_in_ptr[txs + 1] - g.tx_in_ptr[txs]
    spender = np.repeat(np.arange(n), n_in)  # grouped by tx: no lookup needed
    share = g.out_value[ins] / np.repeat(in_value[txs], n_in)
    is_src = np.zeros(g.n_out, bool)
    is_src[src] = True
    is_src = is_src[ins]
    b = np.bincount(spender[is_src], weights=share[is_src], minlength=n)
    parent = local[g.out_tx[ins]]
    keep = ~is_src & (parent >= 0) & ~cut[ins]
    # the diagonal, and each parent's share (a parent comes before its spender in chain order,
    # so the matrix is lower triangular)
    rows = np.concatenate([np.arange(n), spender[keep]])
    cols = np.concatenate([np.arange(n), parent[keep]])
    data = np.concatenate([np.ones(n), -share[keep]])
    ratio = _triangular_solve(n, _lower_csc(n, rows, cols, data), b)
    outs = g.outputs_of_txs(txs)  # grouped by tx, like the inputs
    return outs, g.out_value[outs] * np.repeat(ratio, g.tx_out_ptr[txs + 1] - g.tx_out_ptr[txs])


def haircut(sources, *, dust: int = 0, dataset="course") -> Taint:
    """Pro-rata taint: an output's taint is its value times its transaction's tainted share.

    Solved for every reached transaction at once as a sparse triangular system (chain order
    is a topological order), repeated while new outputs fall under ``dust``.

    >>> case = load_case("ransom-01"); g = build_graph("course")
    >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    >>> h = haircut(ransom, dust=1_000)
    >>> h.as_dict() == haircut_simple(ransom, dust=1_000)
    True
    """
    g, src = _setup(sources, dataset, dust)
    if dust >= 1:  # a dust threshold keeps taint on few transactions: walk just those first
        try:
            outs, sats = _walk(g, src, dust, _haircut_mix, limit=20_000)
            return Taint(g, "haircut", src, outs, sats, dust)
        except _TooBig:
            pass  # it spreads widely after all: solve it for everything at once
    txs = _reach_txs(g, src)
    in_value = g.in_value()
    cut = np.zeros(g.n_out, bool)
    is_src = np.zeros(g.n_out, bool)
    is_src[src] = True
    outs, sats = np.empty(0, np.int64), np.empty(0)
    for _ in range(1000):  # each pass can only cut more and reach less; converges in a few
        outs, sats = _haircut_pass(g, src, txs, in_value, cut) if len(txs) else (outs, sats)
        low = outs[(sats < dust) & ~cut[outs] & ~is_src[outs]]
        if not len(low):
            break
        cut[low] = True
        alive = np.concatenate([src, outs[(sats >= dust) & ~cut[outs]]])
        spenders = g.out_spent_tx[alive]
        txs = unique_ids(spenders, g.n_tx)  # only these can still hold taint
    keep = ~is_src[outs] & ~cut[outs] & (np.rint(sats) > 0)
    out_ids = np.concatenate([src, outs[keep]])
    out_sats = np.concatenate([g.out_value[src], np.rint(sats[keep]).astype(np.int64)])
    mask = out_sats >= max(dust, 1)
    return Taint(g, "haircut", src, out_ids[mask], out_sats[mask], dust)


def haircut_simple(sources, *, dust: int = 0, dataset="course") -> dict[str, int]:
    """Haircut taint as a plain dict loop over transactions in chain order (the lesson's way).

    Returns ``{"txid:vout": tainted sats}``; :func:`haircut` gives the same numbers (to the
    satoshi) much faster. It is also the baseline ``bench/run.py`` measures against.
    """
    g, src = _setup(sources, dataset, dust)
    value = g.out_value.tolist()
    in_ptr, in_out, out_ptr = g.tx_in_ptr.tolist(), g.in_out.tolist(), g.tx_out_ptr.tolist()
    taint = {int(o): float(value[o]) for o in src}
    sources = set(taint)
    for t in range(int(g.out_tx[src].min()), g.n_tx):
        ins = in_out[in_ptr[t] : in_ptr[t + 1]]
        tainted = sum(taint.get(o, 0.0) for o in ins)
        if not tainted:
            continue
        ratio = tainted / sum(value[o] for o in ins)
        for o in range(out_ptr[t], out_ptr[t + 1]):
            if o in sources:
                continue
            amount = value[o] * ratio
            if amount >= dust and amount > 0:
                taint[o] = amount
    return {g.out_label(o): round(s) for o, s in sorted(taint.items()) if round(s) >= max(dust, 1)}


# ----------------------------------------------------------------------------- FIFO and TIHO


class _TooBig(Exception):
    """A walk visited more transactions than its budget."""


def _walk(g: TxGraph, src: np.ndarray, dust: int, mix, limit: int | None = None):
    """Visit, in chain order, only transactions that spend a tainted output (a heap of tx ids).

    ``mix(t, inputs, state)`` returns ``{output: state}`` for the outputs of ``t``; state is
    whatever the model tracks per output (FIFO: tainted intervals; TIHO: tainted sats).
    """
    value, spent_tx = g.out_value, g.out_spent_tx
    state: dict[int, object] = {}
    for o in src.tolist():
        state[o] = [(0, int(value[o]))] if mix is _fifo_mix else int(value[o])
    if mix is _haircut_mix:
        state = {o: float(v) for o, v in state.items()}
    heap = sorted({int(spent_tx[o]) for o in src.tolist() if spent_tx[o] >= 0})
    queued = set(heap)
    sources = set(src.tolist())
    while heap:
        if limit is not None and len(queued) > limit:
            raise _TooBig
        t = heapq.heappop(heap)
        for o, s in mix(g, t, state).items():
            if o in sources or _amount(s) < max(dust, 1):
                continue
            state[o] = s
            nxt = int(spent_tx[o])
            if nxt >= 0 and nxt not in queued:
                queued.add(nxt)
                heapq.heappush(heap, nxt)
    outs = sorted(o for o in state if round(_amount(state[o])) >= max(dust, 1))
    return outs, [round(_amount(state[o])) for o in outs]


def _amount(s):
    return s if isinstance(s, (int, float)) else sum(b - a for a, b in s)


def _haircut_mix(g: TxGraph, t: int, state: dict) -> dict:
    """Pro rata: each output gets its value times the transaction's tainted share of inputs."""
    ins = g.inputs_of(t).tolist()
    ratio = sum(state.get(o, 0) for o in ins) / int(g.in_value()[t])
    return {o: int(g.out_value[o]) * ratio for o in g.outputs_of(t).tolist()}


def _fifo_mix(g: TxGraph, t: int, state: dict) -> dict:
    """Clayton's rule inside one transaction: inputs make a tape, outputs cut it in order."""
    tape, pos = [], 0
    for o in g.inputs_of(t).tolist():
        tape.extend((pos + a, pos + b) for a, b in state.get(o, ()))
        pos += int(g.out_value[o])
    result, start = {}, 0
    for o in g.outputs_of(t).tolist():
        end = start + int(g.out_value[o])
        pieces = [
            (max(a, start) - start, min(b, end) - start) for a, b in tape if a < end and b > start
        ]
        if pieces:
            result[o] = pieces
        start = end
    return result


def _tiho_mix(g: TxGraph, t: int, state: dict) -> dict:
    """Taint in, highest out: the tainted amount fills the largest outputs first."""
    left = sum(state.get(o, 0) for o in g.inputs_of(t).tolist())
    outs = sorted(g.outputs_of(t).tolist(), key=lambda o: (-int(g.out_value[o]), o))
    result = {}
    for o in outs:
        if left <= 0:
            break
        take = min(left, int(g.out_value[o]))
        result[o], left = take, left - take
    return result


def fifo(sources, *, dust: int = 0, dataset="course") -> Taint:
    """First in, first out inside each transaction (inputs in order, outputs in order).

    >>> case = load_case("ransom-01"); g = build_graph("course")
    >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    >>> f = fifo(ransom)
    >>> int(f.sats.max()) <= int(f.graph.out_value[f.sources].sum())
    True
    """
    g, src = _setup(sources, dataset, dust)
    outs, sats = _walk(g, src, dust, _fifo_mix)
    return Taint(g, "fifo", src, outs, sats, dust)


def tiho(sources, *, dust: int = 0, dataset="course") -> Taint:
    """Taint in, highest out: each transaction's tainted input fills its largest outputs.

    >>> case = load_case("ransom-01"); g = build_graph("course")
    >>> ransom = g.out_label(g.find_output(case.payment_txid, case.ransom_address))
    >>> len(tiho(ransom).outputs) >= 2
    True
    """
    g, src = _setup(sources, dataset, dust)
    outs, sats = _walk(g, src, dust, _tiho_mix)
    return Taint(g, "tiho", src, outs, sats, dust)


_FUNCTIONS = {"poison": poison, "haircut": haircut, "fifo": fifo, "tiho": tiho}


def taint(sources, model: str = "haircut", *, dust: int = 0, dataset="course") -> Taint:
    """Run one taint ``model`` (``poison``, ``haircut``, ``fifo`` or ``tiho``)."""
    try:
        fn = _FUNCTIONS[str(model).lower()]
    except KeyError:
        raise ValueError(
            f"unknown taint model {model!r}; choose one of {', '.join(MODELS)}"
        ) from None
    return fn(sources, dust=dust, dataset=dataset)


def compare_taint(sources, *, dust: int = 0, dataset="course", models=MODELS) -> pd.DataFrame:
    """The four models side by side: outputs and addresses tainted, BTC tainted.

    ``tainted_btc_unspent`` is taint resting in unspent outputs; ``tainted_btc_all_outputs``
    adds up every tainted output on the way (so money passing through several hops counts
    several times: it measures how far the model spreads, not an amount to seize).
    """
    import pandas as pd

    rows = {m: taint(sources, m, dust=dust, dataset=dataset).summary() for m in models}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "model"
    return frame
