"""A paid rush: 1,000 buyers register paid orders for 100 places (two ticket types of 60 sharing an event capacity
of 100), each holding its places while it pays. 40 % walk away (their holds run out), 50 % pay in time (the
provider's notification arrives twice, and the buyer comes back to the order page), 10 % pay after their hold ran
out and the expiry job gave their places back: revived when the places are still free, refunded when they were
sold again. Expiry runs race all of it, and new buyers race for the places they free.

Afterwards, and at every moment a watcher looked during the rush, no limit was passed and the counters equal the
tickets; every buyer has one outcome; every late payer refunded had no room at the moment it was decided (seen in
that transaction); and what our tables say was paid, refunded and is still open equals, payment by payment, the
fake provider's ledger (tests/services/fake_provider.py), while the money kept equals what the confirmed orders
cost. Without the guarded write that moves a payment to succeeded once, the same checks catch the money paid
back to buyers whose orders were confirmed."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import DomainEvent, Event, Order, Payment, Refund, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import SoldOut
from aqstream.services.lifecycle import OrderStatus, PaymentStatus, RefundStatus, TicketStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, refunds, settings
from aqstream.services.sales import inventory, pending_orders, registration
from aqstream.services.sales.registration import TicketRequest
from tests.services import fake_provider

BUYERS = 1000
WORKERS = 24  # threads, each with its own connection: modest for PostgreSQL's 100
QUANTITIES = (60, 60)
PRICES = (1500, 2500)  # minor units (EUR)
CAPACITY = 100
BASE = "https://aq.example"


def paid_event(make, session):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=QUANTITIES, capacity=CAPACITY)
    settings.update_settings(session, Principal(owner.id), org.id, settings.SettingsInput(
        stripe_secret_key="sk_test_rush", stripe_webhook_secret="whsec_rush"))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True, hold_minutes=15))
    for tt, price in zip(types, PRICES):
        session.exec(update(TicketType).where(TicketType.id == tt.id).values(price_minor=price))
    session.commit()
    return org, session.get(Event, event.id), [session.get(TicketType, tt.id) for tt in types]


@dataclass
class Outcome:
    index: int
    kind: str  # abandon | pay | late | expire
    result: str  # sold_out | abandoned | confirmed | revived | refunded | expired | error
    order_id: int | None = None
    detail: str = ""


def _plan(rng: random.Random, types, buyers: int) -> list[tuple[str, list[int]]]:
    plan = []
    for i in range(buyers):
        if i % 25 == 10:
            plan += [("expire", [])] * 3  # three expiry runs in a row: they race each other and everyone else
        roll = rng.random()
        kind = "abandon" if roll < 0.4 else "pay" if roll < 0.9 else "late"
        plan.append((kind, [rng.choice(types) for _ in range(rng.choice((1, 1, 2)))]))
    return plan


def _run_out(session: Session, order_id: int) -> None:
    """The order's hold runs out now (as if its minutes had passed)."""
    begin_write(session)
    session.exec(update(Order).where(Order.id == order_id, Order.status == OrderStatus.PENDING)
                 .values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def _status(session: Session, order_id: int) -> str:
    session.rollback()
    return session.exec(select(Order.status).where(Order.id == order_id)).one()


def _until_taken(session: Session, event_id: int, wanted: list[int], timeout: float = 1.0) -> None:
    """Wait (at most `timeout`) until there is no room for `wanted` any more."""
    deadline = time.monotonic() + timeout
    need = Counter(wanted)
    while time.monotonic() < deadline:
        session.rollback()
        left = dict(session.exec(select(TicketType.id, TicketType.quantity - TicketType.sold)
                                 .where(TicketType.event_id == event_id)).all())
        room = CAPACITY - session.exec(select(Event.sold).where(Event.id == event_id)).one()
        if any(left[t] < n for t, n in need.items()) or room < len(wanted):
            return
        time.sleep(0.02)


class Watcher(threading.Thread):
    """Looks at the counters and the tickets again and again while the rush runs: no limit passed, ever."""

    def __init__(self, engine, event, types):
        super().__init__(daemon=True)
        self.engine, self.event, self.types = engine, event, types
        self.stop, self.looks, self.found = threading.Event(), 0, []

    def run(self):
        with Session(self.engine) as s:
            while not self.stop.is_set():
                s.rollback()
                rows = s.exec(select(TicketType.id, TicketType.quantity, TicketType.sold)
                              .where(TicketType.event_id == self.event.id)).all()
                held = inventory.holders(s, self.event.id)
                ev_sold = s.exec(select(Event.sold).where(Event.id == self.event.id)).one()
                for type_id, quantity, sold in rows:
                    if sold > quantity or held[type_id] > quantity:
                        self.found.append(f"type {type_id}: sold {sold}, held {held[type_id]} of {quantity}")
                if ev_sold > CAPACITY or sum(held.values()) > CAPACITY:
                    self.found.append(f"event: sold {ev_sold}, held {sum(held.values())} of {CAPACITY}")
                self.looks += 1
                time.sleep(0.02)


def run_paid_rush(engine, org, event, types, ledger, witness, buyers=BUYERS, seed=17):
    rng = random.Random(seed)
    plan = _plan(rng, [tt.id for tt in types], buyers)
    start = threading.Barrier(WORKERS)
    local = threading.local()

    def attempt(i):
        if not getattr(local, "ready", False):
            local.ready = True
            start.wait(timeout=60)
        kind, wanted = plan[i]
        with Session(engine, expire_on_commit=False) as s:
            try:
                if kind == "expire":
                    return Outcome(i, kind, "expired", detail=str(pending_orders.expire_due(s)))
                try:
                    result = registration.register(
                        s, org_slug=org.slug, event_slug=event.slug, buyer_name=f"Buyer {i}",
                        buyer_email=f"paid{i}@example.com", tickets=[TicketRequest(t) for t in wanted],
                        payment_method="stripe", idempotency_key=f"paid-rush-{event.id}-{i}")
                except SoldOut:
                    return Outcome(i, kind, "sold_out")
                order = result.order
                if kind == "abandon" and i % 2:  # gone before the provider's page
                    _run_out(s, order.id)
                    return Outcome(i, kind, "abandoned", order.id)
                checkout = payments.start(s, order.access_token, None, BASE)
                pid = s.exec(select(Payment.provider_payment_id).where(Payment.id == checkout.payment_id)).one()
                if kind == "abandon":  # opened the provider's page, never paid
                    _run_out(s, order.id)
                    return Outcome(i, kind, "abandoned", order.id)
                if kind == "late":
                    _run_out(s, order.id)
                    for _ in range(400):  # the expiry job comes by (this run or a racing one)
                        if _status(s, order.id) == OrderStatus.EXPIRED:
                            break
                        pending_orders.expire_due(s)
                    else:
                        return Outcome(i, kind, "error", order.id, "never expired")
                    if i % 2:  # pays later still: new buyers may take its places first
                        _until_taken(s, event.id, wanted)
                ledger.pay(pid)
                body, headers = ledger.notification(pid)
                payments.handle_notification(s, "stripe", org.slug, body, headers)
                if kind == "pay":
                    payments.handle_notification(s, "stripe", org.slug, body, headers)  # sent again
                    payments.refresh(s, order.access_token)  # the buyer is back on the order page
                status = _status(s, order.id)
                if kind == "pay":
                    return Outcome(i, kind, "confirmed" if status == OrderStatus.CONFIRMED else "error", order.id,
                                   status)
                return Outcome(i, kind, {OrderStatus.CONFIRMED: "revived", OrderStatus.EXPIRED: "refunded"}
                               .get(status, "error"), order.id, status)
            except Exception as exc:  # recorded, and fails the checks
                return Outcome(i, kind, "error", None, repr(exc))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(attempt, range(len(plan))))
    with Session(engine) as s:  # the last rounds of the jobs
        pending_orders.expire_due(s)
        ours = s.exec(select(Order.id).where(Order.event_id == event.id)).all()
        refunds.run_due(s, order_ids=ours, limit=10_000)
    return outcomes


