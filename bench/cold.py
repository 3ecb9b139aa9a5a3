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
    .venv/bin/python bench/cold.py --quick        # the bundled course data, 1 run each
"""

from __future__ import annotations

import argparse
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "scale-1m")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the course data, 1 run each")
    args = parser.parse_args(argv)
    data, repeat = ("course", 1) if args.quick else (str(args.data.resolve()), args.repeat)
    if not args.quick and not (args.data / "SHA256SUMS").is_file():
        sys.exit(f"no dataset at {args.data}; make it with bench/make_scale_dataset.py first")
    # a first, untimed open verifies the dataset once and records it, as the first notebook would
    run_once(f"import chaintrace as ct; ct.load_dataset({data!r}); print('verified')")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
