"""The payments core with bank transfer (no remote side) and a recording provider: the order's lifecycle under
payment, late payments (revived or refunded), refunds and their retries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import DomainEvent, Event, Order, OutboxMessage, Payment, Refund, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, PaymentUnavailable, RegistrationClosed, ValidationError
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, providers, refunds, settings
from aqstream.services.sales import inventory, pending_orders, registration


class Recording:
    """A provider that answers like a card provider and keeps what it was asked."""

    name = providers.STRIPE
    test_mode = True

    def __init__(self):
        self.created, self.refunds, self.paid, self.down = [], [], {}, False

    def create_payment(self, request):
        if self.down:
            raise providers.ProviderUnavailable("down")
        self.created.append(request)
        return providers.Created(f"cs_{request.payment_id}", f"https://pay.example/{request.payment_id}")

    def notification_ids(self, body, headers):
        return [body.decode()]

    def fetch_payment(self, pid):
        amount, currency = self.paid.get(pid, (0, "EUR"))
        return providers.Remote(pid, providers.REMOTE_SUCCEEDED if pid in self.paid else providers.REMOTE_PENDING,
                                amount, currency)

    def refund(self, pid, amount, currency, key):
        if self.down:
            raise providers.ProviderUnavailable("down")
        self.refunds.append((pid, amount, currency, key))
        return providers.RemoteRefund(f"re_{len(self.refunds)}", True)


@pytest.fixture
def card(monkeypatch):
    fake = Recording()
    real = settings.provider_for
    monkeypatch.setattr(settings, "provider_for", lambda s, org_id, name, row=None: fake if name == providers.STRIPE
                        else real(s, org_id, name))
    return fake


def paid_event(make, session, price=1500, quantity=2, hold_minutes=15):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(quantity,))
    settings.update_settings(session, Principal(owner.id), org.id, settings.SettingsInput(
        stripe_secret_key="sk_test_abc", stripe_webhook_secret="whsec_abc", bank_enabled=True,
        bank_instructions="IBAN DE00 1234"))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True, pay_bank=True,
                                                                  hold_minutes=hold_minutes))
    session.exec(update(TicketType).where(TicketType.id == types[0].id).values(price_minor=price))
    session.commit()
    return owner, org, session.get(Event, event.id), types[0]


def buy(session, org, event, tt, method="stripe", n=1, key=None):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann Buyer",
                                 buyer_email="ann@example.com", ticket_type_id=tt.id, quantity=n,
                                 payment_method=method, idempotency_key=key)


def test_a_paid_order_holds_its_places_until_paid_and_the_key_travels(make, session, card):
    _, org, event, tt = paid_event(make, session)
    result = buy(session, org, event, tt, key="idem-1")
    order = result.order
    assert order.status == "pending" and order.total_minor == 1500 and order.payment_method == "stripe"
    assert [t.status for t in result.tickets] == ["held"]
    assert session.get(TicketType, tt.id).sold == 1
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    assert checkout.redirect_url == f"https://pay.example/{checkout.payment_id}"
    assert card.created[0].idempotency_key == "idem-1" and card.created[0].amount_minor == 1500
    assert card.created[0].return_url == f"https://aq.example/order/{order.access_token}?paid=1"
    # A double click reuses the open payment.
    assert payments.start(session, order.access_token, None, "https://aq.example").payment_id == checkout.payment_id
    assert len(card.created) == 1
    card.paid[f"cs_{checkout.payment_id}"] = (1500, "EUR")
    assert payments.refresh(session, order.access_token) == "confirmed"
    assert payments.refresh(session, order.access_token) == "confirmed"
    tickets = session.exec(select(Ticket.status).where(Ticket.order_id == order.id)).all()
    assert tickets == ["valid"]
    confirmations = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email.registration_confirmation",
                                                             OutboxMessage.recipient == "ann@example.com",
                                                             OutboxMessage.organization_id == org.id)).all()
    assert len(confirmations) == 1
    succeeded = session.exec(select(DomainEvent).where(DomainEvent.name == "payment.succeeded",
                                                       DomainEvent.organization_id == org.id)).all()
    assert len(succeeded) == 1


def test_a_paid_ticket_needs_an_offered_method(make, session, card):
    _, org, event, tt = paid_event(make, session)
    with pytest.raises(ValidationError) as err:
        buy(session, org, event, tt, method="yookassa")
    assert err.value.errors == {"payment_method": "payment.method_unavailable"}
    with pytest.raises(ValidationError) as err:
        buy(session, org, event, tt, method=None)  # two methods offered: the buyer must choose
    assert err.value.errors == {"payment_method": "payment.method_required"}
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=False, pay_bank=False))
    session.commit()
    with pytest.raises(RegistrationClosed):
        buy(session, org, event, tt)
    assert session.get(TicketType, tt.id).sold == 0


def test_an_amount_that_differs_confirms_nothing(make, session, card):
    _, org, event, tt = paid_event(make, session)
    order = buy(session, org, event, tt).order
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    card.paid[f"cs_{checkout.payment_id}"] = (1, "EUR")
    assert payments.refresh(session, order.access_token) == "pending"
    card.paid[f"cs_{checkout.payment_id}"] = (1500, "USD")
    assert payments.refresh(session, order.access_token) == "pending"
    assert session.get(Payment, checkout.payment_id).status == "pending"


def test_a_provider_that_is_down_loses_nothing(make, session, card):
    _, org, event, tt = paid_event(make, session)
    order = buy(session, org, event, tt).order
    card.down = True
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, "https://aq.example")
    failed = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert failed.status == "failed" and "ProviderUnavailable" in failed.last_error
    assert session.get(Order, order.id).status == "pending"
    card.down = False
    again = payments.start(session, order.access_token, None, "https://aq.example")
    assert card.created[-1].idempotency_key == f"aqstream-order-{order.id}:2"
    assert session.get(Payment, again.payment_id).attempt == 2


def _expire(session, order_id):
    session.exec(update(Order).where(Order.id == order_id).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    pending_orders.expire_due(session)


def test_a_late_payment_while_places_are_free_confirms_the_order(make, session, card):
    _, org, event, tt = paid_event(make, session)
    order = buy(session, org, event, tt).order
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    _expire(session, order.id)
    assert session.get(Order, order.id).status == "expired" and session.get(TicketType, tt.id).sold == 0
    card.paid[f"cs_{checkout.payment_id}"] = (1500, "EUR")
    payment = session.get(Payment, checkout.payment_id)
    outcome = payments.settle(session, payment.id, card.fetch_payment(payment.provider_payment_id))
    assert outcome == payments.REVIVED
    assert session.get(Order, order.id).status == "confirmed"
    assert session.exec(select(Ticket.status).where(Ticket.order_id == order.id)).all() == ["valid"]
    assert session.get(TicketType, tt.id).sold == 1 and inventory.holders(session, event.id)[tt.id] == 1


def test_a_late_payment_after_the_places_were_sold_is_refunded_with_an_apology(make, session, card):
    _, org, event, tt = paid_event(make, session, quantity=1)
    order = buy(session, org, event, tt).order
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    _expire(session, order.id)
    other = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Bob",
                                  buyer_email="bob@example.com", ticket_type_id=tt.id, payment_method="bank")
    assert other.order.status == "pending"
    card.paid[f"cs_{checkout.payment_id}"] = (1500, "EUR")
    payment = session.get(Payment, checkout.payment_id)
    assert payments.settle(session, payment.id, card.fetch_payment(payment.provider_payment_id)) == payments.REFUNDED
    assert payments.settle(session, payment.id, card.fetch_payment(payment.provider_payment_id)) == payments.ALREADY
    assert session.get(Order, order.id).status == "expired"
    assert session.get(TicketType, tt.id).sold == 1  # Bob's, never more than the one place
    refund = session.exec(select(Refund).where(Refund.order_id == order.id)).one()
    assert (refund.amount_minor, refund.reason, refund.status) == (1500, "late_payment", "pending")
    assert refunds.run_due(session, order_ids=[order.id]) == 1
    session.refresh(refund)
    assert refund.status == "done" and card.refunds == [(f"cs_{payment.id}", 1500, "EUR", refund.idempotency_key)]
    late = session.exec(select(DomainEvent).where(DomainEvent.name == "payment.refunded_late",
                                                  DomainEvent.organization_id == org.id)).all()
    assert len(late) == 1 and late[0].payload["amount_minor"] == 1500


def test_bank_transfer_waits_days_and_an_organizer_marks_it_paid(make, session):
    owner, org, event, tt = paid_event(make, session)
    order = buy(session, org, event, tt, method="bank").order
    assert order.expires_at - order.created_at == timedelta(days=3)
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    assert checkout.redirect_url == "" and checkout.reference.startswith(f"AQ-{order.id}-")
    assert payments.mark_paid(session, Principal(owner.id), org.id, order.id) == payments.CONFIRMED
    assert payments.mark_paid(session, Principal(owner.id), org.id, order.id) == payments.ALREADY
    assert session.get(Order, order.id).status == "confirmed"
    other_owner, other_org = make.org()
    with pytest.raises(Exception) as err:
        payments.mark_paid(session, Principal(other_owner.id), other_org.id, order.id)
    assert type(err.value).__name__ == "NotFound"


def test_refunds_in_part_and_in_full_are_records_retried_until_the_provider_answers(make, session, card):
    owner, org, event, tt = paid_event(make, session)
    order = buy(session, org, event, tt, n=2).order
    checkout = payments.start(session, order.access_token, None, "https://aq.example")
    card.paid[f"cs_{checkout.payment_id}"] = (3000, "EUR")
    payments.refresh(session, order.access_token)
    me = Principal(owner.id)
    with pytest.raises(ValidationError) as err:
        refunds.cancel_with_refund(session, me, org.id, order.id, amount_minor=3001, cancel=False)
    assert err.value.errors == {"amount_minor": "refund.amount_too_high"}
    part = refunds.cancel_with_refund(session, me, org.id, order.id, amount_minor=500, cancel=False)
    assert (part.amount_minor, part.status, part.cancelled_ticket_ids) == (500, "done", [])
    card.down = True
    rest = refunds.cancel_with_refund(session, me, org.id, order.id)
    assert rest.amount_minor == 2500 and rest.status == "pending" and len(rest.cancelled_ticket_ids) == 2
    assert session.get(TicketType, tt.id).sold == 0
    card.down = False
    assert refunds.run_due(session, order_ids=[order.id]) == 0  # not yet: it waits its back-off
    assert refunds.run_due(session, utcnow() + timedelta(minutes=5), order_ids=[order.id]) == 1
    assert [r[1] for r in card.refunds] == [500, 2500]
    money = payments.order_money(session, order.id)
    assert (money.paid_minor, money.refunded_minor, money.refunding_minor) == (3000, 3000, 0)
    with pytest.raises(Conflict):
        refunds.cancel_with_refund(session, me, org.id, order.id)


def test_a_cancelled_event_gives_every_payment_back_and_takes_no_more(make, session, card):
    from aqstream.services.events import event_lifecycle
    owner, org, event, tt = paid_event(make, session)
    paid = buy(session, org, event, tt).order
    checkout = payments.start(session, paid.access_token, None, "https://aq.example")
    card.paid[f"cs_{checkout.payment_id}"] = (1500, "EUR")
    payments.refresh(session, paid.access_token)
    waiting = buy(session, org, event, tt).order
    late = payments.start(session, waiting.access_token, None, "https://aq.example")
    event_lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "The venue flooded.")
    refund = session.exec(select(Refund).where(Refund.order_id == paid.id)).one()
    assert (refund.amount_minor, refund.reason, refund.status) == (1500, "event_cancelled", "pending")
    refunds.run_due(session, order_ids=[paid.id])
    session.refresh(refund)
    assert refund.status == "done"
    assert session.get(Order, waiting.id).status == "cancelled"  # the cancellation cancelled the pending order too
    with pytest.raises(Conflict) as err:
        payments.start(session, waiting.access_token, "stripe", "https://aq.example")
    assert err.value.message_key == "payment.not_payable"
    # Its open payment is paid after all: the money goes back, and the order stays cancelled.
    card.paid[f"cs_{late.payment_id}"] = (1500, "EUR")
    payment = session.get(Payment, late.payment_id)
    assert payments.settle(session, payment.id, card.fetch_payment(payment.provider_payment_id)) == payments.REFUNDED
    assert session.get(Order, waiting.id).status == "cancelled"
    assert session.exec(select(Refund.reason).where(Refund.order_id == waiting.id)).all() == ["late_payment"]


def test_a_paid_type_is_not_on_sale_while_the_event_offers_no_method(make, session, card):
    _, org, event, tt = paid_event(make, session)
    tt = session.get(TicketType, tt.id)
    assert registration.sales_state(tt, methods=settings.offered(session, event)) is None
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=False, pay_bank=False))
    session.commit()
    event = session.get(Event, event.id)
    assert settings.offered(session, event) == ()
    assert registration.sales_state(tt, methods=()) == "registration.no_payment_methods"
    free = TicketType(event_id=event.id, name="Free", quantity=1, price_minor=0)
    assert registration.sales_state(free, methods=()) is None
