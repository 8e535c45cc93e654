"""Pending orders: an order that holds its places until `expires_at` while something is outstanding (a
payment, later a waiting-list offer). It is confirmed in time (`confirm_pending`) or expired by the job
(`expire_due`), which gives back exactly the places it held. `registration.register(..., hold_for=...)`
makes one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import IllegalTransition, NotFound
from aqstream.services.lifecycle import OrderStatus, TicketStatus, check, move
from aqstream.services.notify import domain_events
from aqstream.services.sales import inventory, registration


def confirm_pending(session: Session, order_id: int) -> Order:
    """Confirm a pending order before its hold expires: its held tickets become valid, keeping their places
    (nothing moves in the inventory), and the confirmation email goes out. Confirming a confirmed order
    again changes nothing (a payment provider may report twice). A cancelled or expired order, or a pending
    one whose time has passed, is refused with IllegalTransition."""
    begin_write(session)
    now = utcnow()
    try:
        confirmed = move(session, Order, Order.id == order_id, Order.expires_at > now, to=OrderStatus.CONFIRMED,
                         only_from=(OrderStatus.PENDING,)).rowcount
        order = session.exec(select(Order).where(Order.id == order_id)).first()
        if order is None:
            raise NotFound()
        if not confirmed:
            if order.status == OrderStatus.CONFIRMED:
                session.rollback()
                return order
            if order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED):  # its time ran out (expired or not yet)
                raise IllegalTransition("order.hold_expired", kind="OrderStatus", current=order.status,
                                        to=OrderStatus.CONFIRMED)
            check(order.status, OrderStatus.CONFIRMED)
        _confirm_tickets(session, order)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    session.refresh(order)
    return order


def confirm_in_transaction(session: Session, order: Order, now: datetime) -> None:
    """Confirm a pending order inside the caller's write transaction, whatever its expiry says: the caller holds
    the order's row lock and knows its places are still held (a payment that arrived; services/payments)."""
    if not move(session, Order, Order.id == order.id, to=OrderStatus.CONFIRMED, only_from=(OrderStatus.PENDING,)).rowcount:
        raise IllegalTransition("order.hold_expired", kind="OrderStatus", current=order.status, to=OrderStatus.CONFIRMED)
    set_committed_value(order, "status", OrderStatus.CONFIRMED)  # as just written: no second read, no second write
    _confirm_tickets(session, order)


def _confirm_tickets(session: Session, order: Order) -> None:
    move(session, Ticket, Ticket.order_id == order.id, to=TicketStatus.VALID, only_from=(TicketStatus.HELD,))
    record_confirmed(session, order)


def record_confirmed(session: Session, order: Order, revived: bool = False) -> None:
    """`order.confirmed` for an order whose tickets have just become valid: its handler
    (services/notify/notifications.py) queues the confirmation, the notices and the audit entry."""
    event = session.get(Event, order.event_id)
    rows = session.exec(select(Ticket, TicketType.name).join(TicketType, TicketType.id == Ticket.ticket_type_id)
                        .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID)
                        .order_by(Ticket.id)).all()
    payload = registration.confirmed_payload(order, event, [t for t, _ in rows],
                                             {t.ticket_type_id: name for t, name in rows},
                                             confirm=bool(order.buyer_email))
    domain_events.record(session, "order.confirmed", {**payload, "held": True, "revived": revived},
                         organization_id=order.organization_id, actor_user_id=order.user_id,
                         actor_label=order.buyer_email)


# Test-only switch: with the guard off, expiry locks nothing and gives back the places of the held tickets it
# read, not of those its guarded write flipped; two expiry runs at once return a place twice. The rush tests
# flip it to prove that their checks catch it.
EXPIRY_GUARD_ENABLED = True
EXPIRY_BATCH = 200


def expire_due(session: Session, now: datetime | None = None, batch: int = EXPIRY_BATCH) -> int:
    """Expire every pending order whose `expires_at` has come, giving back exactly the places its tickets held;
    returns how many orders expired. The scheduler runs it as the `pending-order-expiry` job (services/jobs.py).

    Orders go in batches of `batch`, each in one transaction: the due orders are locked FOR UPDATE SKIP
    LOCKED (PostgreSQL; SQLite's write lock does the same), so any number of processes may run it at once,
    each order expiring once, and an order being confirmed or cancelled meanwhile is either done first (and
    not expired) or waits and then finds it expired."""
    total = 0
    while True:
        done = _expire_batch(session, now or utcnow(), batch)
        total += done
        if done < batch:
            return total


def _expire_batch(session: Session, now: datetime, batch: int) -> int:
    begin_write(session)
    try:
        due = (select(Order.id).where(Order.status == OrderStatus.PENDING, Order.expires_at <= now)
               .order_by(Order.expires_at, Order.id).limit(batch))
        if EXPIRY_GUARD_ENABLED:
            due = due.with_for_update(skip_locked=True)  # inventory's order: these orders first
        order_ids = list(session.exec(due).all())
        if not order_ids:
            session.rollback()
            return 0
        if not EXPIRY_GUARD_ENABLED:
            read = session.exec(select(Ticket.event_id, Ticket.ticket_type_id)
                                .where(Ticket.order_id.in_(order_ids), Ticket.status == TicketStatus.HELD)).all()
        expired = move(session, Order, Order.id.in_(order_ids), to=OrderStatus.EXPIRED, dedupe_key=None,
                       returning=(Order.id, Order.organization_id, Order.event_id)).all()
        flipped = move(session, Ticket, Ticket.order_id.in_([row[0] for row in expired]), to=TicketStatus.CANCELLED,
                       only_from=(TicketStatus.HELD,), cancelled_at=now,
                       returning=(Ticket.order_id, Ticket.event_id, Ticket.ticket_type_id)).all()
        if expired:
            per_order: dict[int, int] = {}
            for order_id, _, _ in flipped:
                per_order[order_id] = per_order.get(order_id, 0) + 1
            # Their handler (services/notify/notifications.py) writes the audit entries, in one statement.
            domain_events.record_many(
                session, "order.expired",
                [{"order_id": order_id, "event_id": event_id, "tickets": per_order.get(order_id, 0)}
                 for order_id, _, event_id in expired],
                organization_id=[org_id for _, org_id, _ in expired])
        places = [(event_id, type_id) for _, event_id, type_id in flipped]
        inventory.release(session, places if EXPIRY_GUARD_ENABLED else read)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return len(order_ids)
