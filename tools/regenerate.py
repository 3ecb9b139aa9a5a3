#!/usr/bin/env python3
"""Regenerate everything derived from the course data, in order, with one command.

python tools/regenerate.py           # course dataset + ground truth, then every report
python tools/regenerate.py --reports # the reports only (the data is already regenerated)

Steps (each is also a command of its own):
1. ``python -m chaintrace.sim generate --seed 20240301 --transactions 20000 --name course``:
   ``datasets/course/`` (with its ``SHA256SUMS``) and ``groundtruth/course/``;
2. ``python -m chaintrace.course.realism``: ``docs/realism.md``;
3. ``python -m chaintrace.course.datasheet``: the generated sections of ``datasets/README.md``
   (statistics, case list, file sizes, realism gaps);
4. ``python -m chaintrace.accuracy``: ``docs/accuracy.md``;
5. ``python tools/modules_table.py``: the module table of ``README.md``;
6. ``python tools/answer_key.py``: ``course/answer-key.json``, the salted digests of the model
   answers on the bundled data that the assignments' visible checks compare with (it runs every
   model solution, hidden tests included: a few minutes).

Figures pinned in tests and docs by hand are not rewritten: after a regeneration, run the tests
that read the bundled data (``tests/test_cases.py``, ``test_sim.py``, ``test_truth.py``,
``test_datasheet.py``, ``test_accuracy.py``, ``test_sim_realism.py``, ``test_dataset.py``) and
update what they report. Run from the repository root with the project's Python.
"""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED, TRANSACTIONS, NAME = 20240301, 20000, "course"

DATA = [
    [
        "-m",
        "chaintrace.sim",
        "generate",
        "--seed",
        str(SEED),
        "--transactions",
        str(TRANSACTIONS),
        "--name",
        NAME,
        "--quiet",
    ]
]
REPORTS = [
    ["-m", "chaintrace.course.realism"],
    ["-m", "chaintrace.course.datasheet"],
    ["-m", "chaintrace.accuracy"],
    [str(ROOT / "tools" / "modules_table.py")],
    [str(ROOT / "tools" / "answer_key.py")],
]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    steps = REPORTS if "--reports" in argv else DATA + REPORTS
    for step in steps:
        started = time.monotonic()
        print("$ python " + " ".join(step), flush=True)
        done = subprocess.run([sys.executable, *step], cwd=ROOT)
        if done.returncode:
            print(f"failed (exit {done.returncode}): fix it, then rerun", file=sys.stderr)
            return done.returncode
        print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
