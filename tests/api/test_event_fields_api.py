"""The API's event bodies, built from the declared event fields: the same JSON names as always, every declared
field written and read back, an alias time zone still accepted, the declared limits refused with the
field named."""
from aqstream.services.events import fields

# The JSON an organizer's event has always had (names only; the values are the event's).
EVENT_KEYS = {"id", "slug", "title", "description", "venue", "online_url", "starts_at", "ends_at", "time_zone",
              "status", "city", "tags", "capacity", "registered", "registration_opens_at", "registration_closes_at",
              "one_registration_per_email", "locale", "listed", "attendees_can_edit_names", "reminder_hours",
              "confirmation_text", "reminder_text", "notify_email", "public_url", "ticket_types", "questions",
              "currency", "pay_stripe", "pay_yookassa", "pay_bank", "hold_minutes", "bank_transfer_days",
              "refund_until", "refund_percent"}
PUBLIC_KEYS = {"slug", "title", "description", "venue", "online_url", "starts_at", "ends_at", "time_zone", "status",
               "city", "tags", "organization", "organization_name", "registration_open",
               "registration_closed_reason", "ticket_types", "questions", "payment_methods"}

FULL = {"title": "Every field", "description": "All of them", "venue": "Hall", "online_url": "https://live.example",
        "starts_at": "2031-06-01T18:00:00", "ends_at": "2031-06-01T21:00:00", "time_zone": "Europe/Kiev",
        "capacity": 30, "registration_opens_at": "2031-05-01T10:00:00",
        "registration_closes_at": "2031-06-01T12:00:00", "one_registration_per_email": True, "locale": "ru",
        "city": "Kyiv", "tags": ["Jazz", "music"], "listed": False, "attendees_can_edit_names": False,
        "reminder_hours": 3, "confirmation_text": "See you", "reminder_text": "Soon",
        "notify_email": "Boss@Example.com", "currency": "usd", "pay_stripe": True, "pay_yookassa": False,
        "pay_bank": True, "hold_minutes": 30, "bank_transfer_days": 5, "refund_until": "2031-05-25T12:00:00",
        "refund_percent": 50}


def test_every_declared_field_goes_in_and_comes_back_under_its_old_name(client, login, make):
    owner, org = make.org()
    auth = login(owner)
    assert set(FULL) == {f.name for f in fields.FIELDS}
    made = client.post("/api/v1/events", headers=auth, json={**FULL, "ticket_types": [{"name": "GA", "quantity": 5}]})
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == EVENT_KEYS
    assert body["time_zone"] == "Europe/Kiev"  # an alias is accepted and kept as sent
    assert body["tags"] == ["jazz", "music"] and body["notify_email"] == "boss@example.com"
    assert (body["capacity"], body["listed"], body["attendees_can_edit_names"], body["locale"]) == (30, False, False, "ru")
    assert body["starts_at"].startswith("2031-06-01T15:00:00")  # 18:00 in Kyiv, summer time
    assert (body["currency"], body["pay_stripe"], body["pay_yookassa"], body["pay_bank"]) == ("USD", True, False, True)
    assert (body["hold_minutes"], body["bank_transfer_days"], body["refund_percent"]) == (30, 5, 50)
    assert body["refund_until"].startswith("2031-05-25T09:00:00")  # the event's zone
    assert {tt["currency"] for tt in body["ticket_types"]} == {"USD"}  # the event's, not the organization's

    changed = client.put(f"/api/v1/events/{body['id']}", headers=auth,
                         json={**FULL, "title": "Renamed", "capacity": None, "reminder_hours": 0})
    assert changed.status_code == 200, changed.text
    again = changed.json()
    assert set(again) == EVENT_KEYS
    assert (again["title"], again["capacity"], again["reminder_hours"]) == ("Renamed", None, 0)
    client.post(f"/api/v1/events/{body['id']}/publish", headers=auth)
    public = client.get(f"/api/v1/public/events/{org.slug}/{body['slug']}")
    assert public.status_code == 200 and set(public.json()) == PUBLIC_KEYS


def test_the_declared_limits_are_refused_naming_the_field(client, login, make):
    owner, org = make.org()
    auth = login(owner)
    base = {"title": "Limits", "venue": "Hall", "starts_at": "2031-06-01T18:00:00", "ends_at": "2031-06-01T21:00:00",
            "time_zone": "UTC", "ticket_types": [{"name": "GA", "quantity": 5}]}
    bad = {"title": "x" * 201, "city": "c" * 121, "capacity": 0, "reminder_hours": 169, "locale": "de",
           "tags": [str(i) for i in range(11)], "notify_email": "n" * 1301, "currency": "EURO", "hold_minutes": 4,
           "bank_transfer_days": 31, "refund_percent": 101}
    answer = client.post("/api/v1/events", headers=auth, json={**base, **bad})
    assert answer.status_code == 422 and set(answer.json()["error"]["fields"]) == set(bad)
    # What only the service can judge comes back the same way.
    long_tags = client.post("/api/v1/events", headers=auth, json={**base, "tags": [f"{i}" * 30 for i in range(10)]})
    assert long_tags.status_code == 422
    assert long_tags.json()["error"]["fields"] == {"tags": "The tags can be at most 300 characters together."}
    unknown = client.post("/api/v1/events", headers=auth, json={**base, "currency": "ZZZ"})
    assert unknown.status_code == 422 and set(unknown.json()["error"]["fields"]) == {"currency"}
