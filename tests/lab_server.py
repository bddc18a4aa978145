"""A JupyterLab server on a course folder, for tests that talk to the formgrader."""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(course_root, scratch):
    """Serve ``course_root`` on 127.0.0.1; yields (base URL, token). Settings live in ``scratch``."""
    scratch = Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       JUPYTER_CONFIG_DIR=str(scratch / "config"), JUPYTERLAB_SETTINGS_DIR=str(scratch / "settings"),
                       JUPYTER_RUNTIME_DIR=str(scratch / "runtime"))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course_root}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    (Path(course_root) / "exchange").mkdir(exist_ok=True)  # the formgrader wants an exchange folder
    log_path = scratch / "jupyter-server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=course_root, env=environment, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}")  # noqa: B904
                    time.sleep(0.5)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