@pytest.fixture
def witness(monkeypatch):
    """For every late payment refunded, whether its places were free, read in the transaction that decided it
    (holding the inventory's locks) from the tickets themselves, not from the counters the decision used."""
    seen: dict[int, bool] = {}
    real = payments._late_refund

    def spy(session, order, payment, now):
        wanted = Counter(session.exec(select(Ticket.ticket_type_id).where(
            Ticket.order_id == order.id, Ticket.status == TicketStatus.CANCELLED)).all())
        held = inventory.holders(session, order.event_id)
        quantity = dict(session.exec(select(TicketType.id, TicketType.quantity)
                                     .where(TicketType.event_id == order.event_id)).all())
        capacity = session.exec(select(Event.capacity).where(Event.id == order.event_id)).one()
        free = all(held[t] + n <= quantity[t] for t, n in wanted.items()) and (
            capacity is None or sum(held.values()) + sum(wanted.values()) <= capacity)
        seen[order.id] = free
        return real(session, order, payment, now)

    monkeypatch.setattr(payments, "_late_refund", spy)
    return seen


def paid_violations(session, event, types, outcomes, ledger, witness, watcher) -> list[str]:
    """Everything wrong after a paid rush; an empty list means the promises held."""
    session.rollback()
    found = list(dict.fromkeys(watcher.found))[:5]
    # Places: the counters equal the tickets, no limit passed.
    held = inventory.holders(session, event.id)
    for tt in types:
        row = session.exec(select(TicketType).where(TicketType.id == tt.id)).one()
        if held[tt.id] > row.quantity:
            found.append(f"ticket type {tt.name}: {held[tt.id]} tickets hold places of {row.quantity}")
        if row.sold != held[tt.id]:
            found.append(f"ticket type {tt.name}: counter says {row.sold}, tickets say {held[tt.id]}")
    ev = session.exec(select(Event).where(Event.id == event.id)).one()
    if sum(held.values()) > CAPACITY:
        found.append(f"event: {sum(held.values())} tickets hold places of {CAPACITY}")
    if ev.sold != sum(held.values()):
        found.append(f"event: counter says {ev.sold}, tickets say {sum(held.values())}")
    # Every buyer has one outcome, and the orders are exactly the registrations answered.
    errors = [o for o in outcomes if o.result == "error"]
    if errors:
        found.append(f"{len(errors)} attempts ended in errors, e.g. {errors[0]}")
    orders = {o.id: o for o in session.exec(select(Order).where(Order.event_id == event.id)).all()}
    answered = {o.order_id for o in outcomes if o.order_id is not None}
    if answered != set(orders):
        found.append(f"orders: {len(orders)} in the database, {len(answered)} answered to buyers")
    tickets = session.exec(select(Ticket).where(Ticket.event_id == event.id)).all()
    for order in orders.values():
        want = {OrderStatus.CONFIRMED: TicketStatus.VALID, OrderStatus.PENDING: TicketStatus.HELD}.get(order.status,
                                                                                                  TicketStatus.CANCELLED)
        if {t.status for t in tickets if t.order_id == order.id} != {want}:
            found.append(f"order {order.id} is {order.status} with tickets "
                         f"{sorted({t.status for t in tickets if t.order_id == order.id})}")
            break
    for o in outcomes:
        status = orders[o.order_id].status if o.order_id in orders else None
        expect = {"abandoned": OrderStatus.EXPIRED, "confirmed": OrderStatus.CONFIRMED,
                  "revived": OrderStatus.CONFIRMED, "refunded": OrderStatus.EXPIRED}.get(o.result)
        if expect is not None and status != expect:
            found.append(f"buyer {o.index} ({o.kind}) answered {o.result}, its order is {status}")
            break
    # Money, payment by payment: our tables against the provider's ledger.
    pays = session.exec(select(Payment).where(Payment.event_id == event.id)).all()
    mine = {p.provider_payment_id: p for p in pays}
    theirs = ledger.charges
    for status, remote in ((PaymentStatus.SUCCEEDED, "succeeded"), (PaymentStatus.PENDING, "pending")):
        ours = {pid: p.amount_minor for pid, p in mine.items() if p.status == status}
        at_provider = {pid: c.amount_minor for pid, c in theirs.items() if c.status == remote}
        if ours != at_provider:
            found.append(f"{status}: ours {sum(ours.values())} in {len(ours)}, the provider's "
                         f"{sum(at_provider.values())} in {len(at_provider)}")
    # A buyer who never started paying leaves the attempt registration wrote: created, never asked of the provider.
    never_asked = [p for p in pays if p.status == PaymentStatus.CREATED and p.provider_payment_id is None]
    if stray := [p.id for p in pays if p.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)
                 and p not in never_asked]:
        found.append(f"{len(stray)} payments neither succeeded nor pending")
    rows = session.exec(select(Refund).where(Refund.order_id.in_(list(orders) or [0]))).all()
    done = Counter()
    for r in rows:
        if r.status == RefundStatus.DONE:
            done[session.get(Payment, r.payment_id).provider_payment_id] += r.amount_minor
    if dict(done) != {pid: c.refunded for pid, c in theirs.items() if c.refunded}:
        found.append(f"refunds done: ours {sum(done.values())}, the provider's {ledger.totals()['refunded']}")
    if pending := [r.id for r in rows if r.status != RefundStatus.DONE]:
        found.append(f"{len(pending)} refunds not done")
    for r in rows:
        payment = session.get(Payment, r.payment_id)
        order = orders[r.order_id]
        if r.reason != refunds.LATE_PAYMENT or r.amount_minor != payment.amount_minor or order.status != OrderStatus.EXPIRED:
            found.append(f"refund {r.id} ({r.reason}, {r.amount_minor} of {payment.amount_minor}) for a {order.status} order")
            break
    if len({r.payment_id for r in rows}) != len(rows):
        found.append("a payment was refunded twice")
    totals = ledger.totals()
    paid = sum(p.amount_minor for p in pays if p.status == PaymentStatus.SUCCEEDED)
    refunded = sum(r.amount_minor for r in rows if r.status == RefundStatus.DONE)
    kept = sum(o.total_minor for o in orders.values() if o.status == OrderStatus.CONFIRMED)
    if (paid, refunded) != (totals["paid"], totals["refunded"]) or paid - refunded != kept:
        found.append(f"money: paid {paid} (provider {totals['paid']}), refunded {refunded} (provider "
                     f"{totals['refunded']}), kept {paid - refunded}, the confirmed orders cost {kept}")
    for order in orders.values():
        succeeded = [p for p in pays if p.order_id == order.id and p.status == PaymentStatus.SUCCEEDED]
        if order.status == OrderStatus.CONFIRMED and (len(succeeded) != 1 or succeeded[0].amount_minor != order.total_minor):
            found.append(f"confirmed order {order.id} has {len(succeeded)} payments")
            break
    # Late payers: refunded only when, at that moment, their places were gone.
    for o in outcomes:
        if o.result == "refunded" and witness.get(o.order_id) is not False:
            found.append(f"late payer {o.index} refunded while its places were free ({witness.get(o.order_id)})")
            break
    # Places freed by expiry were sold again: more tickets held a place than there are places, never at once.
    expired_tickets = sum(1 for t in tickets if orders[t.order_id].status == OrderStatus.EXPIRED)
    if sum(held.values()) + expired_tickets <= CAPACITY:
        found.append(f"no place was sold twice: {sum(held.values())} held, {expired_tickets} expired")
    return found


