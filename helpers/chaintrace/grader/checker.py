"""The checker: decides each graded part from a submission's answers, outside its kernel.

It runs as its own process (``python -m chaintrace.grader.checker``), started by the grading
step of ``nbgrader autograde`` (:mod:`chaintrace.grader.sandbox`) and never reachable from the
sandbox. For each notebook it runs the instructor's **context** cells itself (from the source
notebook), then each **test** cell, visible and hidden parts, with the test's answer names bound
to the values the submission's kernel sent as data (:mod:`chaintrace.grader.answers`). The
ground truth, the hidden tests and the verdicts stay here; the kernel only ever receives
questions of the form "call your ``classify`` with these arguments".

The conversation is JSON, one message per line, on the process's stdin/stdout::

    -> {"op": "begin", "source": "/course/solutions/03/03.ipynb", "label": "ann/03/03", "lang": "uk"}
    -> {"op": "test", "grade_id": "q3_1a", "answers": {"affiliate_address": "\\"bc1q...\\""}}
    <- {"op": "call", "name": "classify", "args": "..."}        (only for function answers)
    -> {"op": "result", "value": "..."}   or   {"op": "result", "error": "TypeError: ..."}
    <- {"op": "verdict", "passed": false, "stdout": "", "ename": "AssertionError", "evalue": "..."}
    -> {"op": "end"}

:class:`Checker` is the same logic in this process (the tests and the docs use it directly).

>>> import nbformat, tempfile
>>> from nbformat.v4 import new_code_cell, new_notebook
>>> def cell(src, **flags):
...     return new_code_cell(src, metadata={"nbgrader": {"grade_id": flags.pop("id"), **flags}})
>>> nb = new_notebook(cells=[cell("base = 40", id="setup", locked=True),
...     cell("answer = ...", id="a", solution=True),
...     cell("assert answer == base + 2, 'not the answer'", id="t", grade=True, points=1)])
>>> path = tempfile.mkdtemp() + "/nb.ipynb"; nbformat.write(nb, path)
>>> checker = Checker()
>>> checker.begin(path, "ann")
>>> checker.test("t", {"answer": "42"}).passed
True
>>> checker.test("t", {"answer": "41"}).evalue
'not the answer'
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from ..messages import translate, use
from .answers import AnswerError, decode, encode
from .plan import Plan, plan_for

__all__ = ["Checker", "Verdict", "main"]

MAX_STDOUT = 20_000  # characters of a test's own prints kept in the verdict


@dataclass(frozen=True)
class Verdict:
    """The decision on one graded part, and what the trainee's feedback shows of it."""

    passed: bool
    stdout: str = ""
    ename: str = ""
    evalue: str = ""

    def outputs(self) -> list[dict]:
        """The cell outputs nbgrader reads: an error output marks the part as failed."""
        shown = (
            [{"output_type": "stream", "name": "stdout", "text": self.stdout}]
            if self.stdout
            else []
        )
        if self.passed:
            return shown
        error = {
            "output_type": "error",
            "ename": self.ename,
            "evalue": self.evalue,
            "traceback": [f"{self.ename}: {self.evalue}"],
        }
        return [*shown, error]


def _no_display(*objects, **kwargs) -> None:
    """``display`` in context cells: the checker has no screen."""


