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

The seed is the cohort's only secret: whoever knows it can regenerate the ground truth, and
the trainee data is enough to test a guess. So a seed a person would pick (a year, a date, a
small number, a pattern of digits) is refused unless ``allow_weak_seed=True`` (demos and
tests), and ``cohort.toml`` keeps a salted scrypt fingerprint, slow to compute, that confirms
the seed (:meth:`Cohort.seed_matches`) without giving it back.

``use_cohort(name)`` makes it the active variant of this course folder (recorded in
``.chaintrace-variant``); ``use_cohort(None)`` returns to the bundled data that self-learners use.

>>> import tempfile
>>> root = tempfile.mkdtemp()
>>> cohort = create_cohort("demo", seed=7, transactions=1_500, root=root, allow_weak_seed=True)
>>> cohort.name, (cohort.datasets_root / "course" / "SHA256SUMS").exists()
('demo', True)
>>> [c.name for c in list_cohorts(root)]
['demo']
>>> cohort.seed_matches(7), cohort.seed_matches(8)
(True, False)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import __version__, paths
from .errors import ChaintraceError

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RECORD = "cohort.toml"
# a random seed has 62 bits; a seed below 2**48 is within reach of trying every number
MIN_SEED_BITS = 48
# scrypt cost of the seed fingerprint (RFC 7914's interactive setting, doubled): ~0.1 s and
# 32 MB a guess instead of a microsecond, with a salt per cohort so no table of precomputed
# guesses serves twice. It slows guessing; only a seed nobody chose makes guessing hopeless.
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_FIX_OLD = "`chaintrace cohort refingerprint {name}`"


class CohortError(ChaintraceError, ValueError):
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
        with open(self.path / RECORD, "rb") as handle:
            return tomllib.load(handle)

    @property
    def old_fingerprint(self) -> bool:
        """True for a record made before fingerprints were salted (``seed_sha256``)."""
        return "seed_scrypt" not in self.record

    def seed_matches(self, seed: int) -> bool:
        """Whether ``seed`` is the seed this cohort was made from (checked against cohort.toml).

        Works on old records too; :attr:`old_fingerprint` says when the record should be
        upgraded with ``chaintrace cohort refingerprint``.
        """
        record = self.record
        if "seed_scrypt" in record:
            salt = bytes.fromhex(record["seed_salt"])
            cost = {k: record[f"seed_scrypt_{k}"] for k in SCRYPT}
            return secrets.compare_digest(_scrypt(seed, salt, cost), record["seed_scrypt"])
        if "seed_sha256" in record:
            return secrets.compare_digest(_sha256(seed), record["seed_sha256"])
        raise CohortError(f"{self.path / RECORD} holds no seed fingerprint; it cannot be checked")

    def __str__(self) -> str:
        record = self.record
        if self.old_fingerprint:
            seed = (
                f"OLD unsalted seed fingerprint: upgrade it with {_FIX_OLD.format(name=self.name)}"
            )
        else:
            seed = f"seed fingerprint scrypt {record['seed_scrypt'][:16]}..."
        return (
            f"cohort {self.name}: created {record['created']}, dataset checksum "
            f"{record['dataset_checksum'][:16]}..., {seed}"
        )


def cohorts_root(root=None) -> Path:
    return Path(root) if root is not None else paths.cohorts_root()


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name or ""):
        raise CohortError(
            f"{name!r} is not a usable cohort name: use lower-case letters, digits, '-' and '_' "
            "(for example kyiv-2026)"
        )


def seed_weakness(seed: int) -> str | None:
    """Why ``seed`` could be guessed, or None for a seed that looks like a random one.

    Only a seed nobody chose is secret: trainees can test a guessed seed against their own
    data. These rules catch what people type (they cannot prove a seed random).

    >>> seed_weakness(2026)
    'it has fewer than 48 bits (a year, a date or a counter is found by trying them all)'
    >>> seed_weakness(123456789012345678)
    'its digits count up or down in steps'
    >>> seed_weakness(4_183_275_902_716_385_514) is None
    True
    """
    seed = int(seed)
    digits = str(abs(seed))
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    if seed < 2**MIN_SEED_BITS:
        return (
            f"it has fewer than {MIN_SEED_BITS} bits "
            "(a year, a date or a counter is found by trying them all)"
        )
    if re.fullmatch(r"(\d{1,8}?)\1+\d{0,7}", digits):
        return "its digits repeat a short group"
    if len(steps) == 1:
        return "its digits count up or down in steps"
    return None


