"""Organisers keep partners on pages: details, a checked logo served publicly, their events."""

from __future__ import annotations

import os
import re
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from roadshow.accounts.models import AuditLog, Role
from roadshow.events.models import PartnerRole
from roadshow.extensions import db
from roadshow.partners.models import Partner
from tests.conftest import csrf_token_from
from tests.fixtures_pages import log_in


def image_bytes(size: tuple[int, int] = (60, 30), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 1).save(buffer, fmt)
    return buffer.getvalue()


def noise_png(side: int) -> bytes:
    """A real PNG that does not compress: about 3 × side² bytes."""
    buffer = BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def submit_with_file(client, url: str, fields: dict[str, str], data: bytes, filename: str):
    """POST the page's form with ``data`` as the logo, encoded in memory as a browser would
    (the test client would spool a large body to a temporary file it never closes)."""
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    upload = FileStorage(BytesIO(data), filename=filename, content_type="image/png")
    boundary, body = encode_multipart({"csrf_token": token, **fields, "logo": upload})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def logo_files(app) -> list[str]:
    folder = Path(app.instance_path) / "logos"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def fetch(client, url: str, **kwargs):
    """GET a served file and close the response, as a WSGI server does."""
    with client.get(url, **kwargs) as response:
        response.get_data()
        return response


def logo_src(page: str) -> str:
    [src] = re.findall(r'<img src="([^"]+)" alt="Aktuelles Logo', page)
    return src.replace("&amp;", "&")


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER, name="Olga Organisatorin")
    log_in(submit_form, user)
    return user


def details(**values: str) -> dict[str, str]:
    return {
        "name": "Alpentel GmbH",
        "slug": "",
        "industry": "Telekommunikation",
        "website": "https://alpentel.example",
        "description": "Glasfaser für den Mittelstand",
        **values,
    }


def test_partner_pages_need_an_organiser(app, client, submit_form, make_user, make_partner):
    partner = make_partner()
    urls = [
        "/organiser/partners/",
        "/organiser/partners/new",
        f"/organiser/partners/{partner.id}/edit",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    log_in(submit_form, make_user(role=Role.PARTNER, partner_id=partner.id))
    for url in urls:
        assert client.get(url).status_code == 403


def test_an_organiser_creates_and_changes_a_partner(app, client, submit_form, organiser):
    response = submit_form("/organiser/partners/new", details())
    assert response.status_code == 302
    partner = db.session.scalar(select(Partner))
    assert (partner.slug, partner.name, partner.website) == (
        "alpentel-gmbh",
        "Alpentel GmbH",
        "https://alpentel.example",
    )
    assert response.headers["Location"] == f"/organiser/partners/{partner.id}/edit"
    created = db.session.scalar(select(AuditLog).where(AuditLog.action == "partner.created"))
    assert created.actor_id == organiser.id and created.object_id == partner.id
    assert {"field": "industry", "old": None, "new": "Telekommunikation"} in created.details[
        "changes"
    ]

    listing = client.get("/organiser/partners/").get_data(as_text=True)
    assert "Alpentel GmbH" in listing and "Telekommunikation" in listing

    url = f"/organiser/partners/{partner.id}/edit"
    response = submit_form(url, details(slug="alpentel", industry="Netze"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (partner.slug, partner.industry) == ("alpentel", "Netze")
    changed = db.session.scalar(select(AuditLog).where(AuditLog.action == "partner.changed"))
    assert sorted(changed.details["changes"], key=lambda c: c["field"]) == [
        {"field": "industry", "old": "Telekommunikation", "new": "Netze"},
        {"field": "slug", "old": "alpentel-gmbh", "new": "alpentel"},
    ]
    assert "Gespeichert." in client.get(url).get_data(as_text=True)

    submit_form(url, details(slug="alpentel", industry="Netze"))
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 2  # nothing new


def test_a_taken_slug_is_refused_next_to_the_field_and_the_input_kept(
    app, client, submit_form, organiser, make_partner
):
    make_partner(slug="alpentel-gmbh", name="Alpentel Holding")
    response = submit_form("/organiser/partners/new", details(industry="Mobilfunk"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'id="slug-error">Die Kurzbezeichnung „alpentel-gmbh“ hat schon', page)
    assert 'value="Alpentel GmbH"' in page and 'value="Mobilfunk"' in page
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"website": "javascript:alert(1)"}, "website", "http:// oder https://"),
        ({"website": "ftp://alpentel.example"}, "website", "http:// oder https://"),
        ({"slug": "Alpen Tel"}, "slug", "Kleinbuchstaben, Ziffern"),
        ({"name": ""}, "name", "Bitte geben Sie den Namen des Partners an."),
    ],
)
def test_bad_details_are_refused_next_to_their_field(
    app, submit_form, organiser, values, field, message
):
    response = submit_form("/organiser/partners/new", details(**values))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert 'value="Telekommunikation"' in page
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 0


