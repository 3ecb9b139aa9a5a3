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

import hashlib
import json
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path

from .errors import ChaintraceError
from .messages import language, translate

# (distribution, import name, oldest version the course is tested with)
# nbgrader and jupyterlab run the server, not the kernel: finding them is enough (importing
# nbgrader alone takes 2.5 s). They come with the course, not the toolkit (the `course` extra).
SERVER_SIDE = {"nbgrader", "jupyterlab"}
# pure-Python packages a lesson imports only when it draws a flow or asks a live server:
# finding them (and their version) is enough here; importing both took ~0.3 s of the check
FOUND_IS_ENOUGH = SERVER_SIDE | {"networkx", "requests"}
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
        name, detail, fix = translate(self.name), translate(self.detail), translate(self.fix)
        line = f"{'✓' if self.ok else '✗'} {name}: {detail}"
        return line if self.ok else f"{line}\n    {translate('fix')}: {fix}"


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
        return "\n".join([*map(str, self.checks), translate(summary)])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if c.ok else '❌'}</td><td>{translate(c.name)}</td>"
            f"<td>{translate(c.detail)}</td><td>{translate(c.fix)}</td></tr>"
            for c in self.checks
        )
        verdict = translate(
            "All checks passed: you are ready."
            if self.ok
            else f"{len(self.problems)} problem(s): follow the fix column, then run again."
        )
        heads = "".join(f"<th>{translate(h)}</th>" for h in ("check", "found", "fix"))
        return f"<table><tr><th></th>{heads}</tr>{rows}</table><p><b>{verdict}</b></p>"


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_python() -> Check:
    version = platform.python_version()
    ok = sys.version_info >= (3, 11)
    return Check("Python", ok, version, f"install Python 3.11 or newer, then {REINSTALL}")


def check_package(dist: str, module: str, oldest: str) -> Check:
    try:
        version = metadata.version(dist)
        if module in FOUND_IS_ENOUGH:
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


def translate_test_messages() -> bool:
    """In a Jupyter kernel whose language is not English, show test cells' messages translated.

    A test cell's ``assert ..., "message"`` is written in English; this makes the kernel show
    an ``AssertionError``'s message in the course's language (English where the catalogue has
    no entry). The toolkit's own errors translate themselves. Called when this module is
    imported (every assignment's setup cell imports it); returns whether it installed the hook.
    """
    if language() == "en":
        return False
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 (only inside IPython)
    except NameError:
        return False

    def show_translated(shell, etype, value, tb, tb_offset=None):
        value = etype(translate(str(value)))
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    shell.set_custom_exc((AssertionError,), show_translated)
    return True


translate_test_messages()


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


# ----------------------------------------------------------------------------- answer checks
# A visible test cell can tell a self-learner "correct" or "not correct" without the answer
# being readable in the notebook: `course/answer-key.json` holds, for the bundled data only,
# salted digests of the model answers (written by `python tools/answer_key.py`, a step of
# `tools/regenerate.py`, from the model solutions, whose hidden tests hold them to the ground
# truth). On any other data (a cohort's variant) there is nothing to compare with, and the
# check says that the answer is checked at grading.

ANSWER_KEY = "answer-key.json"
CORRECT, NOT_CORRECT, AT_GRADING = "correct", "not correct", "checked at grading"