def _rush(engine, make, session, ledger, witness, buyers=BUYERS):
    org, event, types = paid_event(make, session)
    watcher = Watcher(engine, event, types)
    watcher.start()
    try:
        outcomes = run_paid_rush(engine, org, event, types, ledger, witness, buyers)
    finally:
        watcher.stop.set()
        watcher.join(timeout=30)
    return event, types, outcomes, watcher


def test_a_paid_rush_never_oversells_and_every_minor_unit_is_accounted_for(make, session, engine, monkeypatch, witness):
    ledger = fake_provider.install(monkeypatch)
    t0 = time.perf_counter()
    event, types, outcomes, watcher = _rush(engine, make, session, ledger, witness)
    seconds = time.perf_counter() - t0
    results = Counter((o.kind, o.result) for o in outcomes)
    print(f"\npaid rush on {engine.dialect.name}: {seconds:.1f} s, {watcher.looks} looks, {dict(results)}, "
          f"money {ledger.totals()}")
    assert paid_violations(session, event, types, outcomes, ledger, witness, watcher) == []
    # The rush did what it says: every kind of buyer got through, and late payers met both fates.
    assert results[("pay", "confirmed")] > 30 and results[("abandon", "abandoned")] > 20, results
    assert results[("late", "revived")] >= 1 and results[("late", "refunded")] >= 3, results
    assert results[("pay", "sold_out")] + results[("abandon", "sold_out")] > 500, results
    # How many each run finds depends on timing (SQLite runs one writer at a time); that they found some is the point.
    assert sum(int(o.detail) for o in outcomes if o.kind == "expire") > 0, "the racing expiry runs expired nothing"
    assert watcher.looks > 10
    # Each successful payment was announced once, whatever came twice.
    session.rollback()
    announced = session.exec(select(func.count(DomainEvent.id)).where(
        DomainEvent.name == "payment.succeeded", DomainEvent.organization_id == event.organization_id)).one()
    assert announced == sum(1 for c in ledger.charges.values() if c.status == "succeeded")


def test_without_the_guarded_payment_write_the_same_checks_catch_money_paid_back_twice(make, session, engine,
                                                                                       monkeypatch, witness):
    """The companion: settle's move of a payment to succeeded made unguarded (any status, every time). The
    notification sent again then settles an already confirmed order a second time, which pays the money back
    to a buyer who keeps the tickets: the money checks see it."""
    ledger = fake_provider.install(monkeypatch)
    real_move = payments.move

    def unguarded(session_, model, *where, to, **values):
        if model is Payment and to == PaymentStatus.SUCCEEDED:
            return session_.exec(update(Payment).where(*where).values(status=to, **values))
        return real_move(session_, model, *where, to=to, **values)

    monkeypatch.setattr(payments, "move", unguarded)
    event, types, outcomes, watcher = _rush(engine, make, session, ledger, witness, buyers=200)
    found = paid_violations(session, event, types, outcomes, ledger, witness, watcher)
    assert any(v.startswith("money:") or "for a confirmed order" in v for v in found), found
