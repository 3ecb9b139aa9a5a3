"""How ``nbgrader_config.py`` wires the grader into ``nbgrader autograde``.

- :func:`autograde_preprocessors`: nbgrader's steps with ``Execute`` replaced by
  :class:`~chaintrace.grader.sandbox.SandboxedExecute`;
- :func:`sanitize_preprocessors`: with ``OverwriteCells`` replaced by :class:`RestoreLockedCells`,
  which restores edited locked cells as before but says so only when a trainee really edited
  one (a released test cell differs from its source by the hidden tests, which nbgrader
  reported as a changed checksum for every test of every submission);
- :func:`install`: before each submission is copied, refuse it for that trainee if it holds
  links or special files (:mod:`~chaintrace.grader.checks`); show progress (``12/30``); print a
  summary table at the end; feedback holds only the graded notebook's page.

>>> [p.__name__ for p in autograde_preprocessors()][:2]
['SandboxedExecute', 'IgnorePattern']
>>> released_form("a = 1\\n### BEGIN HIDDEN TESTS\\nassert secret\\n### END HIDDEN TESTS\\n")
'a = 1'
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

from nbgrader.preprocessors import Execute, OverwriteCells

from .checks import SubmissionRefused, refusal
from .sandbox import RECORDS, SandboxedExecute

__all__ = [
    "RestoreLockedCells",
    "autograde_preprocessors",
    "install",
    "released_form",
    "sanitize_preprocessors",
    "summary",
]

HIDDEN = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S
)
EDITED: dict[str, list[str]] = defaultdict(list)  # trainee -> locked cells they edited
REFUSED: dict[str, str] = {}  # trainee -> why their submission was not graded
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader's, not the trainee's work


def released_form(source: str) -> str:
    """A test cell's source as the release shows it: hidden tests removed."""
    return HIDDEN.sub("", source).strip()


class RestoreLockedCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, quiet about the hidden tests a release never shows."""

    def preprocess(self, nb, resources):
        self._student = resources.get("nbgrader", {}).get("student", "?")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and cell.metadata.get("nbgrader", {}).get("locked"):
            try:
                source = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id
                ).source
            except Exception:  # unknown cell: nbgrader's own handling says so
                source = None
            if source is not None and released_form(cell.source) == released_form(source):
                cell.source = source  # the released form of this very cell: nothing edited
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            EDITED[self._student].append(name)
            self.log.warning(
                "[grading] %s edited the locked cell %s; the instructor's version is graded",
                self._student,
                name,
            )
        else:
            super().report_change(name, attr, old, new)


def autograde_preprocessors() -> list:
    """nbgrader's autograde steps with ``Execute`` replaced by ``SandboxedExecute``."""
    from nbgrader.converters.autograde import Autograde

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [SandboxedExecute if p is Execute else p for p in default]


def sanitize_preprocessors() -> list:
    """nbgrader's sanitising steps with ``OverwriteCells`` replaced by ``RestoreLockedCells``."""
    from nbgrader.converters.autograde import Autograde

    default = Autograde.class_traits()["sanitize_preprocessors"].default()
    return [RestoreLockedCells if p is OverwriteCells else p for p in default]


def install() -> None:
    """Add refusal, progress and the summary to ``nbgrader autograde`` (once per process)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_feedback import GenerateFeedback

    if getattr(Autograde, "_chaintrace_installed", False):
        return
    original_init = Autograde.init_assignment
    original_convert = Autograde.convert_notebooks

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        self._chaintrace_done = getattr(self, "_chaintrace_done", 0) + 1
        total = len(getattr(self, "assignments", {})) or "?"
        self.log.info("[grading] %s/%s %s", self._chaintrace_done, total, student_id)
        why = refusal(Path(self._format_source(assignment_id, student_id)))
        if why:
            REFUSED[student_id] = why
            self.log.error("[grading] %s's submission is NOT graded: %s", student_id, why)
            raise SubmissionRefused(
                f"{student_id}'s submission was not graded: {why}. Ask for the notebook again as "
                "an ordinary file (or remove the offending entry from submitted/) and autograde "
                "that trainee again."
            )
        return original_init(self, assignment_id, student_id)

    def convert_notebooks(self) -> None:
        try:
            original_convert(self)
        finally:
            if RECORDS or REFUSED:
                self.log.info("[grading] summary\n%s", summary())

    def feedback_without_files(self, assignment_id: str, student_id: str) -> None:
        """Feedback is the graded notebook's page, with the two small files nbgrader's exchange
        pairs it to the submission by (its timestamp and secret): nbgrader would also copy every
        other file of the graded folder back to the trainee."""
        graded = Path(self._format_source(assignment_id, student_id))
        dest = Path(self._format_dest(assignment_id, student_id))
        for name in EXCHANGE_FILES:
            kept = graded / name
            if kept.is_file() and not kept.is_symlink() and kept.stat().st_size < 4096:
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(kept, dest / name)

    Autograde.init_assignment = init_assignment
    Autograde.convert_notebooks = convert_notebooks
    GenerateFeedback.init_assignment = feedback_without_files
    Autograde._chaintrace_installed = True


def summary() -> str:
    """One line per submission graded in this process: score, timeouts, what was found."""
    rows = [("submission", "auto score", "timeouts", "found")]
    for record in RECORDS:
        student = record.label.split("/")[0]
        found = [f"edited {', '.join(EDITED[student])}"] if EDITED.get(student) else []
        if record.removed:
            found.append(f"{len(record.removed)} files its code created were removed")
        found += record.problems[:3]
        score = f"{record.points:g}/{record.available:g}"
        rows.append((record.label, score, str(record.timeouts), "; ".join(found) or "-"))
    for student, why in REFUSED.items():
        rows.append((student, "not graded", "-", f"REFUSED: {why}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    )
