"""Refunds, marking a bank transfer paid and retrying a refund over the API, by role: owners, admins and staff may;
check-in staff get 403 (the JSON error shape); bad amounts are 4xx, never 500."""
import pytest
from sqlmodel import select

from aqstream.models import Order, Payment, Refund
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import refunds
from tests.services.paid_orders import bank_event, bank_order, paid_order
from tests.services.test_event_lifecycle import member


def _world(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org, price_minor=4000)
    return owner, org, event, tt


def _headers(client, principal_user):
    token = client.post("/api/v1/auth/token", json={"email": principal_user.email, "password": "a-good-long-passphrase"})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _member_user(session, org, role):
    from aqstream.models import User
    return session.get(User, member(session, org, role).user_id)


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_organizers_refund_mark_paid_and_retry(client, make, session, role):
    owner, org, event, tt = _world(make, session)
    user = owner if role == "owner" else _member_user(session, org, role)
    auth = _headers(client, user)
    pending = bank_order(session, org, event, tt.id, name="Mark Me")
    answer = client.post(f"/api/v1/orders/{pending.order.id}/mark-paid", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "confirmed"}
    assert client.post(f"/api/v1/orders/{pending.order.id}/mark-paid", headers=auth).json() == {"outcome": "already"}

    part = client.post(f"/api/v1/orders/{pending.order.id}/refund", headers=auth,
                       json={"amount_minor": 1500, "cancel": False, "reason": "Goodwill"})
    assert part.status_code == 200, part.text
    assert part.json()["amount_minor"] == 1500 and part.json()["status"] == "done"
    assert part.json()["cancelled_ticket_ids"] == []
    rest = client.post(f"/api/v1/orders/{pending.order.id}/refund", headers=auth)
    assert rest.status_code == 200 and rest.json()["amount_minor"] == 2500
    assert rest.json()["cancelled_ticket_ids"] == [pending.tickets[0].id]
    session.expire_all()
    assert session.get(Order, pending.order.id).status == "cancelled"

    # A failed refund, retried
    paid = paid_order(session, owner, org, event, tt.id, name="Retry Me")
    payment = session.exec(select(Payment).where(Payment.order_id == paid.order.id)).one()
    payment.provider = "stripe"
    session.add(payment)
    session.commit()
    failed = refunds.cancel_with_refund(session, Principal(owner.id), org.id, paid.order.id, amount_minor=500,
                                        cancel=False)
    assert failed.status == "failed"
    payment.provider = "bank"
    session.add(payment)
    session.commit()
    again = client.post(f"/api/v1/refunds/{failed.refund_id}/retry", headers=auth)
    assert again.status_code == 200, again.text
    assert again.json() == {"cancelled_ticket_ids": [], "refund_id": failed.refund_id, "amount_minor": 500,
                            "status": "done"}
    # a refund that is not failed cannot be retried
    assert client.post(f"/api/v1/refunds/{failed.refund_id}/retry", headers=auth).status_code == 404


def test_checkin_staff_are_refused_and_nothing_changes(client, make, session):
    owner, org, event, tt = _world(make, session)
    paid = paid_order(session, owner, org, event, tt.id, name="Door Paid")
    pending = bank_order(session, org, event, tt.id, name="Door Pending")
    auth = _headers(client, _member_user(session, org, "checkin"))
    for url, body in ((f"/api/v1/orders/{paid.order.id}/refund", {"amount_minor": 100, "cancel": False}),
                      (f"/api/v1/orders/{pending.order.id}/mark-paid", None)):
        answer = client.post(url, headers=auth, **({"json": body} if body else {}))
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "forbidden"
    session.expire_all()
    assert session.get(Order, pending.order.id).status == "pending"
    assert session.exec(select(Refund).where(Refund.order_id == paid.order.id)).all() == []


def test_bad_refunds_are_client_errors(client, make, session):
    owner, org, event, tt = _world(make, session)
    paid = paid_order(session, owner, org, event, tt.id, name="Bad Input")
    auth = _headers(client, owner)
    url = f"/api/v1/orders/{paid.order.id}/refund"
    too_much = client.post(url, headers=auth, json={"amount_minor": 4001, "cancel": False})
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "validation_error"
    for body in ({"amount_minor": -1}, {"amount_minor": 2**40}, {"amount_minor": "12.50"}, {"ticket_id": 0},
                 {"surprise": True}):
        answer = client.post(url, headers=auth, json=body)
        assert answer.status_code == 422, (body, answer.status_code, answer.text)
        assert "error" in answer.json()
    free_event, (free_tt,) = make.event(owner, org)
    from aqstream.services.sales import registration
    free = registration.register(session, org_slug=org.slug, event_slug=free_event.slug, buyer_name="Free Fred",
                                 buyer_email="fred@example.com", ticket_type_id=free_tt.id)
    no_transfer = client.post(f"/api/v1/orders/{free.order.id}/mark-paid", headers=auth)
    assert no_transfer.status_code == 409 and no_transfer.json()["error"]["code"] == "conflict"
    assert client.post("/api/v1/refunds/2147483647/retry", headers=auth).status_code == 404
    session.expire_all()
    assert session.exec(select(Refund).where(Refund.order_id == paid.order.id)).all() == []


def test_the_attendee_list_and_analytics_carry_money_in_minor_units(client, make, session):
    owner, org, event, tt = _world(make, session)
    paid_order(session, owner, org, event, tt.id, name="Listed Paid")
    bank_order(session, org, event, tt.id, name="Listed Pending")
    auth = _headers(client, owner)
    listed = client.get(f"/api/v1/events/{event.id}/attendees", headers=auth).json()["attendees"]
    assert {a["attendee_name"]: (a["order_total_minor"], a["currency"], a["payment_status"]) for a in listed} == {
        "Listed Paid": (4000, "EUR", "paid"), "Listed Pending": (4000, "EUR", "awaiting")}
    money = client.get(f"/api/v1/events/{event.id}/analytics", headers=auth).json()["money"]
    assert money == [{"currency": "EUR", "paid_minor": 4000, "pending_minor": 4000, "refunded_minor": 0}]
    whole = client.get("/api/v1/orgs/current/analytics", headers=auth).json()["money"]
    assert whole == money
    csv_text = client.get(f"/api/v1/events/{event.id}/attendees.csv?lang=en", headers=auth).content.decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    assert header.split(",")[9:11] == ["Order total", "Payment"]
    assert any(r.startswith("Listed Paid") and "€40,Paid" in r for r in rows)
