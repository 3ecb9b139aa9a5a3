#!/usr/bin/env python3
"""How fast and how big is every course notebook? Targets: every cell under 1 s on a fresh
kernel (the first cell included), peak kernel memory under 1 GB, the whole course (lessons +
solutions) under 2 minutes.

Runs every lesson (``course/``) and model solution (``solutions/``) listed in
``course/modules.toml`` on a fresh kernel, as a trainee opens it, then reports each notebook's
slowest cell (wall clock, and the kernel's CPU time for that cell), its total time and the
kernel's peak memory, and writes the table to ``bench/NOTEBOOKS.md`` with the versions, date,
machine and load average it was measured under.

    .venv/bin/python bench/notebooks.py            # all notebooks (writes bench/NOTEBOOKS.md)
    .venv/bin/python bench/notebooks.py 03 04      # only these modules

Wall-clock time depends on what else the machine runs: CPU time does much less, so a busy
machine shows in the gap between the two (and in the recorded load). The table says whether
each target was met, and warns when the load was too high for the wall times to be read as a
trainee's.
"""

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


def measure(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CPU_HOOK))
    nb.cells += [nbformat.v4.new_code_cell(CPU_REPORT), nbformat.v4.new_code_cell(PEAK)]
    began = time.perf_counter()
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - began
    peak_mib = int(nb.cells[-1].outputs[0]["text"]) / 1024
    cpu = json.loads(nb.cells[-2].outputs[0]["text"])  # one figure per cell run after the hook
    cells = nb.cells[1:-2]
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    walls = [cell_seconds(c) for _, c in code]
    slowest = max(range(len(code)), key=lambda n: walls[n])
    return {
        "notebook": str(path.relative_to(ROOT)),
        "cells": len(code),
        "slowest": walls[slowest],
        "slowest_cell": code[slowest][0],
        "slowest_cpu": cpu[slowest] if slowest < len(cpu) else float("nan"),
        "first": walls[0],
        "first_cpu": cpu[0] if cpu else float("nan"),
        "max_cpu": max(cpu) if cpu else float("nan"),
        "cpu_total": sum(cpu),  # the cells' own CPU (the kernel's start-up is not in it)
        "over": sum(1 for w in walls if w > CELL_TARGET),
        "total": total,
        "peak_mib": peak_mib,
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
    """Read :func:`previous`'s figures from a report's text.

    >>> previous_from("load 0.5; numpy 2.4.6, Python 3.11.7. Each notebook runs")
    ({'numpy': '2.4.6', 'Python': '3.11.7'}, {})
    >>> previous_from("| `a.ipynb` | 6 | 1.91 | 1.00 | 1.91 (cell 2) | 0.80 | 1 | 4.2 | 234 |")
    ({}, {'a.ipynb': 1.0})
    """
    found = re.search(r"((?:[\w-]+ \d[\w.+-]*?, )*Python \d+(?:\.\d+)*)", text)
    names = dict(p.rsplit(" ", 1) for p in found.group(1).split(", ")) if found else {}
    cpu = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0].startswith("`"):
            cpu[cells[0].strip("`")] = max(float(cells[3]), float(cells[5]))
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
    return lines


def main(argv: list[str]) -> int:
    # A trainee's kernel draws with matplotlib's inline backend (a PNG per figure shown);
    # MPLBACKEND=Agg, as the tests set it, would skip that drawing and hide its cost.
    os.environ.pop("MPLBACKEND", None)
    rows, loads = [], [_load()]
    for path in notebooks(argv):
        row = measure(path)
        rows.append(row)
        loads.append(_load())
        print(
            f"{row['notebook']:<58} slowest cell {row['slowest']:5.2f} s (#{row['slowest_cell']}, "
            f"CPU {row['slowest_cpu']:4.2f} s), first cell {row['first']:4.2f} s, total "
            f"{row['total']:5.1f} s, peak {row['peak_mib']:5.0f} MiB, load {loads[-1]:.1f}",
            flush=True,
        )
    grand = sum(r["total"] for r in rows)
    grand_cpu = sum(r["cpu_total"] for r in rows)
    slowest = max(rows, key=lambda r: r["slowest"])
    max_cpu = max(r["max_cpu"] for r in rows)
    quiet = max(loads) <= 1.5 * (os.cpu_count() or 1) / 2  # about one busy core or less

    def verdict(value, target):
        return "**met**" if value < target else "**not met**"

    lines = [
        "# Notebook timings",
        "",
        f"Measured by `bench/notebooks.py` on {dt.date.today()}: code at {commit()}; "
        f"{machine()}; load average {min(loads):.1f} to {max(loads):.1f} during the run; "
        f"{versions()}. Each notebook runs on a fresh kernel, as a trainee opens it, figures "
        "drawn by the inline backend as JupyterLab shows them.",
        "",
        f"- every cell under {CELL_TARGET:.0f} s, the first included: slowest "
        f"{slowest['slowest']:.2f} s wall (`{slowest['notebook']}` cell {slowest['slowest_cell']})"
        f": {verdict(slowest['slowest'], CELL_TARGET)}; the most CPU any cell took: "
        f"{max_cpu:.2f} s ({verdict(max_cpu, CELL_TARGET)} on CPU time)",
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
        "| notebook | code cells | first cell (s) | first cell CPU (s) | slowest cell (s) | "
        "its CPU (s) | cells over 1 s | total (s) | peak memory (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['notebook']}` | {r['cells']} | {r['first']:.2f} | {r['first_cpu']:.2f} | "
        f"{r['slowest']:.2f} (cell {r['slowest_cell']}) | {r['slowest_cpu']:.2f} | {r['over']} | "
        f"{r['total']:.1f} | {r['peak_mib']:.0f} |"
        for r in rows
    ]
    lines += [
        "",
        f"Whole course: {grand:.0f} s for {len(rows)} notebooks ({grand_cpu:.0f} s of the cells' "
        "CPU time).",
        "",
    ]
    changed = drift(rows, previous(ROOT / "bench" / "NOTEBOOKS.md"))
    if changed:  # a dependency update or a data change moved the figures: say so
        lines += ["Changed since the previous measurement (the report this one replaces):", ""]
        lines += [*changed, ""]
        print("changed since the previous report:\n" + "\n".join(changed))
    if not argv:
        (ROOT / "bench" / "NOTEBOOKS.md").write_text("\n".join(lines), encoding="utf-8")
    print(
        f"whole course: {grand:.0f} s ({grand_cpu:.0f} s of the cells' CPU); load "
        f"{min(loads):.1f} to {max(loads):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
