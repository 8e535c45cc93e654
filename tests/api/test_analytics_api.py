"""/api/v1/events/{event_id}/analytics: the Analytics tab's aggregates as JSON for integrations."""
from datetime import date, timedelta

from aqstream.services.clock import utcnow
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR


def test_analytics_as_json(client, login, make, session):
    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(10, 5), time_zone="UTC")
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", tickets=[TR(a.id, "Ann"), TR(b.id, "Bob")])
    response = client.get(f"/api/v1/events/{event.id}/analytics", params={"range": "7d"}, headers=login(owner))
    assert response.status_code == 200, response.text
    body = response.json()
    today = utcnow().date()
    assert body["event_id"] == event.id and body["time_zone"] == "UTC"
    assert body["period"] == {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    assert body["tiles"] == {"tickets": 2, "orders": 1, "capacity": 15, "capacity_left": 13, "today": 2,
                             "last_7_days": 2, "cancelled": 0, "revenue": {}}
    assert body["types"] == [{"id": a.id, "name": a.name, "quantity": 10}, {"id": b.id, "name": b.name, "quantity": 5}]
    assert [d["day"] for d in body["days"]] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert body["days"][-1] == {"day": today.isoformat(), "orders": 1, "tickets": 2, "cancelled": 0, "net": 2,
                                "by_type": {str(a.id): 1, str(b.id): 1}, "cumulative": 2}
    assert [f["step"] for f in body["funnel"]] == ["view", "form_started", "submitted", "confirmed"]
    assert body["sources"] == []  # nobody visited the event page in this test
    assert body["checked_in"] == 0 and body["arrivals"] == []  # nobody at the door yet
    custom = client.get(f"/api/v1/events/{event.id}/analytics", headers=login(owner),
                        params={"range": "custom", "start": "2031-01-01", "end": "2031-01-31"}).json()
    assert len(custom["days"]) == 31 and custom["days"][0]["day"] == date(2031, 1, 1).isoformat()


def test_a_reversed_range_is_a_422_naming_the_field(client, login, make):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    response = client.get(f"/api/v1/events/{event.id}/analytics", headers=login(owner),
                          params={"range": "custom", "start": "2031-02-10", "end": "2031-02-01"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"range_end": "The last day comes before the first one."}
    unknown = client.get(f"/api/v1/events/{event.id}/analytics", params={"range": "forever"}, headers=login(owner))
    assert unknown.status_code == 422 and "range" in unknown.json()["error"]["fields"]


def test_another_tenants_event_is_a_404(client, login, make):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    stranger, _ = make.org()
    response = client.get(f"/api/v1/events/{event.id}/analytics", headers=login(stranger))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/events/{event.id}/analytics").status_code == 401


def test_the_organization_view_as_json(client, login, make, session):
    owner, org = make.org()
    event, (a,) = make.event(owner, org, quantities=(10,), time_zone="UTC")
    quiet, _ = make.event(owner, org, quantities=(4,), time_zone="UTC")
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", tickets=[TR(a.id, "Ann"), TR(a.id, "Bob")])
    stranger, theirs = make.org()
    make.event(stranger, theirs)
    response = client.get("/api/v1/orgs/current/analytics", params={"weeks": 4}, headers=login(owner))
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["weeks"]) == 4 and body["weeks"][-1]["tickets"] == 2
    rows = {e["event_id"]: e for e in body["events"]}
    assert set(rows) == {event.id, quiet.id}  # never another tenant's events
    assert (rows[event.id]["tickets"], rows[event.id]["capacity"], rows[event.id]["fill"]) == (2, 10, 0.2)
    assert rows[quiet.id]["conversion"] is None and body["top"] == [event.id]
    for bad in ("0", "105", "x", "-3"):
        refused = client.get("/api/v1/orgs/current/analytics", params={"weeks": bad}, headers=login(owner))
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/orgs/current/analytics").status_code == 401
