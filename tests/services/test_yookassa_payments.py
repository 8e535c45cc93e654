"""YooKassa end to end against a fake YooKassa API on 127.0.0.1 (tests/fakes/yookassa_server.py): an organization
connects its shop, a buyer pays a paid registration in roubles through the confirmation redirect, notifications
are believed only after the payment is fetched back, receipts (54-FZ), refunds, and a provider that is down."""
from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import DomainEvent, Event, Order, Payment, Refund, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import PaymentUnavailable, ValidationError
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, providers, refunds, settings
from aqstream.services.payments.providers import BadNotification, CheckoutRequest, Line, ProviderRefused, ProviderUnavailable
from aqstream.services.payments.yookassa import YooKassaProvider, money_value, parse_value
from aqstream.services.sales import registration
from tests.conftest import unique
from tests.fakes import yookassa_server
from tests.fakes.yookassa_server import SECRET_KEY, SHOP_ID

yookassa_fake = yookassa_server.yookassa_fake  # the fixture

BASE = "https://aq.example"


def rouble_event(make, session, prices=(150000,), receipts=False, vat_code=1):
    """An organization with its YooKassa shop connected, and a published event in RUB that offers YooKassa."""
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(10,) * len(prices))
    if len(types) < len(prices):  # the factory makes one type a quantity
        raise AssertionError("ticket types")
    settings.update_settings(session, Principal(owner.id), org.id, settings.SettingsInput(
        yookassa_shop_id=SHOP_ID, yookassa_secret_key=SECRET_KEY, receipts_enabled=receipts, receipt_vat_code=vat_code))
    session.exec(update(Event).where(Event.id == event.id).values(pay_yookassa=True, currency="RUB"))
    for tt, price in zip(types, prices):
        session.exec(update(TicketType).where(TicketType.id == tt.id).values(price_minor=price, currency="RUB"))
    session.commit()
    return owner, org, session.get(Event, event.id), [session.get(TicketType, tt.id) for tt in types]


def buy(session, org, event, tickets, email="anna@example.ru", key=None):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Анна Покупатель",
                                 buyer_email=email, tickets=[registration.TicketRequest(tt.id, "Анна")
                                                             for tt in tickets],
                                 payment_method="yookassa", idempotency_key=key or unique("idem-")).order


def order_status(session, order_id):
    return session.exec(select(Order.status).where(Order.id == order_id)).one()


def notify(session, org, body):
    return payments.handle_notification(session, "yookassa", org.slug, body, {"content-type": "application/json"})