class Checker:
    """Context namespaces per source notebook, and one namespace per submission being graded."""

    def __init__(self, call=None):
        self._call = call  # call(name, args_json) -> result_json, for function answers
        self._bases: dict[tuple[str, int], dict] = {}
        self._plan: Plan | None = None
        self._namespace: dict | None = None
        self.problems: list[str] = []  # context cells that failed here (an authoring bug)

    def begin(self, source: str, label: str, lang: str = "en") -> None:
        """Start grading one submission of the notebook whose source is ``source``.

        ``lang`` is the submission's language: its tests' messages and printed text, and the
        toolkit's errors, are shown in it (the marks never depend on it).
        """
        self.lang = lang
        path = Path(source)
        self._plan = plan_for(path)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in self._bases:
            self._bases[key] = self._run_context(path)
        self.end()  # the previous submission's namespace and files never outlive it
        self._namespace = dict(self._bases[key])
        self._files = Path(tempfile.mkdtemp(prefix="chaintrace-answer-files-"))
        self._answered: dict[tuple[str, str], str] = {}
        self.calls = 0
        self.label = label

    def _run_context(self, path: Path) -> dict:
        namespace: dict = {"__name__": "__main__", "display": _no_display}
        needed = self._needed_context()
        cwd = os.getcwd()
        os.chdir(path.parent)
        try:
            for cell in self._plan.context:
                if cell.grade_id in needed:
                    self._exec_context(cell, namespace)
        finally:
            os.chdir(cwd)
        return namespace

    def _needed_context(self) -> set[str]:
        """Context cells whose names some test reads (directly or through another context cell)."""
        from .plan import read_names

        wanted: set[str] = set()
        for test in self._plan.tests:
            wanted |= read_names(test.source)[0]
        needed = set()
        for cell in reversed(self._plan.context):
            reads, writes = read_names(cell.source)
            if not cell.needs_answers and writes & wanted:
                needed.add(cell.grade_id)
                wanted |= reads
        return needed

    def _exec_context(self, cell, namespace: dict) -> None:
        source = "\n".join(
            ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))
        )
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"<context {cell.grade_id}>", "exec"), namespace)  # noqa: S102
        except Exception as error:  # the instructor's cell: say so, grade what can be graded
            self.problems.append(f"context cell {cell.grade_id}: {type(error).__name__}: {error}")

    def test(self, grade_id: str, answers: dict[str, str]) -> Verdict:
        """Run test cell ``grade_id`` on ``answers`` (``{name: encoded value}``)."""
        if self._namespace is None:
            raise RuntimeError("call begin() before test()")
        test = self._plan.test(grade_id)
        for name in test.answers:
            self._namespace.pop(name, None)
            if name not in answers:
                continue
            try:
                self._namespace[name] = decode(answers[name], self._callback, self._place)
            except NameError:
                continue  # not defined in the kernel: the test meets a NameError, as it would there
            except AnswerError as error:
                return Verdict(False, "", "AnswerError", f"`{name}`: {error}")
        return self._run(test)

    def _run(self, test) -> Verdict:
        out = io.StringIO()
        lang = getattr(self, "lang", "en")
        try:
            with contextlib.redirect_stdout(out), use(lang):
                exec(compile(test.source, f"<test {test.grade_id}>", "exec"), self._namespace)  # noqa: S102
        except Exception as error:
            with use(lang):
                message = translate(str(error))
            shown = translate(out.getvalue()[:MAX_STDOUT], lang)
            return Verdict(False, shown, type(error).__name__, message)
        return Verdict(True, translate(out.getvalue()[:MAX_STDOUT], lang))

    def _callback(self, name: str):
        """The submission's function ``name``, called back in its kernel (data in, data out)."""

        def call(*args, **kwargs):
            return self._results(name, [[list(args), kwargs]])[0]

        def each(*iterables):
            return self._results(name, [[list(args), {}] for args in zip(*iterables, strict=True)])

        call.__name__ = call.__qualname__ = name
        call.each = each  # what chaintrace.check.apply_each uses: one round trip for many calls
        return call

    def _results(self, name: str, calls: list) -> list:
        if self._call is None:
            raise TypeError(f"`{name}` is a function; this checker cannot call it")
        requests = [encode(c) for c in calls]
        # A submission's function is asked once per distinct argument, and all new questions of
        # one test line go in one round trip to the kernel.
        new = list(dict.fromkeys(r for r in requests if (name, r) not in self._answered))
        if new:
            self.calls += len(new)
            results, error = _reply(self._call(name, "[" + ",".join(new) + "]"))
            for request, result in zip(new, results, strict=False):
                self._answered[name, request] = result
            if len(results) < len(new):
                self._answered[name, new[len(results)]] = AnswerError(
                    f"calling `{name}` in the notebook failed: {error or 'no result'}"
                )
        out = []
        for request in requests:
            result = self._answered[name, request]  # in order: a failure is met before a gap
            if isinstance(result, AnswerError):
                raise result
            out.append(decode(result))
        return out

    def _place(self, path: str, content: bytes | None) -> Path:
        """Where the tests find a file the submission's answer names: a private copy of the bytes
        its kernel sent, at the same path under this submission's own folder."""
        given = PurePosixPath(path)
        parts = [part for part in given.parts if part != "/"]
        if ".." in parts or not parts:
            raise AnswerError(f"the path {path!r} cannot be graded (use the path the export gave)")
        where = self._files / ("root" if given.is_absolute() else "here") / Path(*parts)
        if content is not None:
            try:
                where.parent.mkdir(parents=True, exist_ok=True)
                where.write_bytes(content)
            except OSError as error:
                raise AnswerError(f"the file {path!r} in the answer cannot be read back") from error
        return where

    def end(self) -> None:
        self._namespace = None
        files = getattr(self, "_files", None)
        if files is not None:
            shutil.rmtree(files, ignore_errors=True)
            self._files = None


def _reply(text: str) -> tuple[list[str], str]:
    """``(result texts, error)`` of a call-back reply made by the (untrusted) kernel."""
    data = decode(text)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise AnswerError("the notebook's reply to a call was not in the grader's format")
    results = [r for r in data["results"] if isinstance(r, str)]
    error = data.get("error")
    return results, error if isinstance(error, str) else ""


# ----------------------------------------------------------------------------- the process


class _Channel:
    """JSON lines on the real stdout; everything else the checker prints goes to stderr."""

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)  # a stray print (or C library) can never corrupt the conversation
        sys.stdout = sys.stderr
        self.inp = sys.stdin

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def receive(self) -> dict | None:
        line = self.inp.readline()
        return json.loads(line) if line else None


def main() -> int:
    """Serve the grading step until it closes stdin."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    channel = _Channel()

    def call(name: str, args: str) -> str:
        channel.send({"op": "call", "name": name, "args": args})
        reply = channel.receive() or {}
        if "error" in reply:
            raise AnswerError(f"calling `{name}` in the notebook failed: {reply['error']}")
        return reply.get("value", "null")

    checker = Checker(call)
    while (message := channel.receive()) is not None:
        op = message.get("op")
        if op == "begin":
            checker.begin(message["source"], message.get("label", ""), message.get("lang", "en"))
            channel.send({"op": "ready", "problems": checker.problems})
        elif op == "test":
            verdict = checker.test(message["grade_id"], message.get("answers", {}))
            channel.send({"op": "verdict", **asdict(verdict)})
        elif op == "end":
            checker.end()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
