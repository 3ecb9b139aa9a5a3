#!/usr/bin/env python3
"""Write ``course/answer-key.json``: salted digests of the model answers on the bundled data.

The visible test cells of an assignment check answers with ``confirm(name, value)`` (made in the
setup cell by ``chaintrace.check.answer_checks``). This tool runs each assignment's model
solution on the bundled data (``solutions/<assignment>``), with every ``confirm`` recording the
canonical answer instead of checking it, and stores only salted digests. The model solution's
hidden tests, which read the ground truth, run in the same pass: a solution that disagrees with
the ground truth stops the tool, so every digest is of an answer the ground truth confirms.
Nothing here is typed by hand; regenerate after the data or a solution changes:

    python tools/answer_key.py                   # every assignment that has answer checks
    python tools/answer_key.py 01-ledgers        # only these (the others' digests are kept)
"""

import json
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "helpers"))

from chaintrace.check import ANSWER_KEY, AnswerKey, dataset_fingerprint  # noqa: E402

MAKER = re.compile(r"""confirm\s*=\s*answer_checks\(\s*["']([^"']+)["']""")
RECORD = "confirm = confirm.recording()"
REPORT = "import json as _json\nprint('ANSWERS ' + _json.dumps(confirm.record))"


def assignments() -> list[tuple[str, str]]:
    with open(ROOT / "course" / "modules.toml", "rb") as handle:
        modules = tomllib.load(handle)["module"]
    return [(m["assignment"], m["dataset"]) for m in modules]


def source_of(assignment: str) -> Path:
    (path,) = sorted((ROOT / "solutions" / assignment).glob("*.ipynb"))
    return path


def recorded_answers(assignment: str) -> dict[str, str] | None:
    """The canonical model answers of one assignment, or None if it has no answer checks."""
    path = source_of(assignment)
    nb = nbformat.read(path, as_version=4)
    setup = [i for i, c in enumerate(nb.cells) if MAKER.search(c.source)]
    if not setup:
        return None
    named = MAKER.search(nb.cells[setup[0]].source).group(1)
    if named != assignment:
        raise SystemExit(f"{path}: its setup makes the checks of {named!r}, not {assignment!r}")
    nb.cells.insert(setup[0] + 1, nbformat.v4.new_code_cell(RECORD))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    for cell in nb.cells:
        cell.pop("id", None)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    for output in nb.cells[-1].outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith("ANSWERS "):
                return json.loads(line.removeprefix("ANSWERS "))
    raise SystemExit(f"{path}: the model solution ran but reported no answers")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ["CHAINTRACE_VARIANT"] = "default"  # the bundled data, whatever cohort is active
    os.environ.setdefault("MPLBACKEND", "Agg")
    known = dict(assignments())
    unknown = [a for a in argv if a not in known]
    if unknown:
        print(f"no such assignment: {unknown}; see course/modules.toml", file=sys.stderr)
        return 2
    fingerprint = dataset_fingerprint("course")
    if any(known[a] != "course" for a in known):
        raise SystemExit("answer checks are made for the bundled 'course' dataset only")
    old = AnswerKey.load()
    answers = {}
    for assignment in argv or list(known):
        started = time.monotonic()
        found = recorded_answers(assignment)
        if found is not None:
            answers[assignment] = found
            print(f"{assignment}: {len(found)} answers in {time.monotonic() - started:.1f} s")
    key = AnswerKey.build(fingerprint, answers)
    if argv and old.fingerprint == fingerprint:  # keep the digests of the assignments not rerun
        key.digests = dict(sorted({**old.digests, **key.digests}.items()))
    (ROOT / "course" / ANSWER_KEY).write_text(key.to_json(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
