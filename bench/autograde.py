"""Autograde a class: N submissions of one assignment with the real ``nbgrader autograde``.

    .venv/bin/python bench/autograde.py                       # 30 of 03-tracing
    .venv/bin/python bench/autograde.py --assignment 07-obfuscation --students 30

The class is a third model answers, a third blank releases and a third the assignment's typical
mistake (``tests/mistakes.toml``), submitted to a throw-away copy of the course. Prints the wall
time of the one ``nbgrader autograde`` call, its CPU time (nbgrader, kernels, sandboxes and the
checker together), both per submission, the machine's load before the run, and checks that the
grades are the ones each kind of submission must get.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nbgrading import Course, auto_points  # noqa: E402
from grading_batch import MISTAKES, mistaken  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="03-tracing")
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as tmp:
        course = Course.create(Path(tmp), args.assignment)
        course.generate()
        source, release = course.read_source(), course.read_release()
        kinds = {
            "model": source,
            "blank": release,
            "mistake": mistaken(source, MISTAKES[args.assignment]),
        }
        for i in range(args.students):
            kind = list(kinds)[i % 3]
            course.submit(f"{kind}{i:02d}", kinds[kind])
        load = os.getloadavg()[0]
        cpu, start = children_cpu(), time.perf_counter()
        result = course.autograde()
        wall, cpu = time.perf_counter() - start, children_cpu() - cpu
        available = auto_points(source)
        totals = {s: sum(course.scores(s).values()) for s in course.students}
        wrong = [
            s
            for s, total in totals.items()
            if (s.startswith("model") and total != available)
            or (s.startswith("blank") and total != 0)
            or (s.startswith("mistake") and not 0 < total < available)
        ]
    n = args.students
    print(
        f"{args.assignment}: {n} submissions autograded in {wall:.1f} s wall "
        f"({wall / n:.2f} s each), {cpu:.1f} s CPU ({cpu / n:.2f} s each); load before {load:.2f}; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; exit {result.returncode}"
    )
    if wrong:
        print(f"WRONG GRADES: {wrong}")
        return 1
    print("grades as expected: model = full automatic marks, blank = 0, mistake = partial")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