def canonical(value, *, digits: int = 2, ordered: bool = False) -> str:
    """The text an answer is compared as: the same for every way of writing the same answer.

    Whole numbers (Python's or numpy's) as digits, decimals rounded to ``digits`` places, text
    stripped, collections as sorted lists (in their own order when ``ordered``), tables' columns
    as lists.

    >>> canonical(5), canonical(5.0), canonical(True), canonical(" bc1qxyz ")
    ('5', '5.00', 'true', '"bc1qxyz"')
    >>> canonical({"b", "a"}) == canonical(["a", "b"]) == canonical(("b", "a"))
    True
    >>> canonical(["b", "a"], ordered=True)
    '["b","a"]'
    >>> canonical(0.123456, digits=3), canonical({"x": 1.0})
    ('0.123', '{"x":1.00}')
    >>> canonical({"tx": None})   # "no value" is an answer too (e.g. a kind that is None)
    '{"tx":null}'
    """
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()  # numpy scalars and arrays, pandas Series and Index
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.00"
    if isinstance(value, str):
        return json.dumps(value.strip())
    if isinstance(value, dict):
        items = sorted(
            (canonical(k, digits=digits), canonical(v, digits=digits, ordered=ordered))
            for k, v in value.items()
        )
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        parts = [canonical(item, digits=digits, ordered=ordered) for item in value]
        return "[" + ",".join(parts if ordered else sorted(parts)) + "]"
    raise TypeError(f"an answer of type {type(value).__name__} cannot be checked this way")


def _candidates(value, digits: int, ordered: bool) -> set[str]:
    """``canonical(value)``, and for a decimal also the roundings one half-step either side,
    so that a value computed in another order (0.1549999 for 0.155) is not turned away."""
    texts = {canonical(value, digits=digits, ordered=ordered)}
    if isinstance(value, float) and not isinstance(value, bool):
        step = 10.0**-digits / 2
        texts |= {canonical(value + d, digits=digits) for d in (-step, step)}
    return texts


def answer_digest(salt: str, assignment: str, name: str, text: str) -> str:
    """The salted digest of one canonical answer, as stored in the answer key.

    >>> digest = answer_digest("s", "01-ledgers", "fee_sats", "1234")
    >>> len(digest), digest == answer_digest("s", "03-tracing", "fee_sats", "1234")
    (32, False)
    """
    return hashlib.sha256(f"{salt}|{assignment}|{name}|{text}".encode()).hexdigest()[:32]


def dataset_fingerprint(dataset: str = "course") -> str:
    """What identifies a dataset's contents: the digest of its checksum list (``SHA256SUMS``).

    >>> len(dataset_fingerprint("course"))
    64
    """
    from . import paths

    sums = paths.dataset_dir(dataset) / "SHA256SUMS"
    return hashlib.sha256(sums.read_bytes()).hexdigest() if sums.is_file() else ""


@dataclass
class AnswerKey:
    """Salted digests of the model answers of every assignment, for one dataset's contents.

    >>> key = AnswerKey.build("fp", {"99-demo": {"total_sats": "5000"}})
    >>> key.verdict("99-demo", "total_sats", 5000, fingerprint="fp")
    'correct'
    >>> key.verdict("99-demo", "total_sats", 4999, fingerprint="fp")
    'not correct'
    >>> key.verdict("99-demo", "total_sats", 4999, fingerprint="other data")
    'checked at grading'
    >>> key.verdict("99-demo", "no_such_answer", 1, fingerprint="fp")
    'checked at grading'
    """

    fingerprint: str
    digests: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def salt(self) -> str:
        return self.fingerprint[:16]

    @classmethod
    def build(cls, fingerprint: str, answers: dict[str, dict[str, str]]) -> "AnswerKey":
        """The key of canonical ``answers`` (assignment -> name -> canonical text)."""
        salt = fingerprint[:16]
        return cls(
            fingerprint,
            {
                assignment: {
                    name: answer_digest(salt, assignment, name, text)
                    for name, text in sorted(named.items())
                }
                for assignment, named in sorted(answers.items())
            },
        )

    @classmethod
    def load(cls, path: Path | None = None) -> "AnswerKey":
        """The course's key (``course/answer-key.json``), or an empty one if there is none."""
        from . import paths

        path = path or paths.REPO_ROOT / "course" / ANSWER_KEY
        if not path.is_file():
            return cls("")
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["fingerprint"], data["digests"])

    def to_json(self) -> str:
        about = (
            "Salted digests of the model answers on the bundled data, for the visible checks "
            "(chaintrace.check.confirm). Written by tools/answer_key.py: never edit by hand."
        )
        body = {"about": about, "fingerprint": self.fingerprint, "digests": self.digests}
        return json.dumps(body, indent=1, sort_keys=True) + "\n"

    def verdict(self, assignment, name, value, *, fingerprint, digits=2, ordered=False) -> str:
        """``correct``, ``not correct``, or ``checked at grading`` (other data, or no entry)."""
        stored = self.digests.get(assignment, {}).get(name)
        if not self.fingerprint or fingerprint != self.fingerprint or stored is None:
            return AT_GRADING
        texts = _candidates(value, digits, ordered)
        found = {answer_digest(self.salt, assignment, name, text) for text in texts}
        return CORRECT if stored in found else NOT_CORRECT


