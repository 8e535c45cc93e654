"""Orders after registration: cancellation by the attendee or the organizer (capacity returns at once),
and the lists an attendee sees in their account."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Organization, Ticket
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, DomainError, Forbidden, NotFound
from aqstream.services.events.events import get_event
from aqstream.services.lifecycle import HOLDING_TICKET, OrderStatus, TicketStatus, move
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal, access
from aqstream.services.paging import Paged, page_count
from aqstream.services.sales import inventory
from aqstream.services.validation import Checker

CANCELLATION_EMAIL = email_kinds.ORDER_CANCELLED


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
    """Cancel some or all tickets of an order in one transaction and give their places back."""
    begin_write(session)
    try:
        flipped = cancel_in_transaction(session, order_id, ticket_ids, by=by, actor_user_id=actor_user_id,
                                        actor_label=actor_label, reason=reason)
        if not flipped:
            raise Conflict("order.nothing_to_cancel")
        return_places(session, flipped)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return [f.ticket_id for f in flipped]


@dataclass(frozen=True)
class Flipped:
    """A ticket a cancellation flipped to cancelled: its place is still to be given back."""

    ticket_id: int
    ticket_type_id: int
    event_id: int


def cancel_in_transaction(
    session: Session,
    order_id: int,
    ticket_ids: list[int] | None,
    *,
    by: str,
    actor_user_id: int | None,
    actor_label: str = "",
    reason: str = "",
    notify: bool = True,
) -> list[Flipped]:
    """Flip some or all tickets of an order that hold a place (valid, or held by a pending order) to cancelled
    inside the caller's write transaction, recording `order.cancelled` (the whole order) or `ticket.cancelled`
    (its handlers write the audit entry and, if `notify`, the email); the caller then gives the places back
    with `return_places`.

    Tickets are flipped with a guarded UPDATE (lifecycle.move), and only the rows that flip return capacity:
    two cancellations racing for the same ticket return its place once."""
    # The order row is locked first: two partial cancellations of one order at once must see each other's
    # tickets, or neither would notice that the order has none left.
    order = session.exec(select(Order).where(Order.id == order_id).with_for_update()).first()
    if order is None:
        raise NotFound()
    now = utcnow()
    which = [Ticket.order_id == order_id] + ([Ticket.id.in_(ticket_ids)] if ticket_ids is not None else [])
    flipped = move(session, Ticket, *which, to=TicketStatus.CANCELLED, cancelled_at=now,
                   returning=(Ticket.id, Ticket.ticket_type_id, Ticket.code)).all()
    if not flipped:
        return []
    still_holding = session.exec(select(Ticket.id).where(Ticket.order_id == order_id,
                                                         Ticket.status.in_(HOLDING_TICKET))).first()
    whole = still_holding is None
    if whole:
        move(session, Order, Order.id == order_id, to=OrderStatus.CANCELLED, cancelled_at=now, dedupe_key=None)
    title = session.exec(select(Event.title).where(Event.id == order.event_id)).one()
    domain_events.record(
        session,
        "order.cancelled" if whole and ticket_ids is None else "ticket.cancelled",
        {
            "order_id": order.id,
            "event_id": order.event_id,
            "event_title": title,
            "buyer_email": order.buyer_email,
            "access_token": order.access_token,
            "locale": order.locale,
            "tickets": [tid for tid, _, _ in flipped],
            "codes": [code for _, _, code in flipped],
            "whole_order": whole,
            "by": by,
            "reason": reason[:2000],
            "notify_buyer": notify,
        },
        organization_id=order.organization_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )
    session.flush()
    return [Flipped(tid, type_id, order.event_id) for tid, type_id, _ in flipped]


def return_places(session: Session, flipped: list[Flipped]) -> None:
    """Give the places of flipped tickets back (inventory.release), as the transaction's last statements."""
    inventory.release(session, [(f.event_id, f.ticket_type_id) for f in flipped])


def attendee_can_cancel(event_starts_at: datetime, order_status: str) -> bool:
    """An attendee may cancel a confirmed registration until the event starts (the organizer always may)."""
    return order_status == OrderStatus.CONFIRMED and event_starts_at > utcnow()


def _attendee_may_cancel(session: Session, order: Order) -> None:
    """The free cancellation of an attendee's own order. An order that costs money is cancelled only as the
    event's refund policy allows (services/payments/refunds.attendee_cancel), never here around it."""
    if order.total_minor > 0:
        raise Conflict("refund.use_policy")
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
    order = session.exec(select(Order).where(Order.id == order_id, owned_by(user_id))).first()
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


def owned_by(user_id: int):
    """Which orders belong to an account: those made signed in, and guest orders with its address once the
    address was confirmed (accounts.verify_email sets their user_id). Every "my orders" rule uses this."""
    return Order.user_id == user_id


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