def paid_order(make, session, fake, prices=(150000,), **kw):
    owner, org, event, types = rouble_event(make, session, prices, **kw)
    order = buy(session, org, event, types)
    checkout = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    fake.pay(pid)
    assert notify(session, org, fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "confirmed"
    return owner, org, order, pid


def test_a_buyer_pays_through_yookassa_and_a_notification_confirms_the_order(make, session, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt], key="idem-yk-1")
    assert order.status == "pending" and order.total_minor == 150000 and order.currency == "RUB"
    checkout = payments.start(session, order.access_token, None, BASE)
    payment = session.get(Payment, checkout.payment_id)
    pid = payment.provider_payment_id
    assert checkout.method == "yookassa" and payment.status == "pending" and payment.test_mode
    assert checkout.redirect_url == yookassa_fake.payments[pid]["confirmation"]["confirmation_url"]
    (sent,) = yookassa_fake.requests_to("POST", "/payments")
    assert sent["shop"] == SHOP_ID and sent["key"] == "idem-yk-1"
    assert sent["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert sent["body"]["capture"] is True
    assert sent["body"]["confirmation"]["type"] == "redirect"
    assert sent["body"]["confirmation"]["return_url"] == f"{BASE}/order/{order.access_token}?paid=1"
    assert sent["body"]["metadata"] == {"order_id": str(order.id), "payment_id": str(payment.id)}
    assert event.title in sent["body"]["description"] and len(sent["body"]["description"]) <= 128
    assert "receipt" not in sent["body"]  # receipts are off for this organization
    # A notification before the buyer paid: fetched back, still pending, nothing changes.
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "pending"
    yookassa_fake.pay(pid)
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "confirmed"
    assert session.get(Payment, payment.id).status == "succeeded"
    assert session.exec(select(Ticket.status).where(Ticket.order_id == order.id)).all() == ["valid"]
    assert [r["method"] for r in yookassa_fake.requests if r["path"] == f"/payments/{pid}"] == ["GET", "GET"]


def test_a_forged_notification_changes_nothing(make, session, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt])
    checkout = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    # It says succeeded with the right amount, but YooKassa, asked, says the payment is still pending.
    forged = json.dumps({"type": "notification", "event": "payment.succeeded", "object": {
        "id": pid, "status": "succeeded", "paid": True, "amount": {"value": "1500.00", "currency": "RUB"}}}).encode()
    assert notify(session, org, forged) == 1
    assert order_status(session, order.id) == "pending"
    assert session.get(Payment, checkout.payment_id).status == "pending"
    # An id that is not ours is ignored; one that is ours in our table but unknown to YooKassa is refused.
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", "2d3a4b5c-000f-5000-9000-000000000000")) == 0
    session.exec(update(Payment).where(Payment.id == checkout.payment_id).values(
        provider_payment_id="2d3a4b5c-000f-5000-9000-0000000000ff"))
    session.commit()
    with pytest.raises(BadNotification):
        notify(session, org, yookassa_fake.notification("payment.succeeded", "2d3a4b5c-000f-5000-9000-0000000000ff"))
    assert order_status(session, order.id) == "pending"
    # Malformed bodies.
    for body in (b"", b"not json", b"[]", b'{"type": "notification", "event": "payment.succeeded"}',
                 b'{"type": "notification", "event": "payment.exploded", "object": {"id": "x"}}',
                 b'{"type": "other", "event": "payment.succeeded", "object": {"id": "x"}}',
                 json.dumps({"type": "notification", "event": "payment.succeeded", "object": {"id": 12}}).encode()):
        with pytest.raises(BadNotification):
            notify(session, org, body)
    assert order_status(session, order.id) == "pending"
    assert not session.exec(select(DomainEvent).where(DomainEvent.name == "payment.succeeded",
                                                      DomainEvent.organization_id == org.id)).all()


def test_a_payment_sent_to_another_organizations_url_is_not_theirs(make, session, yookassa_fake):
    """The same payment id sent to another organization's notification URL names none of its payments."""
    _, org, order, pid = paid_order(make, session, yookassa_fake)
    _, other, _, _ = rouble_event(make, session)
    assert notify(session, other, yookassa_fake.notification("payment.succeeded", pid)) == 0


def test_a_replayed_notification_changes_things_once(make, session, yookassa_fake):
    _, org, order, pid = paid_order(make, session, yookassa_fake)
    body = yookassa_fake.notification("payment.succeeded", pid)
    for _ in range(3):
        assert notify(session, org, body) == 1
    # A refund's notification names the same payment: fetched, already settled.
    assert notify(session, org, json.dumps({"type": "notification", "event": "refund.succeeded",
                                            "object": {"id": "r-1", "payment_id": pid}}).encode()) == 1
    assert order_status(session, order.id) == "confirmed"
    names = session.exec(select(DomainEvent.name).where(DomainEvent.organization_id == org.id,
                                                        DomainEvent.name.in_(("payment.succeeded", "order.confirmed")))).all()
    assert sorted(names) == ["order.confirmed", "payment.succeeded"]


def test_a_different_amount_confirms_nothing(make, session, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt])
    checkout = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    yookassa_fake.pay(pid)
    yookassa_fake.report_amount(pid, "1.00")
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "pending"
    payment = session.get(Payment, checkout.payment_id)
    assert payment.status == "pending" and "mismatch" in payment.last_error
    # One kopeck short is as wrong as a rouble.
    yookassa_fake.report_amount(pid, "1499.99")
    assert payments.refresh(session, order.access_token) == "pending"
    yookassa_fake.report_amount(pid, "1500.00")
    assert payments.refresh(session, order.access_token) == "confirmed"


def test_a_cancelled_payment_fails_and_the_order_may_be_paid_again(make, session, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt], key="idem-again")
    first = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, first.payment_id).provider_payment_id
    yookassa_fake.cancel(pid)
    assert notify(session, org, yookassa_fake.notification("payment.canceled", pid)) == 1
    assert session.get(Payment, first.payment_id).status == "failed"
    assert order_status(session, order.id) == "pending"
    second = payments.start(session, order.access_token, None, BASE)
    assert second.payment_id != first.payment_id
    assert [r["key"] for r in yookassa_fake.requests_to("POST", "/payments")] == ["idem-again", "idem-again:2"]


