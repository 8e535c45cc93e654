"""The role matrix through the REST API, with each role's own token: owners, admins and staff use every event,
attendee and check-in route; check-in staff use the check-in lists, scans and search and are refused (403, the
JSON error shape) the attendees, the exports, the events' details and the analytics, and may not change lists."""
import uuid

import pytest

from aqstream.models import User
from aqstream.services.sales import registration
from tests.services.test_event_lifecycle import member

EVERYONE = {"owner", "admin", "staff", "checkin"}
ORGANIZERS = {"owner", "admin", "staff"}


def _world(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Vera Buyer",
                                   buyer_email="vera@example.com", ticket_type_id=tt.id, quantity=2)
    return owner, org, event, tt, bought


# (name, roles allowed, method, path, body); {e} the event, {t} a ticket, {o} its order, {l} the default list
CALLS = [
    ("attendee list", ORGANIZERS, "GET", "/api/v1/events/{e}/attendees", None),
    ("attendee detail", ORGANIZERS, "GET", "/api/v1/tickets/{t}", None),
    ("attendee export csv", ORGANIZERS, "GET", "/api/v1/events/{e}/attendees.csv", None),
    ("attendee export xlsx", ORGANIZERS, "GET", "/api/v1/events/{e}/attendees.xlsx", None),
    ("orders", ORGANIZERS, "GET", "/api/v1/events/{e}/orders", None),
    ("add attendee", ORGANIZERS, "POST", "/api/v1/events/{e}/attendees",
     {"name": "Guest", "email": "guest@example.com", "ticket_type_id": "{tt}", "notify": False}),
    ("resend confirmation", ORGANIZERS, "POST", "/api/v1/orders/{o}/resend-confirmation", None),
    ("events", ORGANIZERS, "GET", "/api/v1/events", None),
    ("event", ORGANIZERS, "GET", "/api/v1/events/{e}", None),
    ("event analytics", ORGANIZERS, "GET", "/api/v1/events/{e}/analytics", None),
    ("organization analytics", ORGANIZERS, "GET", "/api/v1/orgs/current/analytics", None),
    ("check-in lists", EVERYONE, "GET", "/api/v1/events/{e}/checkin-lists", None),
    ("check-in list counts", EVERYONE, "GET", "/api/v1/checkin-lists/{l}/stats", None),
    ("find at the door", EVERYONE, "GET", "/api/v1/checkin-lists/{l}/search?q=Vera", None),
    ("latest scans", EVERYONE, "GET", "/api/v1/checkin-lists/{l}/recent", None),
    ("conflicts", EVERYONE, "GET", "/api/v1/events/{e}/checkin-conflicts", None),
    ("offline download", EVERYONE, "GET", "/api/v1/checkin-lists/{l}/offline", None),
    ("check in", EVERYONE, "POST", "/api/v1/checkin-lists/{l}/scans",
     {"code": "{code}", "client_scan_id": "{scan}", "device": "Door 1"}),
    ("create a list", ORGANIZERS, "POST", "/api/v1/events/{e}/checkin-lists", {"name": "VIP door"}),
    ("change a list", ORGANIZERS, "PUT", "/api/v1/checkin-lists/{l}", {"name": "Main door"}),
]


def _fill(value, names: dict):
    if isinstance(value, str):
        for key, got in names.items():
            if value == "{" + key + "}":
                return got
            value = value.replace("{" + key + "}", str(got))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_each_role_uses_what_it_may_and_is_refused_the_rest(client, login, make, session, role):
    owner, org, event, tt, bought = _world(make, session)
    if role == "owner":
        auth = login(owner)
    else:
        auth = login(session.get(User, member(session, org, role).user_id), organization=org.slug)
    first = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=login(owner)).json()[0]["id"]
    names = {"e": event.id, "t": bought.tickets[0].id, "o": bought.order.id, "l": first, "tt": tt.id,
             "code": bought.tickets[0].code}
    for name, allowed, method, path, body in CALLS:
        names["scan"] = uuid.uuid4().hex
        response = client.request(method, _fill(path, names), headers=auth,
                                  json=_fill(body, names) if body is not None else None)
        if role in allowed:
            assert response.status_code < 300, (role, name, response.status_code, response.text[:300])
        else:
            assert response.status_code == 403, (role, name, response.status_code, response.text[:300])
            assert response.json()["error"]["code"] == "forbidden", (role, name)
    # The list's deletion last: a second list made by the owner, removed (or not) by this role.
    second = client.post(f"/api/v1/events/{event.id}/checkin-lists", json={"name": "Side door"},
                         headers=login(owner)).json()["id"]
    removed = client.delete(f"/api/v1/checkin-lists/{second}", headers=auth)
    assert removed.status_code == (204 if role in ORGANIZERS else 403), (role, removed.text[:200])


def test_another_organizations_owner_finds_nothing(client, login, make, session):
    owner, org, event, tt, bought = _world(make, session)
    stranger, _ = make.org()
    first = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=login(owner)).json()[0]["id"]
    for path in (f"/api/v1/events/{event.id}/checkin-lists", f"/api/v1/checkin-lists/{first}/stats",
                 f"/api/v1/events/{event.id}/attendees", f"/api/v1/tickets/{bought.tickets[0].id}"):
        assert client.get(path, headers=login(stranger)).status_code == 404, path
