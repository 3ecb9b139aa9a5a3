"""A trainee submits and fetches feedback under their hub name.

nbgrader names a submission after the Unix account that makes it (or ``$JUPYTERHUB_USER`` in
containers, where everyone is ``jovyan``). Naming it after the hub account in every deployment
keeps one trainee one id, whatever the spawner, and makes the Assignments list show only their own.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
