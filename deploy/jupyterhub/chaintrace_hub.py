"""The chaintrace course's part of a JupyterHub configuration: roles, each role's JupyterLab, the
shared exchange. ``jupyterhub_config.py`` beside it loads it for a hub of our own; on The Littlest
JupyterHub it is loaded from ``/opt/tljh/config/jupyterhub_config.d/`` (docs/jupyterhub.md).

- trainees: JupyterLab in their home folder, with nbgrader's Assignments list (fetch, submit,
  feedback) and without Formgrader or the assignment-creation tools;
- instructors (``$CHAINTRACE_INSTRUCTORS``, default ``instructor``): JupyterLab in the course
  folder with Formgrader, which shows each written answer's rubric while marking; a hub role that
  lets them see who is connected, not open their files;
- the exchange: ``$CHAINTRACE_EXCHANGE``, else the course folder's ``.exchange``, shared by every
  account (nbgrader sets its permissions on the first release); the course id ``chaintrace``.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# The instructor's clone of the repository (nbgrader runs there), by default the one holding this
# file. Each JupyterLab reads its role's settings from the clone's deploy/jupyterhub/jupyter/.
COURSE = Path(os.environ.get("CHAINTRACE_COURSE") or Path(__file__).resolve().parents[2])
SETTINGS = COURSE / "deploy" / "jupyterhub" / "jupyter"
EXCHANGE = os.environ.get("CHAINTRACE_EXCHANGE") or str(COURSE / ".exchange")
INSTRUCTORS = os.environ.get("CHAINTRACE_INSTRUCTORS", "instructor").split()

c.JupyterHub.load_groups = {"instructors": {"users": INSTRUCTORS}}
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "description": "Sees the class's accounts and whether their servers run; not their files.",
        "groups": ["instructors"],
        "scopes": ["self", "admin-ui", "list:users", "read:users:activity", "read:servers"],
    }
]

c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120  # a busy class server starts JupyterLab slowly
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "CHAINTRACE_COURSE": str(COURSE),
    "CHAINTRACE_EXCHANGE": EXCHANGE,
    # No MPLBACKEND: a notebook kernel draws inline (PNG in the page) unless it is set, and "Agg"
    # would leave every plt.show() blank. The server has no display, and needs none for that.
}


def is_instructor(user) -> bool:
    return any(group.name == "instructors" for group in user.groups)


def course_server(spawner) -> None:
    """Give instructors the course folder with Formgrader, trainees their home with Assignments.

    Each role reads its Jupyter settings from ``jupyter/<role>/`` beside this file, then the
    shared ``jupyter/common/`` (course id and exchange).
    """
    role = "instructor" if is_instructor(spawner.user) else "trainee"
    configs = [SETTINGS / role, SETTINGS / "common"]
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(map(str, configs))
    if role == "trainee":  # the course's kernel: the lessons' libraries imported at its start
        spawner.environment["JUPYTER_PATH"] = str(COURSE / "deploy" / "kernel")
    else:  # instructors autograde on ipykernel as installed, as the grading tests do
        spawner.environment.pop("JUPYTER_PATH", None)
    if role == "instructor":
        spawner.notebook_dir = str(COURSE)  # Formgrader needs the course inside the server's root


c.Spawner.pre_spawn_hook = course_server