def test_an_uploaded_logo_is_stored_and_served(app, client, submit_form, organiser, make_partner):
    partner = make_partner(name="Alpentel GmbH")
    url = f"/organiser/partners/{partner.id}/edit"
    png = image_bytes()
    response = submit_with_file(client, url, details(slug=partner.slug), png, "logo.png")
    assert response.status_code == 302
    db.session.expire_all()
    [stored] = logo_files(app)
    assert partner.logo_filename == stored and stored.endswith(".png")
    assert stored != "logo.png"

    src = logo_src(client.get(url).get_data(as_text=True))
    assert src == f"/partners/{partner.slug}/logo?v={stored.removesuffix('.png')}"
    logo = fetch(client, src)
    assert logo.status_code == 200
    assert logo.headers["Content-Type"] == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in logo.headers["Cache-Control"]
    assert logo.data == png
    etag = logo.headers["ETag"]
    assert fetch(client, src, headers={"If-None-Match": etag}).status_code == 304

    listing = client.get("/organiser/partners/").get_data(as_text=True)
    assert f'<img src="{src.replace("&", "&amp;")}"' in listing


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: (
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "logo.svg",
            ),
            "PNG, JPEG oder WebP",
        ),
        (lambda: (b"Das ist kein Bild, nur Text.", "logo.png"), "PNG, JPEG oder WebP"),
        (lambda: (image_bytes(fmt="GIF"), "logo.gif"), "PNG, JPEG oder WebP"),
        (lambda: (b"", "leer.png"), "Die Datei ist leer."),
        (lambda: (noise_png(620), "gross.png"), "höchstens 1 MB"),
        (lambda: (image_bytes((5000, 5000), mode="1"), "breit.png"), "4000 × 4000 Pixel"),
        (lambda: (png_claiming(100_000, 100_000), "bombe.png"), "4000 × 4000 Pixel"),
    ],
    ids=[
        "svg",
        "text-named-png",
        "gif",
        "empty",
        "over-1-mb",
        "huge-dimensions",
        "decompression-bomb",
    ],
)
def test_a_bad_logo_is_refused_and_nothing_is_stored(
    app, client, organiser, make_partner, upload, message
):
    data, filename = upload()
    partner = make_partner(name="Alpentel GmbH", industry="")
    url = f"/organiser/partners/{partner.id}/edit"
    response = submit_with_file(client, url, details(slug=partner.slug), data, filename)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="logo-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert 'value="Telekommunikation"' in page  # what was typed stays
    assert logo_files(app) == []
    db.session.expire_all()
    assert partner.logo_filename is None and partner.industry == ""
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_replacing_a_logo_removes_the_old_file_and_changes_the_address(
    app, client, submit_form, organiser, make_partner
):
    partner = make_partner()
    url = f"/organiser/partners/{partner.id}/edit"
    submit_with_file(client, url, details(slug=partner.slug), image_bytes(), "a.png")
    [first] = logo_files(app)
    first_src = logo_src(client.get(url).get_data(as_text=True))

    jpeg = image_bytes((80, 80), "JPEG")
    submit_with_file(client, url, details(slug=partner.slug), jpeg, "b.jpg")
    [second] = logo_files(app)
    assert second != first and second.endswith(".jpg")
    second_src = logo_src(client.get(url).get_data(as_text=True))
    assert second_src != first_src
    served = fetch(client, second_src)
    assert (served.headers["Content-Type"], served.data) == ("image/jpeg", jpeg)
    # An old address gets the current logo, but may not be cached for long.
    assert "max-age=31536000" not in fetch(client, first_src).headers["Cache-Control"]
    changed = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "partner.changed").order_by(AuditLog.id)
    ).all()
    assert changed[-1].details["changes"] == [
        {"field": "logo_filename", "old": first, "new": second}
    ]

    submit_form(url, details(slug=partner.slug, remove_logo="y"))
    assert logo_files(app) == []
    db.session.expire_all()
    assert partner.logo_filename is None
    assert client.get(second_src).status_code == 404
    assert "Noch kein Logo." in client.get(url).get_data(as_text=True)


