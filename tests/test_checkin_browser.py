"""In a real Chromium on a phone-sized screen (390×844): an organiser checks people in at the
demo's Weilheim stop by search and by a code typed like a scanner, goes offline and keeps
checking in, and everything arrives once, with the times of the device, when the network is
back. Also: a second scan, undo, walk-ins online and offline, the page reloaded without
network, the camera button, and the attendee list leaving the device at logout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.demo import ORGANISER_EMAIL, ORGANISER_PASSWORD
from roadshow.events.models import Event
from roadshow.registrations.models import Attendee
from tests.fixtures_pages import log_in, seed_demo_ahead

PHONE = {"width": 390, "height": 844}

STORED_ATTENDEES = """async () => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("roadshow-checkin", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("lists", { keyPath: "eventId" });
      r.result.createObjectStore("queue", { keyPath: "ref" });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const count = (name) => new Promise((resolve) => {
    const q = db.transaction(name).objectStore(name).getAll();
    q.onsuccess = () => resolve(
      q.result.reduce((n, e) => n + (e.data ? e.data.attendees.length : 1), 0));
  });
  const result = { lists: await count("lists"), queue: await count("queue") };
  db.close();
  return result;
}"""


@pytest.fixture
def weilheim(app, db):
    seed_demo_ahead(db.session)
    event = db.session.scalar(select(Event).where(Event.slug.like("%-04-06-weilheim")))
    return event


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport=PHONE, has_touch=True, is_mobile=True
    )
    yield context
    context.close()


def log_in_browser(page, live_server: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(ORGANISER_EMAIL)
    page.get_by_label("Passwort").fill(ORGANISER_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def open_check_in(page, live_server: str, event: Event) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/check-in/{event.id}/")
    expect(page.locator("#check-in[data-ready]")).to_have_count(1)  # the list is on the device
    expect(page.locator("[data-counter]")).to_contain_text("von 10 eingecheckt")


def attendees_of(db, event: Event) -> list[Attendee]:
    return list(
        db.session.scalars(
            select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id)
        )
    )


def check_in_by_search(page, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Suche nach Name oder Unternehmen").fill(name)
    row = page.locator("ul.check-in-list li", has_text=name)
    row.get_by_role("button", name="Einchecken").click()
    expect(row).to_contain_text("eingecheckt")


def check_ins(db, event: Event) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id)))


def wait_for_rows(db, event: Event, count: int, page) -> list[CheckIn]:
    for _ in range(50):
        rows = check_ins(db, event)
        if len(rows) >= count:
            return rows
        page.wait_for_timeout(200)
    return check_ins(db, event)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@pytest.mark.browser
def test_search_code_offline_and_back_online_arrive_once(
    app, db, live_server, phone, weilheim, shots
):
    from playwright.sync_api import expect

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    shots(page, "opened")
    expect(page.locator("[data-camera]")).to_be_hidden()  # headless Chromium: no BarcodeDetector
    expect(page.get_by_label("Code scannen oder eingeben")).to_be_focused()
    people = attendees_of(db, weilheim)
    assert len(people) == 10

    for person in people[:3]:
        check_in_by_search(page, person.name)
    expect(page.locator("[data-counter]")).to_have_text("3 von 10 eingecheckt")
    shots(page, "three-by-search")

    code_field = page.get_by_label("Code scannen oder eingeben")
    code_field.click()
    code_field.press_sequentially(people[3].check_in_code)  # a scanner types, then Enter
    code_field.press("Enter")
    expect(page.locator("[data-result]")).to_have_text(f"{people[3].name} ist eingecheckt.")
    shots(page, "by-code")
    assert len(wait_for_rows(db, weilheim, 4, page)) == 4

    code_field.fill(people[3].check_in_code)
    code_field.press("Enter")
    expect(page.locator("[data-result]")).to_contain_text(
        f"{people[3].name} ist bereits eingecheckt um"
    )
    shots(page, "second-scan")

    phone.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    before = datetime.now(UTC).replace(microsecond=0)
    check_in_by_search(page, people[4].name)
    code_field.fill(people[5].check_in_code)
    code_field.press("Enter")
    expect(page.locator("[data-result]")).to_contain_text("auf diesem Gerät eingecheckt")
    expect(page.locator("[data-banner]")).to_have_text("offline — 2 Check-ins warten")
    expect(page.locator("[data-counter]")).to_have_text("6 von 10 eingecheckt")
    shots(page, "offline")
    assert len(check_ins(db, weilheim)) == 4
    offline_until = datetime.now(UTC)
    page.wait_for_timeout(1500)  # the rows must carry the scan's time, not the sync's

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-banner]")).to_be_hidden()
    rows = wait_for_rows(db, weilheim, 6, page)
    page.evaluate("window.roadshowCheckIn.flush()")  # a second send must change nothing
    page.wait_for_timeout(500)
    rows = check_ins(db, weilheim)
    assert len(rows) == 6
    assert sorted(r.attendee_id for r in rows) == sorted(p.id for p in people[:6])
    late = {r.attendee_id: as_utc(r.checked_in_at) for r in rows}
    for person in people[4:6]:
        assert before.timestamp() - 1 <= late[person.id].timestamp() <= offline_until.timestamp()

    page.reload()
    expect(page.locator("[data-counter]")).to_have_text("6 von 10 eingecheckt")
    shots(page, "back-online")


@pytest.mark.browser
def test_undo_and_walk_ins_online_and_offline(app, db, live_server, phone, weilheim):
    from playwright.sync_api import expect

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    person = attendees_of(db, weilheim)[0]
    check_in_by_search(page, person.name)
    assert len(wait_for_rows(db, weilheim, 1, page)) == 1
    row = page.locator("ul.check-in-list li", has_text=person.name)
    row.get_by_role("button", name="Rückgängig").click()
    expect(row.get_by_role("button", name="Einchecken")).to_be_visible()
    for _ in range(25):
        if not check_ins(db, weilheim):
            break
        page.wait_for_timeout(200)
    assert check_ins(db, weilheim) == []

    walk_in = page.locator("form[data-walk-in-form]")
    walk_in.get_by_role("button").click()  # empty: a message next to the field, nothing sent
    expect(walk_in.locator("[data-error=name]")).to_be_visible()

    def fill(name: str, email: str) -> None:
        walk_in.get_by_label("Name").fill(name)
        walk_in.get_by_label("E-Mail").fill(email)
        walk_in.get_by_label("Unternehmen").fill("Metzgerei Sanktjohanser")
        walk_in.get_by_label("Ort").fill("Weilheim")
        walk_in.get_by_role("button").click()

    fill("Kathi Sanktjohanser", "kathi@sanktjohanser.example")
    expect(page.locator("[data-result]")).to_have_text(
        "Kathi Sanktjohanser ist nachgemeldet und eingecheckt."
    )
    phone.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    fill("Sepp Sanktjohanser", "sepp@sanktjohanser.example")
    expect(page.locator("[data-banner]")).to_have_text("offline — 1 Check-in wartet")
    page.get_by_label("Suche nach Name oder Unternehmen").fill("Sanktjohanser")
    expect(page.locator("ul.check-in-list")).to_contain_text("Sepp Sanktjohanser")
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-banner]")).to_be_hidden()
    page.evaluate("window.roadshowCheckIn.flush()")
    page.wait_for_timeout(500)
    db.session.expire_all()
    for name in ("Kathi Sanktjohanser", "Sepp Sanktjohanser"):
        count = db.session.scalar(
            select(func.count())
            .select_from(Attendee)
            .where(Attendee.event_id == weilheim.id, Attendee.name == name)
        )
        assert count == 1, name
    assert len(check_ins(db, weilheim)) == 2


@pytest.mark.browser
def test_the_page_opens_without_network_once_visited(app, db, live_server, phone, weilheim):
    from playwright.sync_api import expect

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null || "
        "navigator.serviceWorker.ready.then(() => true)"
    )
    page.reload()  # now under the service worker's control
    expect(page.locator("[data-counter]")).to_contain_text("von 10 eingecheckt")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    phone.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(weilheim.title)
    expect(page.locator("[data-counter]")).to_have_text("0 von 10 eingecheckt")
    person = attendees_of(db, weilheim)[2]
    page.get_by_label("Suche nach Name oder Unternehmen").fill(person.name)
    expect(page.locator("ul.check-in-list li")).to_have_count(1)


@pytest.mark.browser
def test_logout_removes_the_list_from_the_device(app, db, live_server, phone, weilheim):

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    assert page.evaluate(STORED_ATTENDEES)["lists"] == 10
    page.get_by_role("button", name="Ausloggen").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/check-in/sw.js")  # back in the check-in scope
    assert page.evaluate(STORED_ATTENDEES) == {"lists": 0, "queue": 0}


@pytest.mark.browser
def test_a_lapsed_login_clears_the_list_the_page_had_kept(app, db, live_server, phone, weilheim):
    from playwright.sync_api import expect

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    assert page.evaluate(STORED_ATTENDEES)["lists"] == 10
    phone.clear_cookies()  # the session ends elsewhere (expiry, another tab)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-result]")).to_contain_text("nicht mehr eingeloggt")
    assert page.evaluate(STORED_ATTENDEES) == {"lists": 0, "queue": 0}


@pytest.mark.browser
def test_the_camera_button_shows_where_the_browser_reads_barcodes(
    app, db, live_server, phone, weilheim
):
    from playwright.sync_api import expect

    phone.add_init_script("window.BarcodeDetector = class { async detect() { return []; } };")
    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    expect(page.locator("[data-camera]")).to_be_visible()


@pytest.mark.browser
def test_without_javascript_the_page_shows_who_is_checked_in(
    app, db, live_server, browser, weilheim
):
    from playwright.sync_api import expect

    first = attendees_of(db, weilheim)[0]
    db.session.add(
        CheckIn(
            event_id=weilheim.id,
            attendee_id=first.id,
            method=CheckInMethod.QR,
            checked_in_at=datetime(2027, 4, 6, 8, 42, tzinfo=UTC),
        )
    )
    db.session.commit()
    context = browser.new_context(locale="de-DE", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in_browser(page, live_server)
    page.goto(f"{live_server}/check-in/{weilheim.id}/")
    expect(page.locator("[data-counter]")).to_have_text("1 von 10 eingecheckt")
    expect(page.locator("ul.check-in-list li")).to_have_count(10)
    expect(page.locator("ul.check-in-list li", has_text=first.name)).to_contain_text(
        "eingecheckt 10:42"
    )
    # (Chromium with scripts switched off by Playwright still hides <noscript>.)
    expect(page.locator("form[data-walk-in-form]")).to_be_hidden()
    expect(page.get_by_role("button", name="Einchecken")).to_have_count(0)
    context.close()


@pytest.mark.browser
def test_a_stale_csrf_token_is_renewed_and_the_check_in_still_arrives(
    app, db, live_server, phone, weilheim
):
    from playwright.sync_api import expect

    page = phone.new_page()
    log_in_browser(page, live_server)
    open_check_in(page, live_server, weilheim)
    # The login ends and starts again in another tab: the token this page holds is stale.
    phone.clear_cookies()
    other = phone.new_page()
    log_in_browser(other, live_server)
    other.close()
    person = attendees_of(db, weilheim)[1]
    check_in_by_search(page, person.name)
    expect(page.locator("[data-result]")).to_have_text(f"{person.name} ist eingecheckt.")
    assert [r.attendee_id for r in wait_for_rows(db, weilheim, 1, page)] == [person.id]


@pytest.mark.browser
def test_in_english_the_banner_says_offline_and_how_many_wait(
    app, db, live_server, phone, weilheim
):
    from playwright.sync_api import expect

    with app.test_request_context(), force_locale("en"):
        if gettext("{checked} von {expected} eingecheckt").startswith("{checked} von"):
            pytest.skip("the English catalogue does not have the check-in page's strings yet")
    page = phone.new_page()
    log_in_browser(page, live_server)
    page.goto(f"{live_server}/language/en?next=/check-in/{weilheim.id}/")
    expect(page.locator("[data-counter]")).to_have_text("0 of 10 checked in")
    expect(page.locator("#check-in[data-ready]")).to_have_count(1)  # the list is on the device
    phone.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    for person in attendees_of(db, weilheim)[:3]:
        page.get_by_label("Search by name or company").fill(person.name)
        page.locator("ul.check-in-list li", has_text=person.name).get_by_role(
            "button", name="Check in"
        ).click()
    expect(page.locator("[data-banner]")).to_have_text("offline — 3 check-ins waiting")
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-banner]")).to_be_hidden()
    assert len(wait_for_rows(db, weilheim, 3, page)) == 3


def test_logging_out_tells_the_browser_to_clear_what_the_site_stored(submit_form, make_user):
    log_in(submit_form, make_user())
    response = submit_form("/organiser/", {}, action="/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
