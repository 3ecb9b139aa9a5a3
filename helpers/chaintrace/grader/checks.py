"""What a submission folder may hold before grading, and what grading may leave in it.

nbgrader copies a submission with ``shutil.copy``, which follows links: a link to
``gradebook.db`` or to a model solution would be copied *as that file* into the graded folder,
read by the kernel and sent back in feedback; a link to ``/dev/zero`` would be copied forever.
So a submission holding a link, a device, a pipe, a hard-linked file, or more than a submission
should hold is refused, for that trainee only, before anything is copied.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "03-tracing.ipynb").write_text("{}")
>>> refusal(folder) is None
True
>>> (folder / "answers.db").symlink_to("/course/gradebook.db")
>>> print(refusal(folder))
answers.db is a symbolic link (to /course/gradebook.db); a submission may hold only ordinary files
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ..errors import ChaintraceError

__all__ = ["SubmissionRefused", "listing", "refusal", "remove_created"]

MAX_FILES = 200
MAX_BYTES = 100 << 20


class SubmissionRefused(ChaintraceError, RuntimeError):
    """A submission that cannot be graded safely; the message says why and what to do."""


def refusal(folder: Path) -> str | None:
    """Why ``folder`` cannot be graded as it is, or None when it holds only ordinary files."""
    count = size = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root, name)
            rel = path.relative_to(folder)
            info = path.lstat()
            count += 1
            if stat.S_ISLNK(info.st_mode):
                return (
                    f"{rel} is a symbolic link (to {os.readlink(path)}); a submission may hold "
                    "only ordinary files"
                )
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                return (
                    f"{rel} is a device, pipe or socket; a submission may hold only ordinary files"
                )
            if info.st_nlink > 1:
                return f"{rel} is a hard link to another file; a submission may hold only ordinary files"
            size += info.st_size
    if count > MAX_FILES:
        return f"it holds {count} files (at most {MAX_FILES})"
    if size > MAX_BYTES:
        return f"it holds {size >> 20} MB (at most {MAX_BYTES >> 20} MB)"
    return None


def listing(folder: Path) -> set[str]:
    """Every path under ``folder`` (relative), links not followed."""
    if not folder.is_dir():
        return set()
    found = set()
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            found.add(str(Path(root, name).relative_to(folder)))
    return found


def remove_created(folder: Path, before: set[str]) -> list[str]:
    """Delete what the submission's code created in ``folder``; return what was removed.

    Only the notebook nbgrader writes and the files the trainee submitted stay: whatever the
    code made (links, copies, gigabytes) would otherwise be copied into feedback.
    """
    removed = []
    for rel in sorted(listing(folder) - before, key=lambda r: (-r.count(os.sep), r)):
        path = folder / rel
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        removed.append(rel)
    return removed
