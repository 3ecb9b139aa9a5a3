"""``python -m chaintrace.sim``: see :mod:`chaintrace.sim.cli`."""

import sys

from .cli import main

sys.exit(main())
