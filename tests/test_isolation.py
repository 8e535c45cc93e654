"""Tenant isolation: a member of organization A gets 404 for everything of organization B,
through the services and through every API route."""
import pytest

from aqstream.models import Order, Ticket
from aqstream.services.checkin import lists, scans
from aqstream.services.errors import NotFound
from aqstream.services.events import events, questions
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal, access_by_slug
from aqstream.services.sales import orders, registration


@pytest.fixture
def two_tenants(make):
    alice, org_a = make.org()
    bob, org_b = make.org()
    event_b, (tt_b,) = make.event(bob, org_b)
    return alice, org_a, bob, org_b, event_b, tt_b


def _b_side(session, bob, org_b, event_b, tt_b):
    question = questions.add_question(session, Principal(bob.id), org_b.id, event_b.id,
                                      questions.QuestionInput("Company", "short_text"))
    result = registration.register(session, org_slug=org_b.slug, event_slug=event_b.slug, ticket_type_id=tt_b.id,
                                   buyer_name="Bea", buyer_email="bea@example.com")
    return question, result.order, result.tickets[0]


def test_services_hide_another_tenants_data(session, two_tenants):
    alice, org_a, bob, org_b, event_b, tt_b = two_tenants
    question_b, order_b, ticket_b = _b_side(session, bob, org_b, event_b, tt_b)
    me = Principal(alice.id)
    door_b = scans.default_list(session, Principal(bob.id), org_b.id, event_b.id)
    calls = [
        lambda: lists.event_lists(session, me, org_a.id, event_b.id),
        lambda: lists.event_lists(session, me, org_b.id, event_b.id),
        lambda: lists.get_list(session, me, org_a.id, door_b.id),
        lambda: lists.create_list(session, me, org_a.id, event_b.id, lists.ListInput("X")),
        lambda: lists.update_list(session, me, org_a.id, door_b.id, lists.ListInput("X")),
        lambda: lists.delete_list(session, me, org_a.id, door_b.id),
        lambda: scans.redeem(session, me, org_a.id, door_b.id, ticket_b.code, client_scan_id="x"),
        lambda: scans.redeem(session, me, org_b.id, door_b.id, ticket_b.code, client_scan_id="y"),
        lambda: scans.undo(session, me, org_a.id, door_b.id, ticket_b.id),
        lambda: scans.search(session, me, org_a.id, door_b.id, "Bea"),
        lambda: scans.recent(session, me, org_a.id, door_b.id),
        lambda: scans.conflicts(session, me, org_a.id, event_b.id),
        lambda: scans.offline_bundle(session, me, org_a.id, door_b.id),
        lambda: events.list_events(session, me, org_b.id),
        lambda: events.get_event(session, me, org_b.id, event_b.id),
        lambda: events.get_event(session, me, org_a.id, event_b.id),  # B's event through A's organization
        lambda: events.publish_event(session, me, org_b.id, event_b.id),
        lambda: events.publish_event(session, me, org_a.id, event_b.id),
        lambda: events.event_ticket_types(session, me, org_a.id, event_b.id),
        lambda: events.add_ticket_type(session, me, org_a.id, event_b.id, events.TicketTypeInput("X", 1)),
        lambda: events.list_attendees(session, me, org_a.id, event_b.id),
        lambda: events.list_orders(session, me, org_b.id, event_b.id),
        lambda: events.create_event(session, me, org_b.id, events.EventInput(
            title="Intruder", starts_local="2031-01-01T10:00", ends_local="2031-01-01T11:00", time_zone="UTC",
            venue="x", ticket_types=[events.TicketTypeInput("x", 1)])),
        lambda: access_by_slug(session, me, org_b.slug, MANAGE_EVENTS),
        lambda: events.update_ticket_type(session, me, org_a.id, event_b.id, tt_b.id, events.TicketTypeInput("X", 5)),
        lambda: events.update_ticket_type(session, me, org_b.id, event_b.id, tt_b.id, events.TicketTypeInput("X", 5)),
        lambda: questions.add_question(session, me, org_a.id, event_b.id, questions.QuestionInput("Q?", "short_text")),
        lambda: questions.remove_question(session, me, org_b.id, event_b.id, question_b.id),
        lambda: questions.remove_question(session, me, org_a.id, event_b.id, question_b.id),
        lambda: orders.cancel_order(session, me, org_a.id, order_b.id),
        lambda: orders.cancel_order(session, me, org_b.id, order_b.id),
        lambda: orders.cancel_ticket(session, me, org_a.id, ticket_b.id),
        lambda: orders.cancel_my_order(session, alice.id, order_b.id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    session.commit()
    assert len(events.event_ticket_types(session, Principal(bob.id), org_b.id, event_b.id)) == 1
    assert session.get(Order, order_b.id).status == "confirmed"
    assert len(questions.active_questions(session, event_b.id)) == 1
    assert session.get(Ticket, ticket_b.id).checked_in_at is None


def test_api_routes_answer_404_for_another_tenant(use_db, session, two_tenants):
    from fastapi.testclient import TestClient

    from aqstream.api.app import create_api

    alice, org_a, bob, org_b, event_b, tt_b = two_tenants
    question_b, order_b, ticket_b = _b_side(session, bob, org_b, event_b, tt_b)
    ids = (event_b.id, tt_b.id, question_b.id, order_b.id, ticket_b.id)
    door_b = scans.default_list(session, Principal(bob.id), org_b.id, event_b.id).id
    with TestClient(create_api()) as client:
        token = client.post("/api/v1/auth/token", json={"email": alice.email, "password": "a-good-long-passphrase"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        e, t, q, o, k = ids
        routes = [
            ("get", f"/api/v1/events/{e}", None),
            ("post", f"/api/v1/events/{e}/publish", None),
            ("get", f"/api/v1/events/{e}/ticket-types", None),
            ("post", f"/api/v1/events/{e}/ticket-types", {"name": "x", "quantity": 1}),
            ("put", f"/api/v1/events/{e}/ticket-types/{t}", {"name": "x", "quantity": 9}),
            ("get", f"/api/v1/events/{e}/questions", None),
            ("post", f"/api/v1/events/{e}/questions", {"label": "x", "kind": "short_text"}),
            ("delete", f"/api/v1/events/{e}/questions/{q}", None),
            ("get", f"/api/v1/events/{e}/orders", None),
            ("post", f"/api/v1/orders/{o}/cancel", None),
            ("post", f"/api/v1/tickets/{k}/cancel", None),
            ("get", f"/api/v1/events/{e}/checkin-lists", None),
            ("post", f"/api/v1/events/{e}/checkin-lists", {"name": "x"}),
            ("get", f"/api/v1/checkin-lists/{door_b}", None),
            ("put", f"/api/v1/checkin-lists/{door_b}", {"name": "x"}),
            ("delete", f"/api/v1/checkin-lists/{door_b}", None),
            ("get", f"/api/v1/checkin-lists/{door_b}/offline", None),
            ("get", f"/api/v1/checkin-lists/{door_b}/stats", None),
            ("post", f"/api/v1/checkin-lists/{door_b}/scans", {"code": "x", "client_scan_id": "x"}),
            ("post", f"/api/v1/checkin-lists/{door_b}/scans/batch", {"scans": [{"code": "x", "client_scan_id": "y"}]}),
            ("post", f"/api/v1/checkin-lists/{door_b}/undo", {"ticket_id": k}),
            ("get", f"/api/v1/checkin-lists/{door_b}/search?q=Bea", None),
            ("get", f"/api/v1/checkin-lists/{door_b}/recent", None),
            ("get", f"/api/v1/events/{e}/checkin-conflicts", None),
        ]
        for method, url, body in routes:
            response = getattr(client, method)(url, headers=auth, **({"json": body} if body else {}))
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
        assert client.get("/api/v1/events", headers=auth).json() == []
        # Asking for B's organization by slug in the token request does not work either.
        other = client.post("/api/v1/auth/token", json={"email": alice.email, "password": "a-good-long-passphrase",
                                                        "organization": org_b.slug})
        assert other.status_code == 404


def test_another_tenants_payments_cannot_be_refunded_marked_paid_or_retried(use_db, make, session):
    """Organization B's paid order, pending bank order and failed refund: 404 for A's members, through the services
    and the API, and nothing of B's changes."""
    from fastapi.testclient import TestClient
    from sqlmodel import select

    from aqstream.api.app import create_api
    from aqstream.models import Payment, Refund
    from aqstream.services.payments import payments, refunds, summary
    from tests.services.paid_orders import bank_event, bank_order, paid_order

    alice, org_a = make.org()
    bob, org_b = make.org()
    event_b, (tt_b,) = bank_event(make, session, bob, org_b)
    paid = paid_order(session, bob, org_b, event_b, tt_b.id, name="Bianca Paid")
    pending = bank_order(session, org_b, event_b, tt_b.id, name="Bruno Pending")
    payment = session.exec(select(Payment).where(Payment.order_id == paid.order.id)).one()
    payment.provider = "stripe"  # not connected: the refund B asks for fails, and waits for a retry
    session.add(payment)
    session.commit()
    failed = refunds.cancel_with_refund(session, Principal(bob.id), org_b.id, paid.order.id, amount_minor=100,
                                        cancel=False)
    assert failed.status == "failed"
    me = Principal(alice.id)
    for org_id in (org_a.id, org_b.id):
        for call in (lambda: refunds.cancel_with_refund(session, me, org_id, paid.order.id),
                     lambda: refunds.cancel_with_refund(session, me, org_id, paid.order.id, amount_minor=1, cancel=False),
                     lambda: payments.mark_paid(session, me, org_id, pending.order.id),
                     lambda: refunds.retry(session, me, org_id, failed.refund_id),
                     lambda: summary.order_payment(session, me, org_id, paid.order.id)):
            with pytest.raises(NotFound):
                call()
    with TestClient(create_api()) as client:
        token = client.post("/api/v1/auth/token", json={"email": alice.email, "password": "a-good-long-passphrase"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for url, body in ((f"/api/v1/orders/{paid.order.id}/refund", {"amount_minor": 100, "cancel": False}),
                          (f"/api/v1/orders/{paid.order.id}/refund", None),
                          (f"/api/v1/orders/{pending.order.id}/mark-paid", None),
                          (f"/api/v1/refunds/{failed.refund_id}/retry", None)):
            response = client.post(url, headers=auth, **({"json": body} if body else {}))
            assert response.status_code == 404, (url, response.status_code, response.text)
            assert response.json()["error"]["code"] == "not_found"
    session.expire_all()
    assert session.get(Order, paid.order.id).status == "confirmed"
    assert session.get(Order, pending.order.id).status == "pending"
    assert [r.status for r in session.exec(select(Refund).where(Refund.order_id == paid.order.id)).all()] == ["failed"]
