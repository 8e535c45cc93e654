"""The registration queue: requests that wait together are registered in one transaction, and each still
gets exactly the answer it would have got alone. Batches are made deterministic by queueing requests
before the writer starts."""
import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import Answer, AuditEntry, Event, Order, OutboxMessage, Ticket, TicketType
from aqstream.services.errors import Conflict, NotFound, RegistrationClosed, SoldOut, ValidationError
from aqstream.services.events import questions
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration, registration_queue
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def request(org, event, **kw):
    args = dict(org_slug=org.slug, event_slug=event.slug, buyer_name=kw.pop("buyer_name", "Buyer"),
                buyer_email=kw.pop("buyer_email", f"{unique('q')}@example.com"))
    return registration.parse_request(**args, **kw)


def one_batch(engine, requests):
    """Queue every request, then let the writer run: they are all taken as one batch."""
    writer = registration_queue.RegistrationQueue(engine, start=False)
    futures = [writer.submit(r) for r in requests]
    writer.start()
    writer.close()
    outcomes = [f.exception() or f.result() for f in futures]
    return outcomes, writer.batches


def sold(session, model, row_id):
    session.rollback()  # forget what this session read before: count what is committed
    return session.get(model, row_id).sold


def committed(session, model, **where):
    session.rollback()
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).all()


def test_a_batch_is_one_transaction_and_each_buyer_gets_their_own_order(make, session, engine):
    owner, org = make.org()
    event, (ga, vip) = make.event(owner, org, quantities=(10, 5))
    buyers = [request(org, event, buyer_name=f"Buyer {i}", tickets=[TR(ga.id), TR(vip.id, f"Guest {i}")])
              for i in range(4)]
    outcomes, batches = one_batch(engine, buyers)
    assert batches == 1
    assert all(isinstance(o, registration.RegistrationResult) for o in outcomes), outcomes
    for i, result in enumerate(outcomes):
        assert result.order.buyer_name == f"Buyer {i}"
        # A ticket sent without a name keeps none (it is not silently given the buyer's): issue 13.
        assert [(t.ticket_type_id, t.attendee_name) for t in result.tickets] == [(ga.id, ""),
                                                                                  (vip.id, f"Guest {i}")]
    order_ids = [r.order.id for r in outcomes]
    assert {o.id for o in committed(session, Order, event_id=event.id)} == set(order_ids)
    stored = committed(session, Ticket, event_id=event.id)
    assert {t.id: t.order_id for t in stored} == {t.id: r.order.id for r in outcomes for t in r.tickets}
    assert sold(session, TicketType, ga.id) == 4 and sold(session, TicketType, vip.id) == 4
    assert sold(session, Event, event.id) == 8
    mails = {m.payload["order_id"]: m for m in committed(session, OutboxMessage, kind=registration.CONFIRMATION_EMAIL,
                                                          organization_id=event.organization_id)}
    for result in outcomes:
        assert mails[result.order.id].recipient == result.order.buyer_email
        assert {t["code"] for t in mails[result.order.id].payload["tickets"]} == {t.code for t in result.tickets}
    assert {a.object_id for a in committed(session, AuditEntry, action="order.create")} >= set(order_ids)


def test_places_go_in_arrival_order_and_the_rest_hear_sold_out(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(3,))
    wanted = [1, 2, 1, 1]  # 1 + 2 fill the type; the two after them find it full
    outcomes, batches = one_batch(engine, [request(org, event, ticket_type_id=tt.id, quantity=n) for n in wanted])
    assert batches == 1
    assert [type(o).__name__ for o in outcomes] == ["RegistrationResult", "RegistrationResult", "SoldOut", "SoldOut"]
    assert sold(session, TicketType, tt.id) == 3
    assert len(committed(session, Ticket, event_id=event.id)) == 3


def test_the_event_capacity_holds_across_types_within_a_batch(make, session, engine):
    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(5, 5), capacity=6)
    outcomes, _ = one_batch(engine, [request(org, event, ticket_type_id=t.id, quantity=2) for t in (a, b, a, b)])
    assert [isinstance(o, SoldOut) for o in outcomes] == [False, False, False, True]
    assert sold(session, Event, event.id) == 6


