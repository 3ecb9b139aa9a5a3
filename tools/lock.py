#!/usr/bin/env python3
"""Keep ``requirements.lock``: the exact versions (and their hashes) every install of the course uses.

``pyproject.toml`` says what the toolkit works with (honest ranges, for people who install it
elsewhere); ``requirements.lock`` says what the README's two commands install, so a fresh machine
gets the environment the tests passed on, not whatever was released since.

    python3 tools/lock.py            # re-lock after editing pyproject.toml (keeps other pins)
    python3 tools/lock.py --upgrade  # move every pin to the newest allowed release, deliberately
    python3 tools/lock.py --check    # exit 1 if the lock no longer matches pyproject.toml

The lock is universal (Linux, macOS, Windows; Python 3.11 and newer) and lists the hash of every
file of each pinned release. Locking needs the internet and ``uv`` (installed into ``.venv`` on
first use); checking needs neither. After ``--upgrade``, run ``python3 run.py tests`` and look at
what moved before committing.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
UV = "uv==0.13.9"
HEADER = "# inputs-sha256: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def inputs() -> list[str]:
    """What the lock must satisfy: the toolkit's dependencies, the course, hub and test extras (the
    README's commands install all of them), and the build backend."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)
    return [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["course"],
        *project["project"]["optional-dependencies"]["hub"],
        *project["project"]["optional-dependencies"]["test"],
        *project["build-system"]["requires"],
    ]


def fingerprint(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()


def pins(text: str) -> dict[str, str]:
    """``{normalised name: version}`` of every pin in a lock's text."""
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in PIN.findall(text)}


def problems(lock_text: str, requirements: list[str]) -> list[str]:
    """Why ``lock_text`` does not serve ``requirements`` (empty when it does)."""
    from packaging.requirements import Requirement

    found = []
    header = next((ln for ln in lock_text.splitlines() if ln.startswith(HEADER)), None)
    if header != HEADER + fingerprint(requirements):
        found.append("pyproject.toml's dependencies changed since the lock was made")
    pinned = pins(lock_text)
    for spec in requirements:
        req = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name not in pinned:
            found.append(f"{req.name} is not in the lock")
        elif not req.specifier.contains(pinned[name], prereleases=True):
            found.append(f"{req.name}=={pinned[name]} does not satisfy {spec!r}")
    if "--hash=sha256:" not in lock_text:
        found.append("the lock has no hashes")
    return found


def uv() -> list[str]:
    venv_python = (
        ROOT / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    )
    python = str(venv_python if venv_python.exists() else sys.executable)
    if subprocess.call([python, "-m", "uv", "--version"], stdout=subprocess.DEVNULL) != 0:
        subprocess.check_call([python, "-m", "pip", "install", "-q", UV])
    return [python, "-m", "uv"]


def lock(upgrade: bool) -> None:
    requirements = inputs()
    command = [
        *uv(),
        "pip",
        "compile",
        "-",
        "--universal",
        "--python-version",
        "3.11",
        "--generate-hashes",
        "--fork-strategy",
        "fewest",
        "--no-header",
        "--annotation-style",
        "line",
        "-o",
        str(LOCK),
    ]
    if upgrade:
        command.append("--upgrade")
    subprocess.run(command, input="\n".join(requirements), text=True, check=True, cwd=ROOT)
    body = LOCK.read_text()
    LOCK.write_text(
        "# The exact environment the README's commands install. Made by tools/lock.py; do not edit.\n"
        f"{HEADER}{fingerprint(requirements)}\n{body}"
    )
    print(f"wrote {LOCK.name}: {len(pins(body))} packages")


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        found = problems(LOCK.read_text() if LOCK.exists() else "", inputs())
        for line in found:
            print(f"requirements.lock: {line}; run python3 tools/lock.py", file=sys.stderr)
        return 1 if found else 0
    if argv not in ([], ["--upgrade"]):
        print(__doc__)
        return 2
    lock(upgrade=argv == ["--upgrade"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
