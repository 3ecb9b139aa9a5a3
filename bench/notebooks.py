#!/usr/bin/env python3
"""How fast and how big is every course notebook? (The course's targets: each cell < 2 s, peak < 1 GB.)

Runs every lesson (``course/``) and model solution (``solutions/``) listed in
``course/modules.toml`` on a fresh kernel, then reports each notebook's slowest cell, its total
time and the kernel's peak memory, and writes the table to ``bench/NOTEBOOKS.md``.

    .venv/bin/python bench/notebooks.py            # all notebooks
    .venv/bin/python bench/notebooks.py 03 04      # only these modules

Times are wall-clock on this machine: run it on a quiet machine (``uptime`` is recorded).
"""

import datetime as dt
import os
import sys
import time
import tomllib
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
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
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    began = time.perf_counter()
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - began
    peak_mib = int(nb.cells[-1].outputs[0]["text"]) / 1024
    code = [(i, c) for i, c in enumerate(nb.cells[:-1]) if c.cell_type == "code"]
    slowest_index, slowest = max(((i, cell_seconds(c)) for i, c in code), key=lambda x: x[1])
    over = sum(1 for _, c in code if cell_seconds(c) > 2.0)
    return {
        "notebook": str(path.relative_to(ROOT)),
        "cells": len(code),
        "slowest": slowest,
        "slowest_cell": slowest_index,
        "over_2s": over,
        "total": total,
        "peak_mib": peak_mib,
    }


def main(argv: list[str]) -> int:
    rows = []
    for path in notebooks(argv):
        row = measure(path)
        rows.append(row)
        print(
            f"{row['notebook']:<58} slowest cell {row['slowest']:5.2f} s (#{row['slowest_cell']}), "
            f"{row['over_2s']} over 2 s, total {row['total']:5.1f} s, peak {row['peak_mib']:5.0f} MiB",
            flush=True,
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Notebook timings",
        "",
        f"Measured by `bench/notebooks.py` on {dt.date.today()} (load average {load:.1f}, "
        f"{os.cpu_count()} cores). The course's targets: every cell under 2 s; peak kernel "
        "memory under 1 GB; the whole course (lessons + solutions) under 5 minutes.",
        "",
        "| notebook | code cells | slowest cell (s) | cells over 2 s | total (s) | peak memory (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['notebook']}` | {r['cells']} | {r['slowest']:.2f} | {r['over_2s']} | "
        f"{r['total']:.1f} | {r['peak_mib']:.0f} |"
        for r in rows
    ]
    grand = sum(r["total"] for r in rows)
    lines += ["", f"Whole course: {grand:.0f} s for {len(rows)} notebooks.", ""]
    if not argv:
        (ROOT / "bench" / "NOTEBOOKS.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"whole course: {grand:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
