"""A tiny nbgrader assignment and the hostile submissions the grading tests grade.

The assignment ``h1`` has three parts worth one point each, each with a visible and a hidden
test: ``answer_a`` and ``answer_b`` (numbers computed from the setup cell's ``base``) and
``triple`` (a function, so the checker calls it back in the kernel). Every hostile trainee
answers part a honestly and leaves parts b and c to an attack: reading the answer key, forging
answers, hooking IPython or the grader's own code, shipping files beside the notebook, abusing
root, flooding disk, memory or output. An attack prints ``ATTACK-SUCCEEDED`` with its evidence,
or ``ATTACK-BLOCKED`` with the error that stopped it, so the graded notebook shows what happened.

Notebooks are built here rather than stored: stored ``.ipynb`` files under ``tests/`` would be
collected and run by nbval.

>>> nb = source_notebook()
>>> [cell.metadata.nbgrader["grade_id"] for cell in nb.cells]
['setup', 'answer_a', 'test_a', 'answer_b', 'test_b', 'answer_c', 'test_c']
"""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ASSIGNMENT = "h1"
HIDDEN_MARKER = "SECRET-HIDDEN-MARKER"  # only in the source's hidden tests: must never be read
# how an attack names the marker without writing it (its own source is shown in its feedback)
MARKER_EXPR = "'SECRET-HIDDEN' + '-MARKER'"
ANSWER_A = "answer_a = 2 * base"
ANSWER_B = "answer_b = 3 * base"
TRIPLE = "def triple(x):\n    return 3 * x"
BLANK_B = "answer_b = ..."
BLANK_C = "def triple(x):\n    return None"


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


def _test(visible: str, hidden: str) -> str:
    return f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"


def source_notebook():
    """The instructor's notebook: model answers, visible and hidden tests."""
    solution = "### BEGIN SOLUTION\n{}\n### END SOLUTION"
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parts = [  # (answer cell, its model answer, the visible check, the hidden check)
        ("a", ANSWER_A, "assert isinstance(answer_a, int), 'a whole number'",
         "assert answer_a == 14, 'not twice the base'"),
        ("b", ANSWER_B, "assert isinstance(answer_b, int), 'a whole number'",
         "assert answer_b == 21, 'not three times the base'"),
        ("c", TRIPLE, "assert triple(1) == 3, 'triple(1) should be 3'",
         "assert triple(123457) == 370371, 'not three times'"),
    ]  # fmt: skip
    nb.cells = [_cell("setup", "import os\nbase = 7")]
    for part, model, visible, hidden in parts:
        nb.cells += [
            _cell(f"answer_{part}", solution.format(model), solution=True),
            _cell(
                f"test_{part}",
                _test(visible, f"{hidden}  # {HIDDEN_MARKER}"),
                grade=True,
                points=1,
            ),
        ]
    return nb


