"""REST API for running an event: edit, cancel, duplicate, attendees, exports; 4xx JSON on bad input;
nothing of another organization reachable."""
import io

from openpyxl import load_workbook

from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR

EDIT = {"title": "Renamed", "venue": "Hall 2", "starts_at": "2031-06-01T18:00:00",
        "ends_at": "2031-06-01T21:00:00", "time_zone": "Europe/Moscow", "locale": "ru"}


def setup_event(make, session, n=3):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    for i in range(n):
        registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=f"Person {i}",
                              buyer_email=f"p{i}@example.com", tickets=[TR(tt.id, f"Person {i}")])
    return owner, org, event, tt


def test_edit_cancel_and_duplicate_through_the_api(client, login, make, session):
    owner, org, event, tt = setup_event(make, session)
    auth = login(owner)
    edited = client.put(f"/api/v1/events/{event.id}", json=EDIT, headers=auth)
    assert edited.status_code == 200 and edited.json()["title"] == "Renamed"
    bad = client.put(f"/api/v1/events/{event.id}", json={**EDIT, "title": "", "ends_at": "2031-06-01T10:00:00"},
                     headers=auth)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) >= {"title", "ends_at"}
    copy = client.post(f"/api/v1/events/{event.id}/duplicate", json={"title": "Second evening"}, headers=auth)
    assert copy.status_code == 201 and copy.json()["status"] == "draft" and copy.json()["registered"] == 0
    no_message = client.post(f"/api/v1/events/{event.id}/cancel", json={"message": ""}, headers=auth)
    assert no_message.status_code == 422 and "message" in no_message.json()["error"]["fields"]
    cancelled = client.post(f"/api/v1/events/{event.id}/cancel", json={"message": "Sorry, all"}, headers=auth)
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/events/{event.id}/unpublish", headers=auth)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_attendee_list_detail_add_and_resend(client, login, make, session):
    owner, org, event, tt = setup_event(make, session)
    auth = login(owner)
    page = client.get(f"/api/v1/events/{event.id}/attendees?sort=name&order=asc&per_page=2", headers=auth).json()
    assert page["total"] == 3 and page["pages"] == 2
    assert [a["attendee_name"] for a in page["attendees"]] == ["Person 0", "Person 1"]
    found = client.get(f"/api/v1/events/{event.id}/attendees?search=p2@", headers=auth).json()["attendees"]
    assert [a["attendee_name"] for a in found] == ["Person 2"]
    bad = client.get(f"/api/v1/events/{event.id}/attendees?sort=password&per_page=5000", headers=auth)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"sort", "per_page"}
    added = client.post(f"/api/v1/events/{event.id}/attendees", headers=auth,
                        json={"name": "Guest Speaker", "email": "speaker@example.com", "ticket_type_id": tt.id})
    assert added.status_code == 201
    detail = client.get(f"/api/v1/tickets/{added.json()['ticket_id']}", headers=auth).json()
    assert detail["attendee_name"] == "Guest Speaker" and detail["history"][0]["action"] == "order.create"
    resent = client.post(f"/api/v1/orders/{added.json()['order_id']}/resend-confirmation", headers=auth)
    assert resent.status_code == 202
    bad_add = client.post(f"/api/v1/events/{event.id}/attendees", headers=auth,
                          json={"name": "", "email": "not-an-email", "ticket_type_id": tt.id})
    assert bad_add.status_code == 422 and set(bad_add.json()["error"]["fields"]) == {"name", "email"}


def test_exports_stream_csv_with_bom_and_xlsx(client, login, make, session):
    owner, org, event, _ = setup_event(make, session)
    auth = login(owner)
    as_csv = client.get(f"/api/v1/events/{event.id}/attendees.csv?lang=ru", headers=auth)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeffИмя".encode())
    assert as_csv.content.decode("utf-8-sig").count("\n") == 4
    as_xlsx = client.get(f"/api/v1/events/{event.id}/attendees.xlsx?status=valid", headers=auth)
    rows = list(load_workbook(io.BytesIO(as_xlsx.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Name" and len(rows) == 4
    assert client.get(f"/export/{org.slug}/{event.id}.csv").status_code == 401  # no browser session


def test_another_organization_reaches_nothing(client, login, make, session):
    owner, org, event, tt = setup_event(make, session)
    intruder, _ = make.org()
    auth = login(intruder)
    ticket_id = client.get(f"/api/v1/events/{event.id}/attendees", headers=login(owner)).json()["attendees"][0][
        "ticket_id"]
    for method, url, body in [
        ("put", f"/api/v1/events/{event.id}", EDIT),
        ("post", f"/api/v1/events/{event.id}/cancel", {"message": "Ha"}),
        ("post", f"/api/v1/events/{event.id}/duplicate", None),
        ("post", f"/api/v1/events/{event.id}/archive", None),
        ("get", f"/api/v1/events/{event.id}/attendees", None),
        ("get", f"/api/v1/events/{event.id}/attendees.csv", None),
        ("get", f"/api/v1/tickets/{ticket_id}", None),
        ("post", f"/api/v1/events/{event.id}/attendees", {"name": "X", "email": "x@example.com",
                                                          "ticket_type_id": tt.id}),
    ]:
        answer = client.request(method, url, json=body, headers=auth)
        assert answer.status_code == 404, (url, answer.status_code, answer.text)
    assert client.get(f"/api/v1/events/{event.id}", headers=login(owner)).json()["status"] == "published"


def test_a_question_is_edited_and_an_answered_one_keeps_its_kind(client, login, make, session):
    owner, org, event, tt = setup_event(make, session, n=0)
    auth = login(owner)
    made = client.post(f"/api/v1/events/{event.id}/questions", json={"label": "Size", "kind": "single_choice",
                                                                      "options": ["S", "M"]}, headers=auth).json()
    url = f"/api/v1/events/{event.id}/questions/{made['id']}"
    edited = client.put(url, json={"label": "T-shirt size", "kind": "single_choice", "options": ["S", "M", "L"],
                                   "required": True}, headers=auth)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["label"], edited.json()["options"], edited.json()["required"]) == (
        "T-shirt size", ["S", "M", "L"], True)
    session.rollback()  # the question was written by the API, after this session's last read
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", tickets=[TR(tt.id)], answers={str(made["id"]): "M"})
    refused = client.put(url, json={"label": "T-shirt size", "kind": "short_text"}, headers=auth)
    assert refused.status_code == 422 and set(refused.json()["error"]["fields"]) == {"kind"}
    unknown = client.put(f"/api/v1/events/{event.id}/questions/999999", json={"label": "X", "kind": "short_text"},
                         headers=auth)
    assert unknown.status_code == 404
    extra = client.put(url, json={"label": "X", "kind": "short_text", "colour": "red"}, headers=auth)
    assert extra.status_code in (400, 422)
    # "required" is a boolean, as the document says, not a number that happens to convert.
    number = client.put(url, json={"label": "T-shirt size", "kind": "single_choice", "options": ["S", "M", "L"],
                                   "required": 0}, headers=auth)
    assert number.status_code == 422 and "required" in number.json()["error"]["fields"]
