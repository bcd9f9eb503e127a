"""Partners: the companies that present at events."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roadshow.database import Base, TimestampMixin

if TYPE_CHECKING:
    from roadshow.events.models import EventPartner


class Partner(TimestampMixin, Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str] = mapped_column(sa.String(100), default="")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    event_roles: Mapped[list[EventPartner]] = relationship(back_populates="partner")

    def __repr__(self) -> str:
        return f"<Partner {self.slug}>"
