"""Registration POSTs are rate-limited per client address: a friendly page, or JSON."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from tests.fixtures_registrations import form_fields


@pytest.fixture
def app_config():
    return {"REGISTRATION_RATE_LIMIT": "2 per minute"}


def test_the_form_answers_429_with_a_friendly_page(client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    statuses = []
    for _ in range(3):
        token = csrf_token_from(client.get(url).get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, **form_fields()})
        statuses.append(response.status_code)
    assert statuses == [422, 422, 429]
    page = response.get_data(as_text=True)
    assert "Bitte versuchen Sie es in ein paar Minuten noch einmal." in page
    assert "<h1>Einen Moment bitte</h1>" in page
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_another_client_address_is_not_limited(client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    for _ in range(2):
        client.post(url, data={"csrf_token": token})
    assert client.post(url, data={"csrf_token": token}).status_code == 429
    other = client.post(url, data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 422


def test_the_api_answers_429_in_json(client, make_event):
    event = make_event()
    url = f"/api/v1/events/{event.id}/registrations"
    statuses = [client.post(url, json={}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    response = client.post(url, json={})
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["message"].startswith("Zu viele Anfragen")
    assert "Retry-After" in response.headers
    assert client.get("/api/v1/events").status_code == 200


def test_form_and_api_share_one_allowance_per_address(client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 422
    api = f"/api/v1/events/{event.id}/registrations"
    assert client.post(api, json={}).status_code == 422
    assert client.post(url, data={"csrf_token": token}).status_code == 429
    assert client.post(api, json={}).status_code == 429


def test_workers_share_the_allowance_through_redis(another_app):
    """Two app processes (as two gunicorn workers) with ROADSHOW_RATELIMIT_STORAGE_URI on
    one Redis count one allowance per address: the second worker refuses the third POST."""
    import secrets

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"roadshow-test-{secrets.token_hex(4)}"
    config = {
        "REGISTRATION_RATE_LIMIT": "2 per minute",
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first, second = another_app(**config), another_app(**config)
    try:
        path = "/api/v1/events/999999/registrations"
        statuses = [
            app.test_client().post(path, json={}).status_code for app in (first, second, second)
        ]
        assert statuses == [404, 404, 429]
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
