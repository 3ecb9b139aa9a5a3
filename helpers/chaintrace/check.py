"""Is this machine ready for the course? One call answers, and says how to fix what is not.

Run it at the start of module 00, or from a terminal with ``chaintrace check``:

>>> from chaintrace.check import check_environment
>>> report = check_environment()
>>> report.ok
True
>>> print(report)  # doctest: +ELLIPSIS
✓ Python: 3...
...
All checks passed.
"""

import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata, util

from .errors import ChaintraceError

# (distribution, import name, oldest version the course is tested with)
# nbgrader and jupyterlab run the server, not the kernel: finding them is enough (importing
# nbgrader alone takes 2.5 s). They come with the course, not the toolkit (the `course` extra).
SERVER_SIDE = {"nbgrader", "jupyterlab"}
REQUIRED = [
    ("pandas", "pandas", "2.2"),
    ("numpy", "numpy", "1.26"),
    ("pyarrow", "pyarrow", "15"),
    ("matplotlib", "matplotlib", "3.8"),
    ("networkx", "networkx", "3.2"),
    ("requests", "requests", "2.31"),
    ("PyYAML", "yaml", "6"),
    ("nbgrader", "nbgrader", "0.9.6"),
    ("jupyterlab", "jupyterlab", "4.2"),
]

REINSTALL = "run `python3 run.py course` again from the course folder; it repairs the installation"
COURSE_ONLY = (
    "the course needs it, the toolkit does not: run `python3 run.py course` from the course "
    "folder (or `pip install 'chaintrace[course]'`)"
)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed, and the fix if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"
        return line if self.ok else f"{line}\n    fix: {self.fix}"


@dataclass
class EnvironmentReport:
    """All checks; ``ok`` is True when every one passed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def __str__(self) -> str:
        summary = "All checks passed." if self.ok else f"{len(self.problems)} problem(s) to fix."
        return "\n".join([*map(str, self.checks), summary])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if c.ok else '❌'}</td><td>{c.name}</td><td>{c.detail}</td>"
            f"<td>{c.fix}</td></tr>"
            for c in self.checks
        )
        verdict = (
            "<b>All checks passed: you are ready.</b>"
            if self.ok
            else f"<b>{len(self.problems)} problem(s): follow the fix column, then run again.</b>"
        )
        return (
            "<table><tr><th></th><th>check</th><th>found</th><th>fix</th></tr>"
            f"{rows}</table><p>{verdict}</p>"
        )


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_python() -> Check:
    version = platform.python_version()
    ok = sys.version_info >= (3, 11)
    return Check("Python", ok, version, "install Python 3.11 or newer, then " + REINSTALL)


def check_package(dist: str, module: str, oldest: str) -> Check:
    try:
        version = metadata.version(dist)
        if module in SERVER_SIDE:
            if util.find_spec(module) is None:
                raise ModuleNotFoundError(module)
        else:
            __import__(module)
    except Exception as error:  # missing, or installed but broken
        fix = COURSE_ONLY if module in SERVER_SIDE else REINSTALL
        return Check(dist, False, f"not usable ({type(error).__name__})", fix)
    ok = _version_tuple(version) >= _version_tuple(oldest)
    return Check(dist, ok, version, f"version {oldest} or newer is needed; {REINSTALL}")


def check_dataset(name: str) -> Check:
    from chaintrace.dataset import load_dataset

    try:
        dataset = load_dataset(name)
    except Exception as error:
        return Check(
            f"dataset '{name}'",
            False,
            str(error).splitlines()[0],
            "restore the bundled data with `git checkout -- datasets/` (or download the "
            "course again); never edit files in datasets/ by hand",
        )
    return Check(
        f"dataset '{name}'",
        True,
        f"{len(dataset.transactions):,} transactions, checksums verified",
    )


def check_plotting() -> Check:
    try:
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots()
        axes.plot([0, 1], [0, 1])
        plt.close(figure)
    except Exception as error:
        return Check("plots", False, f"matplotlib cannot draw ({error})", REINSTALL)
    return Check("plots", True, "matplotlib draws")


def check_environment(dataset: str = "course") -> EnvironmentReport:
    """Check Python, the course's packages, the bundled dataset's checksums and plotting.

    Returns an :class:`EnvironmentReport`; in a notebook it shows as a table, each failed line
    with the fix to apply.
    """
    checks = [check_python()]
    checks += [check_package(*required) for required in REQUIRED]
    checks.append(check_dataset(dataset))
    checks.append(check_plotting())
    return EnvironmentReport(checks)


def main() -> int:
    """Print the report; the exit status is 0 when every check passed (for scripts and CI)."""
    report = check_environment()
    print(report)
    return 0 if report.ok else 1


class NotAnswered(ChaintraceError, NotImplementedError):
    """Raised by a test cell whose question still holds its placeholder ``...``."""


def answered(value, name: str):
    """Stop a test cell politely when its question has not been answered yet.

    Exercise scaffolds start every answer as ``...`` (Python's Ellipsis); a test cell calls this
    first, so an unanswered question says so instead of failing with a confusing error. When the
    cell run just before stopped with an error while computing ``name``, the message says that
    cell failed, and how, rather than that no answer was written.

    >>> answered(42, "fee_sats")
    42
    >>> answered(..., "fee_sats")
    Traceback (most recent call last):
    ...
    chaintrace.check.NotAnswered: `fee_sats` has no answer yet: write your code in the cell above (replace the `...` and the `raise NotImplementedError()` line), run it, then run this cell again.
    """
    if value is ... or value is None:
        failure = _failed_answer_cell(name)
        if failure is not None:
            raise NotAnswered(
                f"`{name}` has no answer: the cell that computes it stopped with an error "
                f"({type(failure).__name__}: {failure}). Fix that error (its message is under "
                "the cell), run the cell again, then run this cell again."
            )
        raise NotAnswered(
            f"`{name}` has no answer yet: write your code in the cell above (replace the `...` "
            "and the `raise NotImplementedError()` line), run it, then run this cell again."
        )
    return value


def _failed_answer_cell(name: str) -> BaseException | None:
    """The error of the cell run just before, if it mentions ``name`` and did not stop at the
    placeholder's ``NotImplementedError``; else None (also outside IPython, e.g. in the grader).

    IPython keeps the result of the previous cell while the current one runs.

    >>> _failed_answer_cell("fee_sats") is None  # no IPython here
    True
    """
    shell = _ipython()
    result = getattr(shell, "last_execution_result", None)
    if result is None:
        return None
    error = result.error_in_exec or result.error_before_exec
    source = getattr(getattr(result, "info", None), "raw_cell", "") or ""
    if error is None or isinstance(error, NotImplementedError) or name not in source:
        return None
    return error


def _ipython():
    """The running IPython shell, or None."""
    module = sys.modules.get("IPython")
    get = getattr(module, "get_ipython", None)
    return get() if callable(get) else None


def apply_each(function, *iterables) -> list:
    """``list(map(function, *iterables))``: what a test cell uses to try a function on many cases.

    In your notebook it is exactly a loop. When your work is graded, your function is called
    back in your notebook by the grader, and this asks all the cases in one go.

    >>> apply_each(abs, [-2, 3])
    [2, 3]
    >>> apply_each(pow, [2, 3], [3, 2])
    [8, 9]
    """
    each = getattr(function, "each", None)
    if callable(each) and getattr(function, "__module__", "") == "chaintrace.grader.checker":
        return list(each(*iterables))
    return [function(*args) for args in zip(*iterables, strict=True)]