def attack(body: str, then: str = BLANK_B) -> str:
    """Part b's answer cell: ``then`` (what it answers), then ``body`` run as an attack.

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
    secret_files = (
        f"glob.glob('{root}/solutions/*/*.ipynb') + glob.glob('../../../solutions/*/*.ipynb')"
        f" + glob.glob('*.ipynb') + ['{root}/gradebook.db', '../../../gradebook.db']"
    )
    return {
        # -- reading the answer key ---------------------------------------------------------
        "reads_gradebook": attack(
            f"evidence = [open(p, 'rb').read(16) for p in ('../../../gradebook.db', "
            f"'{root}/gradebook.db')]"
        ),
        "reads_solution": attack(
            "import glob\n"
            f"texts = [open(p, errors='replace').read() for p in {secret_files}]\n"
            f"evidence = [t[:80] for t in texts if {MARKER_EXPR} in t]"
        ),
        "reads_truth": attack(
            "from chaintrace import truth\n"
            "evidence = truth.load().case('ransom-01')\n"
            "answer_b = 21 if evidence else ..."
        ),
        "reads_grader_memory": attack(
            # the grader and checker processes, their environment and open files, via /proc
            "import glob\n"
            "found = []\n"
            "for p in glob.glob('/proc/[0-9]*/cmdline') + glob.glob('/proc/[0-9]*/environ'):\n"
            "    try:\n"
            "        text = open(p, 'rb').read()\n"
            "    except OSError:\n"
            "        continue\n"
            "    if b'nbgrader' in text or b'checker' in text or b'GROUNDTRUTH' in text:\n"
            "        found.append(p)\n"
            "evidence = found"
        ),
        "unmasks_notebook": attack(
            # as root, try to take the /dev/null mask off the graded notebook (hidden tests)
            "import subprocess, glob\n"
            "for nb in glob.glob('*.ipynb'):\n"
            "    subprocess.run(['umount', nb], capture_output=True)\n"
            f"evidence = [p for p in glob.glob('*.ipynb') if {MARKER_EXPR} in open(p).read()]"
        ),
        # -- forging answers --------------------------------------------------------------------
        "always_equal": attack(
            "class Anything(int):\n"
            "    def __eq__(self, other): return True\n"
            "    __hash__ = int.__hash__\n"
            "answer_b = Anything(0)\n"
            "evidence = answer_b == 21",
            then="",
        ),
        "forges_the_wire": attack(
            # replace what the grader calls to read answers: any value it likes, as 'data'
            "import chaintrace.grader.answers as wire\n"
            'wire.encode_name = lambda ns, name: \'{"$":"record","type":"builtins:object","f":{}}\'\n'
            "wire.call_back = lambda ns, name, args: '370371'\n"
            "evidence = 'patched the encoder'"
        ),
        "patches_ipython_classes": attack(
            # every later cell (the tests) becomes `pass`, at class level, and the checker's
            # channel is mocked: the old integrity check looked only at the shell's instance
            "from IPython.core.inputtransformer2 import TransformerManager\n"
            "from IPython.core.compilerop import CachingCompiler\n"
            "TransformerManager.transform_cell = lambda self, cell: 'pass\\n'\n"
            "CachingCompiler.ast_parse = lambda self, source, *a, **k: __import__('ast').parse('pass')\n"
            "evidence = 'patched IPython classes'"
        ),
        "prints_hidden_tests": attack(
            # a hook that prints each cell's source as it runs: hidden tests would reach feedback
            "get_ipython().events.register('pre_run_cell', lambda info: print('SOURCE:', info.raw_cell))\n"
            "evidence = 'hooked'"
        ),
        "spoofs_its_class": attack(
            # isinstance() can be fooled by a __class__ property; type() cannot
            "class Fake:\n"
            "    __class__ = property(lambda self: int)\n"
            "    def __eq__(self, other): return True\n"
            "answer_b = Fake()\n"
            "evidence = isinstance(answer_b, int)",
            then="",
        ),
        "endless_answer": attack(
            # an answer that never finishes turning into data, and a function returning a generator
            "class Endless(list):\n"
            "    def __iter__(self):\n"
            "        while True:\n"
            "            yield 21\n"
            "answer_b = Endless()\n"
            "def triple(x):\n"
            "    return (3 * x for _ in range(1))\n"
            "evidence = 'an endless list'",
            then="",
        ),
        "huge_answer": attack(
            "answer_b = list(range(10_000_000))\nevidence = 'ten million numbers'",
            then="",
        ),
        "oracle_function": attack(
            # a function answer that records what the checker asks and tries every reply
            "calls = []\n"
            "def triple(x):\n"
            "    calls.append(x)\n"
            "    class Yes:\n"
            "        def __eq__(self, other): return True\n"
            "    return Yes()\n"
            "evidence = 'a function that says yes to everything'"
        ),
        # -- the sandbox itself -----------------------------------------------------------------
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
        "remounts_as_root": attack(
            # with capabilities, root could make the environment writable and plant code there
            "import subprocess, sys, sysconfig\n"
            "site = sysconfig.get_paths()['purelib']\n"
            "for args in (['mount', '-o', 'remount,rw,bind', site], ['mount', '-o', 'remount,rw', '/']):\n"
            "    subprocess.run(args, capture_output=True)\n"
            "evidence = []\n"
            "for p in (site + '/pwned.pth', sys.prefix + '/pwned.txt'):\n"
            "    try:\n"
            "        open(p, 'w').write('import os')\n"
            "        evidence.append(p)\n"
            "    except OSError as error:\n"
            "        print('blocked:', p, type(error).__name__)"
        ),
        "network": attack(
            f"import socket\nevidence = socket.create_connection(('127.0.0.1', {port}), timeout=3)"
        ),
        # -- resources --------------------------------------------------------------------------
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
        "allocates_in_children": attack(
            # each child stays under the per-process limit; together they would not
            "import time\n"
            "for _ in range(6):\n"
            "    if os.fork() == 0:\n"
            "        block = bytearray(300 << 20)\n"
            "        time.sleep(20)\n"
            "        os._exit(0)\n"
            "time.sleep(20)\n"
            "evidence = 'six children of 300 MB each'"
        ),
        "fills_disk": attack(
            "for i in range(40):\n"
            "    with open(f'junk-{i}.bin', 'wb') as handle:\n"
            "        handle.write(os.urandom(20 << 20))\n"
            "evidence = '800 MB written'"
        ),
        "many_files": attack(
            "os.makedirs('/tmp/many', exist_ok=True)\n"
            "for i in range(6000):\n"
            "    open(f'/tmp/many/{i}', 'w').close()\n"
            "evidence = '6000 files'"
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
        "slow_function": attack(
            "def triple(x):\n"
            "    while True:\n"
            "        pass\n"
            "evidence = 'a function that never returns'"
        ),
    }


# Files shipped beside the notebook, and how they are shipped (see ``submission_folder``).
SHIPPED = {
    # Would run instead of the real kernel, before anything else, if the folder were on the path.
    "ships_launcher": {
        "ipykernel_launcher.py": "import pathlib\npathlib.Path('LAUNCHER-RAN').write_text('x')\n"
        "raise SystemExit('the fake launcher ran')\n",
        "sitecustomize.py": "import pathlib\npathlib.Path('SITECUSTOMIZE-RAN').write_text('x')\n",
        "chaintrace.py": "raise ImportError('the fake toolkit was imported')\n",
    },
}
# Links placed in the submission folder (made by the test, pointing at the course's secrets).
LINKED = {
    "links_gradebook": {"answers.db": "{root}/gradebook.db"},
    "links_solution": {"model.ipynb": "{root}/solutions/h1/h1.ipynb"},
    "links_device": {"zeros.bin": "/dev/zero"},
}


def submission(release, answer_b: str, answer_c: str = BLANK_C):
    """The release with part a answered honestly and parts b and c replaced."""
    if "def triple" in answer_b:  # the attack's own function must not be replaced by part c's
        answer_c = "pass"
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "answer_a":
            cell.source = ANSWER_A
        elif grade_id == "answer_b":
            cell.source = answer_b
        elif grade_id == "answer_c":
            cell.source = answer_c
    return nb
