"""Every German text has its English translation, wherever the code that uses it lives.

Catalogues are kept per domain (``roadshow/<domain>/translations``), so moving code from one
domain to another moves its texts between catalogues; ``make messages`` re-extracts them.
These tests fail when a text is used that no catalogue translates, or when a catalogue
would not be compiled.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted((ROOT / "roadshow").glob("**/translations/en/LC_MESSAGES/messages.po"))
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalogues():
    for path in CATALOGUES:
        with path.open("rb") as handle:
            yield path, read_po(handle)


def test_every_catalogue_is_complete_and_compiles():
    assert CATALOGUES
    for path, catalogue in catalogues():
        assert not catalogue.fuzzy, f"{path} is marked fuzzy: pybabel compile skips it"
        untranslated = [
            message.id
            for message in catalogue
            if message.id
            and (
                not message.string
                or (isinstance(message.string, tuple) and not all(message.string))
            )
        ]
        assert not untranslated, (path, untranslated)


def test_every_text_in_code_templates_and_emails_is_translated():
    translated: set[str] = set()
    for _path, catalogue in catalogues():
        for message in catalogue:
            if message.id:
                translated.add(message.id if isinstance(message.id, str) else message.id[0])
    missing, seen = set(), 0
    for folder in ("roadshow", "templates", "emails"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHODS, keywords=KEYWORDS
        ):
            seen += 1
            text = message if isinstance(message, str) else message[0]
            if text and text not in translated:
                missing.add(text)
    assert seen > 300, "the extraction found next to nothing: is the mapping right?"
    assert not missing, sorted(missing)
