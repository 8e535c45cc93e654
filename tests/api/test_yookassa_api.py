"""YooKassa over the HTTP API against the fake YooKassa: paying an order by its link, the notification URL with its
optional IP allow-list (AQSTREAM_YOOKASSA_IPS), and what the notification URL answers when it cannot believe."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aqstream.api.app import create_api
from aqstream.models import Order, Payment
from tests.fakes import yookassa_server
from tests.services.test_yookassa_payments import buy, rouble_event

yookassa_fake = yookassa_server.yookassa_fake  # the fixture


@pytest.fixture
def local(use_db):
    """A client whose requests come from 127.0.0.1 (the allow-list is checked against the peer's address)."""
    with TestClient(create_api(), client=("127.0.0.1", 50000)) as client:
        yield client


def started(make, session, local):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt])
    response = local.post(f"/api/v1/public/orders/{order.access_token}/payments", json={})
    assert response.status_code == 200, response.text
    payment = session.get(Payment, response.json()["payment_id"])
    return org, order, payment, response.json()


def status_of(session, order_id):
    session.rollback()  # a fresh read: the API committed in its own session (SQLite keeps a reader's snapshot)
    return session.exec(select(Order.status).where(Order.id == order_id)).one()


def test_pay_by_the_order_link_and_the_notification_url(make, session, local, yookassa_fake, monkeypatch):
    monkeypatch.delenv("AQSTREAM_YOOKASSA_IPS", raising=False)
    org, order, payment, started_out = started(make, session, local)
    assert started_out["method"] == "yookassa"
    assert started_out["redirect_url"] == yookassa_fake.payments[payment.provider_payment_id]["confirmation"]["confirmation_url"]
    url = f"/api/v1/payments/yookassa/{org.slug}/notification"
    yookassa_fake.pay(payment.provider_payment_id)
    response = yookassa_fake.send_notification(url, "payment.succeeded", payment.provider_payment_id, client=local)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "payments": 1}
    assert status_of(session, order.id) == "confirmed"
    shown = local.post(f"/api/v1/public/orders/{order.access_token}/payment-status").json()
    assert shown["status"] == "confirmed" and shown["paid_minor"] == 150000 and shown["currency"] == "RUB"
    # Malformed: 400 in the API's error shape; an organization that does not exist: 404.
    bad = local.post(url, content=b"{not json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_notification"
    assert local.post("/api/v1/payments/yookassa/no-such-org-here/notification",
                      content=yookassa_fake.notification("payment.succeeded", payment.provider_payment_id)).status_code == 404


def test_the_ip_allow_list(make, session, local, yookassa_fake, monkeypatch):
    org, order, payment, _ = started(make, session, local)
    url = f"/api/v1/payments/yookassa/{org.slug}/notification"
    yookassa_fake.pay(payment.provider_payment_id)
    # YooKassa's own networks, which 127.0.0.1 is not in: refused before anything is read or fetched.
    monkeypatch.setenv("AQSTREAM_YOOKASSA_IPS", "185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, 2a02:5180::/32")
    fetches = len(yookassa_fake.requests_to("GET", f"/payments/{payment.provider_payment_id}"))
    refused = yookassa_fake.send_notification(url, "payment.succeeded", payment.provider_payment_id, client=local)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert status_of(session, order.id) == "pending"
    assert len(yookassa_fake.requests_to("GET", f"/payments/{payment.provider_payment_id}")) == fetches
    monkeypatch.setenv("AQSTREAM_YOOKASSA_IPS", "185.71.76.0/27, 127.0.0.0/8")
    allowed = yookassa_fake.send_notification(url, "payment.succeeded", payment.provider_payment_id, client=local)
    assert allowed.status_code == 200, allowed.text
    assert status_of(session, order.id) == "confirmed"


def test_a_notification_while_yookassa_is_down_is_503_and_then_taken(make, session, local, yookassa_fake, monkeypatch):
    monkeypatch.delenv("AQSTREAM_YOOKASSA_IPS", raising=False)
    org, order, payment, _ = started(make, session, local)
    url = f"/api/v1/payments/yookassa/{org.slug}/notification"
    yookassa_fake.pay(payment.provider_payment_id)
    yookassa_fake.down = True
    down = yookassa_fake.send_notification(url, "payment.succeeded", payment.provider_payment_id, client=local)
    assert down.status_code == 503 and down.json()["error"]["code"] == "provider_unavailable"
    assert status_of(session, order.id) == "pending"
    yookassa_fake.down = False
    again = yookassa_fake.send_notification(url, "payment.succeeded", payment.provider_payment_id, client=local)
    assert again.status_code == 200 and status_of(session, order.id) == "confirmed"


def test_starting_while_yookassa_is_down_is_503(make, session, local, yookassa_fake):
    _, org, event, (tt,) = rouble_event(make, session)
    order = buy(session, org, event, [tt])
    yookassa_fake.down = True
    response = local.post(f"/api/v1/public/orders/{order.access_token}/payments", json={})
    assert response.status_code == 503 and response.json()["error"]["code"] == "payment_unavailable"
    yookassa_fake.down = False
    response = local.post(f"/api/v1/public/orders/{order.access_token}/payments", json={})
    assert response.status_code == 200 and response.json()["redirect_url"].startswith("https://yoomoney.ru/")


def test_a_notification_yookassa_refuses_to_show_is_not_a_500(make, session, local, yookassa_fake, monkeypatch):
    """The shop's key was revoked at YooKassa: fetching the payment back is refused (401)."""
    monkeypatch.delenv("AQSTREAM_YOOKASSA_IPS", raising=False)
    org, order, payment, _ = started(make, session, local)
    yookassa_fake.pay(payment.provider_payment_id)
    yookassa_fake.shops[yookassa_server.SHOP_ID] = "test_revoked"
    response = yookassa_fake.send_notification(f"/api/v1/payments/yookassa/{org.slug}/notification",
                                               "payment.succeeded", payment.provider_payment_id, client=local)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_notification", response.text
    assert "401" not in response.text and "credentials" not in response.text
    assert status_of(session, order.id) == "pending"
