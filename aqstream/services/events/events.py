"""Events and their ticket types: create, list, read, publish. Organizer side, scoped by organization."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, make_dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from babel.numbers import list_currencies
from slugify import slugify
from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, IllegalTransition, NotFound, ValidationError
from aqstream.services.events import fields, prices
from aqstream.services.lifecycle import PUBLIC_EVENT, EventStatus, TicketStatus, check, move
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import (
    ACTIVE,
    MANAGE_EVENTS,
    SUSPENDED,
    VIEW_ATTENDEES,
    VIEW_CHECKIN,
    Principal,
    access,
)
from aqstream.services.platform import tenants
from aqstream.services.sales import inventory
from aqstream.services.validation import Checker

MAX_CAPACITY = fields.MAX_CAPACITY
EVENT_STATUSES = tuple(EventStatus)
EVENT_LOCALES = fields.get("locale").choices
PUBLIC_STATUSES = PUBLIC_EVENT


@dataclass
class TicketTypeInput:
    name: str
    quantity: int | str | None
    description: str = ""
    price_minor: int | str | None = 0  # minor units of the event's currency (services/events/prices.py reads "15.50")
    sales_start_local: datetime | str | None = None  # wall-clock time in the event's zone
    sales_end_local: datetime | str | None = None
    min_per_order: int | str | None = 1
    max_per_order: int | str | None = 10
    hidden: bool = False
    sort_order: int | str | None = None
    price: str | None = None  # the price as typed in a form ("15.50", major units); given, it wins over price_minor
    set_price: bool = False  # an update changes the price only when one is given (`price`, or this and price_minor)


DEFAULT_REMINDER_HOURS = fields.get("reminder_hours").default
MAX_REMINDER_HOURS = fields.get("reminder_hours").high  # a week
EMAIL_TEXT_MAX = fields.get("confirmation_text").max_len
NOTIFY_MAX = fields.get("notify_email").max_items  # addresses told of each new registration

_INPUT_TYPES = {fields.DATETIME: datetime | str | None, fields.INT: int | str | None, fields.BOOL: bool,
                fields.TAGS: str | list[str]}

# The events service's input: one attribute per declared field (`fields.FIELDS`, named by `EventField.attr`:
# starts_local for starts_at, wall-clock times in the event's zone), then the ticket types. Texts may come
# untrimmed, numbers as text: the service checks and cleans them. The required fields come first, in order
# (title, starts_local, ends_local, time_zone), so they may be given by position.
EventInput = make_dataclass("EventInput", [
    *[(f.attr, _INPUT_TYPES.get(f.kind, str)) for f in fields.FIELDS if f.required],
    *[(f.attr, _INPUT_TYPES.get(f.kind, str), field(default=f.default)) for f in fields.FIELDS if not f.required],
    ("ticket_types", list[TicketTypeInput], field(default_factory=list)),
])
EventInput.__module__ = __name__


def input_from_form(form: Mapping[str, Any], **extra) -> EventInput:
    """The input for a submitted event form (creation or edit), read as `fields.form_values` says. `extra`:
    what the form holds besides the event's own fields (its ticket types)."""
    return EventInput(**fields.input_values(fields.form_values(form)), **extra)


def input_from_api(values: Mapping[str, Any], **extra) -> EventInput:
    """The input for an API request body's values (`model_dump()`), keyed by the declared JSON names."""
    return EventInput(**fields.input_values(values), **extra)


def _parse_local(
    checker: Checker, name: str, value: datetime | str | None, required: bool = True, tz: str | None = None
) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    else:
        text = (value or "").strip()
        if not text:
            if required:
                checker.fail(name, "field.required")
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            checker.fail(name, "field.datetime_invalid")
            return None
    if tz and not exists_in_zone(parsed, tz):
        checker.fail(name, "field.time_skipped")
        return None
    return parsed


def to_utc(local: datetime, tz_name: str) -> datetime:
    """A wall-clock time in the event's zone (or an aware datetime) as aware UTC."""
    aware = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz_name))
    return aware.astimezone(timezone.utc)


