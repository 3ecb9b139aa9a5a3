"""The README's first command really opens the course in JupyterLab."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.mark.skipif(not (ROOT / ".venv").exists(), reason="run through `python3 run.py tests`")
def test_course_command_serves_the_first_lesson(tmp_path):
    port, token = free_port(), "quick-start-test"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    command = [
        sys.executable,
        "run.py",
        "course",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
    ]
    lab = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if lab.poll() is not None:
                pytest.fail(
                    f"JupyterLab stopped: {lab.stdout.read().decode(errors='replace')[-2000:]}"
                )
            try:
                status, _ = get(f"{base}/api/status?token={token}")
            except OSError:
                time.sleep(0.5)
                continue
            if status == 200:
                break
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        assert get(f"{base}/api/status")[0] == 403, (
            "the server must refuse requests without the token"
        )
        status, body = get(
            f"{base}/api/contents/course/00-setup-and-orientation.ipynb?token={token}&content=0"
        )
        assert status == 200 and b"00-setup-and-orientation" in body
        status, body = get(f"{base}/api/kernelspecs?token={token}")
        argv = json.loads(body)["kernelspecs"]["python3"]["spec"]["argv"]
        assert any(a.startswith("--IPKernelApp.exec_lines=") for a in argv), (
            "notebooks must start on the course's kernel (deploy/kernel), as bench/NOTEBOOKS.md measures"
        )
        status, body = get(f"{base}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in body
        lab.terminate()  # what closing the launcher's window does: the server must go with it
        lab.wait(timeout=20)
        with pytest.raises(OSError):
            get(f"{base}/api/status?token={token}")
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
