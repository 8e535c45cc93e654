"""The lifecycles: each status enum with its allowed transitions, and illegal ones refused with a typed error."""
import re
from pathlib import Path

import pytest

from aqstream.api.errors import STATUS
from aqstream.services import lifecycle
from aqstream.services.errors import Conflict, DomainError, IllegalTransition
from aqstream.services.lifecycle import EventStatus, OrderStatus, PaymentStatus, RefundStatus, TicketStatus

SERVICES = Path(__file__).resolve().parents[2] / "aqstream" / "services"


@pytest.mark.parametrize("current, to", [
    ("cancelled", OrderStatus.CONFIRMED),
    ("expired", OrderStatus.CANCELLED),
    ("confirmed", OrderStatus.PENDING),
    ("confirmed", OrderStatus.EXPIRED),  # only a pending order expires
    ("succeeded", PaymentStatus.FAILED),  # money confirmed stays confirmed; a refund is its own record
    ("done", RefundStatus.PENDING),
    ("valid", TicketStatus.HELD),
    ("archived", EventStatus.PUBLISHED),
    ("cancelled", EventStatus.PUBLISHED),
    ("cancelled", EventStatus.DRAFT),
    ("draft", EventStatus.DRAFT),
])
def test_an_illegal_transition_is_refused_with_a_typed_409(current, to):
    with pytest.raises(IllegalTransition) as err:
        lifecycle.check(current, to)
    assert isinstance(err.value, DomainError) and isinstance(err.value, Conflict)
    assert err.value.params == {"kind": type(to).__name__, "current": current, "to": str(to)}
    assert STATUS[IllegalTransition] == 409


@pytest.mark.parametrize("current, to", [
    ("pending", OrderStatus.CONFIRMED), ("pending", OrderStatus.EXPIRED), ("pending", OrderStatus.CANCELLED),
    ("confirmed", OrderStatus.CANCELLED),
    ("held", TicketStatus.VALID), ("held", TicketStatus.CANCELLED), ("valid", TicketStatus.CANCELLED),
    ("draft", EventStatus.PUBLISHED), ("published", EventStatus.DRAFT), ("published", EventStatus.CANCELLED),
    ("cancelled", EventStatus.ARCHIVED), ("draft", EventStatus.ARCHIVED),
])
def test_the_allowed_transitions_pass(current, to):
    lifecycle.check(current, to)
    assert lifecycle.allowed(current, to)


def test_sources_are_exactly_the_statuses_that_may_move_there():
    assert lifecycle.sources(OrderStatus.CONFIRMED) == (OrderStatus.PENDING, OrderStatus.EXPIRED)  # a late payment
    assert lifecycle.sources(OrderStatus.CANCELLED) == (OrderStatus.PENDING, OrderStatus.CONFIRMED)
    assert lifecycle.sources(OrderStatus.EXPIRED) == (OrderStatus.PENDING,)
    assert lifecycle.sources(TicketStatus.CANCELLED) == (TicketStatus.HELD, TicketStatus.VALID)
    assert lifecycle.sources(EventStatus.ARCHIVED) == (EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.CANCELLED)
    assert lifecycle.sources(OrderStatus.PENDING) == ()  # an order is born pending or confirmed, never goes back


def test_statuses_are_the_stored_strings_and_unknown_ones_move_nowhere():
    assert OrderStatus.CONFIRMED == "confirmed" and f"{TicketStatus.VALID}" == "valid"
    assert not lifecycle.allowed("refunded", OrderStatus.CANCELLED)
    with pytest.raises(TypeError):
        lifecycle.sources("confirmed")


def test_a_guarded_move_cannot_name_a_transition_outside_the_lifecycle(session):
    from aqstream.models import Order

    with pytest.raises(ValueError):
        lifecycle.move(session, Order, Order.id == 0, to=OrderStatus.CONFIRMED, only_from=(OrderStatus.CANCELLED,))


def test_no_service_writes_an_order_ticket_or_event_status_outside_the_lifecycle():
    """Every status write of these three goes through lifecycle.move (outbox messages have their own)."""
    offenders = []
    for path in SERVICES.rglob("*.py"):
        if path.name in ("lifecycle.py", "mail_delivery.py", "outbox.py"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"update\((Order|Ticket|Event)\)[^\n]*(\n[^\n]*){0,3}?\.values\([^)]*\bstatus=", text):
            offenders.append(f"{path.name}: {match.group(0)[:60]}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r'\bstatus="(?:pending|confirmed|cancelled|expired|'
                                                                r'valid|held|draft|published|archived)"', text)]
    assert offenders == []
