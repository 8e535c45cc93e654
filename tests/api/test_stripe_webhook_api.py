"""Stripe over HTTP: the public payment start gives the fake Stripe's page; the organization's webhook endpoint
answers 200 to a signed event (the order is confirmed) and 400 to a forged one (nothing changes)."""
from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from aqstream.models import Event, Order, Payment, TicketType
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import settings
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.fakes import stripe_server

stripe_fake = stripe_server.stripe_fake  # the fixture


def test_stripe_webhook_over_http_confirms_a_signed_payment_and_refuses_a_forged_one(client, make, session, stripe_fake):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    settings.update_settings(session, Principal(owner.id), org.id,
                             settings.SettingsInput(stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_x"))
    session.exec(update(TicketType).where(TicketType.id == tt.id).values(price_minor=1990))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True))
    session.commit()
    order = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna",
                                  buyer_email="anna@example.com", tickets=[TR(tt.id)], payment_method="stripe",
                                  idempotency_key="api-stripe-1").order

    started = client.post(f"/api/v1/public/orders/{order.access_token}/payments", json={})
    assert started.status_code == 200, started.text
    session.commit()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    sid = payment.provider_payment_id
    assert started.json()["method"] == "stripe" and started.json()["redirect_url"] == stripe_fake.session(sid)["url"]
    stripe_fake.pay(sid)
    url = f"/api/v1/payments/stripe/{org.slug}/webhook"

    body, signature = stripe_fake.webhook("checkout.session.completed", sid)
    forged = client.post(url, content=body, headers={"Stripe-Signature": stripe_fake.sign(body, secret="whsec_forged"),
                                                     "Content-Type": "application/json"})
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "bad_notification"
    unsigned = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    session.commit()
    assert session.exec(select(Order.status).where(Order.id == order.id)).one() == "pending"

    assert client.post(f"/api/v1/payments/stripe/no-such-org-{org.id}/webhook", content=body,
                       headers={"Stripe-Signature": signature}).status_code == 404
    ok = client.post(url, content=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json() == {"received": True, "payments": 1}
    session.commit()
    assert session.exec(select(Order.status).where(Order.id == order.id)).one() == "confirmed"
    shown = client.post(f"/api/v1/public/orders/{order.access_token}/payment-status")
    assert shown.status_code == 200 and shown.json()["status"] == "confirmed" and shown.json()["paid_minor"] == 1990

    # The same paid webhook again, with Stripe down: its signature is enough, nothing changes, 200.
    stripe_fake.down = True
    again = client.post(url, content=body, headers={"Stripe-Signature": signature})
    assert again.status_code == 200
    # One that must be fetched back (an unpaid snapshot) while Stripe is down: 503, so Stripe sends it again.
    stale, stale_signature = stripe_fake.webhook("checkout.session.expired", sid,
                                                 overrides={"status": "expired", "payment_status": "unpaid"})
    assert client.post(url, content=stale, headers={"Stripe-Signature": stale_signature}).status_code == 503


def test_a_paid_registration_answers_with_the_payment_page_in_the_same_request(client, make, session, stripe_fake):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    settings.update_settings(session, Principal(owner.id), org.id,
                             settings.SettingsInput(stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_x"))
    session.exec(update(TicketType).where(TicketType.id == tt.id).values(price_minor=2500))
    session.exec(update(Event).where(Event.id == event.id).values(pay_stripe=True))
    session.commit()
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    body = {"name": "Anna", "email": "anna@example.com", "ticket_type_id": tt.id, "payment_method": "stripe"}
    first = client.post(url, json=body, headers={"Idempotency-Key": "one-request-1"})
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["status"] == "pending" and answer["total_minor"] == 2500 and answer["expires_at"]
    (sid,) = list(stripe_fake.sessions)
    assert answer["payment_url"] == stripe_fake.session(sid)["url"] and answer["payment_error"] is None
    assert stripe_fake.calls_to("POST", "/v1/checkout/sessions")[0].idempotency_key == "one-request-1"
    # The same request again: the same order and the same payment page, no second session.
    again = client.post(url, json=body, headers={"Idempotency-Key": "one-request-1"})
    assert again.status_code == 200 and again.json()["id"] == answer["id"]
    assert again.json()["payment_url"] == answer["payment_url"] and len(stripe_fake.sessions) == 1
    # Stripe down: the order is made and keeps its places; the answer says the payment must be started again.
    stripe_fake.down = True
    down = client.post(url, json={**body, "email": "boris@example.com"}, headers={"Idempotency-Key": "one-request-2"})
    assert down.status_code == 201 and down.json()["payment_url"] is None
    assert down.json()["payment_error"] == "payment_unavailable" and down.json()["status"] == "pending"
    stripe_fake.down = False
    token = down.json()["confirmation_url"].rsplit("/", 1)[-1]
    retried = client.post(f"/api/v1/public/orders/{token}/payments", json={})
    assert retried.status_code == 200 and retried.json()["redirect_url"].startswith(stripe_fake.base_url)
    session.commit()
    attempts = session.exec(select(Payment.attempt, Payment.status).where(Payment.order_id == down.json()["id"])
                            .order_by(Payment.attempt)).all()
    assert attempts == [(1, "failed"), (2, "pending")]
