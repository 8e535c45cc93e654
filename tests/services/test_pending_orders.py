"""Pending orders hold their places until they expire: the expiry job gives back exactly those places, a
confirmation in time keeps them, and what the lifecycle forbids is refused with IllegalTransition."""
from datetime import timedelta

import pytest
from sqlmodel import select

from aqstream.models import AuditEntry, Event, Order, OutboxMessage, Ticket, TicketType
from aqstream.services.clock import travel, utcnow
from aqstream.services.errors import Conflict, IllegalTransition, SoldOut
from aqstream.services.events import event_lifecycle
from aqstream.services.lifecycle import OrderStatus, TicketStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import inventory, orders, pending_orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique

HOLD = timedelta(minutes=15)


def reg(session, org, event, tickets, hold_for=HOLD, **kw):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email=kw.pop("buyer_email", f"{unique('p')}@example.com"), tickets=tickets,
                                 hold_for=hold_for, **kw)


def counters(session, event, types):
    session.rollback()  # read what is committed now
    return ([session.get(TicketType, tt.id, populate_existing=True).sold for tt in types],
            session.get(Event, event.id, populate_existing=True).sold)


def assert_counters_match_tickets(session, event, types):
    """The invariant: every counter equals the number of tickets holding a place (valid or held)."""
    per_type, total = counters(session, event, types)
    holding = inventory.holders(session, event.id)
    assert per_type == [holding[tt.id] for tt in types]
    assert total == sum(holding.values())
    return per_type, total


def expire(session, event, **kw):
    """Run the expiry job (over the whole database, as the scheduler would); how many of this event's orders
    it expired."""
    session.rollback()
    before = set(session.exec(select(Order.id).where(Order.event_id == event.id, Order.status == "expired")).all())
    pending_orders.expire_due(session, **kw)
    session.rollback()
    after = set(session.exec(select(Order.id).where(Order.event_id == event.id, Order.status == "expired")).all())
    return len(after - before)


def statuses(session, order_id):
    session.rollback()
    order = session.get(Order, order_id, populate_existing=True)
    tickets = session.exec(select(Ticket.status).where(Ticket.order_id == order_id).order_by(Ticket.id)).all()
    return order.status, list(tickets)


def mails_for(session, order_id):
    return [m.kind for m in session.exec(select(OutboxMessage)).all() if m.payload.get("order_id") == order_id]


def test_a_pending_order_holds_its_places_and_tells_nobody_yet(make, session):
    owner, org = make.org()
    event, (ga, vip) = make.event(owner, org, quantities=(3, 2), capacity=4)
    before = utcnow()
    result = reg(session, org, event, [TR(ga.id), TR(ga.id), TR(vip.id)])
    assert result.order.status == OrderStatus.PENDING
    assert before + HOLD <= result.order.expires_at <= utcnow() + HOLD
    assert statuses(session, result.order.id) == ("pending", ["held", "held", "held"])
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([2, 1], 3)
    assert mails_for(session, result.order.id) == []
    # The held places are taken: only one is left in the room.
    with pytest.raises(SoldOut):
        reg(session, org, event, [TR(ga.id), TR(vip.id)], hold_for=None)
    reg(session, org, event, [TR(vip.id)], hold_for=None)
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([2, 2], 4)


def test_expiry_returns_exactly_the_places_of_due_orders(make, session):
    owner, org = make.org()
    event, (ga, vip) = make.event(owner, org, quantities=(10, 5), capacity=12)
    short = reg(session, org, event, [TR(ga.id), TR(vip.id)])
    short2 = reg(session, org, event, [TR(ga.id), TR(ga.id), TR(ga.id)])
    long_ = reg(session, org, event, [TR(vip.id), TR(vip.id)], hold_for=timedelta(hours=2))
    confirmed = reg(session, org, event, [TR(ga.id)], hold_for=None)
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([5, 3], 8)

    assert expire(session, event) == 0  # nothing is due yet
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([5, 3], 8)

    with travel(HOLD + timedelta(seconds=1)):
        assert expire(session, event) == 2
        assert expire(session, event) == 0  # a second run finds nothing more: no place returned twice
    assert statuses(session, short.order.id) == ("expired", ["cancelled", "cancelled"])
    assert statuses(session, short2.order.id) == ("expired", ["cancelled"] * 3)
    assert statuses(session, long_.order.id) == ("pending", ["held", "held"])
    assert statuses(session, confirmed.order.id) == ("confirmed", ["valid"])
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([1, 2], 3)
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "order.expire")).all()
    assert sorted((e.object_id, e.data["tickets"]) for e in entries if e.data["event_id"] == event.id) == sorted(
        [(short.order.id, 2), (short2.order.id, 3)])

    with travel(timedelta(hours=3)):
        assert expire(session, event) == 1
    assert statuses(session, long_.order.id) == ("expired", ["cancelled", "cancelled"])
    assert assert_counters_match_tickets(session, event, (ga, vip)) == ([1, 0], 1)


def test_expiry_works_in_batches(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    for _ in range(7):
        reg(session, org, event, [TR(tt.id)])
    assert expire(session, event, now=utcnow() + HOLD * 2, batch=3) == 7
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)


