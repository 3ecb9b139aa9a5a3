"""A class on JupyterHub: deploy/jupyterhub/jupyterhub_config.py, started for real on 127.0.0.1.

One instructor and two trainees log in to a JupyterHub running the repository's configuration
(with a test password instead of the server's accounts) and its Python proxy. Everything goes
through the hub's proxy, to each person's own JupyterLab server, as their browser would:
the instructor generates and releases an assignment in Formgrader; alice and bob see it in their
Assignments list, fetch it, answer (alice right, bob with mistakes) and submit; the instructor
collects and autogrades, marks the written answer on Formgrader's page (which shows the rubric),
is refused feedback while an answer is unmarked, then releases it; alice fetches her feedback.

When the tests run as root (as CI does) each person is a Unix account of their own, created
here and removed afterwards, so the shared exchange is tested across real accounts; otherwise
all three run as the current user with separate homes (JupyterHub's SimpleLocalProcessSpawner).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from grading_batch import MISTAKES, mistaken
from nbgrading import nbgrader_cells

HUB_MISSING = (
    "JupyterHub and its proxy (the `hub` extra) are not installed: `python3 run.py tests` installs"
    " them from requirements.lock, or pip install -e '.[course,hub]'"
)
pytest.importorskip("jupyterhub", reason=HUB_MISSING)
pytest.importorskip("configurable_http_proxy", reason=HUB_MISSING)

ASSIGNMENT = "00-orientation"  # the quickest to grade
BIN = Path(sys.executable).parent
HUB_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"


def other_accounts_can_run_the_course() -> bool:
    """True when root may add accounts and another account can run this Python and toolkit (not
    so when Python lives in root's home, as pyenv puts it): then each person gets an account."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
        return False
    probe = [sys.executable, "-c", "import chaintrace.course.classroom_formgrader, jupyterhub"]
    try:
        ran = subprocess.run(
            ["runuser", "-u", "nobody", "--", *probe], capture_output=True, cwd="/", timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return ran.returncode == 0


SYSTEM_USERS = other_accounts_can_run_the_course()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Hub:
    """A running JupyterHub and the tokens of its users, spoken to over HTTP."""

    def __init__(self, base: Path, names: dict[str, str]):
        self.base, self.names = base, names
        self.url = f"http://127.0.0.1:{free_port()}"
        self.admin_token = secrets.token_hex(16)
        self.password = secrets.token_hex(8)  # everyone's, for the browser's login
        self.tokens: dict[str, str] = {}
        self.server_pids: list[int] = []  # each user's JupyterLab: a session of its own
        self.process: subprocess.Popen | None = None

    def request(self, method, path, token, form=None, payload=None, timeout=300):
        """(status, body) of one request through the hub's proxy: a form or a JSON payload."""
        headers = {"Authorization": f"token {token}"}
        body = b"" if method in ("POST", "PUT", "DELETE") else None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def api(self, method, path, payload=None):
        return self.request(method, "/hub/api" + path, self.admin_token, payload=payload)

    def user(self, who, method, path, form=None, payload=None):
        """A request to ``who``'s own server, with ``who``'s token."""
        name = self.names[who]
        return self.request(method, f"/user/{name}{path}", self.tokens[who], form, payload)

    def json(self, who, method, path, form=None, payload=None):
        status, body = self.user(who, method, path, form, payload)
        assert status == 200, f"{method} {path} as {who}: {status} {body[-2000:]}\n{hub_log(self)}"
        return json.loads(body)


class Browser:
    """Headless Chromium driven over its DevTools protocol (a websocket): what a person's browser
    does, JavaScript included, with no driver beyond Debian's ``chromium`` package."""

    def __init__(self, program: str, profile: Path):
        args = [program, "--headless=new", "--disable-gpu", "--no-first-run"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        args += [f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        for line in self.process.stderr:  # "DevTools listening on ws://127.0.0.1:PORT/..."
            if b"DevTools listening on" in line:
                self.port = line.decode().split("ws://127.0.0.1:")[1].split("/")[0]
                break
        else:
            raise AssertionError("Chromium did not start")
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=30))
        self.ws_url = next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"]

    def run(self, script):
        """Run ``script(call)`` against the page; ``call(method, **params)`` sends one command."""
        import asyncio

        from tornado.websocket import websocket_connect

        async def drive():
            socket = await websocket_connect(self.ws_url, max_message_size=64 << 20)
            counter = iter(range(1, 1_000_000))

            async def call(method, **params):
                ident = next(counter)
                socket.write_message(json.dumps({"id": ident, "method": method, "params": params}))
                while True:
                    message = json.loads(await socket.read_message())
                    if message.get("id") == ident:
                        return message.get("result", {})

            try:
                return await script(call)
            finally:
                socket.close()

        return asyncio.run(drive())

    def close(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


async def evaluate(call, expression):
    result = await call("Runtime.evaluate", expression=expression, returnByValue=True)
    return result.get("result", {}).get("value")


async def wait_for(call, expression, seconds):
    import asyncio

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await evaluate(call, expression):
            return True
        await asyncio.sleep(0.5)
    return False


def make_course(base: Path) -> Path:
    """The instructor's course folder: the repository's settings and one assignment."""
    course = base / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copytree(ROOT / "deploy", course / "deploy")  # each role's Jupyter settings
    return course


def add_accounts(names: dict[str, str], base: Path) -> None:
    for name in names.values():
        home = base / "home" / name
        subprocess.run(
            ["useradd", "--home-dir", str(home), "--create-home", "--shell", "/bin/sh", name],
            check=True,
            capture_output=True,
        )


def remove_accounts(names: dict[str, str]) -> None:
    for name in names.values():
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)  # only its processes
        subprocess.run(["userdel", name], capture_output=True)


def write_test_config(hub: Hub, course: Path) -> Path:
    """The repository's hub configuration, with a test password and this test's ports."""
    names = hub.names
    lines = [
        f"load_subconfig({str(HUB_CONFIG)!r})",
        f"c.JupyterHub.bind_url = {hub.url!r}",
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.DummyAuthenticator.password = {hub.password!r}",
        f"c.Authenticator.allowed_users = {set(names.values())!r}",
        "c.JupyterHub.cleanup_servers = True",
        f"c.JupyterHub.services = [dict(name='test-driver', api_token={hub.admin_token!r})]",
        "c.JupyterHub.load_roles.append({'name': 'test-driver', 'services': ['test-driver'],"
        " 'scopes': ['admin:users', 'admin:servers', 'admin:server_state', 'tokens']})",
    ]
    # The browser check opens the Assignments list with JupyterLab's own command.
    args = ["--LabApp.expose_app_in_browser=True"]
    if not SYSTEM_USERS:
        lines += [
            "c.JupyterHub.spawner_class = 'simple'",
            f"c.SimpleLocalProcessSpawner.home_dir_template = {str(hub.base / 'home')!r} + '/{{username}}'",
        ]
        if os.geteuid() == 0:  # everyone is root here, which JupyterLab refuses unless told
            args.append("--allow-root")
    lines.append(f"c.Spawner.args = {args!r}")
    path = hub.base / "state" / "test_config.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def start(hub: Hub, course: Path) -> None:
    began = time.perf_counter()
    state = hub.base / "state"
    state.mkdir(mode=0o700)
    config = write_test_config(hub, course)
    env = dict(
        os.environ,
        CHAINTRACE_COURSE=str(course),
        CHAINTRACE_INSTRUCTORS=hub.names["instructor"],
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    log = open(state / "hub.log", "wb")  # noqa: SIM115 (closed with the hub)
    hub.process = subprocess.Popen(
        [str(BIN / "jupyterhub"), "-f", str(config)],
        cwd=state,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the hub, its proxy and every user's server: one process group
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert hub.process.poll() is None, "the hub exited:\n" + hub_log(hub)
        try:
            if hub.api("GET", "/")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.3)
    else:
        raise AssertionError("the hub did not answer within 60 s:\n" + hub_log(hub))
    for who, name in hub.names.items():
        status, body = hub.api("POST", f"/users/{name}")
        assert status in (201, 409), body
        status, body = hub.api("POST", f"/users/{name}/tokens", {"note": "the class test"})
        assert status == 201, body
        hub.tokens[who] = json.loads(body)["token"]
    for name in hub.names.values():  # start all three, then wait for all three
        status, body = hub.api("POST", f"/users/{name}/server")
        assert status in (201, 202), body + hub_log(hub)
    deadline = time.monotonic() + 180
    for who, name in hub.names.items():
        while True:
            ready = json.loads(hub.api("GET", f"/users/{name}")[1])["servers"].get("", {})
            if ready.get("ready"):
                hub.server_pids.append(ready["state"]["pid"])
                break
            assert time.monotonic() < deadline, f"{who}'s server did not start:\n" + hub_log(hub)
            time.sleep(0.5)
    print(f"the hub and its three servers were ready in {time.perf_counter() - began:.0f} s")


def hub_log(hub: Hub) -> str:
    """The end of the hub's log (with its users' servers' logs), without the test's polling."""
    lines = (hub.base / "state" / "hub.log").read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines if "(test-driver@" not in line)[-8000:]


def stop(hub: Hub) -> None:
    if hub.process and hub.process.poll() is None:
        for name in hub.names.values():
            try:
                hub.api("DELETE", f"/users/{name}/server")
            except OSError:
                pass
        os.killpg(hub.process.pid, signal.SIGTERM)
        try:
            hub.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
    if hub.process:
        try:  # anything left in the hub's process group
            os.killpg(hub.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # What the hub did not stop (each server and the proxy run in a session of their own): never
    # leave one running. The proxy's pid is in the file JupyterHub writes beside its database.
    proxy = hub.base / "state" / "jupyterhub-proxy.pid"
    proxy_pids = [int(proxy.read_text())] if proxy.exists() else []
    for pid, program in [(p, b"jupyterhub-singleuser") for p in hub.server_pids] + [
        (p, b"configurable-http-proxy") for p in proxy_pids
    ]:
        try:
            if program in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.killpg(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


def answered(notebook: dict, answers) -> dict:
    """A fetched notebook (contents-API JSON) with a trainee's answers written in."""
    nb = nbformat.from_dict(notebook)
    by_id = {c.metadata.nbgrader["grade_id"]: c.source for c in nbgrader_cells(answers)}
    for cell in nbgrader_cells(nb, solution=True):
        cell.source = by_id[cell.metadata.nbgrader["grade_id"]]
    return nb


@pytest.fixture(scope="module")
def hub():
    base = Path(tempfile.mkdtemp(prefix="chaintrace-hub-"))
    base.chmod(0o755)  # every account reaches the course folder and its exchange
    tag = secrets.token_hex(2)
    names = {who: f"ct{tag}-{who}" for who in ("instructor", "alice", "bob")}
    running = Hub(base, names)
    course = make_course(base)
    (base / "home").mkdir()
    try:
        if SYSTEM_USERS:
            add_accounts(names, base)
            shutil.chown(course, names["instructor"])
            for path in course.rglob("*"):
                shutil.chown(path, names["instructor"])
            course.chmod(0o711)  # trainees pass through to the exchange, never list the course
        start(running, course)
        running.course = course
        yield running
    finally:
        stop(running)
        if SYSTEM_USERS:
            remove_accounts(names)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cycle(hub):
    """The whole cycle through the hub; each step's answer is kept for the tests below."""
    seen = {}
    started = time.perf_counter()
    formgrader = f"/formgrader/api/assignment/{ASSIGNMENT}"
    seen["assign"] = hub.json("instructor", "POST", f"{formgrader}/assign")
    seen["release"] = hub.json("instructor", "POST", f"{formgrader}/release")
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    work = {"alice": source, "bob": mistaken(source, MISTAKES[ASSIGNMENT])}
    course = {"course_id": "chaintrace"}
    for who, answers in work.items():
        seen[f"{who} list"] = hub.json(who, "GET", "/assignments?course_id=chaintrace")
        hub.json(who, "POST", "/assignments/fetch", {"assignment_id": ASSIGNMENT, **course})
        path = f"/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        fetched = hub.json(who, "GET", path)["content"]
        model = {"type": "notebook", "content": answered(fetched, answers)}
        hub.json(who, "PUT", path, payload=model)
        seen[f"{who} submit"] = hub.json(
            who, "POST", "/assignments/submit", {"assignment_id": ASSIGNMENT, **course}
        )
    seen["collect"] = hub.json("instructor", "POST", f"{formgrader}/collect")
    api = "/formgrader/api"
    for who in work:
        name = hub.names[who]
        seen[f"autograde {who}"] = hub.json(
            "instructor", "POST", f"{api}/submission/{ASSIGNMENT}/{name}/autograde"
        )
    notebooks = hub.json(
        "instructor", "GET", f"{api}/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}"
    )
    seen["submissions"] = {n["student"]: n for n in notebooks}
    assert hub.names["alice"] in seen["submissions"], "\n".join(
        f"{k}: {str(v)[-1500:]}" for k, v in seen.items() if "autograde" in k or "collect" in k
    )
    alice_id = seen["submissions"][hub.names["alice"]]["id"]
    seen["marking page"] = hub.user("instructor", "GET", f"/formgrader/submissions/{alice_id}/")
    seen["early feedback"] = hub.json("instructor", "POST", f"{formgrader}/generate_feedback")
    seen["early release"] = hub.json("instructor", "POST", f"{formgrader}/release_feedback")
    for who in work:
        submission = seen["submissions"][hub.names[who]]["id"]
        for grade in hub.json("instructor", "GET", f"{api}/grades?submission_id={submission}"):
            if grade["needs_manual_grade"]:
                hub.json(
                    "instructor", "PUT", f"{api}/grade/{grade['id']}", payload={"manual_score": 1}
                )
    seen["feedback"] = hub.json("instructor", "POST", f"{formgrader}/release_feedback")
    seen["alice feedback"] = hub.json(
        "alice", "POST", "/assignments/fetch_feedback", {"assignment_id": ASSIGNMENT, **course}
    )
    seen["scores"] = {
        who: hub.json("instructor", "GET", f"{api}/submission/{ASSIGNMENT}/{hub.names[who]}")
        for who in work
    }
    print(f"the cycle through the hub took {time.perf_counter() - started:.0f} s")
    return seen


def test_trainees_see_the_released_assignment_in_their_list(hub, cycle):
    for who in ("alice", "bob"):
        listed = cycle[f"{who} list"]
        assert listed["success"], listed
        released = [a for a in listed["value"] if a["assignment_id"] == ASSIGNMENT]
        assert released and released[0]["status"] == "released", listed


def test_trainees_have_no_formgrader(hub):
    status, _ = hub.user("alice", "GET", "/formgrader/api/assignments")
    assert status == 404, "a trainee's server must not serve Formgrader"


def test_submissions_cross_the_shared_exchange(hub, cycle):
    for who in ("alice", "bob"):
        assert cycle[f"{who} submit"]["success"], cycle[f"{who} submit"]
        name = hub.names[who]
        assert (hub.course / "submitted" / name / ASSIGNMENT / "timestamp.txt").exists()
    assert cycle["collect"]["success"], cycle["collect"]


def test_autograde_scores_the_right_answers_above_the_mistaken_ones(cycle):
    for who in ("alice", "bob"):
        assert cycle[f"autograde {who}"]["success"], cycle[f"autograde {who}"]
    alice, bob = cycle["scores"]["alice"], cycle["scores"]["bob"]
    assert alice["code_score"] == alice["max_code_score"] > 0
    assert 0 <= bob["code_score"] < alice["code_score"]
    assert alice["written_score"] == bob["written_score"] == 1  # as marked in Formgrader


def test_formgrader_shows_the_rubric_while_marking(cycle):
    status, page = cycle["marking page"]
    assert status == 200, page[:2000]
    assert "chaintrace-rubric" in page
    assert (
        "Says what visible tests check" in page
    )  # a criterion of solutions/00-orientation/rubric.toml
    assert "full-credit" in page  # still nbgrader's marking form


def test_feedback_waits_for_marking_then_reaches_the_trainee(hub, cycle):
    assert cycle["early feedback"]["success"], cycle["early feedback"]
    early = cycle["early release"]
    assert not early["success"] and "not marked" in early["log"] + early.get("error", "")
    assert cycle["feedback"]["success"], cycle["feedback"]
    fetched = cycle["alice feedback"]
    assert fetched["success"], fetched
    listing = hub.json("alice", "GET", f"/api/contents/{ASSIGNMENT}/feedback")["content"]
    (when,) = [item["name"] for item in listing]
    when = urllib.parse.quote(when)  # a timestamp: "2026-12-05 14:22:24.236098 UTC"
    page = hub.json("alice", "GET", f"/api/contents/{ASSIGNMENT}/feedback/{when}/{ASSIGNMENT}.html")
    assert ASSIGNMENT in page["content"]
    assert (
        "chaintrace-rubric" not in page["content"]
        and "Says what visible tests" not in page["content"]
    )


def test_the_trainees_lab_page_is_served(hub, cycle):
    status, page = hub.user("alice", "GET", "/lab")
    assert status == 200 and "jupyter-config-data" in page


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="no headless browser: apt-get install chromium (Debian) for this check",
)
def test_a_trainee_sees_the_assignment_list_in_a_real_browser(hub, cycle, tmp_path):
    """Log in on the hub's page as alice, open JupyterLab, open the Assignments list (menu
    Nbgrader), and find the assignment in it, as she would."""
    name = hub.names["alice"]
    program = shutil.which("chromium") or shutil.which("chromium-browser")
    browser = Browser(program, tmp_path / "profile")

    async def visit(call):
        await call("Page.enable")
        await call("Page.navigate", url=f"{hub.url}/hub/login?next=/user/{name}/lab")
        assert await wait_for(call, "!!document.getElementById('username_input')", 60)
        await evaluate(
            call,
            f"document.getElementById('username_input').value = {json.dumps(name)};"
            f"document.getElementById('password_input').value = {json.dumps(hub.password)};"
            "document.getElementById('login_submit').click();",
        )
        assert await wait_for(
            call,
            "!!(window.jupyterapp && window.jupyterapp.commands.hasCommand("
            "'nbgrader:open-assignment-list'))",
            120,
        ), await evaluate(call, "document.location.href + ' ' + document.title")
        await evaluate(call, "window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
        # The list's own element (the file browser also shows the fetched folder's name).
        listed = "(document.getElementById('fetched_assignments_list') || {}).innerText || ''"
        assert await wait_for(call, f"({listed}).includes('{ASSIGNMENT}')", 60), await evaluate(
            call, "document.body.innerText"
        )
        return await evaluate(call, listed)

    try:
        text = browser.run(visit)
    finally:
        browser.close()
    assert ASSIGNMENT in text, text  # fetched and submitted: listed under Downloaded assignments
