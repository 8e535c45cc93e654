"""An event after it is created: edit, unpublish, cancel (telling every attendee), duplicate, archive,
cover image, and the organizer's preview of a draft. Every action checks the caller's role."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Question, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, IllegalTransition, NotFound, ValidationError
from aqstream.services.events import fields, media
from aqstream.services.events.events import (
    EventInput,
    _check_event,
    _unique_slug,
    get_event,
    list_ticket_types,
)
from aqstream.services.lifecycle import EDITABLE_EVENT, EventStatus, OrderStatus, TicketStatus, check, move
from aqstream.services.notify import domain_events, email_kinds, reminders
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal, access
from aqstream.services.platform import tenants
from aqstream.services.sales import inventory, orders
from aqstream.services.validation import Checker

EVENT_CHANGED_EMAIL = email_kinds.EVENT_CHANGED
EVENT_CANCELLED_EMAIL = email_kinds.EVENT_CANCELLED
EDITABLE = EDITABLE_EVENT


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str


def attendee_recipients(session: Session, event_id: int) -> list[Recipient]:
    """One address per person holding a valid ticket: the attendee's own email, else the buyer's."""
    rows = session.exec(
        select(Ticket.attendee_email, Ticket.attendee_name, Order.buyer_email, Order.locale)
        .join(Order, Order.id == Ticket.order_id)
        .where(Ticket.event_id == event_id, Ticket.status == TicketStatus.VALID)
        .order_by(Ticket.id)
    )
    seen: dict[str, Recipient] = {}
    for attendee_email, name, buyer_email, locale in rows:
        address = (attendee_email or buyer_email).lower()
        seen.setdefault(address, Recipient(address, name, locale))
    return list(seen.values())


def _recipients(session: Session, event_id: int) -> list[dict]:
    """The attendees to tell, as a domain event's payload carries them."""
    return [{"email": r.email, "name": r.name, "locale": r.locale} for r in attendee_recipients(session, event_id)]




def _has_paid_orders(session: Session, event_id: int) -> bool:
    """Whether any order of the event (whatever its status) was for money."""
    return session.exec(select(Order.id).where(Order.event_id == event_id, Order.total_minor > 0).limit(1)).first() \
        is not None


def update_event(session: Session, principal: Principal, organization_id: int, event_id: int,
                 data: EventInput, *, keep_emails: bool = False) -> Event:
    """Change an event's own fields (ticket types and questions have their own editors). Attendees of a
    published event are told when its time or place changes. With `keep_emails` the event's email settings
    stay as they are (an editor without them: `services/events/event_emails.py` changes those)."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    if event.status not in EDITABLE:
        raise Conflict("event.not_editable")
    org = session.get(Organization, organization_id)
    checker = Checker()
    clean = _check_event(checker, data, event.time_zone, org.currency)
    if clean.capacity is not None and clean.capacity < event.sold:
        checker.fail("capacity", "event.capacity_below_sold")
    if "currency" not in checker.errors and clean.currency != event.currency and _has_paid_orders(session, event.id):
        checker.fail("currency", "event.currency_locked")  # its orders' money is in the old one
    checker.raise_if_any()
    if org.max_tickets_per_event is not None:
        quantities = session.exec(select(TicketType.quantity).where(TicketType.event_id == event.id)).all()
        tenants.check_ticket_limit(org, tenants.Places(clean.capacity, list(quantities)))
    begin_write(session)
    values = dict(clean.columns)  # every declared field (services/events/fields.py), named as its column
    if keep_emails:
        values.update({k: getattr(event, k) for k in fields.EMAIL_FIELDS})
    changed = sorted(k for k, v in values.items() if getattr(event, k) != v)
    if not changed:
        session.rollback()
        return event
    status = event.status
    # The capacity is checked again by the write itself: a registration may have taken a place meanwhile.
    capacity = values.pop("capacity")
    if not inventory.resize_event(session, event.id, capacity, Event.status == status, **values):
        session.rollback()
        raise ValidationError({"capacity": "event.capacity_below_sold"})
    if "currency" in changed:  # the prices are in the event's currency
        # Asked again now that the event's row is locked by the write above: a registration takes it too.
        if _has_paid_orders(session, event.id):
            session.rollback()
            raise ValidationError({"currency": "event.currency_locked"})
        session.exec(update(TicketType).where(TicketType.event_id == event.id).values(currency=values["currency"]))
    moved = [k for k in ("starts_at", "ends_at", "venue", "online_url") if k in changed]
    if {"starts_at", "reminder_hours"} & set(changed):
        reminders.reschedule(session, event.id, clean.starts_at, values["reminder_hours"])
    session.refresh(event)
    tell = status == EventStatus.PUBLISHED and bool(moved)
    # Its handler (services/notify/notifications.py) tells the attendees when the time or place moved, and audits.
    domain_events.record(session, "event.changed", {
        "event_id": event.id, "event_title": event.title, "event_locale": event.locale, "changed": changed,
        "moved": moved if tell else [], "recipients": _recipients(session, event.id) if tell else [],
        "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(), "time_zone": event.time_zone,
        "venue": event.venue, "online_url": event.online_url,
    }, organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(event)
    return event


def _flip_status(session: Session, principal: Principal, organization_id: int, event_id: int, *, to: EventStatus,
                 name: str, error: str, data: dict | None = None) -> Event:
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    if event.status == to:
        return event
    check(event.status, to, error)
    begin_write(session)
    if to == EventStatus.CANCELLED:
        # Cancelling gives every place back: the inventory's rows are locked first, in its one order, so a
        # registration or a cancellation racing this one waits instead of deadlocking.
        inventory.lock_event(session, event.id)
    # Guarded: two organizers acting at once, or a registration's own guard, see one consistent status.
    if move(session, Event, Event.id == event.id, to=to).rowcount != 1:
        session.rollback()
        raise IllegalTransition(error)
    session.refresh(event)
    payload: dict = {"event_id": event.id}
    if to == EventStatus.CANCELLED:
        # The recipients are the holders of valid tickets, read before their tickets are cancelled with the event;
        # the handler (services/notify/notifications.py) writes one email each and the audit entry.
        payload.update(event_title=event.title, event_locale=event.locale, message=(data or {}).get("message", ""),
                       recipients=_recipients(session, event.id))
        payload["cancelled"] = _cancel_every_order(session, event)
    domain_events.record(session, name, payload, organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(event)
    return event


def _cancel_every_order(session: Session, event: Event) -> dict:
    """A cancelled event's orders and tickets are cancelled with it, in the caller's transaction: the door, the
    attendee's account and the exports look at them. No per-order email: the event's cancellation said it."""
    now = utcnow()
    flipped = move(session, Ticket, Ticket.event_id == event.id, to=TicketStatus.CANCELLED, cancelled_at=now,
                   returning=(Ticket.id, Ticket.ticket_type_id)).all()
    cancelled_orders = move(session, Order, Order.event_id == event.id, to=OrderStatus.CANCELLED, cancelled_at=now,
                            dedupe_key=None).rowcount
    orders.return_places(session, [orders.Flipped(ticket_id, type_id, event.id) for ticket_id, type_id in flipped])
    return {"orders_cancelled": cancelled_orders, "tickets_cancelled": len(flipped)} if flipped or cancelled_orders else {}


def unpublish_event(session: Session, principal: Principal, organization_id: int, event_id: int) -> Event:
    """Back to draft: the public page disappears and registration stops; tickets already issued stay."""
    return _flip_status(session, principal, organization_id, event_id, to=EventStatus.DRAFT,
                        name="event.unpublished", error="event.cannot_unpublish")


def cancel_event(session: Session, principal: Principal, organization_id: int, event_id: int, message: str) -> Event:
    """Cancel the event and put one email per attendee, with the organizer's message, into the outbox."""
    checker = Checker()
    text = checker.text("message", message, max_len=5000)
    checker.raise_if_any()
    return _flip_status(session, principal, organization_id, event_id, to=EventStatus.CANCELLED,
                        name="event.cancelled", error="event.cannot_cancel", data={"message": text})


