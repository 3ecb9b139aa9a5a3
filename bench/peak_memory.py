#!/usr/bin/env python3
"""Run a command and report the peak memory of its whole process tree (Linux).

``/usr/bin/time`` reports the largest resident set of any one process. The generator forks two
table writers that share most of their pages with it, so that figure both misses the writers'
own copies and counts the shared pages once per process. This samples every process of the
tree every 0.25 s and sums their PSS (proportional set size: a page shared by n processes
counts 1/n in each), which is what the machine actually gives the command.

    .venv/bin/python bench/peak_memory.py .venv/bin/python bench/make_scale_dataset.py --quiet
    .venv/bin/python bench/peak_memory.py --log mem.txt --stop-at-gib 20 <command ...>

``--stop-at-gib`` kills the tree when it passes that much (a run that would exhaust a shared
machine's memory); ``--log`` writes a line every 5 s (when each phase took its memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

GIB = 1024 * 1024  # kB


def children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, ``pid`` first."""
    kids, out, todo = children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def pss_rss(pid: int) -> tuple[int, int]:
    """PSS and RSS of one process in kB (0, 0 once it is gone)."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Pss", "Rss"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return 0, 0
    return values.get("Pss", 0), values.get("Rss", 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="a line every 5 s: time, PSS, processes")
    parser.add_argument("--stop-at-gib", type=float, default=0, help="kill the tree past this")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("give the command to run")
    began = time.time()
    load = os.getloadavg()[0]
    proc = subprocess.Popen(args.command)
    peak, peak_at, peak_n, largest, logged, stopped = 0, 0.0, 0, 0, 0.0, False
    main_peak = 0  # RSS of the command's own process (the generator), without its workers
    while proc.poll() is None:
        pids = tree(proc.pid)
        sizes = [pss_rss(p) for p in pids]
        total = sum(s[0] for s in sizes)
        largest = max([largest] + [s[1] for s in sizes])
        main_peak = max(main_peak, sizes[0][1] if sizes else 0)
        if total > peak:
            peak, peak_at, peak_n = total, time.time() - began, len(pids)
        if args.log and time.time() - logged >= 5:
            with args.log.open("a") as log:
                log.write(
                    f"{time.time() - began:.0f} s: {total / GIB:.2f} GiB in {len(pids)} "
                    f"(main RSS {sizes[0][1] / GIB if sizes else 0:.2f} GiB); "
                    f"load {os.getloadavg()[0]:.1f}\n"
                )
            logged = time.time()
        if args.stop_at_gib and total > args.stop_at_gib * GIB and not stopped:
            print(f"peak_memory: {total / GIB:.2f} GiB, over the limit: stopping", file=sys.stderr)
            for p in reversed(pids):
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
            stopped = True
        time.sleep(0.25)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"peak_memory: exit {proc.returncode}; {time.time() - began:.1f} s wall, CPU "
        f"{used.ru_utime:.1f} s user + {used.ru_stime:.1f} s system; peak PSS of the tree "
        f"{peak / GIB:.2f} GiB ({peak_n} processes, {peak_at:.0f} s in); largest single RSS "
        f"{largest / GIB:.2f} GiB; main process RSS {main_peak / GIB:.2f} GiB; "
        f"load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end",
        file=sys.stderr,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
