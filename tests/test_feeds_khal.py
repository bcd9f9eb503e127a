"""Feeds over real HTTP, imported by Debian's khal as a person's calendar would."""

from __future__ import annotations

import http.client
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db


def download(url: str, path: Path) -> Path:
    with urlopen(url, timeout=30) as response:  # noqa: S310 - our own server on 127.0.0.1
        assert response.status == 200
        path.write_bytes(response.read())
    return path


def test_khal_shows_webinars_at_noon_across_the_dst_change_and_a_cancelled_one(
    live_server, spring_tour, khal, tmp_path
):
    year = spring_tour.year
    cancel_event(db.session, spring_tour.webinars[3])
    db.session.commit()

    feed = download(f"{live_server}/calendar.ics?kind=webinar", tmp_path / "webinars.ics")
    khal.import_ics(feed)

    assert khal.list(f"{year}-03-01", f"{year}-05-01") == [
        f"{year}-03-17 12:00-13:00 Digitale Mittagspause",
        f"{year}-03-24 12:00-13:00 Digitale Mittagspause",
        f"{year}-03-31 12:00-13:00 Digitale Mittagspause",
        f"{year}-04-07 12:00-13:00 Abgesagt: Digitale Mittagspause CANCELLED",
        f"{year}-04-14 12:00-13:00 Digitale Mittagspause",
    ]


def test_khal_takes_a_moved_event_from_the_refreshed_feed(live_server, spring_tour, khal, tmp_path):
    year = spring_tour.year
    url = f"{live_server}/calendar.ics?town=Weilheim"
    khal.import_ics(download(url, tmp_path / "before.ics"))
    assert khal.list(f"{year}-04-01", f"{year}-04-30") == [
        f"{year}-04-06 18:00-21:00 Digital vor Ort: Weilheim"
    ]

    stop = spring_tour.weilheim_stop
    moved = timedelta(days=1, hours=1)
    change_event(db.session, stop, starts_at=stop.starts_at + moved, ends_at=stop.ends_at + moved)
    db.session.commit()
    khal.import_ics(download(url, tmp_path / "after.ics"))
    assert khal.list(f"{year}-04-01", f"{year}-04-30") == [
        f"{year}-04-07 19:00-22:00 Digital vor Ort: Weilheim"
    ]


def test_feeds_are_never_compressed_and_answer_304_over_http(live_server, spring_tour):
    address = urlsplit(live_server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", "/calendar.ics", headers={"Accept-Encoding": "gzip, deflate, br"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200
        assert response.getheader("Content-Encoding") is None
        assert response.getheader("Content-Type") == "text/calendar; charset=utf-8"
        assert "no-transform" in response.getheader("Cache-Control", "")
        assert body.startswith(b"BEGIN:VCALENDAR\r\n")
        assert int(response.getheader("Content-Length", "0")) == len(body)
        etag = response.getheader("ETag")

        connection.request("GET", "/calendar.ics", headers={"If-None-Match": etag or ""})
        second = connection.getresponse()
        assert second.status == 304
        assert second.read() == b""
        assert second.getheader("ETag") == etag
    finally:
        connection.close()

    request = Request(f"{live_server}/calendar.ics", method="HEAD")
    with urlopen(request, timeout=30) as head:  # noqa: S310 - our own server on 127.0.0.1
        assert head.headers["ETag"] == etag
