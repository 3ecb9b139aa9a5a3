"""Requests per second and latency of ``chaintrace serve`` under a classroom's load.

The server runs in its own process on 127.0.0.1; ``--clients`` concurrent clients (threads
spread over ``--procs`` processes, each with its own keep-alive connection) ask a fixed,
seeded mix of Esplora paths (transaction JSON, raw hex, outspends, address summary and
history) for ``--seconds``. A first pass over every path is reported separately ("cold":
every answer built for the first time), then the timed pass ("warm").

    .venv/bin/python bench/serve_bench.py                       # course dataset, 32 clients
    .venv/bin/python bench/serve_bench.py --commit a36a75a      # the server as it was then

Target: >= 500 requests/s and p99 < 200 ms at 32 clients, warm.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _server_module(commit: str | None):
    """chaintrace.serve as it is now, or as it was at ``commit`` (for before/after)."""
    if commit is None:
        from chaintrace import serve

        return serve
    source = subprocess.check_output(
        ["git", "show", f"{commit}:helpers/chaintrace/serve.py"], cwd=ROOT, text=True
    )
    module = types.ModuleType(f"chaintrace._serve_{commit}")
    module.__package__ = "chaintrace"
    exec(compile(source, f"serve.py@{commit}", "exec"), module.__dict__)  # noqa: S102
    return module


def run_server(dataset: str, commit: str | None, ready) -> None:
    server = _server_module(commit).make_server(dataset, port=0)
    ready.put(server.url)
    server.serve_forever()


def paths(dataset: str, n: int, seed: int = 7) -> list[str]:
    from chaintrace import load_dataset

    ds = load_dataset(dataset)
    rng = random.Random(seed)
    txids = rng.sample(ds.transactions["txid"].tolist(), n)
    addresses = ds.outputs["address"].dropna()
    addresses = rng.sample(sorted(set(addresses[addresses != ""].tolist())), n // 4)
    out = []
    for t in txids:
        out += [f"/tx/{t}", f"/tx/{t}/outspends", f"/tx/{t}/hex"]
    for a in addresses:
        out += [f"/address/{a}", f"/address/{a}/txs"]
    rng.shuffle(out)
    return out


def _client(url: str, todo: list[str], until: float | None, latencies: list) -> None:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    i = 0
    while (until is None and i < len(todo)) or (until is not None and time.monotonic() < until):
        path = todo[i % len(todo)]
        start = time.perf_counter()
        conn.request("GET", path)
        response = response_ok(conn)
        latencies.append(time.perf_counter() - start)
        if response not in (200, 404):
            raise RuntimeError(f"{path}: HTTP {response}")
        i += 1
    conn.close()


def response_ok(conn) -> int:
    response = conn.getresponse()
    response.read()
    return response.status


def _proc(url, chunks, seconds, out) -> None:
    latencies: list[list[float]] = [[] for _ in chunks]
    until = None if seconds is None else time.monotonic() + seconds
    threads = [
        threading.Thread(target=_client, args=(url, c, until, lat))
        for c, lat in zip(chunks, latencies, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put([x for lat in latencies for x in lat])


def load(url: str, todo: list[str], clients: int, procs: int, seconds: float | None) -> dict:
    """Run ``clients`` keep-alive clients; ``seconds=None``: each path once in all."""
    chunks = [todo[i::clients] for i in range(clients)]
    out = multiprocessing.Queue()
    per = [chunks[p::procs] for p in range(procs)]
    workers = [multiprocessing.Process(target=_proc, args=(url, c, seconds, out)) for c in per]
    start = time.perf_counter()
    for w in workers:
        w.start()
    latencies = sorted(x for _ in workers for x in out.get())
    wall = time.perf_counter() - start
    for w in workers:
        w.join()
    return {
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
        "max_ms": round(1000 * latencies[-1], 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="course")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--txs", type=int, default=1000, help="transactions in the path mix")
    parser.add_argument("--commit", help="benchmark serve.py as it was at this commit")
    args = parser.parse_args(argv)
    ready = multiprocessing.Queue()
    server = multiprocessing.Process(target=run_server, args=(args.dataset, args.commit, ready))
    server.start()
    try:
        url = ready.get(timeout=300)
        todo = paths(args.dataset, args.txs)
        cold = load(url, todo, args.clients, args.procs, None)
        warm = load(url, todo, args.clients, args.procs, args.seconds)
    finally:
        server.terminate()
        server.join()
    result = {"server": args.commit or "working tree", "clients": args.clients, "paths": len(todo)}
    print(json.dumps({**result, "cold": cold, "warm": warm}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
