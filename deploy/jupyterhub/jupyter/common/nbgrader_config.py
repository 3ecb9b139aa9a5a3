"""nbgrader settings every account on the class's JupyterHub shares: the course and its exchange.

The hub gives every server ``$CHAINTRACE_EXCHANGE``: where releases, submissions and feedback
pass between accounts (the instructor's course folder's ``.exchange`` unless set otherwise).
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "chaintrace"
c.Exchange.root = os.environ["CHAINTRACE_EXCHANGE"]