@dataclass
class AnswerChecks:
    """The visible answer checks of one assignment, made once in its setup cell.

    ``confirm = answer_checks("01-ledgers")``; then, in a test cell, ``confirm("fee_sats",
    fee_sats)`` prints that the answer is correct, fails the cell with "not correct" on the
    bundled data, and on other data prints that it is checked at grading.

    >>> key = AnswerKey.build("fp", {"99-demo": {"hours": "1.50"}})
    >>> confirm = AnswerChecks("99-demo", key, fingerprint="fp")
    >>> confirm("hours", 1.5)
    ✓ `hours` is correct.
    >>> confirm("hours", 1.4999999)   # the same to the checked precision
    ✓ `hours` is correct.
    >>> confirm("hours", 2.0)
    Traceback (most recent call last):
    ...
    AssertionError: `hours` is not correct (checked against the bundled data's answer, to 2 decimal places). Look again at how you computed it.
    >>> AnswerChecks("99-demo", key, fingerprint="a cohort's variant")("hours", 2.0)
    … `hours`: these are your cohort's own data, not the bundled data: your answer is checked when your work is graded.

    In Ukrainian (a course opened with ``--lang uk``, or a Ukrainian submission being graded):

    >>> from chaintrace.messages import use
    >>> with use("uk"):
    ...     confirm("hours", 1.5)
    ✓ Відповідь `hours` правильна.
    """

    assignment: str
    key: AnswerKey
    fingerprint: str
    record: dict[str, str] | None = None

    def __call__(self, name: str, value, *, digits: int = 2, ordered: bool = False) -> None:
        """Check one answer; ``digits``: decimal places compared; ``ordered``: order counts."""
        answered(value, name)
        if self.record is not None:  # recording the model answers (tools/answer_key.py)
            self.record[name] = canonical(value, digits=digits, ordered=ordered)
            return
        verdict = self.key.verdict(
            self.assignment,
            name,
            value,
            fingerprint=self.fingerprint,
            digits=digits,
            ordered=ordered,
        )
        if verdict == NOT_CORRECT:
            precision = f", to {digits} decimal places" if isinstance(value, float) else ""
            raise AssertionError(
                f"`{name}` is not correct (checked against the bundled data's answer{precision}). "
                "Look again at how you computed it."
            )
        # printed in the reader's language: a test cell's output is what the trainee reads
        if verdict == CORRECT:
            print(translate(f"✓ `{name}` is correct."))
            return
        print(
            translate(
                f"… `{name}`: these are your cohort's own data, not the bundled data: your answer "
                "is checked when your work is graded."
            )
        )

    def recording(self) -> "AnswerChecks":
        """A copy that records each answer's canonical text instead of checking it."""
        return AnswerChecks(self.assignment, self.key, self.fingerprint, record={})


def answer_checks(assignment: str, dataset: str = "course") -> AnswerChecks:
    """The visible answer checks of ``assignment`` on the dataset in use (see :class:`AnswerChecks`).

    >>> confirm = answer_checks("99-demo")
    >>> confirm("anything", 1)
    … `anything`: these are your cohort's own data, not the bundled data: your answer is checked when your work is graded.
    """
    return AnswerChecks(assignment, AnswerKey.load(), dataset_fingerprint(dataset))
