"""The app without its handling of lost database connections, for the control run of
tests/test_faults_postgresql.py only: every lost connection is a 500 again, which the
control run must see, proving that the storm of terminated backends hits requests."""

from __future__ import annotations

from roadshow import create_app, resilience

resilience.init_app = lambda app: None  # type: ignore[assignment]

app = create_app()
