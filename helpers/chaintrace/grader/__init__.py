"""Grading for the course: a submission's kernel computes answers, a checker decides the marks.

This is the instructor's wing of the package (it needs nbgrader): trainees and investigators
never import it. Its parts, in the order a submission meets them:

- :mod:`~chaintrace.grader.checks`: what a submission folder may hold before it is copied;
- :mod:`~chaintrace.grader.sandbox`: nbgrader's execution step, with the kernel in bubblewrap;
- :mod:`~chaintrace.grader.launcher`: the first process inside the sandbox (limits, totals);
- :mod:`~chaintrace.grader.answers`: answers as data, out of the kernel;
- :mod:`~chaintrace.grader.plan`: which cells the checker runs, and which answers each test reads;
- :mod:`~chaintrace.grader.checker` and :mod:`~chaintrace.grader.checker_process`: the verdicts,
  in a process of their own with the ground truth;
- :mod:`~chaintrace.grader.autograde`: how ``nbgrader_config.py`` wires it all into
  ``nbgrader autograde`` (progress, refusals, the summary at the end).
"""
