"""Which events a feed holds: tours, towns, kinds and partners.

Towns and kinds add up, tours and partners narrow down. "Rosenheim + webinars" is every
event in Rosenheim and every webinar (webinars are online, so an intersection would always
be empty); "tour 2027 + webinars" is the webinars of that tour. Within one criterion the
values add up too: two towns give the events of both. No choice at all means every event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from roadshow.database import DBSession
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event, EventKind, EventPartner, EventStatus, Tour, Venue
from roadshow.events.services import UNCHANGED, Unchanged
from roadshow.partners.models import Partner

CRITERIA = ("tours", "towns", "kinds", "partners")
# The URL names one value per parameter (``?town=Rosenheim&town=Weilheim``).
URL_PARAMETERS = {"tour": "tours", "town": "towns", "kind": "kinds", "partner": "partners"}
MAX_VALUES = 30
MAX_VALUE_LENGTH = 120


@dataclass(frozen=True)
class FeedFilter:
    """Tour and partner slugs, town names and kind values, each sorted and unique."""

    tours: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()

    @classmethod
    def of(cls, **values: Iterable[str]) -> FeedFilter:
        return cls(**{name: tuple(sorted(set(values.get(name, ())))) for name in CRITERIA})

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FeedFilter:
        """The filter a subscriber stored (unknown keys are ignored)."""
        data = data or {}
        return cls.of(**{name: [str(v) for v in data.get(name, ()) or ()] for name in CRITERIA})

    def to_json(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in CRITERIA}

    def url_values(self) -> dict[str, list[str]]:
        """Query parameters for ``url_for``, e.g. ``{"town": ["Rosenheim"]}``."""
        return {
            parameter: list(getattr(self, name))
            for parameter, name in URL_PARAMETERS.items()
            if getattr(self, name)
        }

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in CRITERIA)

    def apply(self, query: Select[Any]) -> Select[Any]:
        """Narrow a ``select(Event)`` to the events this filter holds."""
        if self.tours:
            query = query.where(Event.tour_id.in_(select(Tour.id).where(Tour.slug.in_(self.tours))))
        if self.partners:
            query = query.where(
                Event.id.in_(
                    select(EventPartner.event_id)
                    .join(Partner, Partner.id == EventPartner.partner_id)
                    .where(Partner.slug.in_(self.partners))
                )
            )
        place_or_kind = []
        if self.towns:
            place_or_kind.append(
                Event.venue_id.in_(select(Venue.id).where(Venue.town.in_(self.towns)))
            )
        if self.kinds:
            # A stored filter may outlive a kind; an unknown one simply matches nothing.
            kinds = [kind for kind in EventKind if kind.value in self.kinds]
            place_or_kind.append(Event.kind.in_(kinds))
        if place_or_kind:
            query = query.where(or_(*place_or_kind))
        return query

    def matches(self, event: Event, *, town: str | None | Unchanged = UNCHANGED) -> bool:
        """The same rule as ``apply``, for one loaded event (used for notifications).

        ``town`` asks about the event as it would be after a move to that town (``None``:
        online), for a preview of who would hear of the move."""
        if self.tours and (event.tour is None or event.tour.slug not in self.tours):
            return False
        if self.partners and not any(
            role.partner.slug in self.partners for role in event.partner_roles
        ):
            return False
        if self.towns or self.kinds:
            where = event.town if isinstance(town, Unchanged) else town
            return where in self.towns or event.kind.value in self.kinds
        return True


@dataclass(frozen=True)
class FilterChoices:
    """What can be chosen: tours and partners as (slug, name), towns, kinds."""

    tours: Sequence[tuple[str, str]] = field(default_factory=tuple)
    towns: Sequence[str] = field(default_factory=tuple)
    kinds: Sequence[str] = field(default_factory=tuple)
    partners: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def label(self, feed_filter: FeedFilter, kind_labels: Mapping[str, str]) -> str:
        """``Rosenheim, Webinare`` — the filter in words, for calendar names and pages."""
        tours = dict(self.tours)
        partners = dict(self.partners)
        words = [tours.get(slug, slug) for slug in feed_filter.tours]
        words += list(feed_filter.towns)
        words += [kind_labels.get(kind, kind) for kind in feed_filter.kinds]
        words += [partners.get(slug, slug) for slug in feed_filter.partners]
        return ", ".join(words)


def filter_choices(session: DBSession) -> FilterChoices:
    """Every tour, town (of a venue with public events), kind and partner: three queries."""
    tours = session.execute(select(Tour.slug, Tour.title).order_by(Tour.title)).all()
    public_venues = select(Event.venue_id).where(Event.status != EventStatus.DRAFT)
    towns = session.scalars(select(Venue.town).where(Venue.id.in_(public_venues)).distinct()).all()
    partners = session.execute(select(Partner.slug, Partner.name).order_by(Partner.name)).all()
    return FilterChoices(
        tours=[(slug, title) for slug, title in tours],
        towns=sorted(towns, key=str.casefold),
        kinds=[kind.value for kind in EventKind],
        partners=[(slug, name) for slug, name in partners],
    )


def validated_filter(choices: FilterChoices, **values: Iterable[str]) -> FeedFilter:
    """A ``FeedFilter`` of known values only; raises ``DomainError`` naming the criterion.

    Towns are matched without regard to case (``rosenheim`` is Rosenheim).
    """
    known: dict[str, dict[str, str]] = {
        "tours": {slug: slug for slug, _title in choices.tours},
        "towns": {town.casefold(): town for town in choices.towns},
        "kinds": {kind: kind for kind in choices.kinds},
        "partners": {slug: slug for slug, _name in choices.partners},
    }
    chosen: dict[str, list[str]] = {}
    for name in CRITERIA:
        given = [str(v).strip() for v in values.get(name, ()) if str(v).strip()]
        if len(given) > MAX_VALUES or any(len(v) > MAX_VALUE_LENGTH for v in given):
            raise DomainError(_("Zu viele oder zu lange Angaben."), field=name)
        lookup = known[name]
        canonical = []
        for value in given:
            key = value.casefold() if name == "towns" else value
            if key not in lookup:
                raise DomainError(_("Diese Auswahl gibt es nicht: %(value)s", value=value), name)
            canonical.append(lookup[key])
        chosen[name] = canonical
    return FeedFilter.of(**chosen)


def filter_from_query(choices: FilterChoices, args: Mapping[str, Sequence[str]]) -> FeedFilter:
    """The filter of a public feed URL; an unknown value is ``NotFound``."""
    try:
        return validated_filter(
            choices, **{name: args.get(parameter, ()) for parameter, name in URL_PARAMETERS.items()}
        )
    except DomainError as error:
        raise NotFound(error.message, field=error.field) from error
