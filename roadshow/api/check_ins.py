"""Organiser endpoints: check-ins at the door (create by code, undo)."""

from __future__ import annotations
