"""Partners: the companies that present at events.

Their roles at events belong to the events domain (``EventPartner``), which sits above
this one; a partner knows nothing of events."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from roadshow.database import Base, TimestampMixin


class Partner(TimestampMixin, Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str] = mapped_column(sa.String(100), default="")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The uploaded logo's file name in the instance folder's ``logos/`` (partners.logos).
    logo_filename: Mapped[str | None] = mapped_column(sa.String(100))

    def __repr__(self) -> str:
        return f"<Partner {self.slug}>"