def exists_in_zone(local: datetime, tz_name: str) -> bool:
    """False for a wall-clock time the clocks skip (e.g. 02:30 on the night summer time starts)."""
    if local.tzinfo:
        return True
    zone = ZoneInfo(tz_name)
    return to_utc(local, tz_name).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


@dataclass
class _CleanTicketType:
    name: str
    quantity: int | None
    description: str
    price_minor: int
    sales_start_at: datetime | None
    sales_end_at: datetime | None
    min_per_order: int
    max_per_order: int
    hidden: bool
    sort_order: int | None


def _check_ticket_type(checker: Checker, prefix: str, tt: TicketTypeInput, tz: str | None,
                       currency: str = "EUR") -> _CleanTicketType:
    """One ticket type's input checked; a price typed as text (`tt.price`) is read in `currency`, the event's."""
    p = f"{prefix}." if prefix else ""
    name = checker.text(f"{p}name", tt.name, max_len=120)
    quantity = checker.int_range(f"{p}quantity", tt.quantity, low=1, high=MAX_CAPACITY)
    description = checker.text(f"{p}description", tt.description, max_len=2000, required=False)
    if tt.price is not None:
        price = prices.check_price(checker, f"{p}price", tt.price, currency)
    else:
        price = checker.int_range(f"{p}price_minor", tt.price_minor if tt.price_minor not in (None, "") else 0,
                                  low=0, high=prices.MAX_PRICE_MINOR)
    low = checker.int_range(f"{p}min_per_order", tt.min_per_order if tt.min_per_order not in (None, "") else 1,
                            low=1, high=100) or 1
    high = checker.int_range(f"{p}max_per_order", tt.max_per_order if tt.max_per_order not in (None, "") else 10,
                             low=1, high=100) or 10
    if low > high:
        checker.fail(f"{p}max_per_order", "ticket_type.max_below_min")
    sort_order = checker.int_range(f"{p}sort_order", tt.sort_order, low=0, high=10_000, required=False)
    start = _parse_local(checker, f"{p}sales_start_at", tt.sales_start_local, required=False, tz=tz)
    end = _parse_local(checker, f"{p}sales_end_at", tt.sales_end_local, required=False, tz=tz)
    start_utc = to_utc(start, tz) if start and tz else None
    end_utc = to_utc(end, tz) if end and tz else None
    if start_utc and end_utc and end_utc <= start_utc:
        checker.fail(f"{p}sales_end_at", "ticket_type.sales_end_before_start")
    return _CleanTicketType(name, quantity, description, price or 0, start_utc, end_utc, low, high, bool(tt.hidden),
                            sort_order)


def _new_ticket_type(event_id: int, currency: str, clean: _CleanTicketType, sort_order: int) -> TicketType:
    return TicketType(
        event_id=event_id,
        name=clean.name,
        description=clean.description,
        quantity=clean.quantity,
        price_minor=clean.price_minor,
        currency=currency,
        sales_start_at=clean.sales_start_at,
        sales_end_at=clean.sales_end_at,
        min_per_order=clean.min_per_order,
        max_per_order=clean.max_per_order,
        hidden=clean.hidden,
        unlock_code=secrets.token_urlsafe(12) if clean.hidden else "",
        sort_order=clean.sort_order if clean.sort_order is not None else sort_order,
    )


