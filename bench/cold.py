#!/usr/bin/env python3
"""One question asked by a new process, as a new notebook kernel asks it.

Targets at 10^6 transactions (``bench/data/scale-1m``, see ``bench/README.md``):

* open the dataset and cluster its addresses (common inputs, CoinJoins left out): <= 2 s;
* open the dataset and run a haircut from one early output (it taints ~1.6 million outputs),
  with the result as a dict (``Taint.as_dict``) or a table (``Taint.frame``): <= 3 s.

Each question runs in a fresh Python process (imports, dataset verification record, engine
index load and the answer all counted), ``--repeat`` times; the report gives min / median /
max of wall time and of the process's CPU time (user + system, from the operating system),
with the load average before and after. On a shared machine read the CPU time: wall time
grows with the load, CPU time much less.

    .venv/bin/python bench/cold.py --data bench/data/scale-1m --repeat 5
    .venv/bin/python bench/cold.py --steps        # where a new process's CPU time goes, step by step
    .venv/bin/python bench/cold.py --record       # ... and keep these figures in bench/cold.json
    .venv/bin/python bench/cold.py --quick        # the bundled course data, 1 run each

Every run compares its figures with the ones kept in ``bench/cold.json`` (versions, answers,
least CPU time) and prints a WARNING when they drifted: a dependency update, a data or code
change. ``--record`` replaces the kept figures (after a change that is meant).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each question is a whole program: what a trainee or investigator types in a new kernel.
QUESTIONS = {
    "open + cluster": (
        "import chaintrace as ct\n"
        "clusters = ct.cluster_addresses(ct.load_dataset({data!r}))\n"
        "print(clusters)\n"
    ),
    "open + haircut, as a dict": (
        "import chaintrace as ct\n"
        "from chaintrace.graph import build_graph\n"
        "g = build_graph(ct.load_dataset({data!r}))\n"
        "start = g.out_label(int(g.outputs_of(0)[0]))  # the chain's first coin\n"
        "taint = ct.haircut(start, dataset=g).as_dict()\n"
        "print(len(taint), 'outputs tainted')\n"
    ),
    "open + haircut, as a table": (
        "import chaintrace as ct\n"
        "from chaintrace.graph import build_graph\n"
        "g = build_graph(ct.load_dataset({data!r}))\n"
        "start = g.out_label(int(g.outputs_of(0)[0]))\n"
        "table = ct.haircut(start, dataset=g).frame()\n"
        "print(len(table), 'outputs tainted')\n"
    ),
}
# The same questions step by step in one new process: CPU seconds of each step (``--steps``).
STEPS = (
    "import time\n"
    "_last = [time.process_time()]\n"
    "def step(name):\n"
    "    now = time.process_time()\n"
    "    print('%-44s %6.3f s' % (name, now - _last[0]))\n"
    "    _last[0] = now\n"
    "import numpy, pyarrow\n"
    "step('imports: numpy, pyarrow')\n"
    "import chaintrace as ct\n"
    "from chaintrace.graph import build_graph\n"
    "ds = ct.load_dataset({data!r})\n"
    "step('open the dataset (verified before)')\n"
    "g = build_graph(ds)\n"
    "step('load the engine index')\n"
    "start = g.out_label(int(g.outputs_of(0)[0]))\n"
    "taint = ct.haircut(start, dataset=g)\n"
    "step('haircut (%d outputs)' % len(taint.outputs))\n"
    "names = g.out_labels(taint.outputs)\n"
    "step('as a dict: txid:vout names, in Arrow')\n"
    "names = names.to_pylist()\n"
    "step('as a dict: the names as Python strings')\n"
    "d = dict(zip(names, taint.sats.tolist(), strict=True))\n"
    "step('as a dict: the dict itself')\n"
    "import pandas\n"
    "step('as a table: import pandas')\n"
    "table = taint.frame()\n"
    "step('as a table: Taint.frame')\n"
    "clusters = ct.cluster_addresses(ds)\n"
    "step('cluster (%d clusters)' % len(clusters.sizes()))\n"
)
RECORD = ROOT / "bench" / "cold.json"
TARGETS = {
    "open + cluster": 2.0,
    "open + haircut, as a dict": 3.0,
    "open + haircut, as a table": 3.0,
}


def run_once(code: str) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and the last line it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.strip().splitlines()[-1]


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("numpy", "pyarrow", "pandas", "scipy")
    return {n: version(n) for n in names} | {"Python": sys.version.split()[0]}


def drift(now: dict, kept: dict) -> list[str]:
    """What moved since the kept figures: versions, dataset, answers, and least CPU times that
    moved by more than a quarter (and 0.1 s).

    >>> kept = {"versions": {"numpy": "2.4.6"}, "data": "d", "questions": {"q": {"cpu": 2.0, "answer": "7"}}}
    >>> drift(dict(kept, versions={"numpy": "2.5.0"}), kept)
    ['numpy 2.4.6 -> 2.5.0']
    >>> drift(dict(kept, questions={"q": {"cpu": 2.9, "answer": "8"}}), kept)
    ['q: answer 7 -> 8', 'q: least CPU 2.00 s -> 2.90 s']
    """
    lines = [
        f"{name} {old} -> {now['versions'].get(name)}"
        for name, old in kept.get("versions", {}).items()
        if now["versions"].get(name) != old
    ]
    if kept.get("data") != now["data"]:
        lines.append(f"dataset {kept.get('data')} -> {now['data']}")
    for name, figures in now["questions"].items():
        old = kept.get("questions", {}).get(name)
        if old is None:
            continue
        if old["answer"] != figures["answer"]:
            lines.append(f"{name}: answer {old['answer']} -> {figures['answer']}")
        if abs(figures["cpu"] - old["cpu"]) > max(old["cpu"] / 4, 0.1):
            lines.append(f"{name}: least CPU {old['cpu']:.2f} s -> {figures['cpu']:.2f} s")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "scale-1m")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the course data, 1 run each")
    parser.add_argument("--steps", action="store_true", help="also: CPU time step by step")
    parser.add_argument("--record", action="store_true", help=f"keep these figures in {RECORD}")
    args = parser.parse_args(argv)
    data, repeat = ("course", 1) if args.quick else (str(args.data.resolve()), args.repeat)
    if not args.quick and not (args.data / "SHA256SUMS").is_file():
        sys.exit(f"no dataset at {args.data}; make it with bench/make_scale_dataset.py first")
    # a first, untimed open verifies the dataset once and records it, as the first notebook would
    run_once(f"import chaintrace as ct; ct.load_dataset({data!r}); print('verified')")
    now = {
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "versions": versions(),
        "data": "course" if args.quick else args.data.name,
        "questions": {},
    }
    print(
        f"{now['date']}; {os.cpu_count()} cores; "
        + ", ".join(f"{k} {v}" for k, v in now["versions"].items())
    )
    print(f"dataset {data}; {repeat} fresh processes per question; min / median / max")
    print(f"{'question':<28} {'wall (s)':>20} {'CPU (s)':>20}  target  load  answer")
    for name, template in QUESTIONS.items():
        load_before = os.getloadavg()[0]
        runs = [run_once(template.format(data=data)) for _ in range(max(repeat, 1))]
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        load = f"{load_before:.1f}-{os.getloadavg()[0]:.1f}"
        print(
            f"{name:<28} {spread(walls):>20} {spread(cpus):>20}  <= {TARGETS[name]:.0f} s  "
            f"{load}  {runs[-1][2]}",
            flush=True,
        )
        now["questions"][name] = {
            "wall": min(walls), "cpu": min(cpus), "load": load, "answer": runs[-1][2],
        }  # fmt: skip
    if args.steps:
        print("\nstep by step, one new process (CPU seconds):")
        print(subprocess.run(
            [sys.executable, "-c", STEPS.format(data=data)],
            capture_output=True, text=True, cwd=ROOT, check=True,
        ).stdout.rstrip())  # fmt: skip
    kept = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.exists() else None
    if kept and kept.get("data") != now["data"]:
        print(f"(the figures kept in {RECORD.name} are for {kept.get('data')}: not compared)")
    elif kept:
        moved = drift(now, kept)
        if moved:
            print(
                f"\nWARNING: these figures drifted from the ones kept in {RECORD.name} "
                f"({kept.get('date')}):\n  " + "\n  ".join(moved),
                file=sys.stderr,
            )
    if args.record:
        RECORD.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
        print(f"kept in {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
