"""The grading step's side of the conversation with the checker process.

One checker process serves a whole ``nbgrader autograde`` run: it loads the dataset and the
context of each notebook once, then grades submission after submission. It is started outside
the sandbox, with the grader's environment (the active cohort variant's data and ground truth).
A checker that does not answer in time is killed and started again for the next submission; the
test it was deciding fails with a message that says why.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from .checker import Verdict
from .plan import Plan, plan_for

__all__ = ["CheckerProcess"]

# What the checker may inherit: where the data and ground truth are, nothing else of note.
PASSED_ENV = ("CHAINTRACE_DATASETS", "CHAINTRACE_GROUNDTRUTH", "CHAINTRACE_CACHE", "TZ")


class CheckerProcess:
    """A running ``python -m chaintrace.grader.checker`` and the notebook it is grading."""

    _shared: CheckerProcess | None = None

    def __init__(self, log):
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.plan: Plan | None = None
        self._begun: tuple[str, str, str] | None = None

    @classmethod
    def shared(cls, log) -> CheckerProcess:
        """The process of this autograde run (started on first use, stopped at exit)."""
        if cls._shared is None:
            cls._shared = cls(log)
            atexit.register(cls._shared.close)
        cls._shared.log = log
        return cls._shared

    def _start(self) -> None:
        env = {
            k: v for k, v in os.environ.items() if k in PASSED_ENV or k in ("PATH", "HOME", "LANG")
        }
        from chaintrace import paths

        # the variant the grader resolved, even where the variant file is not in the checker's view
        env["CHAINTRACE_DATASETS"] = str(paths.datasets_root())
        env["CHAINTRACE_GROUNDTRUTH"] = str(paths.groundtruth_root())
        env["MPLBACKEND"] = "Agg"
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "chaintrace.grader.checker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # its own warnings go to the instructor's log
            text=True,
            env=env,
            bufsize=1,
        )
        # one reader thread per process: a wait that times out leaves no read half done
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def begin(self, source: Path, label: str, lang: str = "en") -> None:
        """Ready the checker for one submission (in ``lang``) of the notebook ``source``."""
        self.plan = plan_for(source)
        self._begun = (str(source), label, lang)
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self._send({"op": "begin", "source": str(source), "label": label, "lang": lang})
        reply = self._receive_blocking(timeout=300)
        if reply is None or reply.get("op") != "ready":
            self.close()
            raise RuntimeError(f"the checker could not start grading {label}; see the log above")
        for problem in reply.get("problems", []):
            self.log.error("[grading] the checker could not run %s of %s", problem, source)

    async def test(self, grade_id: str, answers: dict, call_back, deadline: float) -> Verdict:
        """The verdict on ``grade_id``; ``call_back(name, args, deadline)`` runs a function answer."""
        self._send({"op": "test", "grade_id": grade_id, "answers": answers})
        while True:
            reply = await self._receive(deadline)
            if reply is None:
                return self._restart(grade_id)
            if reply.get("op") == "verdict":
                return Verdict(
                    bool(reply["passed"]), reply["stdout"], reply["ename"], reply["evalue"]
                )
            value, error = await call_back(reply["name"], reply["args"], deadline)
            self._send({"op": "result", **({"error": error} if error else {"value": value})})

    def _restart(self, grade_id: str) -> Verdict:
        self.log.warning("[grading] checking %s took too long; the checker is restarted", grade_id)
        self.close()
        self._start()
        source, label, lang = self._begun
        self.begin(Path(source), label, lang)
        return Verdict(False, "", "CheckTimeoutError", "checking this answer took too long")

    def end(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self._send({"op": "end"})

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def _send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def _receive_blocking(self, timeout: float) -> dict | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        return json.loads(line) if line else None

    async def _receive(self, deadline: float) -> dict | None:
        loop = asyncio.get_running_loop()
        wait = max(0.1, deadline - time.monotonic())
        return await loop.run_in_executor(None, self._receive_blocking, wait)
