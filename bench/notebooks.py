#!/usr/bin/env python3
"""How fast and how big is every course notebook? Targets: every cell under 1 s on a fresh
kernel (the first cell included), peak kernel memory under 1 GB, the whole course (lessons +
solutions) under 2 minutes.

Runs every lesson (``course/``) and model solution (``solutions/``) listed in
``course/modules.toml`` on a fresh kernel, as a trainee opens it: by default the course's own
kernel (``deploy/kernel``, what ``run.py course`` and the class server start; it imports numpy,
pyarrow, pandas and pyplot before it says it is ready, while the notebook opens), so the time
from the kernel's start to ready is reported beside the cells. Then reports each notebook's
first and slowest cell (wall clock, and the kernel's CPU time for that cell), its total time
and the kernel's peak memory, and writes the table to ``bench/NOTEBOOKS.md`` with the versions,
date, machine and load average it was measured under.

    .venv/bin/python bench/notebooks.py                       # writes bench/NOTEBOOKS.md
    .venv/bin/python bench/notebooks.py --compare --repeat 2  # also ipykernel as installed,
                                                              # alternately; least of 2 runs
    .venv/bin/python bench/notebooks.py 03 04                 # only these modules

Wall-clock time depends on what else the machine runs: CPU time does much less, so a busy
machine shows in the gap between the two (and in the recorded load). The table says whether
each target was met, and warns when the load was too high for the wall times to be read as a
trainee's. Each run compares itself with the report it replaces and prints a WARNING when the
versions changed or a notebook's costliest cell moved by over a third.
"""

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# run first in each kernel: records the kernel's own CPU time (user + system) for every cell
CPU_HOOK = (
    "import resource as _r\n"
    "_bench_cpu = []\n"
    "def _bench_now():\n"
    "    u = _r.getrusage(_r.RUSAGE_SELF)\n"
    "    return u.ru_utime + u.ru_stime\n"
    "def _bench_pre(*_):\n"
    "    _bench_cpu.append(-_bench_now())\n"
    "def _bench_post(*_):\n"
    "    _bench_cpu[-1] += _bench_now()\n"
    "get_ipython().events.register('pre_run_cell', _bench_pre)\n"
    "get_ipython().events.register('post_run_cell', _bench_post)"
)
CPU_REPORT = "import json as _j; print(_j.dumps(_bench_cpu[:-1]))"
CELL_TARGET, COURSE_TARGET = 1.0, 120.0
REPORT = ROOT / "bench" / "NOTEBOOKS.md"
KERNELS = ROOT / "deploy" / "kernel"  # the course's kernel spec (run.py puts it on JUPYTER_PATH)
PEAK = (
    "import resource as _r, sys as _s\n"
    "_kib = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss\n"
    "print(_kib if _s.platform != 'darwin' else _kib // 1024)"
)


def notebooks(only: list[str]) -> list[Path]:
    with open(ROOT / "course" / "modules.toml", "rb") as handle:
        modules = tomllib.load(handle)["module"]
    found = []
    for module in modules:
        if only and module["number"] not in only:
            continue
        found.append(ROOT / "course" / module["lesson"])
        found += sorted((ROOT / "solutions" / module["assignment"]).glob("*.ipynb"))
    return found


def cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = dt.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run(path: Path) -> dict:
    """One run of a notebook on a fresh kernel: the kernel's start, each code cell's wall and CPU
    time, the whole and the kernel's peak memory."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CPU_HOOK))
    nb.cells += [nbformat.v4.new_code_cell(CPU_REPORT), nbformat.v4.new_code_cell(PEAK)]
    client = NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}})
    began = time.perf_counter()
    with client.setup_kernel():  # as JupyterLab does on opening the notebook: start, wait ready
        ready = time.perf_counter() - began
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    total = time.perf_counter() - began
    cells = nb.cells[1:-2]
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    return {
        "ready": ready,
        "total": total,
        "index": [i for i, _ in code],
        "wall": [cell_seconds(c) for _, c in code],
        "cpu": json.loads(nb.cells[-2].outputs[0]["text"]),  # one figure per cell after the hook
        "peak_mib": int(nb.cells[-1].outputs[0]["text"]) / 1024,
        "load": _load(),
    }


def summary(notebook: str, runs: list[dict]) -> dict:
    """One notebook's row from its runs: each figure is its least over the runs, cell by cell
    (the machine is shared: the least is what other jobs disturbed least), the load the most.

    >>> one = {"ready": 1.0, "total": 5.0, "index": [1, 3], "wall": [0.9, 1.4], "cpu": [0.8, 0.9],
    ...        "peak_mib": 200.0, "load": 2.0}
    >>> two = dict(one, ready=1.2, total=4.0, wall=[1.1, 0.7], cpu=[0.7, 0.6], load=3.0)
    >>> row = summary("a.ipynb", [one, two])
    >>> row["slowest"], row["slowest_cell"], row["first"], row["max_cpu"], row["over"], row["load"]
    (0.9, 1, 0.9, 0.7, 0, 3.0)
    """
    walls = [min(r["wall"][n] for r in runs) for n in range(len(runs[0]["wall"]))]
    cpu = [min(r["cpu"][n] for r in runs) for n in range(len(runs[0]["cpu"]))]
    slowest = max(range(len(walls)), key=lambda n: walls[n])
    return {
        "notebook": notebook,
        "cells": len(walls),
        "ready": min(r["ready"] for r in runs),
        "slowest": walls[slowest],
        "slowest_cell": runs[0]["index"][slowest],
        "slowest_cpu": cpu[slowest] if slowest < len(cpu) else float("nan"),
        "first": walls[0],
        "first_cpu": cpu[0] if cpu else float("nan"),
        "max_cpu": max(cpu) if cpu else float("nan"),
        "cpu_total": sum(cpu),  # the cells' own CPU (the kernel's start-up is not in it)
        "over": sum(1 for w in walls if w > CELL_TARGET),
        "total": min(r["total"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
        "load": max(r["load"] for r in runs),
    }


def versions() -> str:
    from importlib.metadata import version

    names = ("numpy", "pandas", "pyarrow", "scipy", "matplotlib", "networkx", "ipykernel")
    return ", ".join(f"{n} {version(n)}" for n in names) + f", Python {sys.version.split()[0]}"


def machine() -> str:
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = "unknown CPU"
    return f"{os.cpu_count()} cores ({cpu})"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return out.stdout.strip() + (" plus uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def previous(path: Path) -> tuple[dict[str, str], dict[str, float]]:
    """The versions and each notebook's most CPU in one cell, as the last report recorded them."""
    return previous_from(path.read_text(encoding="utf-8")) if path.exists() else ({}, {})


def previous_from(text: str) -> tuple[dict[str, str], dict[str, float]]:
    """Read :func:`previous`'s figures from a report's text (its table found by its header).

    >>> previous_from("load 0.5; numpy 2.4.6, Python 3.11.7. Each notebook runs")
    ({'numpy': '2.4.6', 'Python': '3.11.7'}, {})
    >>> previous_from(
    ...     "| notebook | first cell CPU (s) | its CPU (s) |\\n|---|---|---|\\n| `a.ipynb` | 1.00 | 0.80 |"
    ... )
    ({}, {'a.ipynb': 1.0})
    """
    found = re.search(r"((?:[\w-]+ \d[\w.+-]*?, )*Python \d+(?:\.\d+)*)", text)
    names = dict(p.rsplit(" ", 1) for p in found.group(1).split(", ")) if found else {}
    cpu, columns = {}, []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "notebook":  # a table's header: the main table has both columns
            wanted = ("first cell CPU (s)", "its CPU (s)")
            columns = [cells.index(c) for c in wanted] if set(wanted) <= set(cells) else []
        elif columns and cells[0].startswith("`") and len(cells) > max(columns):
            cpu[cells[0].strip("`")] = max(float(cells[n]) for n in columns)
    return names, cpu