def test_receipts_carry_the_email_and_one_item_per_ticket(make, session, yookassa_fake):
    _, org, event, (standard, vip) = rouble_event(make, session, prices=(150000, 249950), receipts=True, vat_code=4)
    order = buy(session, org, event, [standard, vip, standard], email="boris@example.ru")
    assert order.total_minor == 549950
    checkout = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    receipt = yookassa_fake.payments[pid]["receipt"]
    assert yookassa_fake.payments[pid]["amount"] == {"value": "5499.50", "currency": "RUB"}
    assert receipt["customer"] == {"email": "boris@example.ru"}
    items = receipt["items"]
    assert len(items) == 3
    assert sorted(item["amount"]["value"] for item in items) == ["1500.00", "1500.00", "2499.50"]
    assert {item["description"] for item in items} == {standard.name, vip.name}
    for item in items:
        assert item["quantity"] == "1.00" and item["amount"]["currency"] == "RUB"
        assert item["vat_code"] == 4 and item["payment_subject"] == "service" and item["payment_mode"] == "full_payment"
    yookassa_fake.pay(pid)
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "confirmed"


def test_refunds_full_and_partial(make, session, yookassa_fake):
    owner, org, order, pid = paid_order(make, session, yookassa_fake, prices=(150000,))
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=50050,
                                        cancel=False)
    assert result.status == "done" and result.amount_minor == 50050
    (first,) = yookassa_fake.requests_to("POST", "/refunds")
    refund = session.get(Refund, result.refund_id)
    assert first["body"] == {"payment_id": pid, "amount": {"value": "500.50", "currency": "RUB"}}
    assert first["key"] == refund.idempotency_key
    assert refund.provider_refund_id in yookassa_fake.refunds
    with pytest.raises(ValidationError):
        refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=150000)
    rest = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id)  # cancels, gives back the rest
    assert rest.status == "done" and rest.amount_minor == 99950
    assert order_status(session, order.id) == "cancelled"
    assert yookassa_fake.payments[pid]["refunded_amount"] == {"value": "1500.00", "currency": "RUB"}
    assert payments.order_money(session, order.id).refunded_minor == 150000


def test_a_refund_yookassa_cancels_is_failed(make, session, yookassa_fake):
    owner, org, order, pid = paid_order(make, session, yookassa_fake)
    yookassa_fake.refund_status = "canceled"
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=100, cancel=False)
    assert result.status == "failed"
    assert "refused" in session.get(Refund, result.refund_id).last_error


def test_a_refund_while_yookassa_is_down_is_retried(make, session, yookassa_fake):
    owner, org, order, pid = paid_order(make, session, yookassa_fake)
    yookassa_fake.fail_next(500)
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=100, cancel=False)
    assert result.status == "pending"
    refund = session.get(Refund, result.refund_id)
    assert refunds.attempt(session, refund.id, refund.next_attempt_at) == "done"
    keys = [r["key"] for r in yookassa_fake.requests_to("POST", "/refunds")]
    assert keys == [refund.idempotency_key]  # the 500 came before the fake took it; the retry made it once
    assert len(yookassa_fake.refunds) == 1


def test_provider_down_then_retry(make, session, yookassa_fake, monkeypatch):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt], key="idem-down")
    yookassa_fake.down = True
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, BASE)
    failed = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert failed.status == "failed" and "ProviderUnavailable" in failed.last_error
    assert order_status(session, order.id) == "pending"
    yookassa_fake.down = False
    monkeypatch.setenv("AQSTREAM_PROVIDER_TIMEOUT", "0.3")
    yookassa_fake.delay = 1.0
    with pytest.raises(PaymentUnavailable):
        payments.start(session, order.access_token, None, BASE)
    yookassa_fake.delay = 0
    checkout = payments.start(session, order.access_token, None, BASE)
    assert checkout.redirect_url.startswith("https://yoomoney.ru/")
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    yookassa_fake.pay(pid)
    assert notify(session, org, yookassa_fake.notification("payment.succeeded", pid)) == 1
    assert order_status(session, order.id) == "confirmed"
    # The slow attempt reaches the fake after we gave up (a payment nobody will pay); each attempt has its own key.
    deadline = time.monotonic() + 5
    while len(yookassa_fake.requests_to("POST", "/payments")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(r["key"] for r in yookassa_fake.requests_to("POST", "/payments")) == ["idem-down:2", "idem-down:3"]


def test_a_notification_while_yookassa_is_down_is_asked_again(make, session, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt])
    checkout = payments.start(session, order.access_token, None, BASE)
    pid = session.get(Payment, checkout.payment_id).provider_payment_id
    yookassa_fake.pay(pid)
    body = yookassa_fake.notification("payment.succeeded", pid)
    yookassa_fake.fail_next(429)
    with pytest.raises(ProviderUnavailable):
        notify(session, org, body)
    assert order_status(session, order.id) == "pending"
    assert notify(session, org, body) == 1
    assert order_status(session, order.id) == "confirmed"