def _random_seed() -> int:
    while True:  # 1 draw in ~16,000 falls below 2**48 and is drawn again
        seed = secrets.randbelow(2**62)
        if seed_weakness(seed) is None:
            return seed


def capstone_designs(root=None) -> dict[str, tuple]:
    """Cohort name -> the design of its capstone case (typology, bridge and destination chain,
    exchange, instant-swap service, mixer or CoinJoin, cash-out: a row of
    ``chaintrace.sim.case_capstone.DESIGNS``), read from each cohort's ground truth under ``root``.

    >>> import tempfile
    >>> capstone_designs(tempfile.mkdtemp())  # no cohort yet
    {}
    """
    found = {}
    for truth in sorted(cohorts_root(root).glob("*/groundtruth/course/cases/capstone-01.json")):
        case = json.loads(truth.read_text(encoding="utf-8"))
        bridge = (case["bridge"]["design"], case["bridge"]["destination_chain"])
        found[truth.parents[3].name] = (case["typology"], bridge, case["drop_exchange"],
                                        case["swap"]["service"], case["obfuscation"],
                                        case["cashout"]["kind"])  # fmt: skip
    return found


def _balanced_seed(root: Path) -> int:
    """A random secret seed whose capstone design is one the cohorts already in ``root`` use
    least: a course's successive cohorts get every design in turn, in an order nobody chose.

    Only the design is steered (a hundred draws at most, on average); the seed stays a uniform
    random draw among those of that design, so it is as secret as any.
    """
    from collections import Counter

    from .sim.case_capstone import DESIGNS, design, design_key

    used = Counter(capstone_designs(root).values())
    fewest = min(used[d] for d in DESIGNS)
    while True:
        seed = _random_seed()
        if used[design_key(design(seed))] == fewest:
            return seed


def _check_seed(seed: int, allow_weak_seed: bool) -> None:
    why = seed_weakness(seed)
    if why and not allow_weak_seed:
        raise CohortError(
            f"seed {seed} is guessable: {why}. Trainees can rebuild the answers from a guessed "
            "seed, so omit --seed and a random secret one is drawn (kept in instructor/seed); "
            "for a throwaway demo only, pass --insecure-seed (allow_weak_seed=True)"
        )


def create_cohort(
    name: str,
    seed: int | None = None,
    transactions: int = 20_000,
    root=None,
    allow_weak_seed: bool = False,
) -> Cohort:
    """Generate a new variant of every case, from ``seed`` (a random secret one if omitted).

    The generator checks every case's invariants and retries or fails loudly, so each variant
    is solvable. A drawn seed is one whose capstone design (:func:`capstone_designs`) the
    cohorts already in ``root`` use least, so that successive classes get different ones. Refuses to overwrite an existing cohort, to reuse the bundled data's seed, and
    a guessable seed (:func:`seed_weakness`) unless ``allow_weak_seed`` (demos and tests).
    """
    from .sim import generate

    _check_name(name)
    folder = cohorts_root(root) / name
    if folder.exists():
        raise CohortError(
            f"cohort {name!r} already exists in {folder}; pick another name, or delete that "
            "folder if you really mean to replace it (its trainees' grades depend on it)"
        )
    if seed is None:
        seed = _balanced_seed(cohorts_root(root))
    else:
        seed = int(seed)
        _check_seed(seed, allow_weak_seed)
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


def _sha256(seed: int) -> str:
    """The old, unsalted fingerprint: one hash per guess, so it gives a guessable seed back."""
    return hashlib.sha256(str(int(seed)).encode()).hexdigest()


def _scrypt(seed: int, salt: bytes, cost: dict) -> str:
    memory = 128 * cost["r"] * cost["n"] * cost["p"] + 2**20  # what scrypt needs, and a margin
    digest = hashlib.scrypt(str(int(seed)).encode(), salt=salt, maxmem=memory, dklen=32, **cost)
    return digest.hex()


def _fingerprint(seed: int) -> dict:
    """The record's seed fields: a salted, slow hash says which seed without revealing it."""
    salt = secrets.token_bytes(16)
    return {
        "seed_scrypt": _scrypt(seed, salt, SCRYPT),
        "seed_salt": salt.hex(),
        **{f"seed_scrypt_{k}": v for k, v in SCRYPT.items()},
    }


