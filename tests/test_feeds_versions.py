"""A public feed knows its ETag before it is built: from one aggregate query, its stamp.

So a calendar app that asks again with ``If-None-Match`` gets its 304 for one small query,
and any change to what the feed holds (an event changed, a seat taken, an event joining a
partner's feed, a venue renamed) gives a new ETag on the very next request.
"""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar

from roadshow.events.models import EventPartner, PartnerRole
from roadshow.events.services import change_event
from roadshow.extensions import db
from roadshow.pagecache import page_cache
from tests.fixtures_feeds import confirm, path_of, subscribe


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_a_matching_etag_gets_a_304_for_one_query(client, spring_tour, count_queries):
    first = client.get("/calendar.ics")
    assert first.status_code == 200
    with count_queries() as queries:
        again = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert queries == ["SELECT value FROM content_version WHERE id = 1"]  # the answer kept
    page_cache().clear()  # a worker that has not kept it: the feed's stamp alone
    with count_queries() as queries:
        cold = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert cold.status_code == 304 and len(queries) == 2 and "count(" in queries[1]


def test_a_registration_gives_a_new_etag_at_once(client, spring_tour, register_company):
    first = client.get("/calendar.ics")
    register_company(spring_tour.rosenheim_stop, "Anna Huber")
    after = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert set(vevents(after.data)) == set(vevents(first.data))
    assert (
        client.get("/calendar.ics", headers={"If-None-Match": after.headers["ETag"]}).status_code
        == 304
    )


def test_an_event_change_gives_a_new_etag_and_the_new_time_at_once(client, spring_tour):
    first = client.get("/calendar.ics")
    moved = spring_tour.weilheim_stop
    old_start = vevents(first.data)[moved.uid].start
    change_event(db.session, moved, starts_at=moved.starts_at + timedelta(hours=2))
    db.session.commit()
    after = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]
    assert vevents(after.data)[moved.uid].start == old_start + timedelta(hours=2)


def test_an_event_joining_a_partners_feed_changes_that_feed_only(client, spring_tour):
    """A new partner role touches no event row: the feed's count and ids tell."""
    url = f"/calendar.ics?partner={spring_tour.partner.slug}"
    partner_feed = client.get(url)
    everything = client.get("/calendar.ics")
    joining = spring_tour.weilheim_stop
    db.session.add(
        EventPartner(event=joining, partner=spring_tour.partner, role=PartnerRole.EXHIBITOR)
    )
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": partner_feed.headers["ETag"]})
    assert after.status_code == 200
    assert joining.uid in vevents(after.data) and joining.uid not in vevents(partner_feed.data)
    unchanged = client.get("/calendar.ics", headers={"If-None-Match": everything.headers["ETag"]})
    assert unchanged.status_code == 304


def test_feeds_may_be_kept_but_are_revalidated_every_time(client, spring_tour, submit_form):
    public = client.get("/calendar.ics").headers["Cache-Control"]
    assert sorted(public.replace(" ", "").split(",")) == ["no-cache", "no-transform", "public"]
    subscribe(submit_form, "fan@example.org", towns=["Rosenheim"])
    page = confirm(client, submit_form, "fan@example.org")
    feed_url = re.search(r'value="(http://roadshow\.example/feeds/[^"]+\.ics)"', page)
    assert feed_url is not None
    subscribed = client.get(path_of(feed_url.group(1)))
    assert subscribed.status_code == 200 and vevents(subscribed.data)
    again = client.get(
        path_of(feed_url.group(1)), headers={"If-None-Match": subscribed.headers["ETag"]}
    )
    assert again.status_code == 304
    personal = subscribed.headers["Cache-Control"]
    assert sorted(personal.replace(" ", "").split(",")) == ["no-cache", "no-transform", "private"]
    one_event = client.get(f"/events/{spring_tour.weilheim_stop.slug}.ics")
    assert "no-cache" in one_event.headers["Cache-Control"]
    assert "max-age" not in public + personal + one_event.headers["Cache-Control"]