# -- the provider on its own -----------------------------------------------------------------------------------------


def request_for(amount_minor=150000, currency="RUB", **kw):
    values = dict(order_id=7, payment_id=9, amount_minor=amount_minor, currency=currency, description="Концерт #7",
                  buyer_email="a@example.ru", return_url="https://aq.example/order/t?paid=1",
                  cancel_url="https://aq.example/order/t", idempotency_key=unique("k-"))
    return CheckoutRequest(**{**values, **kw})


def test_money_is_exact_both_ways():
    assert money_value(150000, "RUB") == "1500.00"
    assert money_value(5, "RUB") == "0.05"
    assert money_value(500, "JPY") == "500"
    assert parse_value("1500.50", "RUB") == 150050
    assert parse_value("0.10", "RUB") == 10
    assert parse_value("1500", "RUB") == 150000
    assert parse_value("500", "JPY") == 500
    for bad in ("1500.005", "abc", "-1.00", "NaN", "Infinity", "1E+3", " ", 1500.5, None):
        with pytest.raises(ProviderRefused):
            parse_value(bad, "RUB")


def test_fetch_maps_statuses_and_amounts(yookassa_fake):
    provider = YooKassaProvider(SHOP_ID, SECRET_KEY)
    created = provider.create_payment(request_for(150050))
    remote = provider.fetch_payment(created.provider_payment_id)
    assert (remote.status, remote.amount_minor, remote.currency) == (providers.REMOTE_PENDING, 150050, "RUB")
    assert remote.metadata == {"order_id": "7", "payment_id": "9"}
    yookassa_fake.wait_for_capture(created.provider_payment_id)
    assert provider.fetch_payment(created.provider_payment_id).status == providers.REMOTE_PENDING
    yookassa_fake.pay(created.provider_payment_id)
    assert provider.fetch_payment(created.provider_payment_id).status == providers.REMOTE_SUCCEEDED
    yookassa_fake.cancel(created.provider_payment_id)
    assert provider.fetch_payment(created.provider_payment_id).status == providers.REMOTE_FAILED
    with pytest.raises(BadNotification):
        provider.fetch_payment("00000000-000f-5000-9000-000000000000")
    with pytest.raises(BadNotification):
        provider.fetch_payment("../refunds/x")


def test_idempotence_key_gives_the_same_payment(yookassa_fake):
    provider = YooKassaProvider(SHOP_ID, SECRET_KEY)
    request = request_for()
    assert provider.create_payment(request) == provider.create_payment(request)
    assert len(yookassa_fake.payments) == 1
    long_key = "x" * 200  # YooKassa takes at most 64 characters: a longer key is hashed, still one key
    first = provider.create_payment(request_for(idempotency_key=long_key))
    assert provider.create_payment(request_for(idempotency_key=long_key)) == first
    assert provider.create_payment(request_for(idempotency_key=long_key + ":2")) != first
    assert all(len(r["key"]) <= 64 for r in yookassa_fake.requests)


def test_receipt_lines_that_do_not_add_up_become_one_item(yookassa_fake):
    provider = YooKassaProvider(SHOP_ID, SECRET_KEY)
    created = provider.create_payment(request_for(100000, receipt=True, vat_code=1,
                                                  lines=(Line("A" * 300, 60000),)))
    items = yookassa_fake.payments[created.provider_payment_id]["receipt"]["items"]
    assert [(i["description"], i["amount"]["value"]) for i in items] == [("Концерт #7", "1000.00")]
    created = provider.create_payment(request_for(120000, receipt=True, lines=(Line("B" * 300, 60000, 2),)))
    (item,) = yookassa_fake.payments[created.provider_payment_id]["receipt"]["items"]
    assert item["quantity"] == "2.00" and item["amount"]["value"] == "600.00" and len(item["description"]) == 128


