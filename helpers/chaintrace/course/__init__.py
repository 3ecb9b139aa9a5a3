"""chaintrace.course: the course machinery's reports on a generated dataset.

A generated dataset comes with its ground truth, so the course can measure what the toolkit's
methods get right on it and how close the economy is to the real chain. These reports read the
toolkit and the ground truth; neither the toolkit nor the generator imports them.

- :mod:`chaintrace.course.datasheet`: the generated sections of ``datasets/README.md``;
- :mod:`chaintrace.course.realism`: the generated economy against real-chain statistics
  (``docs/realism.md``);
- :mod:`chaintrace.course.changeheur`: reference change heuristics scored against the ground
  truth, beside Möser & Narayanan's published figures.
"""
