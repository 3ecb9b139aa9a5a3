#!/usr/bin/env python3
"""Write the module table into README.md from course/modules.toml (the one list of modules).

python tools/modules_table.py          # rewrite the table in README.md
python tools/modules_table.py --check  # exit 1 if README.md is out of date (the tests do this)
"""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- modules:begin -->", "<!-- modules:end -->"


def table() -> str:
    with open(ROOT / "course" / "modules.toml", "rb") as handle:
        modules = tomllib.load(handle)["module"]
    rows = [
        "| # | module | the case question | lesson | assignment | time (lesson + assignment) |",
        "|---|---|---|---|---|---|",
    ]
    for m in modules:
        rows.append(
            f"| {m['number']} | {m['title']} | {m['question']} | [`course/{m['lesson']}`](course/{m['lesson']}) "
            f"| [`exercises/{m['assignment']}/`](exercises/{m['assignment']}/) | {m['minutes']} min |"
        )
    return "\n".join(rows)


def rendered(readme: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    current = path.read_text(encoding="utf-8")
    wanted = rendered(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md's module table is out of date: run python tools/modules_table.py")
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
