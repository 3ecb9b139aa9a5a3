"""JupyterHub for a chaintrace class on one server: one account per trainee, one shared exchange.

Run from the course's environment, in a folder of its own for the hub's state (database,
cookie secret), as root (it starts each user's server as that user):

    cd /srv/jupyterhub && /srv/chaintrace/.venv/bin/jupyterhub -f /srv/chaintrace/deploy/jupyterhub/jupyterhub_config.py

docs/jupyterhub.md is the whole recipe (server, The Littlest JupyterHub, Kubernetes). What this
file sets up:

- accounts: the server's own (PAM) accounts in the Unix group ``chaintrace``; each user's
  JupyterLab runs as that user, from the course environment this hub runs from;
- trainees: JupyterLab in their home folder, with nbgrader's Assignments list (fetch, submit,
  feedback) and without Formgrader or the assignment-creation tools;
- instructors (``$CHAINTRACE_INSTRUCTORS``, default ``instructor``): JupyterLab in the course
  folder with Formgrader, which shows each written answer's rubric while marking; a hub role
  that lets them see who is connected;
- the exchange: the course folder's ``.exchange``, shared by every account (nbgrader sets its
  permissions on the first release); the course id ``chaintrace``.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
# The instructor's clone of the repository: nbgrader runs here, the exchange is its .exchange.
COURSE = Path(os.environ.get("CHAINTRACE_COURSE") or HERE.parents[1]).resolve()
INSTRUCTORS = os.environ.get("CHAINTRACE_INSTRUCTORS", "instructor").split()
CLASS_GROUP = os.environ.get("CHAINTRACE_CLASS_GROUP", "chaintrace")
# The course environment: JupyterHub, JupyterLab, nbgrader and the toolkit, all from the lock.
BIN = Path(sys.executable).parent

# --- accounts -----------------------------------------------------------------------------------
# Anyone in the Unix group may log in with their server password; instructors must be in it too.
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {CLASS_GROUP}
c.JupyterHub.load_groups = {"instructors": {"users": INSTRUCTORS}}
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "description": "Sees the class's accounts and whether their servers run; not their files.",
        "groups": ["instructors"],
        "scopes": ["self", "admin-ui", "list:users", "read:users:activity", "read:servers"],
    }
]

# --- the proxy ----------------------------------------------------------------------------------
# configurable-http-proxy's pure-Python port, installed beside JupyterHub by the `hub` extra: the
# same command-line interface as the Node.js original, so the hub needs no Node.js or npm. Unlike
# the original it gives up on a request after 20 s unless told otherwise, and Formgrader's
# "autograde" or "generate feedback" on a class takes minutes: allow 30 minutes (in ms).
c.ConfigurableHTTPProxy.command = [str(BIN / "configurable-http-proxy"), "--proxy-timeout", "1800000"]

# --- each user's server -------------------------------------------------------------------------
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120  # a busy class server starts JupyterLab slowly
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "CHAINTRACE_COURSE": str(COURSE),
    # Figures render to files, never to a window, on a server without a display.
    "MPLBACKEND": "Agg",
}


def is_instructor(user) -> bool:
    return any(group.name == "instructors" for group in user.groups)


def course_server(spawner) -> None:
    """Give instructors the course folder with Formgrader, trainees their home with Assignments.

    Each role reads its own Jupyter settings from ``jupyter/<role>/`` beside this file, then the
    shared ``jupyter/common/`` (course id and exchange): a trainee's server has Formgrader's
    and the assignment-creation extensions turned off.
    """
    role = "instructor" if is_instructor(spawner.user) else "trainee"
    configs = [HERE / "jupyter" / role, HERE / "jupyter" / "common"]
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(map(str, configs))
    if role == "instructor":
        spawner.notebook_dir = str(COURSE)  # Formgrader needs the course inside the server's root


c.Spawner.pre_spawn_hook = course_server
