"""Where the course's datasets and ground truth live.

Trainee-facing data sits in ``<repo>/datasets``; the generator's ground truth, which only
grading and instructors read, sits in ``<repo>/groundtruth``. Both can be moved with an
environment variable, which is how a cohort variant or a classroom server points the whole
course at other data without touching a notebook.

>>> from chaintrace import paths
>>> paths.dataset_dir("course").name
'course'
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = "course"


def datasets_root() -> Path:
    """The folder holding every dataset (``$CHAINTRACE_DATASETS`` or ``<repo>/datasets``)."""
    return Path(os.environ.get("CHAINTRACE_DATASETS") or REPO_ROOT / "datasets")


def groundtruth_root() -> Path:
    """The folder holding ground truth (``$CHAINTRACE_GROUNDTRUTH`` or ``<repo>/groundtruth``)."""
    return Path(os.environ.get("CHAINTRACE_GROUNDTRUTH") or REPO_ROOT / "groundtruth")


def dataset_dir(name: str = DEFAULT_DATASET) -> Path:
    """The folder of one dataset; ``name`` may also be a path to a dataset folder."""
    candidate = Path(name)
    if candidate.is_dir() and (candidate / "SHA256SUMS").exists():
        return candidate
    return datasets_root() / name


def groundtruth_dir(name: str = DEFAULT_DATASET) -> Path:
    """The ground-truth folder that belongs to dataset ``name``."""
    return groundtruth_root() / Path(name).name
