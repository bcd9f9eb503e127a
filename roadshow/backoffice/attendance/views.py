"""Importing webinar attendance reports."""

from __future__ import annotations
