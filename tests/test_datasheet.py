"""The datasheet (datasets/README.md) agrees with the bundled data and with the data contract."""

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chaintrace import paths
from chaintrace.course import datasheet

ARCH = paths.REPO_ROOT / "docs" / "ARCHITECTURE.md"
# how the contract spells Arrow types
TYPE_WORDS = {"str": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "bool": pa.bool_()}


def test_committed_datasheet_matches_a_fresh_rendering():
    current = datasheet.datasheet_path().read_text(encoding="utf-8")
    fresh = datasheet.render(current, "course")
    assert current == fresh, (
        "datasets/README.md's generated statistics are out of date: "
        "run python -m chaintrace.course.datasheet and commit the result"
    )


def test_markers_are_required():
    with pytest.raises(ValueError, match="stats:begin"):
        datasheet.replace_block("no markers here", "stats", "x")


def _contract_columns(section: str, filename: str) -> dict[str, str]:
    """``{column: type word}`` the architecture page gives for ``filename`` in ``section``."""
    start = section.index(f"`{filename}`")
    text = section[start:]
    stop = re.search(
        r"\n\n|\),\s*`\w+\.parquet`|\n`[a-z_/<>]+\.(?:parquet|csv|yaml|json)`", text[1:]
    )
    text = text[: stop.start() + 1] if stop else text
    return dict(
        (name, word) for name, word in re.findall(r"`(\w+)`\s+(str|int32|int64|bool)\b", text)
    )


def _section(title: str) -> str:
    text = ARCH.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 3)
    return text[start : end if end > 0 else None]


@pytest.mark.parametrize(
    "section, folder, filename",
    [
        ("Dataset files", paths.dataset_dir("course"), "blocks.parquet"),
        ("Dataset files", paths.dataset_dir("course"), "transactions.parquet"),
        ("Dataset files", paths.dataset_dir("course"), "outputs.parquet"),
        ("Dataset files", paths.dataset_dir("course"), "inputs.parquet"),
        ("Dataset files", paths.dataset_dir("course"), "account/transfers.parquet"),
        ("Ground truth", paths.groundtruth_dir("course"), "entities.parquet"),
        ("Ground truth", paths.groundtruth_dir("course"), "addresses.parquet"),
        ("Ground truth", paths.groundtruth_dir("course"), "transactions.parquet"),
    ],
)
def test_parquet_schema_matches_the_contract(section, folder, filename):
    contract = _contract_columns(_section(section), filename)
    schema = pq.read_schema(folder / filename)
    actual = dict(zip(schema.names, schema.types, strict=True))
    assert list(contract) == list(actual), (
        f"{filename}: docs/ARCHITECTURE.md lists columns {list(contract)}, the file has "
        f"{list(actual)}"
    )
    for name, word in contract.items():
        assert actual[name] == TYPE_WORDS[word], f"{filename}.{name}: {actual[name]} vs {word}"


def test_datasheet_names_every_dataset_file():
    """Every file shipped in datasets/course/ is named in the datasheet's prose."""
    text = datasheet.datasheet_path().read_text(encoding="utf-8")
    prose = text.split("<!-- stats:begin -->")[0]
    root = paths.dataset_dir("course")
    for p in sorted(root.rglob("*")):
        where = p.relative_to(root)
        if p.is_file() and where.parts[0] == "sanctions" and len(where.parts) > 2:
            # the lists' folders and dated archives are named, not each dated file
            folder = "archive/" if "archive" in where.parts else f"{where.parent.as_posix()}/"
            assert folder in prose, f"datasets/README.md does not describe {where.parent}"
        elif p.is_file() and p.parent.name != "cases" and p.parent.name != "sanctions":
            assert p.name in prose, f"datasets/README.md does not describe {where}"
