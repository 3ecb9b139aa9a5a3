"""A tiny nbgrader assignment and the hostile submissions the sandbox tests grade.

The assignment ``h1`` has two parts worth one point each: ``double`` (part a) and ``triple``
(part b), each with a visible and a hidden test. Every hostile trainee answers part a honestly,
and puts an attack into part b's answer cell (after an honest ``triple`` where the attack
should not cost marks). An attack prints ``ATTACK-SUCCEEDED`` with its evidence, or
``ATTACK-BLOCKED`` with the error that stopped it, so the graded notebook shows what happened.

Notebooks are built here rather than stored: stored ``.ipynb`` files under ``tests/`` would be
collected and run by nbval.

>>> nb = source_notebook()
>>> [cell.metadata.nbgrader["grade_id"] for cell in nb.cells]
['setup', 'answer_a', 'test_a', 'answer_b', 'test_b']
"""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ASSIGNMENT = "h1"
HIDDEN_MARKER = "SECRET-HIDDEN-MARKER"  # only in the source's hidden test: must never be read
DOUBLE = "def double(x):\n    return 2 * x"
TRIPLE = "def triple(x):\n    return 3 * x"


def _cell(grade_id: str, source: str, *, grade=False, solution=False, points=None):
    meta = {
        "grade": grade,
        "solution": solution,
        "locked": not solution,
        "grade_id": grade_id,
        "schema_version": 3,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return new_code_cell(source, metadata={"nbgrader": meta})


def source_notebook():
    """The instructor's notebook: model answers, visible and hidden tests."""
    solution = "### BEGIN SOLUTION\n{}\n### END SOLUTION"
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        _cell("setup", "import os"),
        _cell("answer_a", solution.format(DOUBLE), solution=True),
        _cell(
            "test_a",
            "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-5) == -10\n"
            "### END HIDDEN TESTS",
            grade=True,
            points=1,
        ),
        _cell("answer_b", solution.format(TRIPLE), solution=True),
        _cell(
            "test_b",
            f"assert triple(2) == 6\n### BEGIN HIDDEN TESTS\nassert triple(7) == 21, "
            f"{HIDDEN_MARKER!r}\n### END HIDDEN TESTS",
            grade=True,
            points=1,
        ),
    ]
    return nb


def attack(body: str, then: str = TRIPLE) -> str:
    """An answer cell: ``then`` (honest code), then ``body`` run as an attack.

    ``body`` must define ``evidence``: anything truthy means the attack worked.
    """
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return (
        f"{then}\ntry:\n{indented}\n"
        "    print('ATTACK-SUCCEEDED' if evidence else 'ATTACK-BLOCKED (nothing found)', evidence)\n"
        "except Exception as error:\n"
        "    print('ATTACK-BLOCKED', type(error).__name__, error)\n"
    )


def attacks(root: str, port: int) -> dict[str, str]:
    """Part-b answer cells of each hostile trainee, for a course at ``root``."""
    return {
        "reads_gradebook": attack(
            f"evidence = [open(p, 'rb').read(16) for p in ('../../../gradebook.db', "
            f"'{root}/gradebook.db')]"
        ),
        "reads_solution": attack(
            "import glob\n"
            f"texts = [open(p).read() for p in glob.glob('{root}/solutions/*/*.ipynb')"
            " + glob.glob('../../../solutions/*/*.ipynb') + glob.glob('*.ipynb')]\n"
            f"evidence = [t[:80] for t in texts if {HIDDEN_MARKER!r} in t]"
        ),
        "writes_others": attack(
            "import glob\n"
            "os.symlink('../../../gradebook.db', 'gradebook-link')\n"
            "evidence = []\n"
            f"for p in [*glob.glob('{root}/*/*/h1/*.ipynb'), *glob.glob('{root}/*/h1/*.ipynb'),\n"
            f"          '{root}/autograded/honest/h1/pwned.txt', '../../honest/h1/pwned.txt']:\n"
            "    try:\n"
            "        with open(p, 'a') as handle:\n"
            "            handle.write('pwned')\n"
            "        evidence.append(p)\n"
            "    except OSError as error:\n"
            "        print('blocked:', p, type(error).__name__)"
        ),
        "network": attack(
            f"import socket\nevidence = socket.create_connection(('127.0.0.1', {port}), timeout=3)"
        ),
        "forks": attack(
            # Linear, not exponential, so that even an unsandboxed run cannot hang the machine.
            "import time\n"
            "for _ in range(300):\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(30)\n"
            "        os._exit(0)\n"
            "evidence = 'forked 300 processes'"
        ),
        "allocates": attack(
            "blocks = [bytearray(64 << 20) for _ in range(24)]\n"
            "evidence = f'{len(blocks) * 64} MB allocated'"
        ),
        "prints": attack(
            # Flushed, so the gigabytes reach the grader (unflushed, the kernel's memory limit
            # stops them first).
            "for _ in range(2048):\n    print('x' * (1 << 20), flush=True)\n"
            "evidence = 'printed 2 GB'"
        ),
        "sleeps": attack(
            "import signal, time\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt must not be enough\n"
            "time.sleep(3600)\n"
            "evidence = 'slept'"
        ),
        "kills_kernel": attack("import signal\nos.kill(os.getpid(), signal.SIGKILL)\nevidence = 0"),
        "rewrites_tests": attack(
            # Every later cell (the tests) becomes `pass`, and the notebook file is rewritten.
            "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
            "evidence = [open(p, 'w').write('{}') for p in __import__('glob').glob('*.ipynb')]",
            then="def triple(x):\n    return 0",
        ),
    }


def submission(release, answer_b: str):
    """The release with part a answered honestly and part b's answer cell replaced."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "answer_a":
            cell.source = DOUBLE
        elif grade_id == "answer_b":
            cell.source = answer_b
    return nb
