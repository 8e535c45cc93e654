"""A ticket rush with real concurrent clients, each on its own database connection: never oversold,
nothing lost. With the guard switched off the same checks must catch the oversell."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from aqstream.models import Event, Order, OutboxMessage, Ticket, TicketType
from aqstream.services.errors import SoldOut
from aqstream.services.sales import registration

BUYERS = 200
TICKETS = 50


def rush(engine, org, event, tt, buyers=BUYERS):
    """Every buyer waits at a barrier, then all register at once, each with its own session."""
    barrier = threading.Barrier(buyers)

    def buy(i):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as s:
            try:
                result = registration.register(s, org_slug=org.slug, event_slug=event.slug, ticket_type_id=tt.id,
                                               buyer_name=f"Buyer {i}", buyer_email=f"buyer{i}@example.com")
                return ("ok", result.order.id)
            except SoldOut:
                return ("sold_out", None)
            except Exception as exc:  # every outcome is recorded; anything else fails the test below
                return ("error", repr(exc))

    with ThreadPoolExecutor(max_workers=buyers) as pool:
        return list(pool.map(buy, range(buyers)))


def tally(session, event, tt):
    session.rollback()  # end any open read transaction: count what is committed now
    tickets = session.exec(select(Ticket).where(Ticket.event_id == event.id, Ticket.status == "valid")).all()
    orders = session.exec(select(Order).where(Order.event_id == event.id)).all()
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.payload.is_not(None))).all()
    mail_orders = {m.payload.get("order_id") for m in mails}
    return tickets, orders, mail_orders


def test_200_buyers_race_for_50_tickets_exactly_50_confirmed(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(TICKETS,))
    outcomes = rush(engine, org, event, tt)
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"ok": TICKETS, "sold_out": BUYERS - TICKETS}, kinds
    tickets, orders, mail_orders = tally(session, event, tt)
    confirmed_ids = {order_id for kind, order_id in outcomes if kind == "ok"}
    # Nothing lost: every buyer told "ok" has a committed order, ticket and confirmation email, and no more.
    assert {o.id for o in orders} == confirmed_ids
    assert len(tickets) == TICKETS
    assert confirmed_ids <= mail_orders
    assert session.get(TicketType, tt.id).sold == TICKETS
    assert session.get(Event, event.id).sold == TICKETS


def test_with_the_guard_switched_off_the_oversell_is_detected(make, session, engine, monkeypatch):
    monkeypatch.setattr(registration, "GUARD_ENABLED", False)
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(TICKETS,))
    outcomes = rush(engine, org, event, tt)
    tickets, orders, _ = tally(session, event, tt)
    ok = sum(1 for kind, _ in outcomes if kind == "ok")
    # The same checks as above: at least one of them must fail without the guard.
    oversold = len(tickets) > TICKETS or ok > TICKETS
    lost_update = session.get(TicketType, tt.id).sold != len(tickets)
    assert oversold, f"expected an oversell without the guard: {ok} confirmed, {len(tickets)} tickets"
    assert lost_update
