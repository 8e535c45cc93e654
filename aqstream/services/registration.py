"""Registration: turn a visitor's request into a confirmed order without ever overselling.

Capacity is taken by guarded writes (UPDATE ... WHERE sold + n <= limit) in the transaction that creates
the order, the confirmation email goes into the outbox in that same transaction, and an Idempotency-Key
makes a replayed request return the first answer instead of a second order (DESIGN invariants 1-3)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket, TicketType
from aqstream.services import audit, outbox
from aqstream.services.accounts import normalize_locale
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, RegistrationClosed, SoldOut
from aqstream.services.events import get_public_event
from aqstream.services.validation import Checker

# Test-only switch: with the guard off, capacity is checked by reading and then writing in application
# code, the classic lost-update bug. The concurrency tests flip it to prove they can catch an oversell.
GUARD_ENABLED = True

CONFIRMATION_EMAIL = "email.registration_confirmation"


@dataclass
class RegistrationResult:
    order: Order
    tickets: list[Ticket]
    replayed: bool = False  # True when an earlier request with the same Idempotency-Key made the order


def new_secret() -> str:
    """An unguessable, URL-safe code: 160 random bits."""
    return secrets.token_urlsafe(20)


def _registration_state(event: Event, now) -> str | None:
    """Why registration is closed right now, as a message key; None when it is open."""
    if event.status == "cancelled":
        return "registration.event_cancelled"
    if event.status != "published":
        return "registration.not_published"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "registration.not_open_yet"
    closes = event.registration_closes_at or event.ends_at
    if now >= closes:
        return "registration.closed"
    return None


def registration_closed_reason(event: Event) -> str | None:
    return _registration_state(event, utcnow())


def _replay(session: Session, event_id: int, key: str, ticket_type_id: int, email: str) -> RegistrationResult | None:
    order = session.exec(select(Order).where(Order.event_id == event_id, Order.idempotency_key == key)).first()
    if order is None:
        return None
    tickets = list(session.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).all())
    if order.buyer_email != email or any(t.ticket_type_id != ticket_type_id for t in tickets):
        raise Conflict("registration.idempotency_key_reused")
    return RegistrationResult(order, tickets, replayed=True)


def register(
    session: Session,
    *,
    org_slug: str,
    event_slug: str,
    ticket_type_id: int | str | None,
    buyer_name: str,
    buyer_email: str,
    quantity: int | str = 1,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    locale: str = "en",
) -> RegistrationResult:
    checker = Checker()
    name = checker.text("name", buyer_name, max_len=200)
    email = checker.email("email", buyer_email)
    type_id = checker.int_range("ticket_type_id", ticket_type_id, low=1, high=2**31 - 1)
    count = checker.int_range("quantity", quantity, low=1, high=100)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        checker.fail("idempotency_key", "field.too_long")
    checker.raise_if_any()

    org, event, _visible = get_public_event(session, org_slug, event_slug)
    ticket_type = session.exec(
        select(TicketType).where(TicketType.id == type_id, TicketType.event_id == event.id)
    ).first()
    if ticket_type is None:
        raise NotFound("registration.ticket_type_unknown", field="ticket_type_id")
    if key is not None:
        earlier = _replay(session, event.id, key, ticket_type.id, email)
        if earlier is not None:
            return earlier
    now = utcnow()
    closed = _registration_state(event, now)
    if closed:
        raise RegistrationClosed(closed)
    if ticket_type.sales_start_at and now < ticket_type.sales_start_at:
        raise RegistrationClosed("registration.sales_not_started", field="ticket_type_id")
    if ticket_type.sales_end_at and now >= ticket_type.sales_end_at:
        raise RegistrationClosed("registration.sales_ended", field="ticket_type_id")
    if count < ticket_type.min_per_order or count > ticket_type.max_per_order:
        raise_quantity = Checker()
        raise_quantity.fail("quantity", "registration.quantity_out_of_range")
        raise_quantity.raise_if_any()

    ids = {"org": org.id, "event": event.id, "type": ticket_type.id}
    snapshot = {
        "event_title": event.title,
        "type_name": ticket_type.name,
        "price": ticket_type.price_minor,
        "currency": ticket_type.currency,
        "type_sold": ticket_type.sold,
        "event_sold": event.sold,
        "type_quantity": ticket_type.quantity,
        "capacity": event.capacity,
    }
    begin_write(session)
    if not _take_capacity(session, ids["event"], ids["type"], count, snapshot):
        session.rollback()
        raise SoldOut(field="ticket_type_id")

    order = Order(
        organization_id=ids["org"],
        event_id=ids["event"],
        user_id=user_id,
        buyer_name=name,
        buyer_email=email,
        status="confirmed",
        total_minor=snapshot["price"] * count,
        currency=snapshot["currency"],
        locale=normalize_locale(locale),
        access_token=new_secret(),
        idempotency_key=key,
        created_at=now,
    )
    session.add(order)
    try:
        session.flush()
    except IntegrityError:
        # Another request with the same Idempotency-Key won the race; its order is the answer.
        session.rollback()
        earlier = _replay(session, ids["event"], key, ids["type"], email) if key else None
        if earlier is None:
            raise
        return earlier
    tickets = [
        Ticket(
            order_id=order.id,
            event_id=ids["event"],
            ticket_type_id=ids["type"],
            attendee_name=name,
            attendee_email=email,
            code=new_secret(),
            status="valid",
            created_at=now,
        )
        for _ in range(count)
    ]
    session.add_all(tickets)
    outbox.enqueue(
        session,
        kind=CONFIRMATION_EMAIL,
        recipient=email,
        organization_id=ids["org"],
        payload={
            "order_id": order.id,
            "access_token": order.access_token,
            "event_title": snapshot["event_title"],
            "ticket_type": snapshot["type_name"],
            "ticket_codes": [t.code for t in tickets],
            "locale": order.locale,
        },
    )
    audit.record(
        session,
        action="order.create",
        object_type="order",
        object_id=order.id,
        organization_id=ids["org"],
        actor_user_id=user_id,
        actor_label=email,
        data={"event_id": ids["event"], "ticket_type_id": ids["type"], "quantity": count},
    )
    session.commit()
    return RegistrationResult(order, tickets)


def _take_capacity(session: Session, event_id: int, type_id: int, count: int, snapshot: dict) -> bool:
    """Take `count` places from the ticket type and the event, or none. Ticket type first, then the
    event: every transaction locks rows in that order, so two buyers cannot deadlock."""
    if not GUARD_ENABLED:
        # The bug the guard prevents: a check on values read earlier, then an unconditional write.
        if snapshot["type_sold"] + count > snapshot["type_quantity"]:
            return False
        if snapshot["capacity"] is not None and snapshot["event_sold"] + count > snapshot["capacity"]:
            return False
        session.exec(update(TicketType).where(TicketType.id == type_id).values(sold=snapshot["type_sold"] + count))
        session.exec(update(Event).where(Event.id == event_id).values(sold=snapshot["event_sold"] + count))
        return True
    took_type = session.exec(
        update(TicketType)
        .where(TicketType.id == type_id, TicketType.sold + count <= TicketType.quantity)
        .values(sold=TicketType.sold + count)
    )
    if took_type.rowcount != 1:
        return False
    took_event = session.exec(
        update(Event)
        .where(Event.id == event_id, (Event.capacity.is_(None)) | (Event.sold + count <= Event.capacity))
        .values(sold=Event.sold + count)
    )
    return took_event.rowcount == 1


@dataclass(frozen=True)
class OrderView:
    order: Order
    event: Event
    organization: Organization
    tickets: list[tuple[Ticket, str]]  # ticket and its type's name


def get_order_by_token(session: Session, access_token: str) -> OrderView:
    """The order behind a confirmation link. The token is the secret; nothing else is asked."""
    if not access_token or len(access_token) > 64:
        raise NotFound()
    row = session.exec(
        select(Order, Event, Organization)
        .join(Event, Event.id == Order.event_id)
        .join(Organization, Organization.id == Order.organization_id)
        .where(Order.access_token == access_token)
    ).first()
    if row is None:
        raise NotFound()
    order, event, org = row
    tickets = session.exec(
        select(Ticket, TicketType.name)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.order_id == order.id)
        .order_by(Ticket.id)
    ).all()
    return OrderView(order, event, org, [(t, n) for t, n in tickets])
