"""Public pages kept as rendered: never older than their data, in every worker.

Two apps on one database stand for two gunicorn workers: what one of them commits, the page
the other kept shows at the next request. A kept page costs one query; a browser that has it
gets a 304.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from roadshow.events.models import Event, EventKind
from roadshow.events.views import PAGE_SIZE
from roadshow.pagecache import page_cache
from roadshow.registrations.models import Registration
from tests.conftest import csrf_token_from, make_app
from tests.fixtures_pages import log_in
from tests.fixtures_registrations import form_fields

NOW = datetime.now(UTC).replace(microsecond=0)


def seats_line(page: str) -> str:
    match = re.search(r'class="seats-left">\s*([^<]+?)\s*<', page)
    assert match, page
    return match.group(1)


def test_a_registration_shows_at_once_on_a_kept_page(
    app, db, client, make_event, submit_form, count_queries
):
    event = make_event(title="Stopp Weilheim", capacity=5)
    url = f"/events/{event.slug}"
    assert seats_line(client.get(url).get_data(as_text=True)) == "Noch 5 Plätze frei"
    with count_queries() as queries:
        kept = client.get(url)
    assert seats_line(kept.get_data(as_text=True)) == "Noch 5 Plätze frei"
    assert queries == ["SELECT value FROM content_version WHERE id = 1"]
    assert page_cache(app).hits == 1

    response = submit_form(f"{url}/register", form_fields(("Ada", "ada@huber.example")))
    assert response.status_code == 303
    assert seats_line(client.get(url).get_data(as_text=True)) == "Noch 4 Plätze frei"
    listing = client.get("/").get_data(as_text=True)
    assert "Noch 4 Plätze frei" in listing


def test_what_one_worker_commits_another_worker_shows(app, db, make_event, tmp_path):
    event = make_event(title="Stopp Weilheim")
    other = make_app(db.engine.url.render_as_string(hide_password=False), tmp_path / "other")
    visitor = other.test_client()
    try:
        assert "Stopp Weilheim" in visitor.get("/").get_data(as_text=True)
        assert "Stopp Weilheim" in visitor.get("/").get_data(as_text=True)
        assert page_cache(other).hits == 1
        db.session.get(Event, event.id).title = "Stopp Weilheim (neuer Saal)"
        db.session.commit()
        assert "Stopp Weilheim (neuer Saal)" in visitor.get("/").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()
        page_cache(other).dispose()


def test_a_bulk_update_counts_as_a_change(app, db, client, make_event, register_company):
    event = make_event(title="Stopp Weilheim", capacity=5)
    register_company(event, "Ada")
    url = f"/events/{event.slug}"
    assert seats_line(client.get(url).get_data(as_text=True)) == "Noch 4 Plätze frei"
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=9))
    db.session.commit()
    assert seats_line(client.get(url).get_data(as_text=True)) == "Noch 8 Plätze frei"
    db.session.execute(update(Registration).values(company_name="Umbenannt"))
    version = client.get(url).headers["ETag"]
    db.session.rollback()  # a change rolled back changes nothing
    assert client.get(url).headers["ETag"] == version
    # A savepoint rolled back after a change leaves the change, and it counts.
    db.session.get(Event, event.id).capacity = 7
    db.session.flush()
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert seats_line(client.get(url).get_data(as_text=True)) == "Noch 6 Plätze frei"


def test_a_browser_revalidates_and_gets_a_304_until_something_changes(
    app, db, client, make_event, register_company
):
    event = make_event(title="Stopp Weilheim", capacity=5)
    url = f"/events/{event.slug}"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    register_company(event, "Ada")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert seats_line(changed.get_data(as_text=True)) == "Noch 4 Plätze frei"


def test_each_language_and_each_filter_is_kept_apart(client, make_event):
    make_event(title="Stopp Weilheim")
    make_event(title="Webinar KI", kind=EventKind.WEBINAR)
    german = client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Kommende Veranstaltungen" in german and "Upcoming events" in english
    assert "Kommende Veranstaltungen" in client.get("/").get_data(as_text=True)
    webinars = client.get("/?kind=webinar").get_data(as_text=True)
    assert "Webinar KI" in webinars and "Stopp Weilheim" not in webinars


def test_nobody_logged_in_gets_a_page_kept_for_visitors(
    app, client, make_event, make_user, submit_form
):
    from roadshow.accounts.models import Role

    make_event(title="Stopp Weilheim")
    assert "Ausloggen" not in client.get("/").get_data(as_text=True)
    log_in(submit_form, make_user(role=Role.ORGANISER))
    page = client.get("/")
    assert "Ausloggen" in page.get_data(as_text=True) and "ETag" not in page.headers
    client.post("/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert "Ausloggen" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("count", [41, 85])
def test_a_long_listing_is_paged(client, make_event, count_queries, count):
    first = NOW + timedelta(days=1)
    for n in range(count):
        make_event(title=f"Termin {n:03d}", starts_at=first + timedelta(hours=n))
    page = client.get("/").get_data(as_text=True)
    shown = re.findall(r'class="title" href="[^"]+">Termin (\d{3})<', page)
    assert shown == [f"{n:03d}" for n in range(PAGE_SIZE)]
    pages = -(-count // PAGE_SIZE)
    assert f"Seite 1 von {pages}" in page and 'rel="next" href="/?page=2"' in page
    with count_queries() as queries:
        last = client.get(f"/?page={pages}").get_data(as_text=True)
    assert re.findall(r'class="title" href="[^"]+">Termin (\d{3})<', last)[-1] == f"{count - 1:03d}"
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert len(queries) <= 9, queries
    assert client.get(f"/?page={pages + 1}").status_code == 404
    filtered = client.get("/?kind=stop&page=2").get_data(as_text=True)
    assert 'href="/?kind=stop"' in filtered  # back to page 1 keeps the filter


def test_a_visitor_without_a_cookie_is_answered_before_flask_with_every_header(
    app, db, make_event, register_company, count_queries
):
    event = make_event(title="Stopp Weilheim", capacity=5)
    url = f"/events/{event.slug}"
    calendar_app = app.test_client(use_cookies=False)  # as a calendar app or a first visit
    first = calendar_app.get(url)
    assert seats_line(first.get_data(as_text=True)) == "Noch 5 Plätze frei"
    with count_queries() as queries:
        kept = calendar_app.get(url)
    assert queries == ["SELECT value FROM content_version WHERE id = 1"]
    assert [key[0] for key in page_cache(app).entries] == [f"{url}?", "without a cookie"]
    assert kept.data == first.data
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "ETag", "Vary"):
        assert kept.headers[header] == first.headers[header], header
    assert kept.headers["Content-Length"] == str(len(first.data))
    etag = first.headers["ETag"]
    unchanged = calendar_app.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    head = calendar_app.head(url)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag
    register_company(event, "Ada")
    changed = calendar_app.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert seats_line(changed.get_data(as_text=True)) == "Noch 4 Plätze frei"
    assert calendar_app.get("/events/no-such-event").status_code == 404


def test_what_one_worker_keeps_is_bounded_in_entries_and_bytes():
    from roadshow import pagecache

    cache = pagecache.PageCache(size=3)
    for n in range(5):
        cache.put(("page", n), pagecache.Kept(b"x" * 10, ()))
    assert [key for _page, key in cache.entries] == [2, 3, 4] and cache.bytes == 30
    cache.put(("page", 4), pagecache.Kept(b"y" * 20, ()))
    assert cache.bytes == 40
    cache.put(("feed", 1), pagecache.Kept(b"z" * (pagecache.MAX_BODY_BYTES + 1), ()))
    assert ("feed", 1) not in cache.entries
    many = pagecache.PageCache(size=100)
    largest = b"b" * pagecache.MAX_BODY_BYTES  # one object, kept under twenty keys
    for n in range(20):
        many.put(("big", n), pagecache.Kept(largest, ()))
    assert len(many.entries) == pagecache.MAX_BYTES // pagecache.MAX_BODY_BYTES
    assert many.bytes <= pagecache.MAX_BYTES and ("big", 19) in many.entries
