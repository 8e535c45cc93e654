"""REST API v1 as an integration would use it: tokens, events, ticket types, registration, orders."""
from datetime import datetime, timedelta, timezone

from jose import jwt

from aqstream import config
from tests.conftest import unique

EVENT = {
    "title": "API Conf",
    "venue": "Hall 1",
    "starts_at": "2031-09-01T10:00:00",
    "ends_at": "2031-09-01T18:00:00",
    "time_zone": "Europe/Berlin",
    "capacity": 100,
    "ticket_types": [{"name": "Standard", "quantity": 80}, {"name": "Speaker", "quantity": 20}],
}


def test_openapi_is_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "AqStream API"
    assert "/api/v1/public/events/{org_slug}/{event_slug}/registrations" in spec["paths"]


def test_organizer_creates_publishes_and_reads_an_event(client, login, make):
    owner, org = make.org()
    auth = login(owner)
    created = client.post("/api/v1/events", json=EVENT, headers=auth)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["status"] == "draft" and event["public_url"] is None
    assert event["starts_at"].startswith("2031-09-01T08:00:00")  # Berlin summer time is UTC+2
    assert [t["name"] for t in event["ticket_types"]] == ["Standard", "Speaker"]
    published = client.post(f"/api/v1/events/{event['id']}/publish", headers=auth).json()
    assert published["status"] == "published" and published["public_url"].endswith(f"/e/{org.slug}/api-conf")
    listed = client.get("/api/v1/events", headers=auth).json()
    assert [e["id"] for e in listed] == [event["id"]]
    added = client.post(f"/api/v1/events/{event['id']}/ticket-types", json={"name": "Student", "quantity": 5},
                        headers=auth)
    assert added.status_code == 201
    types = client.get(f"/api/v1/events/{event['id']}/ticket-types", headers=auth).json()
    assert [t["name"] for t in types] == ["Standard", "Speaker", "Student"]


