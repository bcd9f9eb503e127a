"""Creating and changing partners, logo included.

Every save is announced with ``partners.signals.partner_saved``, which the accounts domain
turns into the audit entry (this domain sits below accounts and cannot write it itself).

A logo is a file beside the database, so a save handles it in an order that leaves no
half-written state: every rule is checked before anything is written; the new file is
written last, under a fresh name, and removed again if the flush fails; the file it
replaces is only named in the result (``SavedPartner.obsolete_logo``), for the caller to
discard once the transaction is committed. A rolled-back save thus never loses the logo
the partner still points to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from roadshow.changes import changed_fields
from roadshow.database import DBSession
from roadshow.errors import DomainError
from roadshow.partners.logos import check_logo, discard_logo, store_logo
from roadshow.partners.models import Partner
from roadshow.partners.signals import partner_saved
from roadshow.slugs import is_slug, propose_slug

SLUG_MAX_LENGTH = 80


@dataclass(frozen=True)
class PartnerInput:
    """A partner's details as a form or the API sends them, already stripped."""

    name: str
    slug: str = ""  # empty: proposed from the name
    industry: str = ""
    website: str = ""
    description: str = ""


@dataclass(frozen=True)
class LogoInput:
    """What to do with the logo: ``data`` an upload to check and keep, or ``remove``.

    ``folder`` is where logos live (``partners.logos.logo_folder``).
    """

    folder: Path
    data: bytes | None = None
    remove: bool = False


@dataclass(frozen=True)
class SavedPartner:
    partner: Partner
    changes: list[dict[str, Any]] = field(default_factory=list)
    obsolete_logo: str | None = None  # discard after commit (``partners.logos.discard_logo``)


def create_partner(
    session: DBSession, data: PartnerInput, *, actor: Any, logo: LogoInput | None = None
) -> SavedPartner:
    """A new partner; the slug is proposed from the name when left empty.

    ``actor`` is the ``User`` who acts (for the audit log).
    """
    return _save(session, None, data, logo, actor=actor, action="partner.created")


def update_partner(
    session: DBSession,
    partner: Partner,
    data: PartnerInput,
    *,
    actor: Any,
    logo: LogoInput | None = None,
) -> SavedPartner:
    """Change a partner's details and logo; nothing changed: nothing is recorded."""
    return _save(session, partner, data, logo, actor=actor, action="partner.changed")


def _save(
    session: DBSession,
    partner: Partner | None,
    data: PartnerInput,
    logo: LogoInput | None,
    *,
    actor: Any,
    action: str,
) -> SavedPartner:
    values = _checked_values(session, partner.id if partner else None, data)
    image = check_logo(logo.data) if logo is not None and logo.data is not None else None
    if partner is None:
        partner = Partner(name="", slug="", industry="", description="")
        session.add(partner)
    changes = changed_fields(partner, values)
    new_file = obsolete = None
    if logo is not None and image is not None:
        new_file = store_logo(logo.folder, image)
        obsolete = partner.logo_filename
        changes += changed_fields(partner, {"logo_filename": new_file})
    elif logo is not None and logo.remove and partner.logo_filename:
        obsolete = partner.logo_filename
        changes += changed_fields(partner, {"logo_filename": None})
    try:
        session.flush()
    except IntegrityError as error:  # another request took the slug after our check
        if logo is not None:
            discard_logo(logo.folder, new_file)
        raise _slug_taken(partner.slug) from error
    if changes:
        partner_saved.send(partner, session=session, actor=actor, action=action, changes=changes)
    return SavedPartner(partner, changes, obsolete)


def _checked_values(
    session: DBSession, partner_id: int | None, data: PartnerInput
) -> dict[str, Any]:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Bitte geben Sie den Namen des Partners an."), field="name")
    if len(name) > 200:
        raise DomainError(_("Der Name ist zu lang (höchstens 200 Zeichen)."), field="name")
    slug = data.slug.strip().lower() or propose_slug(name, SLUG_MAX_LENGTH)
    if not slug:
        raise DomainError(
            _("Aus diesem Namen lässt sich keine Kurzbezeichnung bilden; bitte geben Sie eine an."),
            field="slug",
        )
    if len(slug) > SLUG_MAX_LENGTH or not is_slug(slug):
        raise DomainError(
            _(
                "Die Kurzbezeichnung besteht aus Kleinbuchstaben, Ziffern und einzelnen "
                "Bindestrichen (höchstens %(max)d Zeichen), z. B. „alpentel-gmbh“.",
                max=SLUG_MAX_LENGTH,
            ),
            field="slug",
        )
    taken = session.scalar(select(Partner.id).where(Partner.slug == slug))
    if taken is not None and taken != partner_id:
        raise _slug_taken(slug)
    industry = data.industry.strip()
    if len(industry) > 100:
        raise DomainError(_("Die Branche ist zu lang (höchstens 100 Zeichen)."), field="industry")
    return {
        "name": name,
        "slug": slug,
        "industry": industry,
        "website": _website(data.website),
        "description": data.description.strip(),
    }


def _slug_taken(slug: str) -> DomainError:
    return DomainError(
        _("Die Kurzbezeichnung „%(slug)s“ hat schon ein anderer Partner.", slug=slug),
        field="slug",
    )


def _website(text: str) -> str | None:
    """An http or https address with a host, or None for none."""
    text = text.strip()
    if not text:
        return None
    problem = DomainError(
        _("Bitte geben Sie eine Webadresse mit http:// oder https:// an."), field="website"
    )
    if len(text) > 300 or any(c.isspace() for c in text):
        raise problem
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise problem from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise problem
    return text
