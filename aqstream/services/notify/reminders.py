"""Reminder emails before an event: each person holding a ticket gets one, `Event.reminder_hours` before the
start (24 by default, 0 for none).

The scheduler runs `enqueue_due` as its "reminders" job (services/jobs.py), every AQSTREAM_SCHEDULE_SECONDS
and once across all workers. For each published event whose reminder time has come, it takes every confirmed
order placed before that time and not yet reminded, chooses who gets which email (the buyer gets all of the
order's tickets and the manage link; an attendee with their own address gets their tickets), stamps the orders
and records `reminder.queued`, whose handler writes one outbox email per address, all in one transaction. The
stamp makes the reminder happen once even if two rounds overlap (a worker whose job outlived its lease, or a
direct call): on PostgreSQL they take a per-event advisory lock and skip an event another one is working on; on
SQLite the write lock serializes them.

Moving an event's start (or its reminder hours) clears the stamps of orders whose reminder time is now in the
future, so people are reminded of the new time. Orders placed after the reminder time get no reminder: their
confirmation has just told them everything."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket
from aqstream.services.clock import utcnow
from aqstream.services.events.events import MAX_REMINDER_HOURS
from aqstream.services.lifecycle import EventStatus, OrderStatus, TicketStatus
from aqstream.services.notify import domain_events, email_kinds

REMINDER_EMAIL = email_kinds.EVENT_REMINDER
_LOCK_SPACE = zlib.crc32(b"aqstream.reminders")  # advisory-lock key space: (this, event id)


def reminder_time(event: Event) -> datetime | None:
    """When the event's reminder goes out, or None when it has none."""
    if not event.reminder_hours:
        return None
    return event.starts_at - timedelta(hours=event.reminder_hours)


def due_events(session: Session, now: datetime) -> list[Event]:
    """Published events of active organizations whose reminder time has come and which have not started."""
    rows = session.exec(
        select(Event).join(Organization, Organization.id == Event.organization_id)
        .where(Event.status == EventStatus.PUBLISHED, Event.reminder_hours > 0, Event.starts_at > now,
               Event.starts_at <= now + timedelta(hours=MAX_REMINDER_HOURS), Organization.status == "active")
        .order_by(Event.starts_at)
    ).all()
    return [event for event in rows if reminder_time(event) <= now]


@dataclass
class _Person:
    name: str
    locale: str
    order_id: int | None = None  # the order whose manage link they get (they bought it)
    codes: list[str] = field(default_factory=list)


def _lock_event(session: Session, event_id: int) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # BEGIN IMMEDIATE already made this transaction the only writer
    return bool(session.exec(text("SELECT pg_try_advisory_xact_lock(:space, :event)")
                             .bindparams(space=_LOCK_SPACE - 2**31, event=event_id)).scalar())


def _remind_event(session: Session, event: Event, now: datetime) -> int:
    """One event's due reminders in one transaction. Returns how many emails were queued."""
    begin_write(session)
    if not _lock_event(session, event.id):
        session.rollback()
        return 0
    # Read again under the lock: the event may have moved or been cancelled since it was listed.
    current = session.get(Event, event.id, populate_existing=True)
    due_at = reminder_time(current) if current is not None else None
    if current is None or current.status != EventStatus.PUBLISHED or due_at is None or not (due_at <= now < current.starts_at):
        session.rollback()
        return 0
    orders = session.exec(
        select(Order).where(Order.event_id == current.id, Order.status == OrderStatus.CONFIRMED,
                            Order.reminder_sent_at.is_(None), Order.created_at < due_at).order_by(Order.id)
    ).all()
    if not orders:
        session.rollback()
        return 0
    order_ids = [order.id for order in orders]
    tickets = session.exec(select(Ticket).where(Ticket.order_id.in_(order_ids), Ticket.status == TicketStatus.VALID)
                           .order_by(Ticket.id)).all()
    # Addresses already reminded for this event (an order that raced the last run, or a second order of
    # the same person) are not reminded again.
    reminded = {(email or "").lower() for email in session.exec(
        select(Order.buyer_email).where(Order.event_id == current.id, Order.reminder_sent_at.is_not(None))).all()}
    reminded |= {(email or "").lower() for email in session.exec(
        select(Ticket.attendee_email).join(Order, Order.id == Ticket.order_id)
        .where(Order.event_id == current.id, Order.reminder_sent_at.is_not(None))).all()}
    by_order: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_order.setdefault(ticket.order_id, []).append(ticket)
    people: dict[str, _Person] = {}
    for order in orders:
        held = by_order.get(order.id, [])
        if not held:
            continue
        locale = order.locale or current.locale or ""
        buyer = order.buyer_email.lower()
        if buyer:
            person = people.setdefault(buyer, _Person(order.buyer_name, locale))
            person.order_id = person.order_id or order.id
            person.codes += [t.code for t in held]
        for ticket in held:
            own = (ticket.attendee_email or "").lower()
            if own and own != buyer:
                person = people.setdefault(own, _Person(ticket.attendee_name, locale))
                person.codes.append(ticket.code)
    recipients = [{"email": address, "name": person.name, "locale": person.locale, "order_id": person.order_id,
                   "codes": list(dict.fromkeys(person.codes))}
                  for address, person in people.items() if address not in reminded]
    session.exec(update(Order).where(Order.id.in_(order_ids)).values(reminder_sent_at=now))
    # Its handler (services/notify/notifications.py) writes one email per recipient.
    domain_events.record(session, "reminder.queued", {
        "event_id": current.id, "event_title": current.title, "starts_at": current.starts_at.isoformat(),
        "order_ids": order_ids, "recipients": recipients,
    }, organization_id=current.organization_id)
    session.commit()
    return len(recipients)


def enqueue_due(session: Session, now: datetime | None = None) -> int:
    """Queue every reminder whose time has come. Safe to call from any number of processes at once."""
    now = now or utcnow()
    events = due_events(session, now)
    session.rollback()
    return sum(_remind_event(session, event, now) for event in events)


def reschedule(session: Session, event_id: int, starts_at: datetime, reminder_hours: int) -> int:
    """After the start or the reminder hours changed (inside the caller's transaction): orders whose new
    reminder time is still ahead will be reminded again."""
    if not reminder_hours or starts_at - timedelta(hours=reminder_hours) <= utcnow():
        return 0
    return session.exec(update(Order).where(Order.event_id == event_id, Order.reminder_sent_at.is_not(None))
                        .values(reminder_sent_at=None)).rowcount

