"""HTTP requests per hop of a live trace through ``chaintrace.Esplora``, before and after.

A classroom server (``chaintrace serve``) on 127.0.0.1 answers; the client's requests are
counted. Three walks from a case's payment transaction, each with a fresh cache ("cold")
and again with a new client on the same cache ("warm", as after a notebook restart):

- forward: ``tx(txid)`` then ``outspend(txid, vout)`` of its largest output, ``--hops`` times;
- backward: ``tx(txid)`` then its first input's parent, ``--hops`` times;
- history: ``address_txs(address, limit=25)`` of the dataset's busiest address.

    .venv/bin/python bench/esplora_hops.py                  # now vs commit a36a75a
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


class CountingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.count = 0

    def get(self, *args, **kwargs):
        self.count += 1
        return super().get(*args, **kwargs)


def esplora_at(commit: str):
    source = subprocess.check_output(
        ["git", "show", f"{commit}:helpers/chaintrace/esplora.py"], cwd=ROOT, text=True
    )
    module = types.ModuleType(f"chaintrace._esplora_{commit}")
    module.__package__ = "chaintrace"
    exec(compile(source, f"esplora.py@{commit}", "exec"), module.__dict__)  # noqa: S102
    return module.Esplora


def forward(chain, txid, hops):
    for _ in range(hops):
        tx = chain.tx(txid)
        out = max(tx.outputs, key=lambda o: o.value)
        spend = chain.outspend(txid, out.vout)
        if spend is None:
            break
        txid = spend.txid


def backward(chain, txid, hops):
    for _ in range(hops):
        tx = chain.tx(txid)
        if tx.coinbase:
            break
        txid = tx.inputs[0].prev_txid


def history(chain, address, _hops):
    chain.address_txs(address, limit=25)


def measure(make, walk, start, hops) -> tuple[int, int]:
    """(cold, warm) request counts of ``walk``."""
    with tempfile.TemporaryDirectory() as cache:
        counts = []
        for _ in range(2):
            session = CountingSession()
            walk(make(session, cache), start, hops)
            counts.append(session.count)
    return counts[0], counts[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="course")
    parser.add_argument("--case", default="ransom-01")
    parser.add_argument("--hops", type=int, default=10)
    parser.add_argument("--before", default="a36a75a", help="commit of the 'before' client")
    args = parser.parse_args(argv)
    from chaintrace import Esplora, load_case
    from chaintrace.serve import make_server

    server = make_server(args.dataset, port=0)
    server.start()
    start = load_case(args.case, args.dataset).payment_txid
    outputs = server.api.dataset.outputs
    busiest = outputs.loc[outputs["address"] != "", "address"].value_counts().index[0]
    old = esplora_at(args.before)
    clients = {
        f"before ({args.before})": lambda s, c: old(
            server.url, session=s, cache_dir=c, min_interval=0
        ),
        "now, spends when asked (public hosts)": lambda s, c: Esplora(
            server.url, session=s, cache_dir=c, spends=False
        ),
        "now, spends with each tx (private hosts)": lambda s, c: Esplora(
            server.url, session=s, cache_dir=c
        ),
        "now, spends when asked + verify_inputs": lambda s, c: Esplora(
            server.url, session=s, cache_dir=c, spends=False, verify_inputs=True
        ),
    }
    rows = []
    for name, make in clients.items():
        row = {"client": name}
        for walk in (forward, backward, history):
            cold, warm = measure(make, walk, busiest if walk is history else start, args.hops)
            row[walk.__name__] = {"cold": cold, "warm": warm}
        rows.append(row)
    server.stop()
    print(json.dumps({"dataset": args.dataset, "hops": args.hops, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