def test_one_bad_request_does_not_spoil_the_others(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    asked = questions.add_question(session, Principal(owner.id), org.id, event.id,
                                   questions.QuestionInput(label="Company", kind="short_text", required=True))
    good = request(org, event, ticket_type_id=tt.id, answers={str(asked.id): "ACME"})
    unanswered = request(org, event, ticket_type_id=tt.id)
    unknown_type = request(org, event, ticket_type_id=tt.id + 1000, answers={str(asked.id): "X"})
    outcomes, _ = one_batch(engine, [unanswered, good, unknown_type])
    assert isinstance(outcomes[0], ValidationError)
    assert f"answers.{asked.id}" in outcomes[0].errors
    assert isinstance(outcomes[1], registration.RegistrationResult)
    assert isinstance(outcomes[2], NotFound) and outcomes[2].field == "ticket_type_id"  # the simple form's name
    assert [o.id for o in committed(session, Order, event_id=event.id)] == [outcomes[1].order.id]
    assert [a.value for a in committed(session, Answer, order_id=outcomes[1].order.id)] == ["ACME"]


def test_answers_reach_the_right_tickets_in_a_batch(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    shirt = questions.add_question(session, Principal(owner.id), org.id, event.id, questions.QuestionInput(
        label="Shirt", kind="single_choice", options=["S", "M", "L"], scope="attendee", required=True))
    buyers = [request(org, event, tickets=[TR(tt.id, f"{i}-{k}", answers={str(shirt.id): size})
                                           for k, size in enumerate(sizes)])
              for i, sizes in enumerate([["S"], ["M", "L"], ["L", "S", "M"]])]
    outcomes, _ = one_batch(engine, buyers)
    names = {t.id: t.attendee_name for r in outcomes for t in r.tickets}
    answers = {names[a.ticket_id]: a.value for a in committed(session, Answer, question_id=shirt.id)}
    assert answers == {"0-0": "S", "1-0": "M", "1-1": "L", "2-0": "L", "2-1": "S", "2-2": "M"}


def test_the_same_idempotency_key_twice_in_a_batch_makes_one_order(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    same = dict(ticket_type_id=tt.id, buyer_email="twice@example.com", idempotency_key="double-click")
    other = request(org, event, ticket_type_id=tt.id, buyer_email="else@example.com", idempotency_key="double-click")
    outcomes, batches = one_batch(engine, [request(org, event, **same), request(org, event, **same), other])
    first, again, conflict = outcomes
    assert not first.replayed and again.replayed and again.order.id == first.order.id
    assert [t.code for t in again.tickets] == [t.code for t in first.tickets]
    assert isinstance(conflict, Conflict) and conflict.message_key == "registration.idempotency_key_reused"
    assert batches == 2  # the repeats waited for the first to commit
    assert len(committed(session, Order, event_id=event.id)) == 1
    assert sold(session, TicketType, tt.id) == 1


def test_one_registration_per_email_holds_within_a_batch(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, one_registration_per_email=True)
    outcomes, _ = one_batch(engine, [request(org, event, ticket_type_id=tt.id, buyer_email=e)
                                     for e in ("same@example.com", "other@example.com", "SAME@example.com")])
    assert [type(o).__name__ for o in outcomes] == ["RegistrationResult", "RegistrationResult", "Conflict"]
    assert outcomes[2].field == "email"
    assert len(committed(session, Order, event_id=event.id)) == 2


def test_a_key_committed_by_another_process_meanwhile_still_gets_one_order(make, session, engine, monkeypatch):
    """Another process commits the same Idempotency-Key after this batch looked: the insert fails on the
    unique key, and every request of the batch is then registered on its own."""
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    args = dict(org_slug=org.slug, event_slug=event.slug, buyer_name="Racer", buyer_email="racer@example.com",
                ticket_type_id=tt.id, idempotency_key="raced")
    earlier = registration.register(session, **args)
    real = registration._earlier_orders
    calls = []

    def miss_once(s, event_id, keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(s, event_id, keys)

    monkeypatch.setattr(registration, "_earlier_orders", miss_once)
    outcomes, _ = one_batch(engine, [registration.parse_request(**args), request(org, event, ticket_type_id=tt.id)])
    assert len(calls) >= 2  # the batch's look missed; the request alone found the earlier order
    assert outcomes[0].replayed and outcomes[0].order.id == earlier.order.id
    assert isinstance(outcomes[1], registration.RegistrationResult) and not outcomes[1].replayed
    assert len(committed(session, Order, event_id=event.id)) == 2
    assert sold(session, TicketType, tt.id) == 2


def test_a_failing_batch_answers_its_callers_and_the_writer_goes_on(make, session, engine, monkeypatch):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    real = registration.run_batch
    monkeypatch.setattr(registration, "run_batch", lambda s, reqs: (_ for _ in ()).throw(OSError("db down")))
    writer = registration_queue.RegistrationQueue(engine)
    try:
        with pytest.raises(OSError):
            writer.submit(request(org, event, ticket_type_id=tt.id)).result(timeout=30)
        monkeypatch.setattr(registration, "run_batch", real)
        assert writer.submit(request(org, event, ticket_type_id=tt.id)).result(timeout=30).order.id
    finally:
        writer.close()


def test_every_request_for_a_cancelled_event_is_refused_and_nothing_is_written(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    session.exec(update(Event).where(Event.id == event.id).values(status="cancelled"))
    session.commit()
    outcomes, _ = one_batch(engine, [request(org, event, ticket_type_id=tt.id) for _ in range(3)])
    assert all(isinstance(o, RegistrationClosed) and o.message_key == "registration.event_cancelled" for o in outcomes)
    assert committed(session, Order, event_id=event.id) == []
    assert sold(session, TicketType, tt.id) == 0


def test_a_batch_rolled_back_by_a_deadlock_runs_again(make, session, engine, monkeypatch):
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    real = registration.run_batch
    calls = []

    def deadlock_once(s, requests):
        calls.append(len(requests))
        if len(calls) == 1:
            raise OperationalError("UPDATE event", {}, Deadlock())
        return real(s, requests)

    monkeypatch.setattr(registration, "run_batch", deadlock_once)
    outcomes, batches = one_batch(engine, [request(org, event, ticket_type_id=tt.id) for _ in range(3)])
    assert calls == [3, 3] and batches == 2
    assert all(isinstance(o, registration.RegistrationResult) for o in outcomes)
    assert sold(session, TicketType, tt.id) == 3


def test_a_caller_that_gave_up_is_dropped_and_the_writer_goes_on(make, session, engine):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    writer = registration_queue.RegistrationQueue(engine, start=False)
    gave_up = writer.submit(request(org, event, ticket_type_id=tt.id, buyer_email="gone@example.com"))
    waiting = writer.submit(request(org, event, ticket_type_id=tt.id))
    assert gave_up.cancel()  # e.g. the browser went away before the writer got to it
    writer.start()
    try:
        assert waiting.result(timeout=30).order.id
        assert writer.submit(request(org, event, ticket_type_id=tt.id)).result(timeout=30).order.id
    finally:
        writer.close()
    assert [o.buyer_email for o in committed(session, Order, event_id=event.id)].count("gone@example.com") == 0
    assert sold(session, TicketType, tt.id) == 2
    with pytest.raises(RuntimeError):
        writer.submit(request(org, event, ticket_type_id=tt.id))


def test_after_a_unique_key_race_each_request_stands_alone_and_none_is_run_twice(make, session, engine, monkeypatch):
    """The batch hits a unique key, so each request runs in its own transaction; the second of them fails.
    The first and third keep their committed orders, the second hears its error, nothing is doubled."""
    from sqlalchemy.exc import OperationalError

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    args = dict(org_slug=org.slug, event_slug=event.slug, buyer_name="Racer", buyer_email="racer@example.com",
                ticket_type_id=tt.id, idempotency_key="raced-again")
    earlier = registration.register(session, **args)
    real_lookup, real_run = registration._earlier_orders, registration._run_batch
    lookups, runs = [], []
    monkeypatch.setattr(registration, "_earlier_orders",
                        lambda s, e, k: lookups.append(k) or ({} if len(lookups) == 1 else real_lookup(s, e, k)))

    def second_alone_fails(s, requests, outcomes):
        runs.append(len(requests))
        if len(runs) == 3:
            raise OperationalError("INSERT", {}, ConnectionResetError("connection lost"))
        return real_run(s, requests, outcomes)

    monkeypatch.setattr(registration, "_run_batch", second_alone_fails)
    outcomes, batches = one_batch(engine, [registration.parse_request(**args),
                                           request(org, event, ticket_type_id=tt.id, buyer_email="two@example.com"),
                                           request(org, event, ticket_type_id=tt.id, buyer_email="three@example.com")])
    assert runs == [3, 1, 1, 1] and batches == 1
    assert outcomes[0].replayed and outcomes[0].order.id == earlier.order.id
    assert isinstance(outcomes[1], OperationalError)
    assert isinstance(outcomes[2], registration.RegistrationResult)
    emails = sorted(o.buyer_email for o in committed(session, Order, event_id=event.id))
    assert emails == ["racer@example.com", "three@example.com"]
    assert sold(session, TicketType, tt.id) == 2
