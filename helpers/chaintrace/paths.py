"""Where the course's datasets and ground truth live.

Trainee-facing data sits in ``<repo>/datasets``; the generator's ground truth, which only
grading and instructors read, sits in ``<repo>/groundtruth``. An instructor can make a cohort
variant active (``chaintrace cohort use NAME``, see :mod:`chaintrace.cohort`): then both point
into that variant's folder, for every notebook and for grading, without touching a notebook.
In order of precedence:

1. ``$CHAINTRACE_DATASETS`` / ``$CHAINTRACE_GROUNDTRUTH`` (explicit folders);
2. the active variant: ``$CHAINTRACE_VARIANT`` (a cohort name or folder; ``default`` for the
   bundled data), else the folder named in ``<repo>/.chaintrace-variant``;
3. the bundled ``<repo>/datasets`` and ``<repo>/groundtruth``.

>>> from chaintrace import paths
>>> paths.dataset_dir("course").name
'course'
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = "course"
VARIANT_FILE = REPO_ROOT / ".chaintrace-variant"


def cohorts_root() -> Path:
    """Where cohort variants are kept (``$CHAINTRACE_COHORTS`` or ``<repo>/cohorts``)."""
    return Path(os.environ.get("CHAINTRACE_COHORTS") or REPO_ROOT / "cohorts")


def variant_dir() -> Path | None:
    """The active cohort variant's folder, or None when the bundled data is in use."""
    chosen = os.environ.get("CHAINTRACE_VARIANT")
    if chosen is None and VARIANT_FILE.exists():
        chosen = VARIANT_FILE.read_text(encoding="utf-8").strip()
    if not chosen or chosen == "default":
        return None
    folder = Path(chosen) if os.sep in chosen or "/" in chosen else cohorts_root() / chosen
    if not (folder / "datasets").is_dir():
        raise FileNotFoundError(
            f"the active cohort variant {chosen!r} has no datasets folder ({folder}); run "
            "`chaintrace cohort use --default` for the bundled data, or `chaintrace cohort list`"
        )
    return folder


def datasets_root() -> Path:
    """The folder holding every dataset (see the precedence above)."""
    if os.environ.get("CHAINTRACE_DATASETS"):
        return Path(os.environ["CHAINTRACE_DATASETS"])
    variant = variant_dir()
    return variant / "datasets" if variant else REPO_ROOT / "datasets"


def groundtruth_root() -> Path:
    """The folder holding ground truth (see the precedence above)."""
    if os.environ.get("CHAINTRACE_GROUNDTRUTH"):
        return Path(os.environ["CHAINTRACE_GROUNDTRUTH"])
    variant = variant_dir()
    return variant / "groundtruth" if variant else REPO_ROOT / "groundtruth"


def dataset_dir(name: str = DEFAULT_DATASET) -> Path:
    """The folder of one dataset; ``name`` may also be a path to a dataset folder."""
    candidate = Path(name)
    if candidate.is_dir() and (candidate / "SHA256SUMS").exists():
        return candidate
    return datasets_root() / name


def groundtruth_dir(name: str = DEFAULT_DATASET) -> Path:
    """The ground-truth folder that belongs to dataset ``name``."""
    return groundtruth_root() / Path(name).name


def cache_root() -> Path:
    """Where the toolkit remembers work it need not redo (``$CHAINTRACE_CACHE`` or
    ``~/.cache/chaintrace``): datasets already verified, TagPacks already checked."""
    return Path(os.environ.get("CHAINTRACE_CACHE") or Path.home() / ".cache" / "chaintrace")
