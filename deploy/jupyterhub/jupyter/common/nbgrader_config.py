"""nbgrader settings every account on the class's JupyterHub shares: the course and its exchange.

The hub passes ``$CHAINTRACE_COURSE`` (the instructor's clone of the repository) to every server;
its ``.exchange`` is where releases, submissions and feedback pass between accounts.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "chaintrace"
c.Exchange.root = str(Path(os.environ["CHAINTRACE_COURSE"]) / ".exchange")