@dataclass(frozen=True)
class MyOrdersPage(Paged):
    rows: list[MyOrder]
    total: int
    page: int
    per_page: int


def _my_orders(session: Session, user_id: int, *conditions, order_by, offset: int = 0, limit: int = 500) -> list[MyOrder]:
    rows = session.exec(
        select(Order, Event, Organization.name)
        .join(Event, Event.id == Order.event_id)
        .join(Organization, Organization.id == Order.organization_id)
        .where(owned_by(user_id), *conditions)
        .order_by(*order_by)
        .offset(offset)
        .limit(limit)
    ).all()
    counts: Counter = Counter()
    if rows:
        for order_id in session.exec(
            select(Ticket.order_id).where(Ticket.order_id.in_([o.id for o, _, _ in rows]),
                                          Ticket.status == TicketStatus.VALID)
        ).all():
            counts[order_id] += 1
    return [
        MyOrder(o.id, o.access_token, o.status, e.title, e.starts_at, e.ends_at, e.time_zone, org_name, counts[o.id],
                attendee_can_cancel(e.starts_at, o.status))
        for o, e, org_name in rows
    ]


def my_orders(session: Session, user_id: int) -> list[MyOrder]:
    """Every order of the account (including those made as a guest with the same email), newest event first."""
    return _my_orders(session, user_id, order_by=(Event.starts_at.desc(), Order.id.desc()))


MY_ORDERS_PER_PAGE = 20


def my_orders_page(session: Session, user_id: int, *, past: bool, page: int = 1,
                   per_page: int = MY_ORDERS_PER_PAGE) -> MyOrdersPage:
    """One page of the account's orders: upcoming (the event has not ended yet) soonest first, or past
    (the event has ended) newest first."""
    now = utcnow()
    per_page = min(100, max(1, int(per_page)))
    when = Event.ends_at <= now if past else Event.ends_at > now
    total = session.exec(
        select(func.count(Order.id)).select_from(Order).join(Event, Event.id == Order.event_id)
        .where(owned_by(user_id), when)
    ).one()
    last_page = page_count(total, per_page)
    page = min(max(1, int(page or 1)), last_page)
    order_by = (Event.starts_at.desc(), Order.id.desc()) if past else (Event.starts_at, Order.id)
    rows = _my_orders(session, user_id, when, order_by=order_by, offset=(page - 1) * per_page, limit=per_page)
    return MyOrdersPage(rows, total, page, per_page)


# --- attendees correcting names -------------------------------------------------------------------------


def _rename_refusal(event: Event, ticket_status: str) -> DomainError | None:
    """An attendee may correct a name on a valid ticket of theirs until the event starts, if the organizer
    allows it (the event's switch). None if allowed, else why not."""
    if not event.attendees_can_edit_names:
        return Forbidden("order.rename.not_allowed")
    if ticket_status != TicketStatus.VALID:
        return Conflict("order.rename.ticket_cancelled")
    if event.starts_at <= utcnow():
        return Conflict("order.rename.too_late")
    return None


def attendee_can_rename(event: Event, ticket_status: str) -> bool:
    """Whether the order page offers "Edit name" for a ticket."""
    return _rename_refusal(event, ticket_status) is None


def rename_ticket(
    session: Session,
    *,
    ticket_id: int,
    attendee_name: str,
    access_token: str | None = None,
    user_id: int | None = None,
) -> Ticket:
    """The attendee corrects the name on one ticket of their order, found through the order's secret link
    (`access_token`) or the signed-in account that owns it (`user_id`). Another order's ticket is NotFound."""
    checker = Checker()
    name = checker.text("attendee_name", attendee_name, max_len=200)
    checker.raise_if_any()
    query = (
        select(Ticket, Order, Event)
        .join(Order, Order.id == Ticket.order_id)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.id == ticket_id)
    )
    if access_token:
        query = query.where(Order.access_token == access_token[:64])
    elif user_id:
        query = query.where(owned_by(user_id))
    else:
        raise NotFound()
    begin_write(session)
    row = session.exec(query.with_for_update(of=Ticket)).first()
    if row is None:
        session.rollback()
        raise NotFound()
    ticket, order, event = row
    if refusal := _rename_refusal(event, ticket.status):
        session.rollback()
        raise refusal
    if name != ticket.attendee_name:
        ticket.attendee_name = name
        session.add(ticket)
        domain_events.record(session, "ticket.renamed", {"order_id": order.id, "ticket_id": ticket.id},
                             organization_id=order.organization_id, actor_user_id=user_id or order.user_id,
                             actor_label=order.buyer_email or (str(user_id) if user_id else ""))
    session.commit()
    session.refresh(ticket)
    return ticket
