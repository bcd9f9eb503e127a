"""A wheel installed without ``make`` is a whole Roadshow: English pages and English mail.

The wheel is built from a copy of this checkout without its compiled ``.mo`` files (the
build must make them), installed into a fresh virtual environment, migrated, seeded and
served by gunicorn from a folder that holds no source. The environment borrows only the
dependencies of the test environment (a path entry to its site-packages, after its own),
so the ``roadshow`` it imports is the one from the wheel.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.fixtures_servers import ROOT, gunicorn

LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv*", "instance", "build", "dist", "*.egg-info", "__pycache__", "*.mo", ".*_cache"
)


def run(command: list[str], **kwargs: Any) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh virtual environment with the Roadshow wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    assert not list(source.glob("roadshow/**/*.mo"))
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
         str(work / "dist"), str(source)],
    )  # fmt: skip
    (wheel,) = (work / "dist").glob("roadshow-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)])
    own = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).strip()
    )
    (own / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_wheel_carries_its_translations_templates_emails_and_migrations(installed_wheel):
    code = "import roadshow, pathlib; print(pathlib.Path(roadshow.__file__).parent)"
    where = run([str(installed_wheel), "-c", code], cwd="/").strip()
    package = Path(where)
    assert package.is_relative_to(installed_wheel.parent.parent), where
    assert (package / "translations/en/LC_MESSAGES/messages.mo").is_file()
    assert (package / "registrations/translations/en/LC_MESSAGES/messages.mo").is_file()
    assert (package / "templates/base.html").is_file()
    assert (package / "emails/registrations/confirmed.html").is_file()
    assert list((package / "migrations/versions").glob("*.py"))
    for static in ("roadshow.css", "checkin.js", "checkin-sw.js"):
        assert (package / "static" / static).is_file(), static


def test_a_wheel_served_by_gunicorn_speaks_english(installed_wheel, tmp_path, smtp_sink):
    instance = tmp_path / "instance"
    env = {
        "PATH": os.environ["PATH"],
        "ROADSHOW_ENV": "production",
        "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY,
        "ROADSHOW_INSTANCE_PATH": str(instance),
        "ROADSHOW_MAIL_SERVER": smtp_sink.host,
        "ROADSHOW_MAIL_PORT": str(smtp_sink.port),
    }
    flask = [str(installed_wheel), "-m", "flask", "--app", "roadshow"]
    run([*flask, "db", "upgrade"], env=env, cwd=tmp_path)
    run([*flask, "demo", "seed"], env={**env, "ROADSHOW_ENV": "development"}, cwd=tmp_path)

    with gunicorn(env, app="roadshow:create_app()", options=["--workers=2"],
                  python=str(installed_wheel), cwd=tmp_path) as (host, port):  # fmt: skip
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("GET", "/api/v1/events?town=Weilheim&kind=stop")
        (weilheim,) = json.loads(connection.getresponse().read())["events"]
        connection.request("GET", f"/events/{weilheim['url'].rsplit('/', 1)[1]}?lang=en")
        english = connection.getresponse().read().decode()
        connection.request("GET", f"/events/{weilheim['url'].rsplit('/', 1)[1]}")
        german = connection.getresponse().read().decode()
        body = {
            "company": {"name": "Huber GmbH", "size": "10-49", "industry": "handwerk",
                        "postcode": "82362", "town": "Weilheim"},
            "contact": {"name": "Cleo Huber", "email": "cleo@huber.example"},
            "attendees": [{"name": "Cleo Huber", "email": "cleo@huber.example"}],
            "privacy_consent": True,
            "language": "en",
        }  # fmt: skip
        connection.request(
            "POST",
            f"/api/v1/events/{weilheim['id']}/registrations",
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        assert connection.getresponse().status == 201
        connection.close()

    assert "Register now" in english and "Jetzt anmelden" not in english
    assert "Jetzt anmelden" in german

    run([*flask, "mail", "deliver"], env=env, cwd=tmp_path)
    subjects = {str(m.message["Subject"]) for m in smtp_sink.to("cleo@huber.example")}
    assert f"Registration confirmed: {weilheim['title']}" in subjects
    (confirmation,) = [
        m.message.get_body(("plain",)).get_content()
        for m in smtp_sink.to("cleo@huber.example")
        if m.message["Subject"].startswith("Registration confirmed")
    ]
    # The site's name heads the text part, then the English greeting.
    assert confirmation.splitlines()[:3] == ["Roadshow", "", "Hello Cleo Huber,"]
    assert "Guten Tag" not in confirmation
