"""Events and their ticket types: create, list, read, publish. Organizer side, scoped by organization."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from slugify import slugify
from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket, TicketType
from aqstream.services import audit
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, ValidationError
from aqstream.services.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, Principal, access
from aqstream.services.validation import Checker

MAX_CAPACITY = 1_000_000
EVENT_STATUSES = ("draft", "published", "cancelled", "archived")


@dataclass
class TicketTypeInput:
    name: str
    quantity: int | str | None
    description: str = ""


@dataclass
class EventInput:
    title: str
    starts_local: datetime | str
    ends_local: datetime | str
    time_zone: str
    description: str = ""
    venue: str = ""
    online_url: str = ""
    capacity: int | str | None = None
    ticket_types: list[TicketTypeInput] = field(default_factory=list)


def _parse_local(checker: Checker, name: str, value: datetime | str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    text = (value or "").strip()
    if not text:
        checker.fail(name, "field.required")
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        checker.fail(name, "field.datetime_invalid")
        return None


def to_utc(local: datetime, tz_name: str) -> datetime:
    """A wall-clock time in the event's zone (or an aware datetime) as aware UTC."""
    aware = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz_name))
    return aware.astimezone(timezone.utc)


def _check_ticket_type(checker: Checker, index: int, tt: TicketTypeInput) -> tuple[str, int | None, str]:
    prefix = f"ticket_types.{index}"
    name = checker.text(f"{prefix}.name", tt.name, max_len=120)
    quantity = checker.int_range(f"{prefix}.quantity", tt.quantity, low=1, high=MAX_CAPACITY)
    description = checker.text(f"{prefix}.description", tt.description, max_len=2000, required=False)
    return name, quantity, description


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


def create_event(session: Session, principal: Principal, organization_id: int, data: EventInput) -> Event:
    """Create a draft event with its ticket types. Everything is checked before anything is written."""
    org = access(session, principal, organization_id, MANAGE_EVENTS).organization
    checker = Checker()
    title = checker.text("title", data.title, max_len=200, min_len=3)
    description = checker.text("description", data.description, max_len=20000, required=False)
    venue = checker.text("venue", data.venue, max_len=300, required=False)
    online_url = checker.url("online_url", data.online_url)
    if not venue and not online_url and "online_url" not in checker.errors:
        checker.fail("venue", "event.venue_or_online_required")
    tz = checker.time_zone("time_zone", data.time_zone or org.time_zone)
    starts = _parse_local(checker, "starts_at", data.starts_local)
    ends = _parse_local(checker, "ends_at", data.ends_local)
    capacity = checker.int_range("capacity", data.capacity, low=1, high=MAX_CAPACITY, required=False)
    starts_utc = ends_utc = None
    if starts and ends and "time_zone" not in checker.errors:
        starts_utc, ends_utc = to_utc(starts, tz), to_utc(ends, tz)
        if ends_utc <= starts_utc:
            checker.fail("ends_at", "event.ends_before_start")
    if not data.ticket_types:
        checker.fail("ticket_types", "event.ticket_type_required")
    if len(data.ticket_types) > 50:
        checker.fail("ticket_types", "event.too_many_ticket_types")
    types = [_check_ticket_type(checker, i, tt) for i, tt in enumerate(data.ticket_types[:50])]
    checker.raise_if_any()

    begin_write(session)
    now = utcnow()
    event = Event(
        organization_id=org.id,
        slug=_unique_slug(session, org.id, title),
        title=title,
        description=description,
        venue=venue,
        online_url=online_url,
        starts_at=starts_utc,
        ends_at=ends_utc,
        time_zone=tz,
        status="draft",
        capacity=capacity,
        created_at=now,
    )
    session.add(event)
    session.flush()
    for order, (name, quantity, desc) in enumerate(types):
        session.add(
            TicketType(
                event_id=event.id,
                name=name,
                description=desc,
                quantity=quantity,
                currency=org.currency,
                sort_order=order,
            )
        )
    audit.record(
        session,
        action="event.create",
        object_type="event",
        object_id=event.id,
        organization_id=org.id,
        actor_user_id=principal.user_id,
        data={"title": title},
    )
    session.commit()
    return event


def add_ticket_type(
    session: Session, principal: Principal, organization_id: int, event_id: int, data: TicketTypeInput
) -> TicketType:
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    checker = Checker()
    name, quantity, description = _check_ticket_type(checker, 0, data)
    if checker.errors:
        raise ValidationError({k.removeprefix("ticket_types.0."): v for k, v in checker.errors.items()})
    begin_write(session)
    count = session.exec(select(func.count(TicketType.id)).where(TicketType.event_id == event.id)).one()
    org = session.get(Organization, organization_id)
    tt = TicketType(
        event_id=event.id, name=name, description=description, quantity=quantity, currency=org.currency, sort_order=count
    )
    session.add(tt)
    session.flush()
    audit.record(
        session,
        action="ticket_type.create",
        object_type="ticket_type",
        object_id=tt.id,
        organization_id=organization_id,
        actor_user_id=principal.user_id,
        data={"event_id": event.id, "name": name, "quantity": quantity},
    )
    session.commit()
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


def places_left(event: Event, ticket_type: TicketType) -> int:
    """What a buyer can still get of a ticket type: its own places, never more than the event has left."""
    left = max(0, ticket_type.quantity - ticket_type.sold)
    if event.capacity is not None:
        left = min(left, max(0, event.capacity - event.sold))
    return left


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
    if event.status == "published":
        return event
    if event.status != "draft":
        raise Conflict("event.cannot_publish")
    begin_write(session)
    now = utcnow()
    changed = session.exec(
        update(Event)
        .where(Event.id == event.id, Event.status == "draft")
        .values(status="published", published_at=now)
    )
    if changed.rowcount != 1:
        session.rollback()
        raise Conflict("event.cannot_publish")
    audit.record(
        session,
        action="event.publish",
        object_type="event",
        object_id=event.id,
        organization_id=organization_id,
        actor_user_id=principal.user_id,
    )
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


def get_public_event(session: Session, org_slug: str, event_slug: str) -> tuple[Organization, Event, list[TicketType]]:
    """A published (or cancelled, to say so) event as anyone may see it. Drafts do not exist publicly."""
    row = session.exec(
        select(Organization, Event)
        .join(Event, Event.organization_id == Organization.id)
        .where(
            Organization.slug == (org_slug or "").lower(),
            Event.slug == (event_slug or "").lower(),
            Event.status.in_(("published", "cancelled")),
            Organization.status == "active",
        )
    ).first()
    if row is None:
        raise NotFound()
    org, event = row
    types = [tt for tt in list_ticket_types(session, event.id) if not tt.hidden]
    return org, event, types
