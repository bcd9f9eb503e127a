"""The app without the seat lock, for the control run of the race test only.

``register()`` takes the event lock through ``lock_event``; here it is replaced by a plain
read of the event, which is what a naive count-then-insert does. The race test serves this
module with gunicorn and must see an overbooking, which proves that it could see one.
"""

from __future__ import annotations

from roadshow import create_app
from roadshow.registrations import services
from tests.fixtures_registrations import read_event_without_lock

services.lock_event = read_event_without_lock

app = create_app()
