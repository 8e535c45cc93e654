"""Stripe end to end against a fake Stripe API on 127.0.0.1 (tests/fakes/stripe_server.py): a paid registration
is started as a Checkout Session, paid, announced by a signed webhook and settled once; forged, replayed and
out-of-order webhooks; the provider down or slow; refunds in full and in part, retried until Stripe answers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import Event, Order, OutboxMessage, Payment, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import PaymentUnavailable
from aqstream.services.lifecycle import OrderStatus, PaymentStatus, RefundStatus
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, providers, refunds, settings
from aqstream.services.payments.stripe_provider import StripeProvider
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique
from tests.fakes import stripe_server

stripe_fake = stripe_server.stripe_fake  # the fixture
BASE = "http://testserver"


def paid_event(make, session, *, prices=(1500,), hold_minutes=15, currency="EUR", key="sk_test_x", hook="whsec_x"):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(10,) * len(prices))
    settings.update_settings(session, Principal(owner.id), org.id,
                             settings.SettingsInput(stripe_secret_key=key, stripe_webhook_secret=hook))
    for tt, price in zip(types, prices):
        session.exec(update(TicketType).where(TicketType.id == tt.id).values(price_minor=price, currency=currency))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True, hold_minutes=hold_minutes,
                                                                  currency=currency))
    session.commit()
    return owner, org, event, types


def buy(session, org, event, tickets, key=None, locale="en"):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna",
                                 buyer_email="anna@example.com", tickets=tickets, payment_method="stripe",
                                 idempotency_key=key or unique("reg-"), locale=locale).order


def order_row(session, order_id) -> Order:
    session.commit()
    return session.exec(select(Order).where(Order.id == order_id)).one()


def payment_rows(session, order_id) -> list[Payment]:
    session.commit()
    return list(session.exec(select(Payment).where(Payment.order_id == order_id).order_by(Payment.attempt)).all())


def confirmations(session, order_id) -> list[OutboxMessage]:
    session.commit()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == email_kinds.REGISTRATION_CONFIRMATION)).all()
    return [m for m in rows if m.payload.get("order_id") == order_id]


def succeeded_events(session, payment_id) -> list:
    session.commit()
    return [e for e in domain_events.events(session, "payment.succeeded") if e.payload.get("payment_id") == payment_id]


def deliver(session, org, fake, event_type, session_id, **kw) -> int:
    body, signature = fake.webhook(event_type, session_id, **kw)
    return payments.handle_notification(session, "stripe", org.slug, body, {"Stripe-Signature": signature})


def paid_order(session, make, fake, prices=(1500, 1500)):
    """An order of one ticket per price, paid through the fake and confirmed by its webhook."""
    owner, org, event, types = paid_event(make, session, prices=prices)
    order = buy(session, org, event, [TR(tt.id, f"Guest {i}") for i, tt in enumerate(types)])
    checkout = payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    fake.pay(payment.provider_payment_id)
    assert deliver(session, org, fake, "checkout.session.completed", payment.provider_payment_id) == 1
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED
    return owner, org, order, payment, checkout


# Paying -----------------------------------------------------------------------------------------------------


def test_a_paid_registration_is_paid_through_a_checkout_session_and_confirmed_by_its_webhook(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session, prices=(2550,))
    order = buy(session, org, event, [TR(tt.id, "Anna"), TR(tt.id, "Boris")], key="reg-key-1", locale="ru")
    assert order.status == OrderStatus.PENDING and order.total_minor == 5100

    checkout = payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    assert payment.status == PaymentStatus.PENDING and payment.test_mode is True
    sid = payment.provider_payment_id
    assert sid.startswith("cs_") and checkout.redirect_url == f"{stripe_fake.base_url}/c/pay/{sid}"
    remote = stripe_fake.session(sid)
    assert remote["amount_total"] == 5100 and remote["currency"] == "eur" and remote["mode"] == "payment"
    assert remote["metadata"] == {"order_id": str(order.id), "payment_id": str(payment.id)}
    assert remote["client_reference_id"] == str(order.id) and remote["customer_email"] == "anna@example.com"
    assert remote["success_url"] == f"{BASE}/order/{order.access_token}?paid=1"
    assert remote["cancel_url"] == f"{BASE}/order/{order.access_token}" and remote["locale"] == "ru"
    assert [(x["unit_amount"], x["quantity"]) for x in stripe_fake.line_items[sid]] == [(2550, 1), (2550, 1)]
    # The registration's Idempotency-Key is Stripe's.
    (create,) = stripe_fake.calls_to("POST", "/v1/checkout/sessions")
    assert create.idempotency_key == "reg-key-1" == payment.idempotency_key and create.account == "sk_test_x"
    # A 15-minute hold is shorter than Stripe allows a session: Stripe's own expiry is left.
    assert "expires_at" not in create.params

    # Not paid yet: a webhook about it changes nothing.
    assert deliver(session, org, stripe_fake, "checkout.session.completed", sid) == 1
    assert order_row(session, order.id).status == OrderStatus.PENDING and not confirmations(session, order.id)

    stripe_fake.pay(sid)
    assert deliver(session, org, stripe_fake, "checkout.session.completed", sid) == 1
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED
    (payment,) = payment_rows(session, order.id)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.paid_at is not None
    (mail,) = confirmations(session, order.id)
    assert mail.recipient == "anna@example.com"
    money = payments.order_money(session, order.id)
    assert (money.paid_minor, money.currency) == (5100, "EUR") == (stripe_fake.paid_minor(sid), "EUR")


def test_a_long_hold_sets_the_sessions_expiry_and_a_second_start_reuses_the_open_session(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session, hold_minutes=90)
    order = buy(session, org, event, [TR(tt.id)])
    first = payments.start(session, order.access_token, None, BASE)
    again = payments.start(session, order.access_token, "stripe", BASE)
    assert again.payment_id == first.payment_id and again.redirect_url == first.redirect_url
    (create,) = stripe_fake.calls_to("POST", "/v1/checkout/sessions")
    expires_in = int(create.params["expires_at"]) - stripe_fake.session(payment_rows(session, order.id)[0]
                                                                        .provider_payment_id)["created"]
    assert 90 * 60 - 5 <= expires_in <= 90 * 60


def test_the_same_webhook_twice_changes_things_once(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    stripe_fake.pay(payment.provider_payment_id)
    body, signature = stripe_fake.webhook("checkout.session.completed", payment.provider_payment_id)
    for _ in range(2):
        assert payments.handle_notification(session, "stripe", org.slug, body, {"stripe-signature": signature}) == 1
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED
    assert len(succeeded_events(session, payment.id)) == 1 and len(confirmations(session, order.id)) == 1
    # A payment_intent event names the same session (through its metadata): still nothing new.
    assert deliver(session, org, stripe_fake, "payment_intent.succeeded", payment.provider_payment_id) == 1
    assert len(succeeded_events(session, payment.id)) == 1 and len(confirmations(session, order.id)) == 1


def test_a_forged_webhook_is_refused_and_changes_nothing(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    sid = payment.provider_payment_id
    stripe_fake.pay(sid)  # paid: a forged webhook must still not be what settles it
    body, signature = stripe_fake.webhook("checkout.session.completed", sid)
    forged = [
        (body, {"Stripe-Signature": stripe_fake.sign(body, secret="whsec_someone_else")}),
        (body.replace(b'"paid"', b'"paid" '), {"Stripe-Signature": signature}),  # the body changed after signing
        (body, {}),
        (body, {"Stripe-Signature": "garbage"}),
        (b"not json", {"Stripe-Signature": stripe_fake.sign(b"not json")}),
        (body, {"Stripe-Signature": stripe_fake.sign(body, timestamp=int(utcnow().timestamp()) - 3600)}),  # replayed late
    ]
    for forged_body, headers in forged:
        with pytest.raises(providers.BadNotification):
            payments.handle_notification(session, "stripe", org.slug, forged_body, headers)
    assert order_row(session, order.id).status == OrderStatus.PENDING
    assert payment_rows(session, order.id)[0].status == PaymentStatus.PENDING
    assert not succeeded_events(session, payment.id) and not confirmations(session, order.id)
    assert not stripe_fake.calls_to("GET", f"/v1/checkout/sessions/{sid}")  # nothing was even fetched


def test_another_organizations_webhook_secret_does_not_verify_here(make, session, stripe_fake):
    stripe_fake.add_account("sk_test_other_org", "whsec_other_org")
    owner, org, event, (tt,) = paid_event(make, session)
    _, other, _, _ = paid_event(make, session, key="sk_test_other_org", hook="whsec_other_org")
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    sid = payment_rows(session, order.id)[0].provider_payment_id
    stripe_fake.pay(sid)
    body, signature = stripe_fake.webhook("checkout.session.completed", sid)  # signed with org's secret
    with pytest.raises(providers.BadNotification):
        payments.handle_notification(session, "stripe", other.slug, body, {"Stripe-Signature": signature})
    # Signed with the other organization's own secret: verified, but the session is not one of its payments.
    body, signature = stripe_fake.webhook("checkout.session.completed", sid, secret="whsec_other_org")
    assert payments.handle_notification(session, "stripe", other.slug, body, {"Stripe-Signature": signature}) == 0
    assert order_row(session, order.id).status == OrderStatus.PENDING


def test_an_out_of_order_webhook_is_fetched_back_and_believed_only_as_stripe_has_it(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    sid = payment.provider_payment_id
    stripe_fake.pay(sid)
    # A stale "expired" event arrives after the buyer paid: the session as Stripe has it now is paid.
    assert deliver(session, org, stripe_fake, "checkout.session.expired", sid,
                   overrides={"status": "expired", "payment_status": "unpaid"}) == 1
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED
    assert payment_rows(session, order.id)[0].status == PaymentStatus.SUCCEEDED
    # And the "completed" one, late: nothing more.
    assert deliver(session, org, stripe_fake, "checkout.session.completed", sid) == 1
    assert len(succeeded_events(session, payment.id)) == 1 and len(confirmations(session, order.id)) == 1


def test_an_expired_session_fails_the_payment_and_a_new_one_can_be_started(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)], key="reg-key-expired")
    payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    stripe_fake.expire(payment.provider_payment_id)
    # An "unpaid" snapshot is fetched back: Stripe says expired, so the payment failed.
    assert deliver(session, org, stripe_fake, "checkout.session.completed", payment.provider_payment_id,
                   overrides={"status": "complete", "payment_status": "unpaid"}) == 1
    assert payment_rows(session, order.id)[0].status == PaymentStatus.FAILED
    assert order_row(session, order.id).status == OrderStatus.PENDING
    again = payments.start(session, order.access_token, None, BASE)
    second = payment_rows(session, order.id)[1]
    assert again.payment_id == second.id and second.idempotency_key == "reg-key-expired:2"
    assert stripe_fake.calls_to("POST", "/v1/checkout/sessions")[-1].idempotency_key == "reg-key-expired:2"


def test_stripe_down_when_starting_fails_the_payment_keeps_the_order_and_a_second_start_works(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)], key="reg-key-down")
    stripe_fake.down = True
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, BASE)
    (failed,) = payment_rows(session, order.id)
    assert failed.status == PaymentStatus.FAILED and failed.provider_payment_id is None
    assert "ProviderUnavailable" in failed.last_error and "sk_test_x" not in failed.last_error
    assert order_row(session, order.id).status == OrderStatus.PENDING
    assert not stripe_fake.sessions

    stripe_fake.down = False
    checkout = payments.start(session, order.access_token, None, BASE)
    first, second = payment_rows(session, order.id)
    assert (first.status, second.status) == (PaymentStatus.FAILED, PaymentStatus.PENDING)
    assert checkout.redirect_url.endswith(second.provider_payment_id)
    assert [c.idempotency_key for c in stripe_fake.calls_to("POST", "/v1/checkout/sessions")] == [
        "reg-key-down", "reg-key-down:2"]
    stripe_fake.pay(second.provider_payment_id)
    deliver(session, org, stripe_fake, "checkout.session.completed", second.provider_payment_id)
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED


def test_stripe_too_slow_when_starting_is_unavailable_within_the_timeout(make, session, stripe_fake, monkeypatch):
    monkeypatch.setenv("AQSTREAM_PROVIDER_TIMEOUT", "0.3")
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    stripe_fake.delay = 1.5
    started = utcnow()
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, BASE)
    assert utcnow() - started < timedelta(seconds=1.4)
    assert payment_rows(session, order.id)[0].status == PaymentStatus.FAILED
    assert order_row(session, order.id).status == OrderStatus.PENDING
    stripe_fake.wait_idle()


def test_a_refused_key_fails_the_start(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session, key="sk_test_unknown_to_stripe")
    order = buy(session, org, event, [TR(tt.id)])
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    assert payment.status == PaymentStatus.FAILED and "ProviderRefused" in payment.last_error
    assert "sk_test_unknown_to_stripe" not in payment.last_error
    assert stripe_fake.calls[-1].status == 401


def test_the_buyers_return_fetches_the_payment_without_a_webhook(make, session, stripe_fake):
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    assert payments.refresh(session, order.access_token) == OrderStatus.PENDING
    stripe_fake.pay(payment_rows(session, order.id)[0].provider_payment_id)
    assert payments.refresh(session, order.access_token) == OrderStatus.CONFIRMED
    assert len(confirmations(session, order.id)) == 1


def test_zero_decimal_and_iceland_currencies_reach_stripe_in_its_units(stripe_fake):
    provider = StripeProvider("sk_test_x", "whsec_x")

    def start(currency, amount):
        request = providers.CheckoutRequest(
            order_id=1, payment_id=1, amount_minor=amount, currency=currency, description="Event #1",
            buyer_email="a@example.com", return_url=f"{BASE}/order/t?paid=1", cancel_url=f"{BASE}/order/t",
            idempotency_key=unique("k-"), lines=(providers.Line("Ticket", amount),))
        return provider.create_payment(request).provider_payment_id

    jpy, isk = start("JPY", 3000), start("ISK", 2500)
    assert (stripe_fake.session(jpy)["amount_total"], stripe_fake.session(jpy)["currency"]) == (3000, "jpy")
    assert stripe_fake.session(isk)["amount_total"] == 250000  # Stripe writes ISK with two (zero) decimals
    stripe_fake.pay(isk)
    remote = provider.fetch_payment(isk)
    assert (remote.status, remote.amount_minor, remote.currency) == (providers.REMOTE_SUCCEEDED, 2500, "ISK")


# Refunds ----------------------------------------------------------------------------------------------------


def test_a_full_refund_reaches_stripe_with_the_refunds_own_idempotency_key(make, session, stripe_fake):
    owner, org, order, payment, _ = paid_order(session, make, stripe_fake)
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id)
    assert (result.amount_minor, result.status) == (3000, RefundStatus.DONE)
    assert order_row(session, order.id).status == OrderStatus.CANCELLED
    (refund,) = refunds.order_refunds(session, order.id)
    (remote,) = stripe_fake.refunds_of(payment.provider_payment_id)
    assert remote["amount"] == 3000 and remote["status"] == "succeeded" and refund.provider_refund_id == remote["id"]
    assert stripe_fake.calls_to("POST", "/v1/refunds")[-1].idempotency_key == refund.idempotency_key
    money = payments.order_money(session, order.id)
    assert money.refunded_minor == money.paid_minor == stripe_fake.refunded_minor(payment.provider_payment_id)


def test_refunds_in_part_add_up_at_stripe_and_nothing_more_can_be_given(make, session, stripe_fake):
    owner, org, order, payment, _ = paid_order(session, make, stripe_fake, prices=(1000, 2000))
    who = Principal(owner.id)
    goodwill = refunds.cancel_with_refund(session, who, org.id, order.id, amount_minor=700, cancel=False)
    assert (goodwill.amount_minor, goodwill.status, goodwill.cancelled_ticket_ids) == (700, RefundStatus.DONE, [])
    _, second_ticket = session.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).all()
    one = refunds.cancel_with_refund(session, who, org.id, order.id, ticket_id=second_ticket.id)
    assert (one.amount_minor, one.status) == (2000, RefundStatus.DONE)  # the ticket's price
    rest = refunds.cancel_with_refund(session, who, org.id, order.id)
    assert (rest.amount_minor, rest.status) == (300, RefundStatus.DONE)  # all that was left
    assert [r["amount"] for r in stripe_fake.refunds_of(payment.provider_payment_id)] == [700, 2000, 300]
    assert stripe_fake.refunded_minor(payment.provider_payment_id) == 3000
    assert payments.order_money(session, order.id).refunded_minor == 3000
    assert [r.amount_minor for r in refunds.order_refunds(session, order.id)] == [700, 2000, 300]
    assert refunds.refundable(session, payment.id) == 0


def test_a_refund_while_stripe_is_down_waits_and_the_job_finishes_it(make, session, stripe_fake):
    owner, org, order, payment, _ = paid_order(session, make, stripe_fake)
    stripe_fake.down = True
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=1200)
    assert result.status == RefundStatus.PENDING
    (refund,) = refunds.order_refunds(session, order.id)
    assert refund.attempts == 1 and "unavailable" in refund.last_error and refund.next_attempt_at > utcnow()
    assert not stripe_fake.refunds
    assert refunds.run_due(session, order_ids=[order.id]) == 0  # not due yet
    stripe_fake.down = False
    assert refunds.run_due(session, utcnow() + timedelta(minutes=5), order_ids=[order.id]) == 1
    session.commit()
    (refund,) = refunds.order_refunds(session, order.id)
    assert refund.status == RefundStatus.DONE and refund.last_error == ""
    assert [r["amount"] for r in stripe_fake.refunds_of(payment.provider_payment_id)] == [1200]
    assert payments.order_money(session, order.id).refunded_minor == 1200


def test_a_refund_whose_answer_was_lost_is_not_paid_twice(make, session, stripe_fake, monkeypatch):
    owner, org, order, payment, _ = paid_order(session, make, stripe_fake)
    monkeypatch.setenv("AQSTREAM_PROVIDER_TIMEOUT", "0.3")
    stripe_fake.delays[("POST", "/v1/refunds")] = 1.0  # Stripe makes it, but answers too late
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id)
    assert result.status == RefundStatus.PENDING
    stripe_fake.wait_idle()
    stripe_fake.delays.clear()
    assert len(stripe_fake.refunds_of(payment.provider_payment_id)) == 1
    refunds.run_due(session, utcnow() + timedelta(minutes=5), order_ids=[order.id])
    session.commit()
    (refund,) = refunds.order_refunds(session, order.id)
    (remote,) = stripe_fake.refunds_of(payment.provider_payment_id)  # the same one, given back again
    assert refund.status == RefundStatus.DONE and refund.provider_refund_id == remote["id"]
    assert stripe_fake.refunded_minor(payment.provider_payment_id) == 3000


def test_a_refund_stripe_refuses_is_failed_for_a_person_to_look_at(make, session, stripe_fake):
    owner, org, order, payment, _ = paid_order(session, make, stripe_fake)
    stripe_fake.refund_status = "failed"
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=500, cancel=False)
    assert result.status == RefundStatus.FAILED
    (refund,) = refunds.order_refunds(session, order.id)
    assert "refused" in refund.last_error and refund.provider_refund_id == ""


def test_a_pending_refund_at_stripe_is_accepted(stripe_fake):
    provider = StripeProvider("sk_test_x", "whsec_x")
    request = providers.CheckoutRequest(
        order_id=7, payment_id=8, amount_minor=1000, currency="EUR", description="Event #7",
        buyer_email="a@example.com", return_url=f"{BASE}/order/t?paid=1", cancel_url=f"{BASE}/order/t",
        idempotency_key=unique("k-"))
    sid = provider.create_payment(request).provider_payment_id
    assert [(x["unit_amount"], x["name"]) for x in stripe_fake.line_items[sid]] == [(1000, "Event #7")]
    stripe_fake.pay(sid)
    stripe_fake.refund_status = "pending"
    answer = provider.refund(sid, 400, "EUR", "refund-key-1")
    assert answer.done is False and answer.provider_refund_id.startswith("re_")
    with pytest.raises(providers.ProviderRefused):  # more than is left
        provider.refund(sid, 700, "EUR", "refund-key-2")
    with pytest.raises(providers.ProviderRefused):  # an unknown session
        provider.fetch_payment("cs_test_nope")


def test_the_fakes_checkout_page_pays_and_sends_the_buyer_back(stripe_fake):
    import httpx
    provider = StripeProvider("sk_test_x", "whsec_x")

    def start():
        return provider.create_payment(providers.CheckoutRequest(
            order_id=9, payment_id=9, amount_minor=500, currency="EUR", description="Event #9",
            buyer_email="a@example.com", return_url=f"{BASE}/order/t?paid=1", cancel_url=f"{BASE}/order/t",
            idempotency_key=unique("k-"), lines=(providers.Line("Ticket", 500),)))

    paid, cancelled = start(), start()
    page = httpx.get(paid.redirect_url)
    assert page.status_code == 200 and 'id="pay"' in page.text and "5" in page.text
    done = httpx.post(f"{paid.redirect_url}/pay")
    assert done.status_code == 303 and done.headers["location"] == f"{BASE}/order/t?paid=1"
    assert provider.fetch_payment(paid.provider_payment_id).status == providers.REMOTE_SUCCEEDED
    back = httpx.post(f"{cancelled.redirect_url}/cancel")
    assert back.status_code == 303 and back.headers["location"] == f"{BASE}/order/t"
    assert provider.fetch_payment(cancelled.provider_payment_id).status == providers.REMOTE_PENDING
    assert 'id="pay"' not in httpx.get(paid.redirect_url).text  # paid: nothing more to pay


def test_a_paid_webhook_finds_a_payment_whose_stripe_id_was_never_saved(make, session, stripe_fake):
    """The process stopped between Stripe's answer and the write of its id: the signed webhook names our payment in
    its metadata, and the order is confirmed all the same."""
    owner, org, event, (tt,) = paid_event(make, session)
    order = buy(session, org, event, [TR(tt.id)])
    payments.start(session, order.access_token, None, BASE)
    (payment,) = payment_rows(session, order.id)
    sid = payment.provider_payment_id
    session.exec(update(Payment).where(Payment.id == payment.id).values(provider_payment_id=None, status="created",
                                                                        redirect_url=""))
    session.commit()
    stripe_fake.pay(sid)
    assert deliver(session, org, stripe_fake, "checkout.session.completed", sid) == 1
    assert order_row(session, order.id).status == OrderStatus.CONFIRMED
    (payment,) = payment_rows(session, order.id)
    assert payment.provider_payment_id == sid and payment.status == PaymentStatus.SUCCEEDED
    # Another organization's payment, announced at this organization's address: its metadata is not taken here.
    _, other_org, other_event, (other_tt,) = paid_event(make, session)
    other = buy(session, other_org, other_event, [TR(other_tt.id)])
    payments.start(session, other.access_token, None, BASE)
    (theirs,) = payment_rows(session, other.id)
    theirs_sid = theirs.provider_payment_id
    session.exec(update(Payment).where(Payment.id == theirs.id).values(provider_payment_id=None, status="created"))
    session.commit()
    stripe_fake.pay(theirs_sid)
    assert deliver(session, org, stripe_fake, "checkout.session.completed", theirs_sid) == 0
    assert order_row(session, other.id).status == OrderStatus.PENDING
    assert payment_rows(session, other.id)[0].provider_payment_id is None
