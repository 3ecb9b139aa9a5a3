"""Command line of the generator: ``python -m chaintrace.sim generate ...``.

The package CLI dispatches ``chaintrace generate`` here.

>>> main(["generate", "--transactions", "5"])
Traceback (most recent call last):
...
SystemExit: n_transactions=5 is too small for an economy; ask for 200 or more
"""

import argparse
import sys
import time

from .. import paths


def _progress(done: int, total: int, label: str = "simulating blocks") -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    bar = f"{'#' * filled}{'.' * (width - filled)}"
    sys.stderr.write(f"\r  {label:<18} [{bar}] {done:,}/{total:,}{end}")
    sys.stderr.flush()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chaintrace", description="Generate a training chain.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="simulate an economy and write a dataset + ground truth")
    g.add_argument("--seed", type=int, default=20240301, help="random seed (same seed, same bytes)")
    g.add_argument("--transactions", type=int, default=20_000, help="about how many transactions")
    g.add_argument("--name", default="course", help="dataset name (folder name)")
    g.add_argument("--out", help="dataset folder (default: <datasets>/<name>)")
    g.add_argument("--truth", help="ground-truth folder (default: <groundtruth>/<name>)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument(
        "--no-cases",
        action="store_true",
        help="scale profile: the same economy without the scripted curriculum cases",
    )
    return p


def main(argv=None) -> int:
    """Run the generator command line; returns the exit status."""
    args = parser().parse_args(argv)
    from . import generate

    out = args.out or paths.datasets_root() / args.name
    truth = args.truth or paths.groundtruth_root() / args.name
    started = time.time()
    try:
        summary = generate(
            args.seed,
            args.transactions,
            out,
            truth,
            args.name,
            progress=None if args.quiet else _progress,
            cases=not args.no_cases,
        )
    except (ValueError, FileExistsError) as exc:
        raise SystemExit(str(exc)) from None
    print(
        f"wrote {summary['transactions']:,} transactions over {summary['days']} days "
        f"({summary['blocks']:,} blocks) to {out}; ground truth in {truth} "
        f"[{time.time() - started:.1f} s]"
    )
    return 0
