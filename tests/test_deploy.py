"""What an operator copies from ``deploy/``: the nginx site and the systemd units.

nginx checks the site inside a wrapper ``nginx.conf`` (with a certificate made here), then
serves it in front of a real gunicorn; ``systemd-analyze verify`` checks the units, with
their paths pointed at this checkout so that every ``ExecStart`` exists.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade

import roadshow
from roadshow.extensions import db
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures_servers import gunicorn
from tests.test_backup import sqlite_app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "roadshow.conf"
UNITS = DEPLOY / "systemd"
VENV_BIN = Path(sys.executable).parent
STATIC = Path(roadshow.__file__).resolve().parent / "static"
HOST = "roadshow.example.org"


def needs(program: str, package: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if path is None:
        pytest.skip(f"{program} is missing: install the Debian package {package}")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def certificate(folder: Path) -> tuple[Path, Path]:
    needs("openssl", "openssl")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def nginx_config(tmp_path: Path, *, http: int = 80, https: int = 443, app: int = 8000) -> Path:
    """The site with the placeholders of its comment replaced, inside a wrapper
    ``nginx.conf`` that keeps every file nginx writes in ``tmp_path``."""
    cert, key = certificate(tmp_path)
    site = SITE.read_text()
    site = site.replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    site = site.replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    site = site.replace(
        "/opt/roadshow/venv/lib/python3.11/site-packages/roadshow/static", str(STATIC)
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};").replace("listen [::]:80;", "")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = site.replace("listen [::]:443 ssl http2;", "")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app};")
    # The feed of an empty instance is small: without a minimum it would be compressed too,
    # were text/calendar among the types.
    site = site.replace("gzip_min_length 1024;", "gzip_min_length 1;")
    directives = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    assert "/etc/letsencrypt/live" not in directives and "/opt/roadshow" not in directives
    (tmp_path / "roadshow.conf").write_text(site)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"""
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/error.log;
        worker_processes 1;
        {"user root;" if os.geteuid() == 0 else ""}
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            types {{ text/calendar ics; }}
            access_log {tmp_path}/access.log;
            client_body_temp_path {temp}/body;
            proxy_temp_path {temp}/proxy;
            fastcgi_temp_path {temp}/fastcgi;
            uwsgi_temp_path {temp}/uwsgi;
            scgi_temp_path {temp}/scgi;
            include {tmp_path}/roadshow.conf;
        }}
        """
    )
    return wrapper


def test_nginx_accepts_the_site(tmp_path: Path):
    nginx = needs("nginx", "nginx")
    wrapper = nginx_config(tmp_path)
    result = subprocess.run(
        [nginx, "-t", "-c", str(wrapper), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "[warn]" not in result.stderr


def test_the_site_never_compresses_calendars():
    site = SITE.read_text()
    types = re.search(r"gzip_types([^;]*);", site)
    assert types is not None and "text/calendar" not in types.group(1)
    assert re.search(r"^\s*gzip on;", site, re.MULTILINE)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """gunicorn on a migrated SQLite instance, nginx in front: ``(http, https)`` ports."""
    nginx = needs("nginx", "nginx")
    instance = tmp_path / "instance"
    app = sqlite_app(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ROADSHOW_ENV": "production",
        "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY,
        "ROADSHOW_INSTANCE_PATH": str(instance),
        "ROADSHOW_PROXY_FIX_HOPS": "1",
    }
    with gunicorn(env, options=("--workers=1",)) as (_host, app_port):
        http_port, https_port = free_port(), free_port()
        wrapper = nginx_config(tmp_path, http=http_port, https=https_port, app=app_port)
        server = subprocess.Popen(
            [nginx, "-c", str(wrapper), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
            + ["-g", "daemon off;"],
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, (tmp_path / "error.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not listen"
                    time.sleep(0.1)
            yield http_port, https_port
        finally:
            server.send_signal(signal.SIGQUIT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def fetch(port: int, path: str, *, tls: bool, **headers: str) -> http.client.HTTPResponse:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the certificate made for this test
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=15, context=context
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request("GET", path, headers={"Host": HOST, **headers})
    response = connection.getresponse()
    response.read_body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_behind_nginx_https_static_files_gzip_and_the_forwarded_scheme(served):
    http_port, https_port = served

    moved = fetch(http_port, "/events?town=Weilheim", tls=False)
    assert moved.status == 301
    assert moved.headers["Location"] == f"https://{HOST}/events?town=Weilheim"

    css = fetch(https_port, "/static/roadshow.css", tls=True, **{"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.read_body) == (STATIC / "roadshow.css").read_bytes()
    assert "Server" in css.headers and "gunicorn" not in css.headers["Server"]  # from nginx

    feed = fetch(https_port, "/calendar.ics", tls=True, **{"Accept-Encoding": "gzip"})
    assert feed.status == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert "Content-Encoding" not in feed.headers
    assert feed.read_body.startswith(b"BEGIN:VCALENDAR")

    page = fetch(https_port, "/privacy", tls=True, **{"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert page.headers["Content-Encoding"] == "gzip"
    # HSTS is sent only over HTTPS: the app saw X-Forwarded-Proto through ProxyFix.
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")

    health = fetch(https_port, "/healthz", tls=True)
    assert health.status == 200 and b'"status":"ok"' in health.read_body.replace(b" ", b"")


def units() -> list[Path]:
    return sorted(p for p in UNITS.iterdir() if p.suffix in (".service", ".timer"))


def test_every_timer_has_its_service_and_every_periodic_command_exists():
    names = {p.name for p in units()}
    assert {"roadshow-web.service", "roadshow-mail.service"} <= names
    timers = [p for p in units() if p.suffix == ".timer"]
    assert {t.stem for t in timers} == {
        "roadshow-reminders",
        "roadshow-purge-unconfirmed",
        "roadshow-privacy-purge",
    }
    for timer in timers:
        assert f"{timer.stem}.service" in names
    env = {**os.environ, "ROADSHOW_ENV": "testing", "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY}
    for unit in units():
        text = unit.read_text()
        if unit.suffix == ".service":
            assert "EnvironmentFile=/etc/roadshow/env" in text and "User=roadshow" in text
            assert "ProtectSystem=strict" in text and "ReadWritePaths=/var/lib/roadshow" in text
        for line in re.findall(r"^ExecStart=/opt/roadshow/venv/bin/flask (.*)$", text, re.M):
            command = [str(VENV_BIN / "flask"), *shlex.split(line), "--help"]
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
            assert result.returncode == 0, (unit.name, result.stderr)


def test_systemd_accepts_the_units(tmp_path: Path):
    analyze = needs("systemd-analyze", "systemd")
    for unit in units():
        text = unit.read_text().replace("/opt/roadshow/venv/bin/", f"{VENV_BIN}/")
        (tmp_path / unit.name).write_text(text)
    copies = [str(tmp_path / unit.name) for unit in units()]
    result = subprocess.run(
        [analyze, "verify", *copies], capture_output=True, text=True, timeout=120
    )
    if "Failed to" in result.stderr and "bus" in result.stderr.lower():
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()}")
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(tmp_path) in line or "roadshow-" in line
    ]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_gunicorn_reads_the_deploy_settings():
    env = {**os.environ, "ROADSHOW_ENV": "testing", "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "--print-config"]
        + ["--config", str(DEPLOY / "gunicorn.conf.py"), "roadshow:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    settings = dict(
        line.split("=", 1) for line in result.stdout.replace(" ", "").splitlines() if "=" in line
    )
    assert settings["workers"] == str(2 * os.cpu_count())  # type: ignore[operator]
    assert settings["worker_class"] == "sync"
    assert settings["bind"] == "['127.0.0.1:8000']"


def test_the_example_environment_file_configures_the_app_behind_one_proxy(monkeypatch, tmp_path):
    for line in (DEPLOY / "roadshow.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value.strip('"'))  # as systemd's EnvironmentFile= reads it
    monkeypatch.setenv("ROADSHOW_INSTANCE_PATH", str(tmp_path))
    app = roadshow.create_app()
    assert app.config["ENV"] == "production"
    assert app.config["PROXY_FIX_HOPS"] == 1
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://roadshow:")
    assert app.config["MAIL_DEFAULT_SENDER"] == "Roadshow <roadshow@example.org>"
    assert app.config["MAIL_USE_TLS"] is True and app.config["MAIL_PORT"] == 587
