"""The promises the README makes about the repository itself."""

import re
import subprocess
import sys

import pytest
from conftest import MODULES, ROOT


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [
        line.split("#")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip()
    ]


def test_quick_start_is_exactly_two_commands():
    assert quick_start_commands() == ["python3 run.py course", "python3 run.py tests"]


def test_ci_runs_the_readme_test_command_exactly():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert quick_start_commands()[1] in commands
    assert "JUPYTER_CONFIG_DIR" in ci and "JUPYTER_DATA_DIR" in ci and "JUPYTER_RUNTIME_DIR" in ci


def test_readme_module_table_matches_the_manifest():
    result = subprocess.run(
        [sys.executable, "tools/modules_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_every_module_in_the_manifest_has_its_files():
    for module in MODULES:
        assert (ROOT / "course" / module["lesson"]).is_file(), module["lesson"]
        for step in ("solutions", "exercises"):
            folder = ROOT / step / module["assignment"]
            assert len(list(folder.glob("*.ipynb"))) == 1, f"{folder} needs exactly one notebook"
        assert module["lesson"].startswith(module["number"] + "-")


def test_nothing_unlisted_in_course_solutions_or_exercises():
    lessons = {module["lesson"] for module in MODULES}
    assignments = {module["assignment"] for module in MODULES}
    assert {p.name for p in (ROOT / "course").glob("*.ipynb")} == lessons
    for step in ("solutions", "exercises"):
        assert {p.name for p in (ROOT / step).iterdir() if p.is_dir()} == assignments


def test_run_py_needs_only_the_standard_library():
    source = (ROOT / "run.py").read_text(encoding="utf-8")
    imported = set(re.findall(r"^(?:import|from) (\w+)", source, flags=re.M))
    assert imported <= set(sys.stdlib_module_names)


def test_readme_toolkit_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, flags=re.S).group(1)
    result = subprocess.run(
        [sys.executable, "-c", example],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Peel chain trace" in result.stdout


# What a clone cannot follow: notes outside the repository, design-document sections and tracker
# numbers. Facts belong in docs/ with their published sources (docs/realism-targets.md).
UNREACHABLE = re.compile(r"\.\./shared\b|\bshared/+notes\b|\bDESIGN\s+§|\bissues?\s+#?\d", re.I)


def test_no_file_cites_what_a_clone_does_not_have():
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git clone: no list of tracked files")
    found = []
    for name in filter(None, listed.stdout.split("\0")):
        path = ROOT / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (parquet, images)
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if match := UNREACHABLE.search(line):
                found.append(f"{name}:{number}: {match.group(0)!r}")
    assert not found, "cite docs/ and published sources instead:\n" + "\n".join(found)
