#!/usr/bin/env python3
"""Set up the chaintrace course and run it: the two commands of the README's quick start.

    python3 run.py course   # set up, then open the course in JupyterLab
    python3 run.py tests    # set up, then run the whole test suite

Both create a project-local virtual environment in ``.venv`` the first time (so a system Python
marked "externally managed" is never touched), install into it the exact versions pinned (with
their hashes) in ``requirements.lock``, and skip the install on later runs unless the lock or
``pyproject.toml`` changed. Extra arguments go to JupyterLab or pytest:

    python3 run.py tests -k address      # only the address tests
    python3 run.py tests -m unit         # the quick tier: no notebook runs, no grading runs
    python3 run.py course --port 8890    # another port
    python3 run.py course --lang uk      # the course in Ukrainian (remembered; --lang en: English)
    python3 run.py tests --newest        # the suite on the newest releases pyproject.toml allows
                                         # (in .venv-newest), to see an upcoming break early

Only the Python standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOCK = ROOT / "requirements.lock"
FIRST_LESSON = "course/00-setup-and-orientation.ipynb"
# Editions of the course: English in course/, a translation in <lang>/course/ (docs/translating.md).
LANGUAGES = {"en": "English", "uk": "українська"}
# The course's kernel: Python with numpy, pyarrow, pandas and matplotlib imported while the
# notebook opens, so a lesson's first cell does not pay for them (bench/NOTEBOOKS.md).
KERNELS = ROOT / "deploy" / "kernel"
# Turn off JupyterLab's "get notified about Jupyter news?" prompt: the course runs offline.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


def say(message: str) -> None:
    print(f"[chaintrace] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[chaintrace] ERROR: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


class Environment:
    """A virtual environment in this folder: ``.venv`` (locked) or ``.venv-newest``."""

    def __init__(self, newest: bool = False):
        self.newest = newest
        self.root = ROOT / (".venv-newest" if newest else ".venv")
        self.bin = self.root / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.stamp = self.root / ".chaintrace-setup"

    def create(self) -> None:
        if self.python.exists():
            return
        if sys.version_info < (3, 11):  # noqa: UP036 (this file may be run by an older Python)
            fail(
                f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}. "
                "Install it from python.org (or your package manager) and run this again with it."
            )
        say(f"creating a virtual environment in {self.root} (once)")
        try:
            venv.create(self.root, with_pip=True)
        except Exception as error:  # e.g. Debian without python3-venv
            fail(
                f"could not create a virtual environment ({error}). On Debian/Ubuntu install it "
                "with: sudo apt-get install python3-venv"
            )

    def install(self) -> None:
        # One install serves both commands, so switching between them never reinstalls.
        inputs = (ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()
        wanted = hashlib.sha256(inputs).hexdigest()
        if not self.newest and self.stamp.exists() and self.stamp.read_text() == wanted:
            return
        pip = [str(self.python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        if self.newest:  # every run: the point is to meet what was released since the lock
            say("installing the newest releases pyproject.toml allows into .venv-newest")
            steps = [pip + ["--upgrade", "--upgrade-strategy", "eager", "-e", ".[course,test]"]]
        else:
            say(
                "installing the course's locked environment into .venv; the first time takes some minutes"
            )
            steps = [
                pip + ["--require-hashes", "-r", LOCK.name],
                pip + ["--no-deps", "--no-build-isolation", "-e", "."],
            ]
        for command in steps:
            if subprocess.call(command, cwd=ROOT) != 0:
                fail(
                    "installation failed (see the messages above). Check your internet connection "
                    "and run the same command again; it resumes where it stopped."
                )
        write_lab_overrides(self.root)
        self.stamp.write_text(wanted)

    def variables(self) -> dict:
        env = dict(os.environ)
        # nbgrader runs `alembic` as a command, so the environment's scripts must be on PATH.
        env["PATH"] = str(self.bin) + os.pathsep + env.get("PATH", "")
        env["VIRTUAL_ENV"] = str(self.root)
        return env


def choose_language(extra: list[str], env: Environment) -> tuple[str, list[str]]:
    """The language of the course (``--lang uk``, else the one chosen last time, else English),
    and the arguments left for JupyterLab. The choice is kept in the environment's folder."""
    kept = env.root / "chaintrace-lang"
    chosen, rest, i = None, [], 0
    while i < len(extra):
        arg = extra[i]
        if arg == "--lang":
            if i + 1 == len(extra):
                fail("--lang needs a language: --lang uk (Ukrainian) or --lang en (English)")
            chosen, i = extra[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    if chosen is None:
        chosen = kept.read_text().strip() if kept.exists() else "en"
    if chosen not in LANGUAGES:
        offered = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        fail(f"no course in the language {chosen!r}; choose one of: {offered}")
    kept.write_text(chosen)
    return chosen, rest


def first_lesson(lang: str) -> str:
    """The first lesson in ``lang``; English where that edition has none yet."""
    translated = f"{lang}/{FIRST_LESSON}"
    if lang != "en" and (ROOT / translated).exists():
        return translated
    if lang != "en":
        say(f"no {LANGUAGES[lang]} edition of the first lesson yet: opening the English one")
    return FIRST_LESSON


def write_lab_overrides(root: Path) -> None:
    settings = root / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("course", "tests"):
        print(__doc__)
        return 2
    what, extra = argv[0], argv[1:]
    env = Environment(newest=what == "tests" and "--newest" in extra)
    extra = [a for a in extra if a != "--newest"] if env.newest else extra
    env.create()
    env.install()
    variables = env.variables()
    if what == "course":
        lang, extra = choose_language(extra, env)
        variables["CHAINTRACE_LANG"] = lang  # the toolkit's messages, in every kernel
        paths = [str(KERNELS), variables.get("JUPYTER_PATH", "")]
        variables["JUPYTER_PATH"] = os.pathsep.join(p for p in paths if p)  # the course's kernel
        if lang == "uk":
            say(
                "відкриваю JupyterLab українською (англійською: --lang en); зупинити: Ctrl+C у цьому вікні"
            )
        else:
            say("opening JupyterLab; stop it with Ctrl+C in this window")
        lesson = first_lesson(lang)
        command = [str(env.bin / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT}", lesson]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and class servers
            say("running as root: JupyterLab needs --allow-root for that")
            command.append("--allow-root")
    else:
        command = [str(env.python), "-m", "pytest", *extra]
        extra = []
    if os.name == "posix":  # become JupyterLab (or pytest): Ctrl+C or a stop signal reaches it
        os.chdir(ROOT)  # directly, and no server is left running behind a stopped launcher
        os.execve(command[0], command + extra, variables)
    try:
        return subprocess.call(command + extra, cwd=ROOT, env=variables)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
