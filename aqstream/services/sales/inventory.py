"""Places: taking, holding, returning and counting them, for ticket types and each event's capacity.

Every write that moves places or their limits goes through this module (registration, cancellation, expiry of
held orders, event cancellation, an organizer changing a quantity or a capacity), so the lock order is
written once, here, and every function below follows it:

    1. the orders whose places move, by id (a cancellation's or an expiry's own rows; a registration's new
       orders are invisible to everyone else until it commits);
    2. ticket types, by id;
    3. the event (events by id).

Two writers that take the same rows in the same order wait for each other instead of deadlocking. Counters
move only by guarded writes (UPDATE ... WHERE sold + n <= limit), never by a value read earlier (docs/architecture.md,
invariant 1): `sold` counts the tickets holding a place, held (a pending order) or valid."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.models import Event, Order, Ticket, TicketType
from aqstream.services.lifecycle import ACTIVE_ORDER, HOLDING_TICKET


def take(session: Session, event_id: int, per_type: Mapping[int, int], open_statuses: Iterable[str]) -> bool:
    """Take places with guarded writes, ticket types by id and then the event, or report that they do not
    all fit (or that the event is no longer in one of `open_statuses`); the caller rolls back on False.

    Run as the transaction's last statements, the rows every buyer needs stay locked only for these writes
    and the commit."""
    for type_id, n in sorted(per_type.items()):
        took = session.exec(update(TicketType)
                            .where(TicketType.id == type_id, TicketType.sold + n <= TicketType.quantity)
                            .values(sold=TicketType.sold + n))
        if took.rowcount != 1:
            return False
    total = sum(per_type.values())
    # The event row is checked again under its lock: an organizer who cancels or unpublishes the event
    # meanwhile wins, and nothing is taken.
    took = session.exec(update(Event)
                        .where(Event.id == event_id, Event.status.in_(tuple(open_statuses)),
                               (Event.capacity.is_(None)) | (Event.sold + total <= Event.capacity))
                        .values(sold=Event.sold + total))
    return took.rowcount == 1


@dataclass(frozen=True)
class Stock:
    """What is left, read under the row locks of `lock`: per ticket type, and of the event (None: no cap)."""

    left: dict[int, int]
    event_left: int | None
    event_status: str


def lock(session: Session, event_id: int, type_ids: Iterable[int]) -> Stock:
    """Lock the ticket types (by id) and then the event, and read what is left: the caller hands places out
    one by one and then writes them with `take_locked`, before its commit."""
    rows = session.exec(select(TicketType.id, TicketType.sold, TicketType.quantity)
                        .where(TicketType.id.in_(sorted(set(type_ids)))).order_by(TicketType.id)
                        .with_for_update(key_share=True)).all()
    sold, capacity, status = session.exec(select(Event.sold, Event.capacity, Event.status)
                                          .where(Event.id == event_id).with_for_update(key_share=True)).one()
    return Stock({tid: quantity - n for tid, n, quantity in rows}, None if capacity is None else capacity - sold,
                 status)


def take_locked(session: Session, event_id: int, per_type: Mapping[int, int]) -> None:
    """Write places handed out under `lock`. Still guarded: a limit is never written past, even by a bug."""
    for type_id, n in sorted(per_type.items()):
        query = update(TicketType).where(TicketType.id == type_id, TicketType.sold + n <= TicketType.quantity)
        if session.exec(query.values(sold=TicketType.sold + n)).rowcount != 1:
            raise RuntimeError(f"ticket type {type_id} changed under its lock")
    total = sum(per_type.values())
    query = update(Event).where(Event.id == event_id,
                                (Event.capacity.is_(None)) | (Event.sold + total <= Event.capacity))
    if session.exec(query.values(sold=Event.sold + total)).rowcount != 1:
        raise RuntimeError(f"event {event_id} changed under its lock")


def take_unguarded(session: Session, event_id: int, per_type: Mapping[int, int], type_sold: Mapping[int, int],
                   event_sold: int) -> None:
    """TEST ONLY (registration.GUARD_ENABLED = False): the lost-update bug the guards prevent, counters written
    from values read earlier. The rush tests use it to prove that their checks catch an oversell."""
    for type_id, n in sorted(per_type.items()):
        session.exec(update(TicketType).where(TicketType.id == type_id).values(sold=type_sold[type_id] + n))
    session.exec(update(Event).where(Event.id == event_id).values(sold=event_sold + sum(per_type.values())))


def release(session: Session, places: Iterable[tuple[int, int]]) -> None:
    """Give places back, one per (event id, ticket type id): ticket types by id, then events by id, as the
    transaction's last statements. The caller passes only places it has just stopped holding (the rows its
    guarded status change returned), so a place racing cancellations could both see is returned once."""
    places = list(places)
    for type_id, n in sorted(Counter(type_id for _, type_id in places).items()):
        session.exec(update(TicketType).where(TicketType.id == type_id).values(sold=TicketType.sold - n))
    for event_id, n in sorted(Counter(event_id for event_id, _ in places).items()):
        session.exec(update(Event).where(Event.id == event_id).values(sold=Event.sold - n))


def lock_event(session: Session, event_id: int) -> None:
    """Lock all of an event's places before its status changes in a way that moves them (cancellation): its
    active orders by id, its ticket types by id, then the event. A registration or a cancellation racing
    it waits for it, and it for them, in the same order."""
    session.exec(select(Order.id).where(Order.event_id == event_id, Order.status.in_(ACTIVE_ORDER))
                 .order_by(Order.id).with_for_update()).all()
    session.exec(select(TicketType.id).where(TicketType.event_id == event_id).order_by(TicketType.id)
                 .with_for_update()).all()
    session.exec(select(Event.id).where(Event.id == event_id).with_for_update()).all()


def resize_ticket_type(session: Session, event_id: int, ticket_type_id: int, quantity: int, **values: Any) -> bool:
    """Set a ticket type's quantity (and other fields) unless fewer places than are taken would remain.
    Guarded like a sale: a registration cannot slip between a check and the write. False: not done."""
    changed = session.exec(
        update(TicketType)
        .where(TicketType.id == ticket_type_id, TicketType.event_id == event_id, TicketType.sold <= quantity)
        .values(quantity=quantity, **values)
    )
    return changed.rowcount == 1


def resize_event(session: Session, event_id: int, capacity: int | None, *where: Any, **values: Any) -> bool:
    """Set an event's capacity (None: only the ticket types limit) with other fields, where `where` holds,
    unless fewer places than are taken would remain. False: not done."""
    query = update(Event).where(Event.id == event_id, *where)
    if capacity is not None:
        query = query.where(Event.sold <= capacity)
    return session.exec(query.values(capacity=capacity, **values)).rowcount == 1


def places_left(event: Event, ticket_type: TicketType) -> int:
    """What a buyer can still get of a ticket type: its own places, never more than the event has left."""
    left = max(0, ticket_type.quantity - ticket_type.sold)
    if event.capacity is not None:
        left = min(left, max(0, event.capacity - event.sold))
    return left


def holders(session: Session, event_id: int) -> Counter:
    """Tickets holding a place (held or valid) per ticket type, counted from the tickets themselves: what
    the counters must always equal."""
    rows = session.exec(select(Ticket.ticket_type_id, func.count(Ticket.id))
                        .where(Ticket.event_id == event_id, Ticket.status.in_(HOLDING_TICKET))
                        .group_by(Ticket.ticket_type_id)).all()
    return Counter({type_id: n for type_id, n in rows})
