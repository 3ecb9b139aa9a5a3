"""requirements.lock: what the README's commands install, kept in step with pyproject.toml."""

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lock  # noqa: E402

LOCK_TEXT = (ROOT / "requirements.lock").read_text()


def test_the_lock_serves_pyproject():
    assert lock.problems(LOCK_TEXT, lock.inputs()) == [], "run python3 tools/lock.py"


def test_the_check_catches_a_changed_range_a_missing_package_and_missing_hashes():
    edited = [r.replace("pandas>=2.2", "pandas>=2.2,<3") for r in lock.inputs()]
    assert any("changed since" in p for p in lock.problems(LOCK_TEXT, edited))
    assert any("does not satisfy" in p for p in lock.problems(LOCK_TEXT, edited))
    assert any(
        "not in the lock" in p for p in lock.problems(LOCK_TEXT, [*lock.inputs(), "zzz-nope"])
    )
    no_hashes = re.sub(r"--hash=sha256:\w+", "", LOCK_TEXT)
    assert "the lock has no hashes" in lock.problems(no_hashes, lock.inputs())


def test_every_pin_has_hashes():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK_TEXT.split("\n", 2)[2])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


@pytest.mark.skipif(".venv-newest" in sys.prefix, reason="the newest-releases run is unlocked")
def test_this_environment_is_the_locked_one():
    """What runs the tests is what the lock pins (run.py installs nothing else)."""
    wrong = []
    for line in LOCK_TEXT.splitlines():
        m = re.match(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if not m or (m[3] and not Marker(m[3]).evaluate()):
            continue
        name, version = m[1], m[2]
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if have != version:
            wrong.append(f"{name} {have} (lock: {version})")
    assert not wrong, "delete .venv and run python3 run.py tests again: " + ", ".join(wrong)