def test_errors_are_unavailable_or_refused_and_never_show_the_secret(yookassa_fake, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    provider = YooKassaProvider(SHOP_ID, SECRET_KEY)
    seen = []
    for status, kind in ((429, ProviderUnavailable), (500, ProviderUnavailable), (503, ProviderUnavailable),
                         (400, ProviderRefused), (403, ProviderRefused)):
        yookassa_fake.fail_next(status)
        with pytest.raises(kind) as err:
            provider.create_payment(request_for())
        seen.append(str(err.value))
    with pytest.raises(ProviderRefused) as err:  # a wrong key: the fake's Basic auth says no
        YooKassaProvider(SHOP_ID, "test_wrong_secret_value").create_payment(request_for())
    seen.append(str(err.value))
    assert "401" in seen[-1]
    yookassa_fake.refund_status = "canceled"
    created = provider.create_payment(request_for())
    yookassa_fake.pay(created.provider_payment_id)
    with pytest.raises(ProviderRefused):
        provider.refund(created.provider_payment_id, 100, "RUB", unique("r-"))
    yookassa_fake.refund_status = "pending"
    answer = provider.refund(created.provider_payment_id, 100, "RUB", unique("r-"))
    assert answer.done is False and answer.provider_refund_id in yookassa_fake.refunds
    yookassa_fake.refund_status = "succeeded"
    assert provider.refund(created.provider_payment_id, 100, "RUB", unique("r-")).done is True
    # Nothing listens on the port: a connection error is "unavailable".
    monkeypatch.setenv("AQSTREAM_YOOKASSA_API_URL", "http://127.0.0.1:9/v3")
    with pytest.raises(ProviderUnavailable):
        provider.fetch_payment(created.provider_payment_id)
    assert SECRET_KEY not in caplog.text and SECRET_KEY not in " ".join(seen) and SECRET_KEY not in repr(provider)


def test_notification_ids():
    provider = YooKassaProvider(SHOP_ID, SECRET_KEY)

    def body(event, obj):
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    assert provider.notification_ids(body("payment.succeeded", {"id": "p-1"}), {}) == ["p-1"]
    assert provider.notification_ids(body("payment.waiting_for_capture", {"id": "p-2"}), {}) == ["p-2"]
    assert provider.notification_ids(body("payment.canceled", {"id": "p-3"}), {}) == ["p-3"]
    assert provider.notification_ids(body("refund.succeeded", {"id": "r-1", "payment_id": "p-4"}), {}) == ["p-4"]
    for bad in (body("refund.succeeded", {"id": "r-1"}), body("payment.succeeded", {"id": "p" * 101}),
                body("payment.succeeded", "p-1"), body("payout.succeeded", {"id": "p-1"}), b"\xff\xfe"):
        with pytest.raises(BadNotification):
            provider.notification_ids(bad, {})



def test_a_refund_yookassa_has_not_finished_stays_pending(make, session, yookassa_fake):
    owner, org, order, pid = paid_order(make, session, yookassa_fake)
    yookassa_fake.refund_status = "pending"
    result = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=100, cancel=False)
    assert result.status == "pending"
    refund = session.get(Refund, result.refund_id)
    assert refund.provider_refund_id in yookassa_fake.refunds  # accepted: asked about by its id from now on
    later = utcnow() + timedelta(hours=2)
    refunds.run_due(session, later, order_ids=[order.id])
    session.refresh(refund)
    assert refund.status == "pending" and len(yookassa_fake.refunds) == 1  # still going; never asked twice
    yookassa_fake.refunds[refund.provider_refund_id]["status"] = "succeeded"
    assert refunds.run_due(session, later + timedelta(hours=2), order_ids=[order.id]) == 1
    session.refresh(refund)
    assert refund.status == "done" and len(yookassa_fake.refunds) == 1
    # One that the provider cancels in the end is failed, for a person to look at.
    second = refunds.cancel_with_refund(session, Principal(owner.id), org.id, order.id, amount_minor=100, cancel=False)
    yookassa_fake.refunds[session.get(Refund, second.refund_id).provider_refund_id]["status"] = "canceled"
    refunds.run_due(session, later + timedelta(hours=4), order_ids=[order.id])
    assert session.get(Refund, second.refund_id).status == "failed"
