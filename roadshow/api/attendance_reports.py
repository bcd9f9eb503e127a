"""Organiser endpoints: webinar attendance reports imported (multipart upload)."""

from __future__ import annotations
