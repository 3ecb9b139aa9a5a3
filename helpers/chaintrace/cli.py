"""The ``chaintrace`` console script: one command line for the three wings of the package.

The toolkit's commands (``tx``, ``address``, ``screen``, ``serve``, ``index``, ...) live in
:mod:`chaintrace.commands`; this dispatcher adds those of the course machinery
(``chaintrace cohort``, ``chaintrace class``) and of the generator (``chaintrace generate``).
It belongs to the course machinery, which may import every wing; the toolkit never imports
it. Each command's module is imported only when that command runs, so ``chaintrace tx`` works
where the course's packages (nbgrader, JupyterLab) are not installed.

    chaintrace generate ...                   make a dataset
    chaintrace cohort new|use|list|show       a fresh variant of every case for a class
    chaintrace class setup|roster|import|...  run a class: rubrics, feedback, report, export

>>> sorted(COMMANDS)
['class', 'cohort', 'generate']
>>> main(["tx", "not-a-txid", "--dataset", "no-such-dataset"])
2
"""

from __future__ import annotations

import sys

from .commands import Command, build_parser  # noqa: F401 (build_parser: the parser, for tests)
from .commands import main as toolkit_main


def _cohort(argv: list[str]) -> int:
    from .cohort import main

    return main(argv)


def _class(argv: list[str]) -> int:
    from .classroom import main

    return main(argv)


def _generate(argv: list[str]) -> int:
    from .sim.cli import main

    return main(["generate", *argv]) or 0  # it parses "chaintrace generate ..."


COMMANDS = {
    "generate": Command("generate a dataset", _generate),
    "cohort": Command("cohort variants", _cohort),
    "class": Command("run a class with nbgrader", _class),
}


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a finding/failed check, 2 error)."""
    return toolkit_main(argv, extra=COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