def _unique_slug(session: Session, organization_id: int, title: str) -> str:
    base = slugify(title, max_length=60, word_boundary=True) or "event"
    taken = set(
        session.exec(
            select(Event.slug).where(Event.organization_id == organization_id, Event.slug.startswith(base))
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass
class _CleanEvent:
    """The event's own fields, checked and cleaned, as the Event's columns (named as the fields are)."""

    columns: dict[str, Any]

    def __getattr__(self, name: str):  # clean.title, clean.starts_at, ...
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None


MAX_TAGS, MAX_TAG_LEN = fields.get("tags").max_items, fields.get("tags").item_max_len
normalize_tags = fields.normalize_tags


def check_currency(checker: Checker, name: str, value: str | None, default: str = "") -> str:
    """An ISO 4217 code Babel knows, upper-cased; empty means `default` (the organization's currency)."""
    code = (value or "").strip().upper()
    if not code:
        return default
    if len(code) != 3 or code not in list_currencies():
        checker.fail(name, "event.currency_invalid")
    return code


def _check_event(checker: Checker, data: EventInput, default_tz: str, default_currency: str = "") -> _CleanEvent:
    """The event's own fields, checked and converted to UTC; errors go into the checker. Each field's own
    limits come from its declaration (`fields.FIELDS`); the rules between fields are here. An empty currency
    is `default_currency` (the organization's)."""
    own = {f.name: fields.check_simple(checker, f, getattr(data, f.attr)) for f in fields.FIELDS
           if f.kind not in (fields.DATETIME, fields.TIME_ZONE)}
    if "currency" not in checker.errors:
        own["currency"] = check_currency(checker, "currency", own["currency"], default_currency)
    if not own["venue"] and not own["online_url"] and "online_url" not in checker.errors:
        checker.fail("venue", "event.venue_or_online_required")
    tz = checker.time_zone("time_zone", data.time_zone or default_tz)
    zone = tz if "time_zone" not in checker.errors else None
    local = {f.name: _parse_local(checker, f.name, getattr(data, f.attr), required=f.required, tz=zone)
             for f in fields.FIELDS if f.kind == fields.DATETIME}
    utc = {name: to_utc(value, tz) if value and zone else None for name, value in local.items()}
    opens_utc, closes_utc = utc["registration_opens_at"], utc["registration_closes_at"]
    if opens_utc and closes_utc and closes_utc <= opens_utc:
        checker.fail("registration_closes_at", "event.registration_closes_before_opening")
    starts_utc, ends_utc = utc["starts_at"], utc["ends_at"]
    if starts_utc and ends_utc and ends_utc <= starts_utc:
        checker.fail("ends_at", "event.ends_before_start")
    for f in fields.FIELDS:  # a number left empty that has a default (the reminder, the holds, the refund)
        if f.kind == fields.INT and own[f.name] is None and f.default is not None:
            own[f.name] = f.default
    return _CleanEvent({**own, **utc, "time_zone": tz})


def create_event(session: Session, principal: Principal, organization_id: int, data: EventInput) -> Event:
    """Create a draft event with its ticket types. Everything is checked before anything is written."""
    org = access(session, principal, organization_id, MANAGE_EVENTS).organization
    checker = Checker()
    clean = _check_event(checker, data, org.time_zone, org.currency)
    good_tz = clean.time_zone if "time_zone" not in checker.errors else None
    if not data.ticket_types:
        checker.fail("ticket_types", "event.ticket_type_required")
    if len(data.ticket_types) > 50:
        checker.fail("ticket_types", "event.too_many_ticket_types")
    currency = clean.currency if "currency" not in checker.errors else org.currency
    types = [_check_ticket_type(checker, f"ticket_types.{i}", tt, good_tz, currency)
             for i, tt in enumerate(data.ticket_types[:50])]
    checker.raise_if_any()
    tenants.check_ticket_limit(org, tenants.Places(clean.capacity, [t.quantity for t in types]))
    title = clean.title

    begin_write(session)
    now = utcnow()
    event = Event(
        organization_id=org.id,
        slug=_unique_slug(session, org.id, title),
        **clean.columns,
        status=EventStatus.DRAFT,
        created_at=now,
    )
    session.add(event)
    try:
        session.flush()
    except IntegrityError:  # another event took the same slug at the same moment
        session.rollback()
        raise Conflict("event.slug_race")
    for position, clean in enumerate(types):
        session.add(_new_ticket_type(event.id, event.currency, clean, position))
    domain_events.record(session, "event.created", {"event_id": event.id, "title": title},
                         organization_id=org.id, actor_user_id=principal.user_id)
    session.commit()
    return event


def _checked_ticket_type(session: Session, principal: Principal, organization_id: int, event_id: int,
                         data: TicketTypeInput, ticket_type_id: int | None = None):
    """The event (for a manager) and the checked ticket type input, then a write transaction begun."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    checker = Checker()
    clean = _check_ticket_type(checker, "", data, event.time_zone, event.currency)
    checker.raise_if_any()
    org = session.get(Organization, organization_id)
    if org.max_tickets_per_event is not None:  # the organization's limit of places per event, this type included
        others = session.exec(select(TicketType.quantity).where(TicketType.event_id == event.id,
                                                                TicketType.id != (ticket_type_id or 0))).all()
        tenants.check_ticket_limit(org, tenants.Places(event.capacity, [*others, clean.quantity]), field="quantity")
    begin_write(session)
    return event, clean


def add_ticket_type(
    session: Session, principal: Principal, organization_id: int, event_id: int, data: TicketTypeInput
) -> TicketType:
    event, clean = _checked_ticket_type(session, principal, organization_id, event_id, data)
    count = session.exec(select(func.count(TicketType.id)).where(TicketType.event_id == event.id)).one()
    if count >= 50:
        session.rollback()
        raise ValidationError({"name": "event.too_many_ticket_types"})
    tt = _new_ticket_type(event.id, event.currency, clean, count)
    session.add(tt)
    session.flush()
    domain_events.record(session, "ticket_type.added",
                         {"ticket_type_id": tt.id, "event_id": event.id, "name": clean.name, "quantity": clean.quantity},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    return tt


def update_ticket_type(
    session: Session, principal: Principal, organization_id: int, event_id: int, ticket_type_id: int,
    data: TicketTypeInput,
) -> TicketType:
    """Change a ticket type. Its quantity can shrink, but never below what is already sold."""
    event, clean = _checked_ticket_type(session, principal, organization_id, event_id, data, ticket_type_id)
    values = dict(
        name=clean.name, description=clean.description, sales_start_at=clean.sales_start_at,
        sales_end_at=clean.sales_end_at, min_per_order=clean.min_per_order, max_per_order=clean.max_per_order,
        hidden=clean.hidden,
    )
    if clean.sort_order is not None:
        values["sort_order"] = clean.sort_order
    if data.price is not None or data.set_price:  # orders already placed keep what they cost
        values["price_minor"] = clean.price_minor
    if not inventory.resize_ticket_type(session, event.id, ticket_type_id, clean.quantity, **values):
        exists = session.exec(
            select(TicketType.id).where(TicketType.id == ticket_type_id, TicketType.event_id == event.id)
        ).first()
        session.rollback()
        if exists is None:
            raise NotFound()
        raise ValidationError({"quantity": "ticket_type.quantity_below_sold"})
    tt = session.get(TicketType, ticket_type_id)
    if tt.hidden and not tt.unlock_code:
        tt.unlock_code = secrets.token_urlsafe(12)
        session.add(tt)
    domain_events.record(session, "ticket_type.changed",
                         {"ticket_type_id": ticket_type_id, "event_id": event.id, "quantity": clean.quantity},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(tt)
    return tt


def get_event(
    session: Session, principal: Principal, organization_id: int, event_id: int, allowed=VIEW_ATTENDEES
) -> Event:
    access(session, principal, organization_id, allowed)
    event = session.exec(select(Event).where(Event.id == event_id, Event.organization_id == organization_id)).first()
    if event is None:
        raise NotFound()
    return event


def list_events(session: Session, principal: Principal, organization_id: int) -> list[Event]:
    access(session, principal, organization_id, VIEW_ATTENDEES)
    return list(
        session.exec(
            select(Event).where(Event.organization_id == organization_id).order_by(Event.starts_at.desc(), Event.id.desc())
        ).all()
    )


@dataclass(frozen=True)
class EventSummary:
    event: Event
    section: str  # upcoming | draft | past | archived
    registered_today: int


DASHBOARD_SECTIONS = ("upcoming", "draft", "past", "archived")
DASHBOARD_PREVIEW = 6  # events of each section on the dashboard's overview
DASHBOARD_PER_PAGE = 20  # events of one section on each of its pages


@dataclass(frozen=True)
class DashboardPage:
    """What the dashboard shows: one section's page of events (`section` set), or the first few of every
    section (`section` ""), with each section's number of events counted by the database."""
    rows: list[EventSummary]
    counts: dict[str, int]
    section: str
    page: int
    pages: int


def _section_of(now: datetime):
    """The SQL expression of an event's dashboard section: upcoming (published, not over yet), draft, past
    (published and over, or cancelled), archived."""
    return case(
        (Event.status == EventStatus.ARCHIVED, "archived"),
        (Event.status == EventStatus.DRAFT, "draft"),
        ((Event.status == EventStatus.PUBLISHED) & (Event.ends_at > now), "upcoming"),
        else_="past",
    )


def dashboard(session: Session, principal: Principal, organization_id: int, section: str = "", page: int = 1,
              per_page: int = DASHBOARD_PER_PAGE, preview: int = DASHBOARD_PREVIEW) -> DashboardPage:
    """The organization's events as its dashboard shows them: upcoming ones soonest first, the other sections
    most recent first. With `section` (one of DASHBOARD_SECTIONS), its page `page` (kept between 1 and the
    last page); without, the first `preview` events of each section. "Today" is the organization's calendar
    day. Only the shown events are read; the sections are counted by the database."""
    org = access(session, principal, organization_id, VIEW_ATTENDEES).organization
    now = utcnow()
    section_of = _section_of(now)
    in_org = Event.organization_id == organization_id
    counts = dict.fromkeys(DASHBOARD_SECTIONS, 0)
    counts.update(session.exec(select(section_of, func.count(Event.id)).where(in_org).group_by(section_of)).all())

    def first(name: str, limit: int, offset: int = 0) -> list[Event]:
        order = ((Event.starts_at, Event.id) if name == "upcoming" else (Event.starts_at.desc(), Event.id.desc()))
        return list(session.exec(select(Event).where(in_org, section_of == name).order_by(*order)
                                 .limit(limit).offset(offset)).all())

    if section in DASHBOARD_SECTIONS:
        pages = max(1, -(-counts[section] // per_page))
        page = min(max(1, page), pages)
        shown = [(section, e) for e in first(section, per_page, (page - 1) * per_page)]
    else:
        section, page, pages = "", 1, 1
        shown = [(name, e) for name in DASHBOARD_SECTIONS if counts[name] for e in first(name, preview)]
    zone = ZoneInfo(org.time_zone)
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    today = dict(session.exec(
        select(Ticket.event_id, func.count(Ticket.id))
        .where(Ticket.event_id.in_([e.id for _, e in shown]), Ticket.created_at >= midnight,
               Ticket.status == TicketStatus.VALID)
        .group_by(Ticket.event_id)
    ).all()) if shown else {}
    rows = [EventSummary(e, name, today.get(e.id, 0)) for name, e in shown]
    return DashboardPage(rows=rows, counts=counts, section=section, page=page, pages=pages)


DOOR_EVENTS = 50  # events a check-in member's dashboard lists
DOOR_AFTER_END = timedelta(days=2)  # an event stays on that list this long after it ends


def door_events(session: Session, principal: Principal, organization_id: int,
                limit: int = DOOR_EVENTS) -> list[Event]:
    """The events check-in staff may run the door of, as their dashboard lists them: published ones not over
    for more than DOOR_AFTER_END, soonest first. Only the events themselves: no numbers, no attendees."""
    access(session, principal, organization_id, VIEW_CHECKIN)
    since = utcnow() - DOOR_AFTER_END
    return list(session.exec(
        select(Event).where(Event.organization_id == organization_id, Event.status == EventStatus.PUBLISHED,
                            Event.ends_at > since).order_by(Event.starts_at, Event.id).limit(limit)).all())


places_left = inventory.places_left  # counting places is the inventory's; kept here for the pages' imports


def list_ticket_types(session: Session, event_id: int) -> list[TicketType]:
    """Ticket types of an event the caller has already been allowed to see."""
    return list(
        session.exec(
            select(TicketType).where(TicketType.event_id == event_id).order_by(TicketType.sort_order, TicketType.id)
        ).all()
    )


def event_ticket_types(session: Session, principal: Principal, organization_id: int, event_id: int) -> list[TicketType]:
    event = get_event(session, principal, organization_id, event_id)
    return list_ticket_types(session, event.id)


def publish_event(session: Session, principal: Principal, organization_id: int, event_id: int) -> Event:
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    if event.status == EventStatus.PUBLISHED:
        return event
    check(event.status, EventStatus.PUBLISHED, "event.cannot_publish")
    begin_write(session)
    # The organization's row locked: two events published at once cannot both take the last allowed one.
    org = session.exec(select(Organization).where(Organization.id == organization_id).with_for_update()).one()
    try:
        tenants.check_publish_limit(session, org, event.id)
    except Conflict:
        session.rollback()
        raise
    now = utcnow()
    if move(session, Event, Event.id == event.id, to=EventStatus.PUBLISHED, published_at=now).rowcount != 1:
        session.rollback()
        raise IllegalTransition("event.cannot_publish")
    domain_events.record(session, "event.published", {"event_id": event.id}, organization_id=organization_id,
                         actor_user_id=principal.user_id)
    session.commit()
    session.refresh(event)
    return event


@dataclass(frozen=True)
class AttendeeRow:
    ticket_id: int
    order_id: int
    attendee_name: str
    attendee_email: str
    ticket_type: str
    code: str
    status: str
    registered_at: datetime


def list_attendees(
    session: Session, principal: Principal, organization_id: int, event_id: int, limit: int = 500, offset: int = 0
) -> list[AttendeeRow]:
    event = get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
    rows = session.exec(
        select(Ticket, TicketType.name, Order.buyer_email)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(Order, Order.id == Ticket.order_id)
        .where(Ticket.event_id == event.id, Order.organization_id == organization_id)
        .order_by(Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        AttendeeRow(t.id, t.order_id, t.attendee_name, t.attendee_email or email, tt_name, t.code, t.status, t.created_at)
        for t, tt_name, email in rows
    ]


def list_orders(
    session: Session, principal: Principal, organization_id: int, event_id: int, limit: int = 500, offset: int = 0
) -> list[tuple[Order, list[Ticket]]]:
    event = get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
    orders = list(
        session.exec(
            select(Order)
            .where(Order.event_id == event.id, Order.organization_id == organization_id)
            .order_by(Order.id)
            .limit(limit)
            .offset(offset)
        ).all()
    )
    tickets: dict[int, list[Ticket]] = {o.id: [] for o in orders}
    if orders:
        for t in session.exec(select(Ticket).where(Ticket.order_id.in_(list(tickets))).order_by(Ticket.id)).all():
            tickets[t.order_id].append(t)
    return [(o, tickets[o.id]) for o in orders]


def get_public_event(
    session: Session, org_slug: str, event_slug: str, include_hidden: bool = False, include_drafts: bool = False
) -> tuple[Organization, Event, list[TicketType]]:
    """A published (or cancelled, to say so) event as anyone may see it, also while its organization is suspended
    (registration_closed_reason says it is unavailable). Drafts do not exist publicly.
    Hidden ticket types are left out unless asked for (registration checks their unlock codes)."""
    row = session.exec(
        select(Organization, Event)
        .join(Event, Event.organization_id == Organization.id)
        .where(
            Organization.slug == (org_slug or "").lower(),
            Event.slug == (event_slug or "").lower(),
            Event.status.in_(PUBLIC_STATUSES + ((EventStatus.DRAFT,) if include_drafts else ())),
            # A suspended organization's pages stay, saying the event is unavailable (registration refuses).
            Organization.status.in_((ACTIVE, SUSPENDED)),
        )
    ).first()
    if row is None:
        raise NotFound()
    org, event = row
    types = [tt for tt in list_ticket_types(session, event.id) if include_hidden or not tt.hidden]
    return org, event, types
