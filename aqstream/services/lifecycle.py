"""Order, ticket and event statuses and the transitions allowed between them: the one place a status changes.

Statuses are `StrEnum`s, so the stored values are the plain strings they always were. A single row's change
is checked with `check`; a guarded bulk UPDATE (the concurrency-safe way every service writes a status) is
made by `move`, whose WHERE clause holds exactly the statuses `sources(to)` names: no transition exists
outside the TRANSITIONS table below."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from aqstream.services.errors import IllegalTransition


class OrderStatus(StrEnum):
    PENDING = "pending"  # holds its places until expires_at (a payment or an offer is outstanding)
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a pending order whose time ran out; its places went back


class TicketStatus(StrEnum):
    HELD = "held"  # a place held by a pending order: not yet a ticket anyone may enter with
    VALID = "valid"
    CANCELLED = "cancelled"  # cancelled, or its pending order expired


class PaymentStatus(StrEnum):
    CREATED = "created"  # written before the provider is asked; pending once it answered
    PENDING = "pending"  # the provider has it; the buyer has not paid yet (or a transfer is awaited)
    SUCCEEDED = "succeeded"  # the provider confirmed the money (a verified notification or a fetch)
    FAILED = "failed"  # the provider refused, could not be reached, or the buyer gave up


class RefundStatus(StrEnum):
    PENDING = "pending"  # asked for; retried by the `refunds` job until the provider answers
    DONE = "done"
    FAILED = "failed"  # the provider refused it for good (or it ran out of attempts): a person must look


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


# Keyed by (kind, status): members of different kinds share values ("pending", "cancelled") and so hash alike.
_TABLE: tuple[tuple[StrEnum, frozenset[StrEnum]], ...] = (
    (OrderStatus.PENDING, frozenset({OrderStatus.CONFIRMED, OrderStatus.EXPIRED, OrderStatus.CANCELLED})),
    (OrderStatus.CONFIRMED, frozenset({OrderStatus.CANCELLED})),  # refunds are records of their own
    (OrderStatus.CANCELLED, frozenset()),
    # A payment that arrives after the hold expired, while its places are still free, confirms the order
    # (services/payments/payments.py takes the places again first); confirm_pending itself refuses expired orders.
    (OrderStatus.EXPIRED, frozenset({OrderStatus.CONFIRMED})),
    (TicketStatus.HELD, frozenset({TicketStatus.VALID, TicketStatus.CANCELLED})),
    (TicketStatus.VALID, frozenset({TicketStatus.CANCELLED})),  # check-ins are records, not a status
    # Only the tickets of an expired order revived by its late payment (see OrderStatus.EXPIRED).
    (TicketStatus.CANCELLED, frozenset({TicketStatus.VALID})),
    (PaymentStatus.CREATED, frozenset({PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED})),
    (PaymentStatus.PENDING, frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED})),
    # A payment the provider reports as failed may still succeed later (a card retried on the same page).
    (PaymentStatus.FAILED, frozenset({PaymentStatus.SUCCEEDED})),
    (PaymentStatus.SUCCEEDED, frozenset()),
    (RefundStatus.PENDING, frozenset({RefundStatus.DONE, RefundStatus.FAILED})),
    (RefundStatus.FAILED, frozenset({RefundStatus.PENDING})),  # an organizer retries it
    (RefundStatus.DONE, frozenset()),
    (EventStatus.DRAFT, frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.ARCHIVED})),
    # Back to draft stays allowed with tickets issued (they stay valid), as the organizer's pages always let it.
    (EventStatus.PUBLISHED, frozenset({EventStatus.DRAFT, EventStatus.CANCELLED, EventStatus.ARCHIVED})),
    (EventStatus.CANCELLED, frozenset({EventStatus.ARCHIVED})),
    (EventStatus.ARCHIVED, frozenset()),
)

# Orders and tickets that hold places (counted by the inventory's counters); open events take registrations.
ACTIVE_ORDER = (OrderStatus.PENDING, OrderStatus.CONFIRMED)
HOLDING_TICKET = (TicketStatus.HELD, TicketStatus.VALID)
PUBLIC_EVENT = (EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.ARCHIVED)  # archived: readable for those who went
EDITABLE_EVENT = (EventStatus.DRAFT, EventStatus.PUBLISHED)

_ENUMS = (OrderStatus, TicketStatus, EventStatus, PaymentStatus, RefundStatus)
TRANSITIONS: dict[tuple[type, StrEnum], frozenset[StrEnum]] = {(type(s), s): to for s, to in _TABLE}


def _kind(to: StrEnum) -> type[StrEnum]:
    if not isinstance(to, _ENUMS):
        raise TypeError(f"not a lifecycle status: {to!r}")
    return type(to)


def allowed(current: str, to: StrEnum) -> bool:
    """Whether a row in status `current` (a stored string or a member) may move to `to`."""
    kind = _kind(to)
    try:
        return to in TRANSITIONS[(kind, kind(current))]
    except ValueError:
        return False


def sources(to: StrEnum) -> tuple[StrEnum, ...]:
    """Every status that may move to `to`, in declaration order (for a guarded UPDATE's WHERE clause)."""
    kind = _kind(to)
    return tuple(s for s in kind if to in TRANSITIONS[(kind, s)])


def check(current: str, to: StrEnum, message_key: str | None = None) -> None:
    """Refuse an illegal transition with IllegalTransition (a 409), naming both ends."""
    if not allowed(current, to):
        raise IllegalTransition(message_key, kind=_kind(to).__name__, current=str(current), to=str(to))


def move(session: Session, model: Any, *where: Any, to: StrEnum, only_from: tuple[StrEnum, ...] | None = None,
         returning: tuple = (), **values: Any):
    """Move the rows of `model` matching `where` to `to` with one guarded UPDATE: only rows in a status that
    may move to `to` (or, narrower, in `only_from`) change, so racing writers each see one consistent status
    and a row never moves twice. Returns the result: its rowcount, or the RETURNING rows when asked."""
    starts = sources(to)
    if only_from is not None:
        wrong = [s for s in only_from if s not in starts]
        if wrong:
            raise ValueError(f"{wrong} -> {to} is not a transition of the lifecycle")
        starts = only_from
    query = update(model).where(*where, model.status.in_(starts)).values(status=to, **values)
    if returning:
        query = query.returning(*returning)
    return session.exec(query)
