"""A ticket rush of 1,000 concurrent attempts across three ticket types that share an event capacity,
with cancellations racing purchases. Afterwards every limit holds, every attempt has exactly one outcome,
and the orders in the database are exactly the successful answers. Without the guard, the same checks
find the oversell."""
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from aqstream.models import Event, Order, Ticket, TicketType
from aqstream.services import orders, registration, registration_queue
from aqstream.services.errors import Conflict, SoldOut
from aqstream.services.registration import TicketRequest

ATTEMPTS = 1000
WORKERS = 48
QUANTITIES = (60, 50, 40)  # 150 places of ticket types...
CAPACITY = 120  # ...but only 120 in the room


def run_rush(engine, org, event, types, seed=7, queued=False):
    """queued=False: each buyer registers in its own transaction. queued=True: buyers go through two
    registration queues, as in two web worker processes, whose writers commit batches concurrently."""
    writers = [registration_queue.RegistrationQueue(engine) for _ in range(2)] if queued else []
    try:
        return _run_rush(engine, org, event, types, seed, writers)
    finally:
        for writer in writers:
            writer.close()


def _run_rush(engine, org, event, types, seed, writers):
    rng = random.Random(seed)
    plan = []
    for i in range(ATTEMPTS):
        if i > 100 and rng.random() < 0.2:
            plan.append(("cancel", rng.random() < 0.5))
        else:
            plan.append(("buy", [rng.choice(types).id for _ in range(rng.choice((1, 1, 2, 3)))]))
    made: list[tuple[int, str, list[int]]] = []  # successful orders so far, for cancellers to pick from
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)
    local = threading.local()

    def attempt(i):
        if not getattr(local, "ready", False):
            local.ready = True
            start.wait(timeout=60)  # every worker starts together
        kind, what = plan[i]
        with Session(engine, expire_on_commit=False) as s:
            try:
                if kind == "buy":
                    args = dict(org_slug=org.slug, event_slug=event.slug, buyer_name=f"Buyer {i}",
                                buyer_email=f"rush{i}@example.com", tickets=[TicketRequest(t) for t in what])
                    if writers:
                        result = writers[i % 2].submit(registration.parse_request(**args)).result(timeout=120)
                    else:
                        result = registration.register(s, **args)
                    with lock:
                        made.append((result.order.id, result.order.access_token, [t.id for t in result.tickets]))
                    return ("ok", result.order.id, len(result.tickets))
                with lock:
                    if not made:
                        return ("nothing_to_cancel", None, 0)
                    order_id, token, ticket_ids = made[rng.randrange(len(made))]
                one = ticket_ids[rng.randrange(len(ticket_ids))] if what else None
                return ("cancelled", order_id, orders.cancel_by_token(s, token, one))
            except SoldOut:
                return ("sold_out", None, 0)
            except Conflict:
                return ("nothing_to_cancel", None, 0)  # someone else cancelled those tickets first
            except Exception as exc:  # recorded, and fails the checks below
                return ("error", repr(exc), 0)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(attempt, range(ATTEMPTS)))


def violations(session, event, types, outcomes):
    """Everything that is wrong after a rush; an empty list means the promises held."""
    session.rollback()
    found = []
    tickets = session.exec(select(Ticket).where(Ticket.event_id == event.id)).all()
    valid = Counter(t.ticket_type_id for t in tickets if t.status == "valid")
    for tt in types:
        row = session.get(TicketType, tt.id)
        session.refresh(row)
        if valid[tt.id] > row.quantity:
            found.append(f"ticket type {tt.name}: {valid[tt.id]} valid tickets for {row.quantity} places")
        if row.sold != valid[tt.id]:
            found.append(f"ticket type {tt.name}: counter says {row.sold}, tickets say {valid[tt.id]}")
    ev = session.get(Event, event.id)
    session.refresh(ev)
    total = sum(valid.values())
    if total > ev.capacity:
        found.append(f"event: {total} valid tickets for a capacity of {ev.capacity}")
    if ev.sold != total:
        found.append(f"event: counter says {ev.sold}, tickets say {total}")
    if len(outcomes) != ATTEMPTS:
        found.append(f"{ATTEMPTS - len(outcomes)} attempts have no outcome")
    errors = [o for o in outcomes if o[0] == "error"]
    if errors:
        found.append(f"{len(errors)} attempts failed with errors, e.g. {errors[0][1]}")
    ok_ids = {o[1] for o in outcomes if o[0] == "ok"}
    db_ids = set(session.exec(select(Order.id).where(Order.event_id == event.id)).all())
    if ok_ids != db_ids:
        found.append(f"orders: {len(db_ids)} in the database, {len(ok_ids)} confirmed to buyers")
    returned = [tid for o in outcomes if o[0] == "cancelled" for tid in o[2]]
    if len(returned) != len(set(returned)):
        found.append("a ticket's place was returned twice")
    cancelled = {t.id for t in tickets if t.status == "cancelled"}
    if set(returned) != cancelled:
        found.append(f"cancellations: {len(returned)} answered, {len(cancelled)} in the database")
    live = Counter(t.order_id for t in tickets if t.status == "valid")
    for order in session.exec(select(Order).where(Order.event_id == event.id)).all():
        if (order.status == "cancelled") != (live[order.id] == 0):
            found.append(f"order {order.id} is {order.status} with {live[order.id]} valid tickets")
            break
    return found


@pytest.mark.parametrize("queued", [False, True], ids=["own-transactions", "two-batching-writers"])
def test_rush_with_cancellations_never_oversells_and_loses_nothing(make, session, engine, queued):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=QUANTITIES, capacity=CAPACITY)
    outcomes = run_rush(engine, org, event, types, queued=queued)
    kinds = Counter(o[0] for o in outcomes)
    assert kinds["ok"] > 50 and kinds["sold_out"] > 100 and kinds["cancelled"] > 50, kinds
    assert violations(session, event, types, outcomes) == []


@pytest.mark.parametrize("queued", [False, True], ids=["own-transactions", "two-batching-writers"])
def test_without_the_guard_the_same_checks_catch_the_oversell(make, session, engine, monkeypatch, queued):
    monkeypatch.setattr(registration, "GUARD_ENABLED", False)
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=QUANTITIES, capacity=CAPACITY)
    outcomes = run_rush(engine, org, event, types, queued=queued)
    found = violations(session, event, types, outcomes)
    assert any("valid tickets for" in v or "counter says" in v for v in found), found
