"""Attendance of an event, and a partner's report (organisers, or that partner's token)."""

from __future__ import annotations
