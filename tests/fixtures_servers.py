"""Real servers for tests: gunicorn on a free port of 127.0.0.1, stopped after the test.

``gunicorn(env, app="wsgi:app")`` yields ``(host, port)`` once ``/healthz`` answers. The
socket is bound here and handed to gunicorn (``fd://``), so no other process can take the
port in between.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def app_environment(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a served test app on ``database_url``: this process's, plus the
    testing settings, its own instance folder and no rate limits; ``extra`` on top."""
    from tests.conftest import TEST_SECRET_KEY

    return {
        **os.environ,
        "ROADSHOW_ENV": "testing",
        "ROADSHOW_TESTING": "true",
        "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY,
        "ROADSHOW_DATABASE_URL": database_url,
        "ROADSHOW_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "ROADSHOW_RATELIMIT_ENABLED": "false",
        **extra,
    }


@contextmanager
def gunicorn(
    env: Mapping[str, str],
    *,
    app: str = "wsgi:app",
    options: Sequence[str] = ("--workers=4", "--worker-class=gthread", "--threads=8"),
    python: str = sys.executable,
    cwd: Path = ROOT,
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with ``python -m gunicorn`` and ``env`` as the whole environment;
    ``ROADSHOW_BASE_URL`` is set to the server's address."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    host, port = listener.getsockname()
    command = [
        python,
        "-m",
        "gunicorn",
        *options,
        f"--bind=fd://{listener.fileno()}",
        "--graceful-timeout=5",
        "--log-level=warning",
        app,
    ]
    environment = {**env, "ROADSHOW_BASE_URL": f"http://{host}:{port}"}
    server = subprocess.Popen(command, cwd=cwd, env=environment, pass_fds=(listener.fileno(),))
    listener.close()
    try:
        _wait_until_healthy(server, host, port)
        yield host, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(server: subprocess.Popen[bytes], host: str, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        assert server.poll() is None, "gunicorn stopped"
        assert time.monotonic() < deadline, "gunicorn did not answer"
        time.sleep(0.2)
