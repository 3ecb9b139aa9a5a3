"""Generate a scale dataset for the benchmarks into ``bench/data/`` (git-ignored, never commit it).

    .venv/bin/python bench/make_scale_dataset.py --transactions 1000000

writes ``bench/data/scale-1m/`` (the dataset) and ``bench/data/scale-1m-truth/`` (its ground
truth) with the scale profile of the generator: the same economy, schema, validity checks and
realism profile as the course data, without the scripted curriculum cases. A progress bar runs
on stderr; the last line reports wall time and peak memory.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

from chaintrace.sim import generate
from chaintrace.sim.cli import _progress

DATA = Path(__file__).resolve().parent / "data"


def label(n: int) -> str:
    """``1000000`` -> ``1m``, ``200000`` -> ``200k``.

    >>> label(1_000_000), label(200_000), label(1_500)
    ('1m', '200k', '1500')
    """
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transactions", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20240301)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    name = f"scale-{label(args.transactions)}"
    started = time.time()
    summary = generate(
        args.seed,
        args.transactions,
        DATA / name,
        DATA / f"{name}-truth",
        name=name,
        progress=None if args.quiet else _progress,
        cases=False,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(f.stat().st_size for f in (DATA / name).rglob("*") if f.is_file()) / 1e6
    truth = sum(f.stat().st_size for f in (DATA / f"{name}-truth").rglob("*") if f.is_file()) / 1e6
    print(
        f"{name}: {summary['transactions']:,} transactions, {summary['outputs']:,} outputs, "
        f"{summary['blocks']:,} blocks in {time.time() - started:.1f} s; peak memory "
        f"{peak:,.0f} MB (writer processes {peak_children:,.0f} MB); {size:,.0f} MB + "
        f"{truth:,.0f} MB ground truth in {DATA}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