def drift(rows: list[dict], before: tuple[dict[str, str], dict[str, float]]) -> list[str]:
    """What changed since the last report: versions, and notebooks whose costliest cell moved
    by more than a third of its CPU time (and 0.1 s)."""
    names, cpu = before
    now = dict(p.rsplit(" ", 1) for p in versions().split(", "))
    lines = [f"- {n}: {names[n]} -> {v}" for n, v in now.items() if n in names and names[n] != v]
    for r in rows:
        old, new = cpu.get(r["notebook"]), max(r["first_cpu"], r["max_cpu"])
        if old is not None and abs(new - old) > max(old / 3, 0.1):
            lines.append(f"- `{r['notebook']}`: most CPU in one cell {old:.2f} s -> {new:.2f} s")
    lines += [
        f"- {n}: installed now, not in the last report" for n in now if names and n not in names
    ]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="only these modules (the report is not written)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the least kept")
    parser.add_argument(
        "--kernel",
        choices=("course", "plain"),
        default="course",
        help="course: the kernel run.py gives trainees (deploy/kernel: the lessons' libraries "
        "imported while the notebook opens); plain: ipykernel as installed",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run every notebook on the other kernel, alternately, and report both",
    )
    args = parser.parse_args(argv)
    # A trainee's kernel draws with matplotlib's inline backend (a PNG per figure shown);
    # MPLBACKEND=Agg, as the tests set it, would skip that drawing and hide its cost.
    os.environ.pop("MPLBACKEND", None)
    other = {"course": "plain", "plain": "course"}[args.kernel]
    kinds = [args.kernel, other] if args.compare else [args.kernel]
    rows, others, loads = [], [], [_load()]
    for path in notebooks(args.modules):
        runs: dict[str, list] = {kind: [] for kind in kinds}
        for _ in range(max(args.repeat, 1)):
            for kind in kinds:  # alternately: both kernels meet the same load
                use_kernel(kind)
                runs[kind].append(run(path))
        for kind, found in zip(kinds, (rows, others), strict=False):
            row = summary(str(path.relative_to(ROOT)), runs[kind])
            found.append(row)
            loads += [r["load"] for r in runs[kind]]
            print(
                f"{row['notebook']:<58} {kind:>6}: ready {row['ready']:4.2f} s, first cell "
                f"{row['first']:4.2f} s (CPU {row['first_cpu']:4.2f}), slowest "
                f"{row['slowest']:5.2f} s (#{row['slowest_cell']}, CPU {row['slowest_cpu']:4.2f}),"
                f" total {row['total']:5.1f} s, peak {row['peak_mib']:4.0f} MiB, "
                f"load {row['load']:.1f}",
                flush=True,
            )
    lines = report(rows, loads, args)
    if others:
        lines += comparison(rows, others, other)
    changed = drift(rows, previous(REPORT))
    if changed:  # a dependency update, a data or code change moved the figures: say so, loudly
        lines += ["Changed since the previous measurement (the report this one replaces):", ""]
        lines += [*changed, ""]
        print(
            "WARNING: these figures drifted from the ones recorded in bench/NOTEBOOKS.md "
            "(versions, or a notebook's costliest cell by over a third):\n" + "\n".join(changed),
            file=sys.stderr,
        )
    if not args.modules:
        REPORT.write_text("\n".join(lines), encoding="utf-8")
    grand = sum(r["total"] for r in rows)
    print(f"whole course: {grand:.0f} s; load {min(loads):.1f} to {max(loads):.1f}")
    return 0


def use_kernel(kind: str) -> None:
    """Run notebooks on the course's kernel (as ``run.py course`` and the class server set
    ``JUPYTER_PATH``) or on ipykernel as installed."""
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    paths = [p for p in paths if Path(p).resolve() != KERNELS.resolve()]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        ([str(KERNELS)] if kind == "course" else []) + paths
    )


def comparison(rows: list[dict], others: list[dict], kind: str) -> list[str]:
    """The same notebooks on the other kernel, run alternately with the ones above."""
    name = {"plain": "ipykernel as installed", "course": "the course's kernel"}[kind]
    lines = [
        f"The same notebooks on {name} (`--kernel {kind}`), each run alternately with the one "
        "above, so both met the same load:",
        "",
        "| notebook | kernel start to ready (s) | first cell (s) | first cell CPU (s) | "
        "most CPU in a cell (s) | total (s) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['notebook']}` | {r['ready']:.2f} | {r['first']:.2f} | {r['first_cpu']:.2f} | "
        f"{r['max_cpu']:.2f} | {r['total']:.1f} |"
        for r in others
    ]
    mine, theirs = sum(r["total"] for r in rows), sum(r["total"] for r in others)
    lines += [
        "",
        f"Whole course on {name}: {theirs:.0f} s (against {mine:.0f} s above); the most CPU "
        f"any cell took: {max(r['max_cpu'] for r in others):.2f} s; first cells "
        f"{min(r['first_cpu'] for r in others):.2f} to {max(r['first_cpu'] for r in others):.2f}"
        f" s of CPU; kernel start to ready {min(r['ready'] for r in others):.2f} to "
        f"{max(r['ready'] for r in others):.2f} s.",
        "",
    ]
    return lines


