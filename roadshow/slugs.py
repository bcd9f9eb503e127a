"""Slugs: the readable part of a URL, proposed from a title (``/e/digital-vor-ort-weilheim``)."""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
)
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def propose_slug(text: str, max_length: int = 80) -> str:
    """``"Digital vor Ort: Mühldorf am Inn"`` → ``"digital-vor-ort-muehldorf-am-inn"``.

    German umlauts are written out as Germans do in addresses; other accents are dropped.
    """
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_GERMAN))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def is_slug(text: str) -> bool:
    """Lower-case letters and digits in groups joined by single hyphens."""
    return SLUG_PATTERN.fullmatch(text) is not None