def test_a_refused_change_keeps_the_current_logo(app, client, submit_form, organiser, make_partner):
    make_partner(slug="vergeben")
    partner = make_partner()
    url = f"/organiser/partners/{partner.id}/edit"
    submit_with_file(client, url, details(slug=partner.slug), image_bytes(), "a.png")
    [kept] = logo_files(app)

    response = submit_with_file(
        client, url, details(slug="vergeben"), image_bytes((90, 90)), "b.png"
    )
    assert response.status_code == 200
    assert "hat schon ein anderer Partner" in response.get_data(as_text=True)
    assert logo_files(app) == [kept]
    db.session.expire_all()
    assert partner.logo_filename == kept


def test_no_logo_answers_404(app, client, make_partner):
    partner = make_partner()
    assert client.get(f"/partners/{partner.slug}/logo").status_code == 404
    assert client.get("/partners/niemand/logo").status_code == 404


def test_the_partner_page_lists_its_events_with_their_roles(
    app, client, organiser, make_partner, make_event
):
    partner = make_partner()
    make_event(title="Digital vor Ort: Weilheim", partners={partner: PartnerRole.HOST})
    make_event(title="Webinar Cloud", partners={partner: PartnerRole.SPEAKER})
    make_event(title="Ohne diesen Partner")
    page = client.get(f"/organiser/partners/{partner.id}/edit").get_data(as_text=True)
    assert "Digital vor Ort: Weilheim" in page and "Gastgeber" in page
    assert "Webinar Cloud" in page and "Vortrag" in page
    assert "Ohne diesen Partner" not in page
    row = re.search(
        rf'<tr id="partner-{partner.id}">.*?</tr>',
        client.get("/organiser/partners/").get_data(as_text=True),
        re.S,
    )
    assert row and re.search(r'<td class="event-count"[^>]*>2</td>', row.group(0))


def test_the_partner_list_takes_the_same_queries_for_few_and_many(
    app, client, organiser, make_event, count_queries
):
    def add_partners(count: int) -> None:
        partners = [
            Partner(slug=f"p-{n}", name=f"Partner {n}", logo_filename=f"{n:032x}.png")
            for n in range(len(db.session.scalars(select(Partner)).all()), count)
        ]
        db.session.add_all(partners)
        db.session.commit()
        make_event(partners=dict.fromkeys(partners[:5], PartnerRole.SPONSOR))

    def queries_for_list() -> int:
        with count_queries() as queries:
            assert client.get("/organiser/partners/").status_code == 200
        return len(queries)

    add_partners(3)
    few = queries_for_list()
    add_partners(80)
    page = client.get("/organiser/partners/").get_data(as_text=True)
    assert page.count('<tr id="partner-') == 80
    assert queries_for_list() == few
