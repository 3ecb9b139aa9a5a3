#!/usr/bin/env python3
"""The public calls a lesson or an investigation makes, timed through ``import chaintrace``.

`bench/run.py` times the engine's inner functions against baselines; this times what a
notebook calls (lookups on a chain, change and CoinJoin tables, clustering, a trace, a taint,
per-transaction explanations), so two versions of the package can be compared on the same data
in the same minutes: run it once per version with ``PYTHONPATH`` pointing at each, alternately.

    PYTHONPATH=helpers .venv/bin/python bench/analytics.py --data bench/data/scale-100k
    PYTHONPATH=helpers .venv/bin/python bench/analytics.py --quick    # the course data

Each row: the first call (which builds what the call needs and keeps it) and the best of
``--repeat`` later calls, wall time, with the load average before and after.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def timed(fn, repeat: int) -> tuple[float, float]:
    """(first call, best of ``repeat`` later calls), seconds."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    later = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        later.append(time.perf_counter() - t0)
    return first, min(later)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--quick", action="store_true", help="the course data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import chaintrace as ct

    data = "course" if args.quick or args.data is None else str(args.data)
    load = os.getloadavg()[0]
    ds = ct.load_dataset(data)
    chain = ct.open_chain(ds)
    g = ct.build_graph(ds)
    rng = np.random.default_rng(7)
    txs = rng.choice(g.n_tx, 200, replace=False)
    txids = [str(g.txids[t]) for t in txs]
    outs = rng.choice(g.n_out, 200, replace=False)
    addresses = [a for a in (g.out_addr_text(o) for o in outs) if a][:100]
    start = g.out_label(int(g.outputs_of(int(np.argmax(np.diff(g.tx_out_ptr)[:1000])))[0]))
    spends = [t for t in txids if len(chain.tx(t).outputs) >= 2][:50]

    rows = []

    def row(what, fn, repeat=args.repeat):
        first, best = timed(fn, repeat)
        rows.append({"what": what, "first_s": first, "best_s": best})
        print(f"{what:<48} {first * 1e3:10.1f} ms {best * 1e3:10.1f} ms", flush=True)

    print(f"package {Path(ct.__file__).parent}; dataset {data}; {g.n_tx:,} transactions")
    print(f"{'what':<48} {'first':>13} {'best later':>13}")
    row("a new LocalChain, its first tx", lambda: ct.LocalChain(ds).tx(txids[0]))
    row(
        "a new LocalChain, one address summary",
        lambda: ct.LocalChain(ds).address_summary(addresses[0]),
    )
    row("chain.tx, 200 txids", lambda: [chain.tx(t) for t in txids])
    row(
        "chain.address_summary, 100 addresses",
        lambda: [chain.address_summary(a) for a in addresses],
    )
    row(
        "chain.address_txs, 100 addresses (5 newest)",
        lambda: [chain.address_txs(a, 5) for a in addresses],
    )
    row("chain.outspends, 200 txids", lambda: [chain.outspends(t) for t in txids])
    row("is_coinjoin, 200 transactions", lambda: [ct.is_coinjoin(chain.tx(t)) for t in txids])
    row(
        "change_candidates, 50 transactions",
        lambda: [ct.change_candidates(t, chain) for t in spends],
    )
    row("coinjoin_table", lambda: ct.coinjoin_table(ds))
    row("change_table (10 heuristics)", lambda: ct.change_table(ds))
    row("cluster_addresses (common inputs)", lambda: ct.cluster_addresses(ds))
    row("cluster_addresses (+ change)", lambda: ct.cluster_addresses(ds, change=True))
    row("trace_forward, 10 hops", lambda: ct.trace_forward(start, hops=10, dataset=ds).frame())
    row("haircut, as a table", lambda: ct.haircut(start, dataset=ds).frame())
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    if args.json:
        args.json.write_text(
            json.dumps({"load": [load, os.getloadavg()[0]], "rows": rows}, indent=1)
        )
    return rows


if __name__ == "__main__":
    main()
    sys.exit(0)