def archive_event(session: Session, principal: Principal, organization_id: int, event_id: int) -> Event:
    """Put an event away: off the dashboard's lists, registration closed. An upcoming published event must
    be cancelled first, so nobody holding a ticket is left without a word."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    if event.status == EventStatus.PUBLISHED and event.ends_at > utcnow():
        raise Conflict("event.archive_upcoming")
    return _flip_status(session, principal, organization_id, event_id, to=EventStatus.ARCHIVED,
                        name="event.archived", error="event.cannot_archive")


def duplicate_event(session: Session, principal: Principal, organization_id: int, event_id: int,
                    title: str | None = None) -> Event:
    """A new draft with the same details, ticket types (nothing sold) and questions."""
    source = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    checker = Checker()
    title_field = fields.get("title")
    new_title = fields.check_simple(checker, title_field, title or f"{source.title} (copy)"[:title_field.max_len])
    checker.raise_if_any()
    # Copied into plain values first: starting the write transaction (on SQLite) expires what was read.
    event_values = {k: v for k, v in source.model_dump().items()
                    if k not in {"id", "slug", "title", "status", "sold", "created_at", "published_at"}}
    type_values = [{k: v for k, v in tt.model_dump().items() if k not in {"id", "event_id", "sold"}}
                   for tt in list_ticket_types(session, source.id)]
    question_values = [{k: v for k, v in q.model_dump().items() if k not in {"id", "event_id"}}
                       for q in session.exec(select(Question).where(Question.event_id == source.id, Question.active)
                                             .order_by(Question.sort_order, Question.id)).all()]
    begin_write(session)
    copy = Event(**event_values, slug=_unique_slug(session, organization_id, new_title), title=new_title,
                 status=EventStatus.DRAFT, sold=0, created_at=utcnow())
    session.add(copy)
    session.flush()
    for values in type_values:
        session.add(TicketType(**values, event_id=copy.id, sold=0))
    for values in question_values:
        session.add(Question(**values, event_id=copy.id))
    session.flush()
    # Hidden types get codes of their own: a link shared for the old event must not open the new one.
    session.exec(update(TicketType).where(TicketType.event_id == copy.id, TicketType.hidden)
                 .values(unlock_code=secrets.token_urlsafe(12)))
    domain_events.record(session, "event.duplicated", {"event_id": copy.id, "from_event_id": event_id},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(copy)
    return copy


def set_cover(session: Session, principal: Principal, organization_id: int, event_id: int,
              image: bytes | None) -> Event:
    """Set (or, with None, remove) the event's cover image. The image is checked before anything changes."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    name = media.store_image(image, "cover") if image is not None else ""
    begin_write(session)
    session.exec(update(Event).where(Event.id == event.id).values(cover_path=name))
    domain_events.record(session, "event.cover_changed", {"event_id": event.id, "removed": not name},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(event)
    return event


def preview_event(session: Session, principal: Principal, org_slug: str, event_slug: str) -> Event:
    """An event of any status for someone who may edit it: the organizer's preview of a draft."""
    org = session.exec(select(Organization).where(Organization.slug == (org_slug or "").lower())).first()
    if org is None:
        raise NotFound()
    access(session, principal, org.id, MANAGE_EVENTS)
    event = session.exec(select(Event).where(Event.organization_id == org.id,
                                             Event.slug == (event_slug or "").lower())).first()
    if event is None:
        raise NotFound()
    return event