def _write_toml(path: Path, record: dict) -> None:
    lines = [f"{key} = {json.dumps(value)}" for key, value in record.items()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a record is never half written


def _write_record(folder: Path, name: str, seed: int) -> None:
    checksum = hashlib.sha256((folder / "datasets" / "course" / "SHA256SUMS").read_bytes())
    record = {
        "name": name,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "chaintrace": __version__,
        "dataset_checksum": checksum.hexdigest(),
        **_fingerprint(seed),
    }
    _write_toml(folder / RECORD, record)
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


def _read_seed_file(cohort: Cohort) -> int:
    path = cohort.path / "instructor" / "seed"
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        raise CohortError(
            f"cannot read the seed of cohort {cohort.name!r} from {path}; pass it with --seed"
        ) from None


def refingerprint(name: str, seed: int | None = None, root=None) -> Cohort:
    """Replace an old unsalted seed fingerprint in cohort.toml by a salted scrypt one.

    ``seed`` defaults to the one in ``instructor/seed``; it must match the old fingerprint,
    so a record is never re-signed with another seed. Everything else in the record is kept.
    """
    cohort = find_cohort(name, root)
    seed = _read_seed_file(cohort) if seed is None else int(seed)
    if not cohort.seed_matches(seed):
        raise CohortError(
            f"that seed is not the one cohort {name!r} was made from (cohort.toml says otherwise); "
            "nothing was changed"
        )
    record = {k: v for k, v in cohort.record.items() if not k.startswith("seed_")}
    _write_toml(cohort.path / RECORD, {**record, **_fingerprint(seed)})
    return cohort


def find_cohort(name: str, root=None) -> Cohort:
    folder = cohorts_root(root) / name
    if not (folder / RECORD).exists():
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
    return [Cohort(p.name, p) for p in sorted(base.iterdir()) if (p / RECORD).exists()]


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


def _parser():
    import argparse

    parser = argparse.ArgumentParser(
        prog="chaintrace cohort",
        description="Make and choose cohort variants: new data and new answers for each class.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    new = sub.add_parser("new", help="generate a new variant from a secret seed")
    new.add_argument("name", help="e.g. kyiv-2026")
    new.add_argument(
        "--seed",
        type=int,
        help="omit it: a random secret seed is drawn and kept in instructor/seed. Give one only "
        "to make a cohort again from its recorded seed; a guessable seed is refused",
    )
    new.add_argument(
        "--insecure-seed",
        action="store_true",
        help="accept a guessable --seed (throwaway demos only: trainees can rebuild the answers)",
    )
    new.add_argument("--transactions", type=int, default=20_000, help=argparse.SUPPRESS)
    use = sub.add_parser("use", help="make a variant active for notebooks and grading")
    use.add_argument("name", nargs="?", help="cohort name")
    use.add_argument("--default", action="store_true", help="go back to the bundled data")
    sub.add_parser("list", help="list the cohorts")
    sub.add_parser("show", help="show the active variant")
    check = sub.add_parser("check", help="is this the seed a cohort was made from?")
    check.add_argument("name", help="cohort name")
    check.add_argument("--seed", type=int, required=True, help="the seed to check")
    upgrade = sub.add_parser(
        "refingerprint", help="replace an old unsalted seed fingerprint by a salted, slow one"
    )
    upgrade.add_argument("name", help="cohort name")
    upgrade.add_argument("--seed", type=int, help="default: the one in instructor/seed")
    return parser


def _check_command(name: str, seed: int) -> int:
    cohort = find_cohort(name)
    if cohort.old_fingerprint:
        print(
            f"warning: cohort {name} has an OLD unsalted seed fingerprint, which gives a guessable "
            f"seed back in milliseconds; upgrade it with {_FIX_OLD.format(name=name)}",
            file=sys.stderr,
        )
    if cohort.seed_matches(seed):
        print(f"yes: cohort {name} was made from this seed")
        return 0
    print(f"no: cohort {name} was not made from this seed")
    return 1


def main(argv: list[str]) -> int:
    """``chaintrace cohort new|use|list|show|check|refingerprint`` (``chaintrace cohort --help``)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.action == "new":
        cohort = create_cohort(
            args.name, args.seed, args.transactions, allow_weak_seed=args.insecure_seed
        )
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
    elif args.action == "check":
        return _check_command(args.name, args.seed)
    elif args.action == "refingerprint":
        print(f"upgraded: {refingerprint(args.name, args.seed)}")
    else:
        active = active_cohort()
        print(active if active else "active: the bundled course data (no cohort variant)")
    return 0
