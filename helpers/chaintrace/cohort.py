"""Cohort variants: a fresh, equally valid version of every case for each class.

The course is open, so its model answers and hidden tests are public. A class graded on the
bundled data could be graded on last year's answers; a class graded on its own *variant* cannot.
A variant is the whole course economy regenerated from a secret seed: same lessons, same
questions, new transactions, new addresses, new answers. Notebooks read every identifier from the
case files and every expected answer from the ground truth, so they work on any variant.

A variant lives in its own folder (``cohorts/<name>/`` by default, git-ignored)::

    cohorts/kyiv-2026/
        datasets/course/        what trainees' notebooks read (no ground truth)
        groundtruth/course/     what hidden tests and instructors read
        cohort.toml             the record: name, created, dataset checksum, seed fingerprint
        instructor/seed         the seed itself, readable by the instructor only

``use_cohort(name)`` makes it the active variant of this course folder (recorded in
``.chaintrace-variant``); ``use_cohort(None)`` returns to the bundled data that self-learners use.

>>> import tempfile
>>> root = tempfile.mkdtemp()
>>> cohort = create_cohort("demo", seed=7, transactions=1_500, root=root)
>>> cohort.name, (cohort.datasets_root / "course" / "SHA256SUMS").exists()
('demo', True)
>>> [c.name for c in list_cohorts(root)]
['demo']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import __version__, paths

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class CohortError(ValueError):
    """A cohort cannot be created, found or used; the message says what to do."""


@dataclass(frozen=True)
class Cohort:
    """One variant of the course data, in its own folder."""

    name: str
    path: Path

    @property
    def datasets_root(self) -> Path:
        return self.path / "datasets"

    @property
    def groundtruth_root(self) -> Path:
        return self.path / "groundtruth"

    @property
    def record(self) -> dict:
        with open(self.path / "cohort.toml", "rb") as handle:
            return tomllib.load(handle)

    def __str__(self) -> str:
        record = self.record
        return (
            f"cohort {self.name}: created {record['created']}, dataset checksum "
            f"{record['dataset_checksum'][:16]}..., seed fingerprint {record['seed_sha256'][:16]}..."
        )


def cohorts_root(root=None) -> Path:
    return Path(root) if root is not None else paths.cohorts_root()


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name or ""):
        raise CohortError(
            f"{name!r} is not a usable cohort name: use lower-case letters, digits, '-' and '_' "
            "(for example kyiv-2026)"
        )


def create_cohort(
    name: str, seed: int | None = None, transactions: int = 20_000, root=None
) -> Cohort:
    """Generate a new variant of every case, from ``seed`` (a random secret one if omitted).

    The generator checks every case's invariants and retries or fails loudly, so each variant
    is solvable. Refuses to overwrite an existing cohort or to reuse the bundled data's seed.
    """
    from .sim import generate

    _check_name(name)
    folder = cohorts_root(root) / name
    if folder.exists():
        raise CohortError(
            f"cohort {name!r} already exists in {folder}; pick another name, or delete that "
            "folder if you really mean to replace it (its trainees' grades depend on it)"
        )
    seed = secrets.randbelow(2**62) if seed is None else int(seed)
    staging = folder.with_name(f".{name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        generate(
            seed,
            transactions,
            staging / "datasets" / "course",
            staging / "groundtruth" / "course",
            name="course",
        )
        _refuse_default_answers(staging)
        _write_record(staging, name, seed)
        staging.rename(folder)  # all or nothing: a half-made cohort is never visible
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Cohort(name, folder)


def _write_record(folder: Path, name: str, seed: int) -> None:
    checksum = hashlib.sha256((folder / "datasets" / "course" / "SHA256SUMS").read_bytes())
    record = {
        "name": name,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "chaintrace": __version__,
        "dataset_checksum": checksum.hexdigest(),
        # a fingerprint says which seed without revealing it
        "seed_sha256": hashlib.sha256(str(seed).encode()).hexdigest(),
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in record.items()]
    (folder / "cohort.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    private = folder / "instructor"
    private.mkdir(mode=0o700)
    seed_file = private / "seed"
    seed_file.write_text(f"{seed}\n", encoding="utf-8")
    seed_file.chmod(0o600)


def _refuse_default_answers(folder: Path) -> None:
    """A variant whose answers equal the bundled ones would let last year's answers pass."""
    default = paths.REPO_ROOT / "groundtruth" / "course" / "cases"
    for answer in sorted((folder / "groundtruth" / "course" / "cases").glob("*.json")):
        bundled = default / answer.name
        if bundled.exists() and bundled.read_bytes() == answer.read_bytes():
            raise CohortError(
                f"case {answer.stem} came out identical to the bundled data's: choose another seed"
            )


def find_cohort(name: str, root=None) -> Cohort:
    folder = cohorts_root(root) / name
    if not (folder / "cohort.toml").exists():
        known = ", ".join(c.name for c in list_cohorts(root)) or "none yet"
        raise CohortError(
            f"no cohort {name!r} in {cohorts_root(root)} (known: {known}); create it with "
            f"`chaintrace cohort new {name}`"
        )
    return Cohort(name, folder)


def list_cohorts(root=None) -> list[Cohort]:
    base = cohorts_root(root)
    if not base.is_dir():
        return []
    return [Cohort(p.name, p) for p in sorted(base.iterdir()) if (p / "cohort.toml").exists()]


def use_cohort(name: str | None, root=None) -> Cohort | None:
    """Make ``name`` the active variant of this course folder; ``None`` restores the bundled data."""
    if name is None:
        paths.VARIANT_FILE.unlink(missing_ok=True)
        return None
    cohort = find_cohort(name, root)
    paths.VARIANT_FILE.write_text(f"{cohort.path.resolve()}\n", encoding="utf-8")
    return cohort


def active_cohort() -> Cohort | None:
    """The variant notebooks and grading use now, or None for the bundled data."""
    folder = paths.variant_dir()
    return None if folder is None else Cohort(folder.name, folder)


def main(argv: list[str]) -> int:
    """``chaintrace cohort new|use|list|show`` (see ``chaintrace cohort --help``)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="chaintrace cohort",
        description="Make and choose cohort variants: new data and new answers for each class.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    new = sub.add_parser("new", help="generate a new variant from a secret seed")
    new.add_argument("name", help="e.g. kyiv-2026")
    new.add_argument(
        "--seed", type=int, help="secret seed (default: a random one, kept in instructor/seed)"
    )
    new.add_argument("--transactions", type=int, default=20_000, help=argparse.SUPPRESS)
    use = sub.add_parser("use", help="make a variant active for notebooks and grading")
    use.add_argument("name", nargs="?", help="cohort name")
    use.add_argument("--default", action="store_true", help="go back to the bundled data")
    sub.add_parser("list", help="list the cohorts")
    sub.add_parser("show", help="show the active variant")
    args = parser.parse_args(argv)

    if args.action == "new":
        cohort = create_cohort(args.name, args.seed, args.transactions)
        print(
            f"created {cohort}\n  in {cohort.path}\nmake it active with: chaintrace cohort use {cohort.name}"
        )
    elif args.action == "use":
        if args.default == bool(args.name):
            parser.error("give a cohort name, or --default")
        cohort = use_cohort(None if args.default else args.name)
        print(f"active: {cohort.name}" if cohort else "active: the bundled course data")
    elif args.action == "list":
        active = active_cohort()
        for cohort in list_cohorts():
            mark = "*" if active and cohort.path.resolve() == active.path.resolve() else " "
            print(f"{mark} {cohort}")
    else:
        active = active_cohort()
        print(active if active else "active: the bundled course data (no cohort variant)")
    return 0