def test_confirmed_before_expiry_keeps_its_places_and_is_told(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id), TR(tt.id)])
    order = pending_orders.confirm_pending(session, held.order.id)
    assert order.status == OrderStatus.CONFIRMED
    assert statuses(session, held.order.id) == ("confirmed", ["valid", "valid"])
    assert mails_for(session, held.order.id) == [registration.CONFIRMATION_EMAIL]
    mail = next(m for m in session.exec(select(OutboxMessage)).all() if m.payload.get("order_id") == held.order.id)
    assert sorted(t["code"] for t in mail.payload["tickets"]) == sorted(t.code for t in held.tickets)
    # Confirming twice (a provider reporting twice) changes nothing and sends nothing more.
    assert pending_orders.confirm_pending(session, held.order.id).status == OrderStatus.CONFIRMED
    assert mails_for(session, held.order.id) == [registration.CONFIRMATION_EMAIL]
    with travel(HOLD * 2):
        assert expire(session, event) == 0
    assert statuses(session, held.order.id) == ("confirmed", ["valid", "valid"])
    assert assert_counters_match_tickets(session, event, (tt,)) == ([2], 2)


def test_an_expired_order_cannot_be_confirmed(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id)])
    with travel(HOLD + timedelta(seconds=1)):
        # Past its time but not yet swept: refused all the same, and the places stay held until the job runs.
        with pytest.raises(IllegalTransition) as err:
            pending_orders.confirm_pending(session, held.order.id)
        assert err.value.message_key == "order.hold_expired"
        assert assert_counters_match_tickets(session, event, (tt,)) == ([1], 1)
        expire(session, event)
    with pytest.raises(IllegalTransition) as err:
        pending_orders.confirm_pending(session, held.order.id)
    assert err.value.params == {"kind": "OrderStatus", "current": "expired", "to": "confirmed"}
    assert statuses(session, held.order.id) == ("expired", ["cancelled"])
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)


def test_a_cancelled_pending_order_returns_its_places_once_and_cannot_be_confirmed(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id), TR(tt.id)])
    orders.cancel_order(session, Principal(owner.id), org.id, held.order.id)
    assert statuses(session, held.order.id) == ("cancelled", ["cancelled", "cancelled"])
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)
    with pytest.raises(IllegalTransition):
        pending_orders.confirm_pending(session, held.order.id)
    with travel(HOLD * 2):
        assert expire(session, event) == 0  # cancelled is not pending: nothing returned again
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)
    with pytest.raises(Conflict):
        orders.cancel_order(session, Principal(owner.id), org.id, held.order.id)


def test_a_partly_cancelled_pending_order_expires_with_the_rest(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id), TR(tt.id), TR(tt.id)])
    orders.cancel_by_token(session, held.order.access_token, held.tickets[0].id)
    assert assert_counters_match_tickets(session, event, (tt,)) == ([2], 2)
    with travel(HOLD * 2):
        assert expire(session, event) == 1
    assert statuses(session, held.order.id) == ("expired", ["cancelled"] * 3)
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)


def test_cancelling_the_event_cancels_pending_orders_and_their_holds(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id), TR(tt.id)])
    confirmed = reg(session, org, event, [TR(tt.id)], hold_for=None)
    event_lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "Storm")
    assert statuses(session, held.order.id) == ("cancelled", ["cancelled", "cancelled"])
    assert statuses(session, confirmed.order.id) == ("cancelled", ["cancelled"])
    assert assert_counters_match_tickets(session, event, (tt,)) == ([0], 0)
    with travel(HOLD * 2):
        assert expire(session, event) == 0


def test_an_expired_order_frees_its_email_for_a_new_registration(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,), one_registration_per_email=True)
    held = reg(session, org, event, [TR(tt.id)], buyer_email="once@example.com")
    with pytest.raises(Conflict):
        reg(session, org, event, [TR(tt.id)], buyer_email="once@example.com", hold_for=None)
    with travel(HOLD * 2):
        expire(session, event)
    again = reg(session, org, event, [TR(tt.id)], buyer_email="once@example.com", hold_for=None)
    assert again.order.status == OrderStatus.CONFIRMED and again.order.id != held.order.id
    assert assert_counters_match_tickets(session, event, (tt,)) == ([1], 1)


def test_a_held_ticket_is_not_a_ticket_yet(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    held = reg(session, org, event, [TR(tt.id)])
    assert held.tickets[0].status == TicketStatus.HELD
    assert event_lifecycle.attendee_recipients(session, event.id) == []  # not told of changes before confirmed
    assert not orders.attendee_can_rename(session.get(Event, event.id), held.tickets[0].status)


def test_the_scheduler_expires_due_holds_as_a_registered_job(make, session, engine):
    """Nobody calls expire_due by hand in production: the scheduler's `pending-order-expiry` job does, in the
    app's worker thread or any `aqstream worker`."""
    from aqstream.services import scheduler

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(3,))
    held = reg(session, org, event, [TR(tt.id), TR(tt.id)])
    (job,) = [j for j in scheduler.registered() if j.name == "pending-order-expiry"]
    assert job.period() <= timedelta(minutes=1)
    from sqlalchemy import delete

    from aqstream.models import ScheduledJob

    session.exec(delete(ScheduledJob).where(ScheduledJob.name == job.name))  # whatever other tests' clocks left
    session.commit()
    now = utcnow()
    scheduler.run_due(engine, now)  # due at once; nothing of this hold is due yet
    assert statuses(session, held.order.id)[0] == OrderStatus.PENDING
    later = now + HOLD + timedelta(seconds=1)
    assert "pending-order-expiry" in scheduler.run_due(engine, later).ran
    assert statuses(session, held.order.id) == (OrderStatus.EXPIRED, [TicketStatus.CANCELLED] * 2)
    assert assert_counters_match_tickets(session, event, [tt]) == ([0], 0)
