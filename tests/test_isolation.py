"""Tenant isolation: a member of organization A gets 404 for everything of organization B,
through the services and through every API route."""
import pytest

from aqstream.services import events
from aqstream.services.errors import NotFound
from aqstream.services.permissions import MANAGE_EVENTS, Principal, access_by_slug


@pytest.fixture
def two_tenants(make):
    alice, org_a = make.org()
    bob, org_b = make.org()
    event_b, (tt_b,) = make.event(bob, org_b)
    return alice, org_a, bob, org_b, event_b, tt_b


def test_services_hide_another_tenants_data(session, two_tenants):
    alice, org_a, bob, org_b, event_b, tt_b = two_tenants
    me = Principal(alice.id)
    calls = [
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
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert len(events.event_ticket_types(session, Principal(bob.id), org_b.id, event_b.id)) == 1


def test_api_routes_answer_404_for_another_tenant(use_db, session, two_tenants):
    from fastapi.testclient import TestClient

    from aqstream.api.app import create_api

    alice, org_a, bob, org_b, event_b, tt_b = two_tenants
    with TestClient(create_api()) as client:
        token = client.post("/api/v1/auth/token", json={"email": alice.email, "password": "a-good-long-passphrase"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        routes = [
            ("get", f"/api/v1/events/{event_b.id}", None),
            ("post", f"/api/v1/events/{event_b.id}/publish", None),
            ("get", f"/api/v1/events/{event_b.id}/ticket-types", None),
            ("post", f"/api/v1/events/{event_b.id}/ticket-types", {"name": "x", "quantity": 1}),
            ("get", f"/api/v1/events/{event_b.id}/orders", None),
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
