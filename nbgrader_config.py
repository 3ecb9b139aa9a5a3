"""nbgrader configuration for the chaintrace course.

Run every ``nbgrader`` command from the repository root. The layout maps onto nbgrader's steps:

    solutions/<assignment>/   source notebooks: model answers + visible and hidden tests
    exercises/<assignment>/   release notebooks, made only by ``nbgrader generate_assignment``
    submitted/ autograded/ feedback/ gradebook.db .exchange/   local, git-ignored grading state
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "chaintrace"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# `solution_directory` defaults to "solution": keep `generate_solution` output out of solutions/.
c.CourseDirectory.solution_directory = "build/model-answers"
# Data files beside a notebook (none yet) travel with it; notebooks read data through chaintrace.
# The marker's rubric (rubric.toml beside a source notebook) never travels into a release.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "rubric.toml",
]

# A local exchange beside this file, so release/fetch/submit/collect work on one laptop without a
# shared folder. Trainees working in other folders need `chaintrace class setup` once (it writes
# the same two settings into the environment's Jupyter config). On a JupyterHub whose exchange is
# elsewhere (a shared volume), the hub sets $CHAINTRACE_EXCHANGE for everyone (docs/jupyterhub.md).
c.Exchange.root = os.environ.get("CHAINTRACE_EXCHANGE") or str(
    Path(__file__).resolve().parent / ".exchange"
)

# Feedback goes out only once every written answer is marked; a submission placed in submitted/
# by hand (no exchange timestamp) is skipped with a warning instead of stopping the whole class.
c.ExchangeFactory.release_feedback = "chaintrace.classroom.SafeReleaseFeedback"

# The released stub every solution cell becomes: valid Python that fails loudly until answered.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A trainee who deletes or edits a test cell gets the instructor's version back, and it is graded.
c.OverwriteCells.add_missing_cells = True

# Every cell is bounded: an endless loop costs that submission its marks, not the whole batch.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Feedback shows what each visible test checked, never the hidden tests' source. Hidden test
# regions are cleared from the feedback's cells, and graded kernels print one-line tracebacks
# ("AssertionError: <message>"): IPython's usual tracebacks quote the lines around the failing
# one, which would reveal hidden tests below a failing visible check.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShell.xmode=Minimal",
]
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# --- grading ---
# `nbgrader autograde` grades with chaintrace's grader (INSTRUCTORS.md, "What the grader
# guarantees"): each submission's own code runs in a bubblewrap sandbox that sees the Python
# environment, the toolkit and the trainees' datasets read-only, writes only its own folder, and
# has no network, capabilities, ground truth, gradebook or solutions. Test cells never run there:
# the answers each test reads leave the kernel as data, and a separate checker process runs the
# instructor's visible and hidden tests on them. Submissions holding links or special files are
# refused for that trainee; progress and a summary table are printed.
# mode: "on" (default; without bwrap, warn loudly and grade unsandboxed), "strict" (refuse to
# grade without the sandbox: use this for untrusted cohorts), "off".
from chaintrace.grader import autograde as _grading  # noqa: E402

_grading.install()
c.Autograde.sanitize_preprocessors = _grading.sanitize_preprocessors()
c.Autograde.autograde_preprocessors = _grading.autograde_preprocessors()
c.SandboxedExecute.mode = "on"
c.SandboxedExecute.memory_limit = 2048  # MB of address space per kernel process
c.SandboxedExecute.memory_total_limit = 3072  # MB resident in all of a submission's processes
c.SandboxedExecute.process_limit = 64  # processes in one submission's sandbox
c.SandboxedExecute.file_size_limit = 200  # MB, largest file a submission may write
c.SandboxedExecute.disk_limit = 300  # MB a submission may write (its folder and /tmp)
c.SandboxedExecute.file_limit = 2000  # files a submission may create
c.SandboxedExecute.notebook_timeout = 600  # seconds for a whole notebook (cells: Execute.timeout)
c.SandboxedExecute.max_output_bytes = 1_000_000  # per cell; more is dropped, the cell interrupted
# --- end grading ---
