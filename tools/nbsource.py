#!/usr/bin/env python3
"""Build a notebook from a plain-text outline, for authors who prefer an editor to JupyterLab.

The committed ``.ipynb`` stays the one source of truth; this tool only *creates* a notebook (or
rewrites it from an outline an author keeps outside the repository). Outline format: cells are
separated by header lines

    #%% markdown                                    a markdown cell
    #%% code                                        a free code cell
    #%% code id=setup kind=readonly                 locked setup cell (nbgrader)
    #%% code id=q1_1_fee kind=solution              autograded answer cell
    #%% code id=q1_1_fee_test kind=tests points=1   locked test cell worth 1 point
    #%% markdown id=q1_9_finding kind=written points=3   hand-graded written answer

``id`` becomes the cell id and, for nbgrader cells, the grade id; other cells get ids derived
from the notebook's prefix and position, so rebuilding an outline keeps ids stable.

    python tools/nbsource.py outline.txt notebook.ipynb --prefix m01
"""

import argparse
import re
import sys

import nbformat

HEADER = re.compile(r"^#%%\s+(markdown|code)\b(.*)$")
KINDS = {
    "readonly": dict(grade=False, solution=False, locked=True),
    "solution": dict(grade=False, solution=True, locked=False),
    "tests": dict(grade=True, solution=False, locked=True),
    "written": dict(grade=True, solution=True, locked=False),
}


def parse(text: str):
    cells, current = [], None
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            attrs = dict(pair.split("=", 1) for pair in match.group(2).split())
            current = {"type": match.group(1), "attrs": attrs, "lines": []}
            cells.append(current)
        elif current is not None:
            current["lines"].append(line)
    return cells


def build(cells, prefix: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    for position, spec in enumerate(cells, start=1):
        source = "\n".join(spec["lines"]).strip("\n")
        make = (
            nbformat.v4.new_markdown_cell
            if spec["type"] == "markdown"
            else nbformat.v4.new_code_cell
        )
        cell = make(source)
        attrs = spec["attrs"]
        cell.id = attrs.get("id", f"{prefix}-{position:02d}")
        if "kind" in attrs:
            meta = dict(KINDS[attrs["kind"]], grade_id=attrs["id"], schema_version=3, task=False)
            if meta["grade"]:
                meta["points"] = int(attrs["points"])
            cell.metadata["nbgrader"] = meta
            if meta["locked"]:
                cell.metadata["deletable"] = False
                cell.metadata["editable"] = False
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("outline")
    parser.add_argument("notebook")
    parser.add_argument("--prefix", required=True, help="cell-id prefix, e.g. m01")
    args = parser.parse_args(argv)
    with open(args.outline, encoding="utf-8") as handle:
        nb = build(parse(handle.read()), args.prefix)
    nbformat.write(nb, args.notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
