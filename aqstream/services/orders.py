"""Orders after registration: cancellation by the attendee or the organizer (capacity returns at once),
and the lists an attendee sees in their account."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket, TicketType
from aqstream.services import audit, outbox
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound
from aqstream.services.events import get_event
from aqstream.services.permissions import MANAGE_EVENTS, Principal, access

CANCELLATION_EMAIL = "email.order_cancelled"


def _cancel(
    session: Session,
    order_id: int,
    ticket_ids: list[int] | None,
    *,
    by: str,
    actor_user_id: int | None,
    actor_label: str = "",
    reason: str = "",
) -> list[int]:
    """Cancel some or all valid tickets of an order in one transaction and give their places back.

    Tickets are flipped with a guarded UPDATE (status = 'valid' in the WHERE clause), and only the rows
    that flip return capacity: two cancellations racing for the same ticket return its place once."""
    begin_write(session)
    # The order row is locked first: two partial cancellations of one order at once must see each other's
    # tickets, or neither would notice that the order has none left.
    order = session.exec(select(Order).where(Order.id == order_id).with_for_update()).first()
    if order is None:
        session.rollback()
        raise NotFound()
    now = utcnow()
    query = update(Ticket).where(Ticket.order_id == order_id, Ticket.status == "valid")
    if ticket_ids is not None:
        query = query.where(Ticket.id.in_(ticket_ids))
    flipped = session.exec(
        query.values(status="cancelled", cancelled_at=now).returning(Ticket.id, Ticket.ticket_type_id, Ticket.code)
    ).all()
    if not flipped:
        session.rollback()
        raise Conflict("order.nothing_to_cancel")
    still_valid = session.exec(select(Ticket.id).where(Ticket.order_id == order_id, Ticket.status == "valid")).first()
    whole = still_valid is None
    if whole:
        session.exec(
            update(Order).where(Order.id == order_id).values(status="cancelled", cancelled_at=now, dedupe_key=None)
        )
    title = session.exec(select(Event.title).where(Event.id == order.event_id)).one()
    outbox.enqueue(
        session,
        kind=CANCELLATION_EMAIL,
        recipient=order.buyer_email,
        organization_id=order.organization_id,
        payload={
            "order_id": order.id,
            "access_token": order.access_token,
            "event_title": title,
            "cancelled_codes": [code for _, _, code in flipped],
            "whole_order": whole,
            "by": by,
            "reason": reason[:2000],
            "locale": order.locale,
        },
    )
    audit.record(
        session,
        action="order.cancel" if whole and ticket_ids is None else "ticket.cancel",
        object_type="order",
        object_id=order.id,
        organization_id=order.organization_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        data={"by": by, "tickets": [tid for tid, _, _ in flipped], "whole_order": whole},
    )
    session.flush()
    # The places go back last, so the rows every buyer needs are locked only for these statements.
    per_type = Counter(type_id for _, type_id, _ in flipped)
    for type_id, n in sorted(per_type.items()):
        session.exec(update(TicketType).where(TicketType.id == type_id).values(sold=TicketType.sold - n))
    session.exec(update(Event).where(Event.id == order.event_id).values(sold=Event.sold - len(flipped)))
    session.commit()
    return [tid for tid, _, _ in flipped]


def attendee_can_cancel(event_starts_at: datetime, order_status: str) -> bool:
    """An attendee may cancel a confirmed registration until the event starts (the organizer always may)."""
    return order_status == "confirmed" and event_starts_at > utcnow()


def _attendee_may_cancel(session: Session, order: Order) -> None:
    event = session.get(Event, order.event_id)
    if event.starts_at <= utcnow():
        raise Conflict("order.too_late_to_cancel")


def cancel_by_token(session: Session, access_token: str, ticket_id: int | None = None) -> list[int]:
    """The attendee cancels from the confirmation link: the whole order or one of its tickets."""
    order = session.exec(select(Order).where(Order.access_token == (access_token or "")[:64])).first()
    if order is None or not access_token:
        raise NotFound()
    _attendee_may_cancel(session, order)
    return _cancel(session, order.id, None if ticket_id is None else [ticket_id], by="attendee",
                   actor_user_id=order.user_id, actor_label=order.buyer_email)


def cancel_my_order(session: Session, user_id: int, order_id: int) -> list[int]:
    """A signed-in attendee cancels one of their own orders from the account."""
    order = session.exec(select(Order).where(Order.id == order_id, Order.user_id == user_id)).first()
    if order is None:
        raise NotFound()
    _attendee_may_cancel(session, order)
    return _cancel(session, order.id, None, by="attendee", actor_user_id=user_id, actor_label=order.buyer_email)


def cancel_order(session: Session, principal: Principal, organization_id: int, order_id: int, reason: str = "") -> list[int]:
    """The organizer cancels a whole order."""
    order = _organizer_order(session, principal, organization_id, order_id)
    return _cancel(session, order.id, None, by="organizer", actor_user_id=principal.user_id, reason=reason)


def cancel_ticket(session: Session, principal: Principal, organization_id: int, ticket_id: int, reason: str = "") -> list[int]:
    """The organizer cancels one ticket; the rest of its order stays."""
    ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id)).first()
    if ticket is None:
        raise NotFound()
    order = _organizer_order(session, principal, organization_id, ticket.order_id)
    return _cancel(session, order.id, [ticket.id], by="organizer", actor_user_id=principal.user_id, reason=reason)


def _organizer_order(session: Session, principal: Principal, organization_id: int, order_id: int) -> Order:
    order = session.exec(
        select(Order).where(Order.id == order_id, Order.organization_id == organization_id)
    ).first()
    if order is None:
        # Check the role first so that a stranger to the organization learns nothing either way.
        access(session, principal, organization_id, MANAGE_EVENTS)
        raise NotFound()
    get_event(session, principal, organization_id, order.event_id, MANAGE_EVENTS)
    return order


@dataclass(frozen=True)
class MyOrder:
    order_id: int
    access_token: str
    status: str
    event_title: str
    event_starts_at: datetime
    event_ends_at: datetime
    time_zone: str
    organization: str
    tickets: int
    can_cancel: bool


def my_orders(session: Session, user_id: int) -> list[MyOrder]:
    """Every order of the account (including those made as a guest with the same email), newest event first."""
    rows = session.exec(
        select(Order, Event, Organization.name)
        .join(Event, Event.id == Order.event_id)
        .join(Organization, Organization.id == Order.organization_id)
        .where(Order.user_id == user_id)
        .order_by(Event.starts_at.desc(), Order.id.desc())
        .limit(500)
    ).all()
    counts: Counter = Counter()
    if rows:
        for order_id in session.exec(
            select(Ticket.order_id).where(Ticket.order_id.in_([o.id for o, _, _ in rows]), Ticket.status == "valid")
        ).all():
            counts[order_id] += 1
    return [
        MyOrder(o.id, o.access_token, o.status, e.title, e.starts_at, e.ends_at, e.time_zone, org_name, counts[o.id],
                attendee_can_cancel(e.starts_at, o.status))
        for o, e, org_name in rows
    ]
