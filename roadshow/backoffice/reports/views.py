"""Attendance reports with charts and exports."""

from __future__ import annotations
