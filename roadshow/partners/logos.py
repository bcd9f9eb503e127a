"""Partner logos: uploaded images, checked by what they contain, kept in the instance folder.

A file's name and the Content-Type its browser claims say nothing about what it holds, so
an upload is judged by Pillow alone: it must open as PNG, JPEG or WebP, pass ``verify()``
and stay within ``MAX_DIMENSION`` pixels a side. SVG (which can carry script), GIF and
anything else are refused. Pillow's decompression-bomb guard raises an error for huge
images and warns for merely large ones; both become the same refusal, never a crash.

Each stored logo gets a new random file name, so its URL changes on replacement and
browsers may cache a logo for a long time. The folder is passed in (the views pass
``<instance folder>/logos``); nothing here reads the application's configuration.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from roadshow.errors import DomainError

FOLDER_NAME = "logos"  # below the instance folder
MAX_BYTES = 1024 * 1024  # 1 MB
MAX_DIMENSION = 4000  # pixels, each side
# Pillow's format name → (file extension, Content-Type) of the logos we keep.
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = dict(FORMATS.values())


@dataclass(frozen=True)
class LogoImage:
    """An upload that passed every check, ready to be stored."""

    data: bytes
    extension: str
    width: int
    height: int


def logo_folder(instance_path: str) -> Path:
    """Where logos are kept: ``logos/`` in the instance folder."""
    return Path(instance_path) / FOLDER_NAME


def read_upload(stream: IO[bytes], max_bytes: int = MAX_BYTES) -> bytes:
    """The uploaded bytes, reading no more than one byte past the limit."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _(
                "Das Logo ist zu groß: höchstens %(size)s MB.",
                size=format(max_bytes / (1024 * 1024), "g"),
            ),
            field="logo",
        )
    return data


def check_logo(data: bytes, max_dimension: int = MAX_DIMENSION) -> LogoImage:
    """``data`` as a logo we keep, or a ``DomainError`` (field ``logo``) saying why not."""
    if not data:
        raise DomainError(_("Die Datei ist leer."), field="logo")
    wrong_type = DomainError(
        _("Bitte laden Sie ein Bild im Format PNG, JPEG oder WebP hoch (kein SVG, kein GIF)."),
        field="logo",
    )
    too_large = DomainError(
        _(
            "Das Bild ist zu groß: höchstens %(max)d × %(max)d Pixel.",
            max=max_dimension,
        ),
        field="logo",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise wrong_type
                width, height = image.size
                if width > max_dimension or height > max_dimension:
                    raise too_large
                image.verify()
                extension = FORMATS[image.format][0]
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except UnidentifiedImageError:
        raise wrong_type from None
    except Exception as error:  # noqa: BLE001 - verify() reports a broken file in many ways
        raise DomainError(
            _("Die Bilddatei ist beschädigt und lässt sich nicht öffnen."), field="logo"
        ) from error
    return LogoImage(data=data, extension=extension, width=width, height=height)


def store_logo(folder: Path, logo: LogoImage) -> str:
    """Write ``logo`` under a new random name in ``folder``; returns the file name."""
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{secrets.token_hex(16)}.{logo.extension}"
    # "x": never overwrite, even in the unlikely event of a repeated name
    with open(folder / filename, "xb") as handle:
        handle.write(logo.data)
    return filename


def discard_logo(folder: Path, filename: str | None) -> None:
    """Remove a logo file that is no longer used (gone already: nothing to do)."""
    if filename and is_logo_filename(filename):
        (folder / filename).unlink(missing_ok=True)


def is_logo_filename(filename: str) -> bool:
    """Shaped as ``store_logo`` names files: no path, a known extension."""
    stem, _dot, extension = filename.partition(".")
    return (
        len(stem) == 32
        and all(c in "0123456789abcdef" for c in stem)
        and extension in CONTENT_TYPES
    )


def logo_version(filename: str) -> str:
    """The part of a logo's URL that changes when the logo is replaced."""
    return filename.partition(".")[0]


def content_type(filename: str) -> str:
    return CONTENT_TYPES[filename.partition(".")[2]]