def test_anyone_registers_with_an_idempotency_key_and_the_organizer_sees_the_order(client, login, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(3,))
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    body = {"ticket_type_id": tt.id, "name": "Анна Иванова", "email": "anna@example.com"}
    first = client.post(url, json=body, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == 201, first.text
    replay = client.post(url, json=body, headers={"Idempotency-Key": "abc-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert first.json()["tickets"][0]["code"] == replay.json()["tickets"][0]["code"]
    orders = client.get(f"/api/v1/events/{event.id}/orders", headers=login(owner)).json()
    assert [(o["buyer_name"], len(o["tickets"])) for o in orders] == [("Анна Иванова", 1)]
    public = client.get(f"/api/v1/public/events/{org.slug}/{event.slug}").json()
    assert public["ticket_types"][0]["available"] == 2 and public["registration_open"] is True


def test_sold_out_is_a_409_with_a_clear_message(client, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(1,))
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    assert client.post(url, json={"ticket_type_id": tt.id, "name": "A", "email": "a@example.com"}).status_code == 201
    refused = client.post(url, json={"ticket_type_id": tt.id, "name": "B", "email": "b@example.com"})
    assert refused.status_code == 409
    assert refused.json()["error"] == {"code": "sold_out", "message": "Sorry, there are not enough tickets left.",
                                       "field": "tickets"}
    ru = client.post(url, json={"ticket_type_id": tt.id, "name": "B", "email": "b@example.com"},
                     headers={"Accept-Language": "ru-RU"})
    assert ru.json()["error"]["message"] == "К сожалению, столько билетов уже нет."


def test_bad_input_is_a_422_naming_the_field(client, login, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    missing = client.post(url, json={"name": "A"})
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "validation_error" and "email" in missing.json()["error"]["fields"]
    no_tickets = client.post(url, json={"name": "A", "email": "a@example.com"})
    assert no_tickets.status_code == 422 and "ticket_type_id" in no_tickets.text
    bad_email = client.post(url, json={"ticket_type_id": tt.id, "name": "A", "email": "nope"})
    assert bad_email.status_code == 422 and set(bad_email.json()["error"]["fields"]) == {"email"}
    bad_event = client.post("/api/v1/events", json={**EVENT, "ends_at": "2031-09-01T09:00:00"}, headers=login(owner))
    assert bad_event.status_code == 422 and bad_event.json()["error"]["fields"] == {
        "ends_at": "The end must be after the start."}


def test_tokens_are_checked(client, make):
    owner, org = make.org()
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/api/v1/events", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    claims = {"sub": str(owner.id), "org": org.id, "iss": "aqstream", "aud": "aqstream-api",
              "iat": int(datetime.now(timezone.utc).timestamp()) - 120,
              "exp": int((datetime.now(timezone.utc) - timedelta(minutes=1)).timestamp())}
    expired = jwt.encode(claims, config.secret_key(), algorithm="HS256")
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    claims["exp"] = int((datetime.now(timezone.utc) + timedelta(minutes=5)).timestamp())
    forged = jwt.encode(claims, "another-secret-key-that-is-long-enough-000", algorithm="HS256")
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    unsigned = jwt.encode(claims, "", algorithm="HS256").rsplit(".", 1)[0] + "."
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401
    wrong = client.post("/api/v1/auth/token", json={"email": owner.email, "password": "wrong-password"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "The email or password is wrong."
    no_exp = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, config.secret_key(), algorithm="HS256")
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {no_exp}"}).status_code == 401


def test_user_in_several_organizations_must_name_one(client, login, make):
    from aqstream.services.org import organizations
    from aqstream.services.org.permissions import Principal

    owner, first = make.org()
    second = organizations.create_organization(make.session, Principal(owner.id), name=f"Second {unique()}")
    response = client.post("/api/v1/auth/token", json={"email": owner.email, "password": "a-good-long-passphrase"})
    assert response.status_code == 422 and "organization" in response.json()["error"]["fields"]
    auth = login(owner, organization=second.slug)
    client.post("/api/v1/events", json=EVENT, headers=auth)
    assert len(client.get("/api/v1/events", headers=login(owner, organization=first.slug)).json()) == 0
    assert len(client.get("/api/v1/events", headers=auth).json()) == 1


def test_sign_out_everywhere_also_ends_api_tokens(client, login, make):
    from aqstream.services.accounts import accounts

    owner, org = make.org()
    auth = login(owner)
    assert client.get("/api/v1/events", headers=auth).status_code == 200
    accounts.sign_out_everywhere(make.session, owner.id)
    assert client.get("/api/v1/events", headers=auth).status_code == 401
    assert client.get("/api/v1/events", headers=login(owner)).status_code == 200


def test_the_simple_form_names_its_own_fields(client, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    unknown = client.post(url, json={"ticket_type_id": 999999, "name": "A", "email": "a@example.com"})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "ticket_type_id"
    too_many = client.post(url, json={"ticket_type_id": tt.id, "quantity": 11, "name": "A", "email": "a@example.com"})
    assert too_many.status_code == 422 and set(too_many.json()["error"]["fields"]) == {"quantity"}


def test_checkin_staff_do_not_see_unlock_codes(client, login, make):
    from aqstream.models import Membership
    from aqstream.services.clock import utcnow
    from aqstream.services.events import events
    from aqstream.services.org.permissions import Principal

    owner, org = make.org()
    event, _ = make.event(owner, org)
    events.add_ticket_type(make.session, Principal(owner.id), org.id, event.id,
                           events.TicketTypeInput("Crew", 3, hidden=True))
    door = make.user()
    make.session.add(Membership(user_id=door.id, organization_id=org.id, role="checkin", created_at=utcnow()))
    make.session.commit()
    as_owner = client.get(f"/api/v1/events/{event.id}/ticket-types", headers=login(owner)).json()
    assert [bool(t.get("unlock_code")) for t in as_owner] == [False, True]
    # Check-in staff see the check-in lists only: not the event's ticket types, nor the event itself.
    for path in (f"/api/v1/events/{event.id}/ticket-types", f"/api/v1/events/{event.id}"):
        refused = client.get(path, headers=login(door))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_a_database_that_does_not_answer_is_a_503_and_nothing_is_saved(client, make, session, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlmodel import select

    from aqstream.models import Order, OutboxMessage, Ticket, TicketType
    from aqstream.services.sales import registration

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(3,))

    def lost_connection(s, event_id, plans, statuses):
        # The order, tickets and email were written in this transaction; then the connection went away.
        assert s.exec(select(Ticket).where(Ticket.event_id == event_id)).all()
        raise OperationalError("UPDATE ticket_type", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(registration, "_take_places", lost_connection)
    address = f"{unique('late')}@example.com"
    answer = client.post(f"/api/v1/public/events/{org.slug}/{event.slug}/registrations",
                         json={"ticket_type_id": tt.id, "name": "Late", "email": address})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "unavailable"
    session.rollback()
    assert session.exec(select(Order).where(Order.event_id == event.id)).all() == []
    assert session.exec(select(Ticket).where(Ticket.event_id == event.id)).all() == []
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == address)).all() == []
    assert session.get(TicketType, tt.id).sold == 0


def test_an_integration_sets_the_event_emails(client, login, make):
    owner, org = make.org()
    auth = login(owner)
    body = {**EVENT, "reminder_hours": 3, "confirmation_text": "Enter from the yard.", "notify_email": "Desk@Example.com"}
    created = client.post("/api/v1/events", json=body, headers=auth)
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["reminder_hours"], event["confirmation_text"], event["notify_email"]) == (
        3, "Enter from the yard.", "desk@example.com")
    bad = client.post("/api/v1/events", json={**EVENT, "notify_email": "desk@"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == {
        "notify_email": "Enter valid email addresses separated by commas, like name@example.com, desk@example.com."}
    too_late = client.post("/api/v1/events", json={**EVENT, "reminder_hours": 169}, headers=auth)
    assert too_late.status_code == 422 and "reminder_hours" in too_late.json()["error"]["fields"]
    update = {k: v for k, v in body.items() if k != "ticket_types"} | {"reminder_hours": 0, "notify_email": ""}
    changed = client.put(f"/api/v1/events/{event['id']}", json=update, headers=auth)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["reminder_hours"], changed.json()["notify_email"]) == (0, "")
    assert client.get(f"/api/v1/events/{event['id']}", headers=auth).json()["reminder_hours"] == 0


def test_registration_through_the_api_keeps_a_blank_attendee_name_blank(client, make):
    """The API registers through the same service as the form: a ticket sent without a name is not given the
    buyer's."""
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(3,))
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    body = {"name": "Anna Petrova", "email": "anna@example.com",
            "tickets": [{"ticket_type_id": tt.id, "attendee_name": "Anna Petrova"}, {"ticket_type_id": tt.id}]}
    made = client.post(url, json=body)
    assert made.status_code == 201, made.text
    assert [t["attendee_name"] for t in made.json()["tickets"]] == ["Anna Petrova", ""]


def test_a_ticket_type_update_changes_the_price_only_when_one_is_given(client, login, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    auth = login(owner)
    url = f"/api/v1/events/{event.id}/ticket-types/{tt.id}"
    priced = client.put(url, json={"name": "Standard", "quantity": 10, "price_minor": 2500}, headers=auth)
    assert priced.status_code == 200 and priced.json()["price_minor"] == 2500
    renamed = client.put(url, json={"name": "Standard seat", "quantity": 10}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["price_minor"] == 2500  # left out: kept
    free = client.put(url, json={"name": "Standard seat", "quantity": 10, "price_minor": 0}, headers=auth)
    assert free.json()["price_minor"] == 0
