"""Email addresses and names as every domain compares and writes them."""

from __future__ import annotations


def normalize_email(email: str) -> str:
    """The form in which two spellings of one address compare equal."""
    return email.strip().lower()


def display_name(name: str) -> str:
    """A name on one line: user input never becomes a header break."""
    return " ".join(name.split())