def report(rows: list[dict], loads: list[float], args) -> list[str]:
    grand = sum(r["total"] for r in rows)
    grand_cpu = sum(r["cpu_total"] for r in rows)
    slowest = max(rows, key=lambda r: r["slowest"])
    max_cpu = max(r["max_cpu"] for r in rows)
    quiet = max(loads) <= 1.5 * (os.cpu_count() or 1) / 2  # about one busy core or less
    kernel = (
        "the course's kernel (`deploy/kernel`, what `run.py course` and the class server start: "
        "numpy, pyarrow, pandas and matplotlib's pyplot imported before the kernel says it is "
        "ready, while the notebook opens)"
        if args.kernel == "course"
        else "ipykernel as installed (nothing imported before the first cell)"
    )

    def verdict(value, target):
        return "**met**" if value < target else "**not met**"

    lines = [
        "# Notebook timings",
        "",
        f"Measured by `bench/notebooks.py --repeat {args.repeat} --kernel {args.kernel}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: code at {commit()}; "
        f"{machine()}; load average {min(loads):.1f} to {max(loads):.1f} during the run; "
        f"{versions()}. Each notebook runs on a fresh kernel, as a trainee opens it: "
        f"{kernel}; figures drawn by the inline backend as JupyterLab shows them. Each figure is "
        f"the least of {args.repeat} run(s), cell by cell.",
        "",
        f"- every cell under {CELL_TARGET:.0f} s, the first included: slowest "
        f"{slowest['slowest']:.2f} s wall (`{slowest['notebook']}` cell {slowest['slowest_cell']})"
        f": {verdict(slowest['slowest'], CELL_TARGET)}; the most CPU any cell took: "
        f"{max_cpu:.2f} s ({verdict(max_cpu, CELL_TARGET)} on CPU time)",
        f"- kernel start to ready (JupyterLab starts it when the notebook opens): "
        f"{min(r['ready'] for r in rows):.2f} to {max(r['ready'] for r in rows):.2f} s",
        f"- the whole course under {COURSE_TARGET / 60:.0f} minutes: {grand:.0f} s for "
        f"{len(rows)} notebooks, kernel starts included: {verdict(grand, COURSE_TARGET)}; the "
        f"cells' own CPU time: {grand_cpu:.0f} s",
        f"- peak kernel memory under 1 GB: {max(r['peak_mib'] for r in rows):.0f} MiB at most",
        "",
    ]
    if not quiet:
        lines += [
            f"**The machine was busy** (load average up to {max(loads):.1f} on "
            f"{os.cpu_count()} cores): wall times are longer than a trainee on a quiet machine "
            "sees; the CPU columns are what each cell costs. Measure again on a quiet machine "
            "before reading the wall times as a trainee's.",
            "",
        ]
    lines += [
        "| notebook | code cells | kernel start to ready (s) | first cell (s) | "
        "first cell CPU (s) | slowest cell (s) | its CPU (s) | cells over 1 s | total (s) | "
        "peak memory (MiB) | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['notebook']}` | {r['cells']} | {r['ready']:.2f} | {r['first']:.2f} | "
        f"{r['first_cpu']:.2f} | {r['slowest']:.2f} (cell {r['slowest_cell']}) | "
        f"{r['slowest_cpu']:.2f} | {r['over']} | {r['total']:.1f} | {r['peak_mib']:.0f} | "
        f"{r['load']:.1f} |"
        for r in rows
    ]
    lines += [
        "",
        f"Whole course: {grand:.0f} s for {len(rows)} notebooks ({grand_cpu:.0f} s of the cells' "
        "CPU time).",
        "",
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
