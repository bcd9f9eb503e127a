"""The site as its organiser presents it: name and logo in the header, the Impressum and the
privacy notice behind the footer's links, the configured texts shown escaped."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from PIL import Image

from roadshow.events.models import PartnerRole
from roadshow.partners.logos import check_logo, logo_folder, store_logo
from tests.fixtures_settings import configure

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    b'<rect width="40" height="40"/></svg>'
)


def instance_file(app, name: str) -> Path:
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def fetched(client, url: str, **kwargs):
    """GET a file the app sends from disk, its body read and the file closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def png(width: int = 60, height: int = 30) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (10, 86, 163)).save(out, "PNG")
    return out.getvalue()


def test_the_logo_is_served_from_the_instance_folder_and_shown_in_the_header(app, client):
    assert client.get("/logo").status_code == 404
    assert 'class="brand-logo"' not in client.get("/impressum").get_data(as_text=True)

    instance_file(app, "logo.svg").write_bytes(SVG)
    configure(app, SITE_NAME="IHK Oberbayern")
    page = client.get("/impressum").get_data(as_text=True)
    src = re.search(r'<img class="brand-logo" src="([^"]+)" alt="IHK Oberbayern">', page).group(1)
    response = fetched(client, src)
    assert response.status_code == 200 and response.data == SVG
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    etag = {"If-None-Match": response.headers["ETag"]}
    assert fetched(client, src, headers=etag).status_code == 304
    assert "max-age=3600" in fetched(client, "/logo?v=old").headers["Cache-Control"]

    instance_file(app, "logo.svg").unlink()
    instance_file(app, "logo.png").write_bytes(png())
    response = fetched(client, "/logo")
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_the_header_and_the_titles_carry_the_site_name(app, client, make_event):
    event = make_event(title="Digital vor Ort: Weilheim")
    configure(app, SITE_NAME="Digitalhub <Oberland>")
    for url in ("/", f"/events/{event.slug}", "/login", "/impressum", "/privacy"):
        page = client.get(url).get_data(as_text=True)
        assert '<span class="brand-name">Digitalhub &lt;Oberland&gt;</span>' in page, url
        title = re.search(r"<title>(.*?)</title>", page).group(1)
        assert title.endswith(" · Digitalhub &lt;Oberland&gt;"), (url, title)
    assert "<title>Digital vor Ort: Weilheim · " in client.get(f"/events/{event.slug}").get_data(
        as_text=True
    )


def test_the_footer_links_to_the_impressum_and_the_privacy_notice(client):
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/impressum">Impressum</a>' in page
    assert '<a href="/privacy">Datenschutz</a>' in page
    assert client.get("/datenschutz").headers["Location"].endswith("/privacy")
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<a href="/impressum">Legal notice</a>' in english and ">Privacy</a>" in english


def test_the_impressum_shows_the_configured_text_escaped_in_paragraphs(app, client):
    configure(
        app,
        IMPRINT_TEXT="IHK für München und Oberbayern\nMax-Joseph-Str. 2\n\n"
        "<script>alert(1)</script>",
    )
    page = client.get("/impressum").get_data(as_text=True)
    assert "<p>IHK für München und Oberbayern<br>\nMax-Joseph-Str. 2</p>" in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<script>" not in page
    assert "noch nicht eingerichtet" not in page


def test_the_imprint_file_in_the_instance_folder_is_used_when_no_setting_is_given(app, client):
    instance_file(app, "imprint.txt").write_text("Verantwortlich: Anna Huber", "utf-8")
    assert "<p>Verantwortlich: Anna Huber</p>" in client.get("/impressum").get_data(as_text=True)


def test_without_an_imprint_the_page_names_the_setting_the_operator_must_make(client):
    page = client.get("/impressum").get_data(as_text=True)
    assert "Das Impressum ist noch nicht eingerichtet." in page
    assert "ROADSHOW_IMPRINT_TEXT" in page and "imprint.txt" in page
    english = client.get("/impressum?lang=en").get_data(as_text=True)
    assert "has not been set up yet" in english and "ROADSHOW_IMPRINT_TEXT" in english


def test_the_privacy_notice_shows_the_configured_text_above_the_notes_on_registration(app, client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "ROADSHOW_PRIVACY_TEXT" in page  # nothing configured: the operator is told
    assert "Wozu" in page
    configure(app, PRIVACY_TEXT="Verantwortlich ist die IHK & Co.\n\nDatenschutzbeauftragte: B.")
    page = client.get("/privacy").get_data(as_text=True)
    assert "<p>Verantwortlich ist die IHK &amp; Co.</p>" in page
    assert "ROADSHOW_PRIVACY_TEXT" not in page
    assert page.index("Datenschutzbeauftragte") < page.index("Wozu")


def test_the_event_page_shows_partner_logos_and_a_map_link(
    app, db, client, make_event, make_partner, make_venue
):
    with_logo = make_partner(name="Alpentel Kommunikation GmbH")
    with_logo.logo_filename = store_logo(logo_folder(app.instance_path), check_logo(png()))
    without = make_partner(name="SicherIT Security GmbH")
    db.session.commit()
    venue = make_venue(name="Stadthalle Weilheim", street="Krumpperplatz 4", postcode="82362")
    event = make_event(
        venue=venue, partners={with_logo: PartnerRole.HOST, without: PartnerRole.SPEAKER}
    )
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    logo = re.search(
        r'<li class="partner with-logo"><img src="([^"]+)" alt=""[^>]*><span>Alpentel', page
    )
    assert logo and fetched(client, logo.group(1)).status_code == 200
    assert '<li class="partner"><span>SicherIT Security GmbH</span></li>' in page
    assert "https://www.openstreetmap.org/search?query=Stadthalle+Weilheim" in page
    # the fact strip: when, where, seats come before the description and the partners
    assert page.index('class="fact fact-when"') < page.index('class="fact fact-seats"')
    assert page.index('class="fact fact-seats"') < page.index('class="description"')
    assert '<details class="add-to-calendar">' in page and ".ics" in page
