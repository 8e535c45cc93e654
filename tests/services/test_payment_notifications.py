"""A provider's notifications as they really come: twice or ten times at once, out of order, racing the buyer's
return to the order page, or never (the `payment-check` job fetches the payment instead). Whatever the order,
a payment changes things once: one `payment.succeeded`, one `order.confirmed`, one confirmation email. On SQLite
and PostgreSQL, with the in-memory provider of tests/services/fake_provider.py."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.models import DomainEvent, Event, Order, OutboxMessage, Payment, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.lifecycle import PaymentStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, providers, settings
from aqstream.services.sales import registration
from tests.services import fake_provider


@pytest.fixture
def ledger(monkeypatch):
    return fake_provider.install(monkeypatch)


def paid_order(make, session, price=2500):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(5,))
    settings.update_settings(session, Principal(owner.id), org.id, settings.SettingsInput(
        stripe_secret_key="sk_test_notify", stripe_webhook_secret="whsec_notify"))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True))
    session.exec(update(TicketType).where(TicketType.id == types[0].id).values(price_minor=price))
    session.commit()
    order = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Nora Notified",
                                  buyer_email="nora@example.com", ticket_type_id=types[0].id, quantity=2,
                                  payment_method="stripe").order
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    pid = session.exec(select(Payment.provider_payment_id).where(Payment.id == checkout.payment_id)).one()
    return org, order, checkout.payment_id, pid


def counts(session, org, order_id) -> tuple[int, int, int]:
    """(payment.succeeded, order.confirmed, confirmation emails) recorded for the order."""
    session.rollback()
    named = session.exec(select(DomainEvent.name, DomainEvent.payload).where(
        DomainEvent.organization_id == org.id, DomainEvent.name.in_(("payment.succeeded", "order.confirmed")))).all()
    mine = [name for name, payload in named if payload.get("order_id") == order_id]
    emails = session.exec(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.organization_id == org.id, OutboxMessage.kind == "email.registration_confirmation",
        OutboxMessage.recipient == "nora@example.com")).one()
    return mine.count("payment.succeeded"), mine.count("order.confirmed"), emails


def at_once(engine, calls) -> list:
    """Run each call(session) in its own thread and connection, all released together."""
    gate = threading.Barrier(len(calls))

    def run(call):
        with Session(engine, expire_on_commit=False) as s:
            gate.wait(timeout=30)
            try:
                return call(s)
            except Exception as exc:  # returned, and the test looks
                return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("times", [2, 10])
def test_the_same_notification_at_once_changes_things_once(make, session, engine, ledger, times):
    org, order, payment_id, pid = paid_order(make, session)
    ledger.pay(pid)
    body, headers = ledger.notification(pid)
    answers = at_once(engine, [lambda s: payments.handle_notification(s, "stripe", org.slug, body, headers)] * times)
    assert answers == [1] * times  # each was ours, and each was answered (the provider stops sending)
    assert counts(session, org, order.id) == (1, 1, 1)
    assert session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED
    assert session.get(Order, order.id).status == "confirmed"
    assert session.exec(select(Ticket.status).where(Ticket.order_id == order.id)).all() == ["valid", "valid"]
    assert ledger.calls["fetch"] == times  # each one fetched the payment back before believing it


def test_a_failure_reported_after_success_undoes_nothing(make, session, engine, ledger):
    org, order, payment_id, pid = paid_order(make, session)
    ledger.pay(pid)
    body, headers = ledger.notification(pid)
    assert payments.handle_notification(session, "stripe", org.slug, body, headers) == 1
    # A late "expired"/"failed" event: fetched back, the provider says succeeded; nothing changes.
    late_body, late_headers = ledger.notification(pid, kind="checkout.session.expired")
    assert payments.handle_notification(session, "stripe", org.slug, late_body, late_headers) == 1
    # Even a failed report taken at its word (out of order) cannot move a succeeded payment back.
    failed = providers.Remote(pid, providers.REMOTE_FAILED, 5000, "EUR")
    assert payments.settle(session, payment_id, failed) == payments.ALREADY
    pending = providers.Remote(pid, providers.REMOTE_PENDING, 5000, "EUR")
    assert payments.settle(session, payment_id, pending) == payments.WAITING
    session.rollback()
    assert session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED
    assert session.get(Order, order.id).status == "confirmed"
    assert counts(session, org, order.id) == (1, 1, 1)


def test_a_failure_first_then_success_confirms(make, session, ledger):
    """Out of order the other way: the provider first reports the attempt failed, then the buyer pays after all."""
    org, order, payment_id, pid = paid_order(make, session)
    assert payments.settle(session, payment_id, providers.Remote(pid, providers.REMOTE_FAILED, 5000, "EUR")) == payments.FAILED
    ledger.pay(pid)
    body, headers = ledger.notification(pid)
    assert payments.handle_notification(session, "stripe", org.slug, body, headers) == 1
    assert session.get(Order, order.id).status == "confirmed"
    assert counts(session, org, order.id) == (1, 1, 1)


def test_a_notification_racing_the_buyers_return_changes_things_once(make, session, engine, ledger):
    org, order, payment_id, pid = paid_order(make, session)
    ledger.pay(pid)
    body, headers = ledger.notification(pid)
    notify = lambda s: payments.handle_notification(s, "stripe", org.slug, body, headers)  # noqa: E731
    back = lambda s: payments.refresh(s, order.access_token)  # noqa: E731
    answers = at_once(engine, [notify, back, notify, back, back, notify])
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert [a for a in answers if isinstance(a, str)] == ["confirmed"] * 3  # every return sees it confirmed
    assert counts(session, org, order.id) == (1, 1, 1)
    assert session.exec(select(Payment.status).where(Payment.order_id == order.id)).all() == ["succeeded"]


def test_a_forged_notification_changes_nothing(make, session, ledger):
    org, order, payment_id, pid = paid_order(make, session)
    ledger.pay(pid)
    body, headers = ledger.notification(pid, forged=True)
    with pytest.raises(providers.BadNotification):
        payments.handle_notification(session, "stripe", org.slug, body, headers)
    assert session.get(Order, order.id).status == "pending"
    assert counts(session, org, order.id) == (0, 0, 0)


def test_the_payment_check_job_confirms_a_payment_whose_notification_was_lost(make, session, ledger):
    org, order, payment_id, pid = paid_order(make, session)
    waiting = paid_order(make, session)  # started, never paid: stays pending
    ledger.pay(pid)  # paid at the provider; its notification never arrives
    payments.check_pending(session, now=utcnow(), limit=10_000)  # too young: the notification may still come
    assert session.get(Order, order.id).status == "pending"
    payments.check_pending(session, now=utcnow() + payments.CHECK_AFTER + timedelta(seconds=1), limit=10_000)
    session.rollback()
    assert session.get(Order, order.id).status == "confirmed"
    assert session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED
    assert counts(session, org, order.id) == (1, 1, 1)
    assert session.get(Order, waiting[1].id).status == "pending"
    assert session.get(Payment, waiting[2]).status == PaymentStatus.PENDING
    # The notification turns up after all: nothing more happens.
    body, headers = ledger.notification(pid)
    assert payments.handle_notification(session, "stripe", org.slug, body, headers) == 1
    assert counts(session, org, order.id) == (1, 1, 1)


def test_without_the_guarded_payment_write_ten_notifications_announce_the_payment_again(make, session, engine, ledger,
                                                                                       monkeypatch):
    """The companion: settle's move to succeeded unguarded. The same ten notifications now announce the payment
    more than once (and pay the buyer back for an order they keep)."""
    real_move = payments.move

    def unguarded(session_, model, *where, to, **values):
        if model is Payment and to == PaymentStatus.SUCCEEDED:
            return session_.exec(update(Payment).where(*where).values(status=to, **values))
        return real_move(session_, model, *where, to=to, **values)

    monkeypatch.setattr(payments, "move", unguarded)
    org, order, payment_id, pid = paid_order(make, session)
    ledger.pay(pid)
    body, headers = ledger.notification(pid)
    at_once(engine, [lambda s: payments.handle_notification(s, "stripe", org.slug, body, headers)] * 10)
    succeeded, confirmed, _ = counts(session, org, order.id)
    assert succeeded > 1 and confirmed == 1
