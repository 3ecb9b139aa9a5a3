"""JupyterHub for a chaintrace class on one server: one account per trainee, one shared exchange.

Run as root from the course's environment, in a folder of its own for the hub's state (its
database and cookie secret); it starts each person's JupyterLab as that person's account:

    cd /srv/jupyterhub && /srv/chaintrace/.venv/bin/jupyterhub -f /srv/chaintrace/deploy/jupyterhub/jupyterhub_config.py

docs/jupyterhub.md is the whole recipe. This file adds to the course's part (chaintrace_hub.py:
roles, each role's JupyterLab, the shared exchange) what a hub of our own needs: the accounts,
the proxy, and the environment every JupyterLab runs from.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
load_subconfig(str(HERE / "chaintrace_hub.py"))  # noqa: F821 (provided by traitlets)

# The course environment (JupyterHub, JupyterLab, nbgrader and the toolkit, from the lock): the
# one this hub runs from. It must be readable by every account, so not in root's home.
BIN = Path(sys.executable).parent

# Accounts: the server's own (PAM), anyone in the Unix group may log in with their password;
# the instructors must be in it too.
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {os.environ.get("CHAINTRACE_CLASS_GROUP", "chaintrace")}

# configurable-http-proxy's pure-Python port, installed beside JupyterHub by the `hub` extra: the
# same command-line interface as the Node.js original, so the hub needs no Node.js or npm. Unlike
# the original it gives up on a request after 20 s unless told otherwise, and Formgrader's
# "autograde" or "generate feedback" for a class takes minutes: allow 30 minutes (in ms).
c.ConfigurableHTTPProxy.command = [
    str(BIN / "configurable-http-proxy"),
    "--proxy-timeout",
    "1800000",
]

c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
