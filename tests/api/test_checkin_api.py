"""Check-in through the REST API (/api/v1/..., bearer) and the scanner page's cookie door (/scan-api/{org}/...):
lists, scans idempotent by the device's scan id, batches of offline scans with a conflict, undo, search, the
offline download (a signed payload verifies with its public key alone), roles and tenants."""
from datetime import timedelta

from sqlmodel import Session

from aqstream.models import Question, User
from aqstream.services.accounts import accounts
from aqstream.services.checkin import signing
from aqstream.services.clock import utcnow
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.services.test_event_lifecycle import member


def _world(make, session: Session):
    owner, org = make.org()
    event, (general, vip) = make.event(owner, org, quantities=(10, 5))
    shirt = Question(event_id=event.id, label="T-shirt size", kind="short_text", scope="attendee")
    session.add(shirt)
    session.commit()
    bought = registration.register(
        session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann", buyer_email="ann@example.com",
        tickets=[TR(general.id, "Ann Lee", answers={str(shirt.id): "M"}), TR(vip.id, "Bob Stone")])
    return owner, org, event, general, vip, shirt, bought


def _user(session, principal: Principal) -> User:
    return session.get(User, principal.user_id)


def test_lists_scans_undo_and_replays(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    headers = login(owner)
    lists = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=headers)
    assert lists.status_code == 200, lists.text
    [default] = lists.json()
    assert (default["name"], default["total"], default["inside"]) == ("All tickets", 2, 0)
    made = client.post(f"/api/v1/events/{event.id}/checkin-lists", headers=headers,
                       json={"name": "VIP door", "ticket_type_ids": [vip.id], "allow_reentry": True,
                             "question_ids": [shirt.id]})
    assert made.status_code == 201, made.text
    vip_list = made.json()
    assert (vip_list["total"], [t["ticket_type_id"] for t in vip_list["per_type"]]) == (1, [vip.id])
    ann, bob = bought.tickets
    scan = {"code": ann.code, "client_scan_id": "phone-1", "device": "Door 1"}
    first = client.post(f"/api/v1/checkin-lists/{default['id']}/scans", headers=headers, json=scan)
    assert first.status_code == 200, first.text
    assert (first.json()["result"], first.json()["attendee_name"], first.json()["replayed"]) == ("ok", "Ann Lee", False)
    again = client.post(f"/api/v1/checkin-lists/{default['id']}/scans", headers=headers, json=scan).json()
    assert (again["result"], again["replayed"]) == ("ok", True)
    other = client.post(f"/api/v1/checkin-lists/{default['id']}/scans", headers=headers,
                        json=scan | {"client_scan_id": "phone-2", "device": "Door 2"}).json()
    assert (other["result"], other["first_device"]) == ("already", "Door 1") and other["first_at"]
    wrong = client.post(f"/api/v1/checkin-lists/{vip_list['id']}/scans", headers=headers,
                        json=scan | {"client_scan_id": "vip-1"}).json()
    assert wrong["result"] == "wrong_list"
    stats = client.get(f"/api/v1/checkin-lists/{default['id']}/stats", headers=headers).json()
    assert (stats["inside"], stats["checked_in"], stats["total"]) == (1, 1, 2)
    undone = client.post(f"/api/v1/checkin-lists/{default['id']}/undo", headers=headers, json={"ticket_id": ann.id})
    assert undone.status_code == 200 and undone.json()["inside"] == 0
    twice = client.post(f"/api/v1/checkin-lists/{default['id']}/undo", headers=headers, json={"ticket_id": ann.id})
    assert twice.status_code == 422 and twice.json()["error"]["fields"] == {
        "ticket_id": "This ticket is not checked in on this list."}
    back = client.post(f"/api/v1/checkin-lists/{default['id']}/scans", headers=headers,
                       json=scan | {"client_scan_id": "phone-3"}).json()
    assert back["result"] == "ok"


def test_re_entry_with_check_out(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    headers = login(owner)
    door = client.post(f"/api/v1/events/{event.id}/checkin-lists", headers=headers,
                       json={"name": "Hall", "allow_reentry": True}).json()
    bob = bought.tickets[1]
    url = f"/api/v1/checkin-lists/{door['id']}/scans"

    def go(n, direction="in"):
        return client.post(url, headers=headers, json={"code": bob.code, "client_scan_id": f"h-{n}",
                                                       "direction": direction}).json()["result"]
    assert [go(1), go(2), go(3, "out"), go(4, "out"), go(5), go(6)] == [
        "ok", "already", "out", "not_inside", "ok", "already"]
    assert client.get(f"/api/v1/checkin-lists/{door['id']}/stats", headers=headers).json()["inside"] == 1


def test_list_input_is_checked_field_by_field_and_nothing_is_saved(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    other_owner, other_org = make.org()
    other_event, (foreign,) = make.event(other_owner, other_org, quantities=(3,))
    headers = login(owner)
    url = f"/api/v1/events/{event.id}/checkin-lists"
    start = utcnow() + timedelta(days=1)
    bad = client.post(url, headers=headers, json={"name": " ", "ticket_type_ids": [foreign.id],
                                                  "opens_at": start.isoformat(),
                                                  "closes_at": (start - timedelta(hours=1)).isoformat()})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"name", "ticket_type_ids"}
    window = client.post(url, headers=headers, json={"name": "Late", "opens_at": start.isoformat(),
                                                     "closes_at": (start - timedelta(hours=1)).isoformat()})
    assert window.status_code == 422 and set(window.json()["error"]["fields"]) == {"closes_at"}
    assert len(client.get(url, headers=headers).json()) == 1
    [only] = client.get(url, headers=headers).json()
    last = client.delete(f"/api/v1/checkin-lists/{only['id']}", headers=headers)
    assert last.status_code == 422 and last.json()["error"]["code"] == "validation_error"
    naive = client.post(url, headers=headers, json={"name": "Naive", "opens_at": "2031-06-01T18:00:00"})
    assert naive.status_code == 201 and naive.json()["opens_at"].startswith("2031-06-01T18:00:00")
    assert client.delete(f"/api/v1/checkin-lists/{naive.json()['id']}", headers=headers).status_code == 204


def test_the_offline_download_verifies_signed_tickets_alone(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    headers = login(owner)
    [door] = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=headers).json()
    ann, bob = bought.tickets
    orders.cancel_ticket(session, Principal(owner.id), org.id, bob.id)
    bundle = client.get(f"/api/v1/checkin-lists/{door['id']}/offline", headers=headers)
    assert bundle.status_code == 200, bundle.text
    assert bundle.headers["content-encoding"] == "gzip" and bundle.headers["cache-control"] == "no-store"
    plain = client.get(f"/api/v1/checkin-lists/{door['id']}/offline", headers=headers | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == bundle.json() | {
        "generated_at": plain.json()["generated_at"]}
    body = bundle.json()
    assert [(t["name"], t["status"]) for t in body["tickets"]] == [("Ann Lee", "valid"), ("Bob Stone", "cancelled")]
    assert body["revoked"] == [bob.id] and body["tickets"][0]["answers"] == []
    shirts = client.post(f"/api/v1/events/{event.id}/checkin-lists", headers=headers,
                         json={"name": "Shirts", "question_ids": [shirt.id]}).json()
    shown = client.get(f"/api/v1/checkin-lists/{shirts['id']}/offline", headers=headers).json()["tickets"]
    assert shown[0]["answers"] == [{"question": "T-shirt size", "answer": "M"}]
    payload = signing.sign_ticket(session, ann, utcnow() + timedelta(days=1))
    assert signing.verify(body["event"]["public_key"], payload).ticket_id == ann.id
    scanned = client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=headers,
                          json={"code": payload, "client_scan_id": "signed-1"}).json()
    assert scanned["result"] == "ok"
    tampered = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    assert client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=headers,
                       json={"code": tampered, "client_scan_id": "signed-2"}).json()["result"] == "invalid"
    revoked = signing.sign_ticket(session, bob, utcnow() + timedelta(days=1))
    assert client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=headers,
                       json={"code": revoked, "client_scan_id": "signed-3"}).json()["result"] == "revoked"


def test_an_offline_batch_keeps_the_first_scan_and_shows_the_conflict(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    headers = login(owner)
    [door] = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=headers).json()
    ann, bob = bought.tickets
    now = utcnow()
    url = f"/api/v1/checkin-lists/{door['id']}/scans/batch"
    door2 = {"scans": [{"code": ann.code, "client_scan_id": "d2-1", "device": "Door 2", "offline_result": "ok",
                        "scanned_at": (now - timedelta(minutes=5)).isoformat()}]}
    door1 = {"scans": [{"code": ann.code, "client_scan_id": "d1-1", "device": "Door 1", "offline_result": "ok",
                        "scanned_at": (now - timedelta(minutes=9)).isoformat()},
                       {"code": bob.code, "client_scan_id": "d1-2", "device": "Door 1", "offline_result": "ok",
                        "scanned_at": (now - timedelta(minutes=8)).isoformat()}]}
    assert [r["result"] for r in client.post(url, headers=headers, json=door2).json()["results"]] == ["ok"]
    # Door 1 admitted Ann earlier, and syncs later: its scan keeps the entry; Door 2's is the conflict.
    synced = client.post(url, headers=headers, json=door1).json()["results"]
    assert [(r["result"], r["conflict"]) for r in synced] == [("ok", False), ("ok", False)]
    again = client.post(url, headers=headers, json=door1).json()["results"]
    assert all(r["replayed"] for r in again)
    [conflict] = client.get(f"/api/v1/events/{event.id}/checkin-conflicts", headers=headers).json()
    assert (conflict["name"], conflict["first_device"], conflict["second_device"]) == ("Ann Lee", "Door 1", "Door 2")
    stats = client.get(f"/api/v1/checkin-lists/{door['id']}/stats", headers=headers).json()
    assert (stats["checked_in"], stats["inside"]) == (2, 2)
    late = {"scans": [{"code": bob.code, "client_scan_id": "d3-1", "device": "Door 3", "offline_result": "ok",
                       "scanned_at": now.isoformat()}]}
    [third] = client.post(url, headers=headers, json=late).json()["results"]
    assert (third["result"], third["conflict"], third["first_device"]) == ("already", True, "Door 1")


def test_search_finds_people_by_name_email_or_code(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    headers = login(owner)
    [door] = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=headers).json()
    url = f"/api/v1/checkin-lists/{door['id']}/search"
    assert [f["name"] for f in client.get(url, headers=headers, params={"q": "stone"}).json()] == ["Bob Stone"]
    assert len(client.get(url, headers=headers, params={"q": "ann@example"}).json()) == 2
    code = bought.tickets[0].code
    assert [f["code"] for f in client.get(url, headers=headers, params={"q": code}).json()] == [code]
    assert client.get(url, headers=headers, params={"q": "%"}).json() == []
    assert client.get(url, headers=headers, params={"q": "_" * 3}).json() == []


def test_roles_and_tenants(client, login, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    steward = _user(session, member(session, org, "checkin"))
    steward_headers = login(steward)
    found = client.get("/api/v1/checkin-events", headers=steward_headers)
    assert found.status_code == 200 and [e["id"] for e in found.json()] == [event.id]
    [door] = client.get(f"/api/v1/events/{event.id}/checkin-lists", headers=steward_headers).json()
    ok = client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=steward_headers,
                     json={"code": bought.tickets[0].code, "client_scan_id": "s-1"})
    assert ok.json()["result"] == "ok"
    refused = client.post(f"/api/v1/events/{event.id}/checkin-lists", headers=steward_headers, json={"name": "Mine"})
    assert refused.status_code == 403
    stranger, other_org = make.org()
    other_event, (other_type,) = make.event(stranger, other_org, quantities=(3,))
    theirs = registration.register(session, org_slug=other_org.slug, event_slug=other_event.slug, buyer_name="Eve",
                                   buyer_email="eve@example.com", tickets=[TR(other_type.id, "Eve")]).tickets[0]
    stranger_headers = login(stranger)
    assert client.get(f"/api/v1/checkin-lists/{door['id']}/offline", headers=stranger_headers).status_code == 404
    assert client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=stranger_headers,
                       json={"code": "x", "client_scan_id": "x"}).status_code == 404
    # Another organization's code, scanned here, is unknown: nothing about who holds it.
    foreign = client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=steward_headers,
                          json={"code": theirs.code, "client_scan_id": "s-2"}).json()
    assert foreign == foreign | {"result": "unknown", "ticket_id": None, "attendee_name": ""}
    signed = signing.sign_ticket(session, theirs, utcnow() + timedelta(days=1))
    assert client.post(f"/api/v1/checkin-lists/{door['id']}/scans", headers=steward_headers,
                       json={"code": signed, "client_scan_id": "s-3"}).json()["result"] in ("invalid", "unknown")
    assert client.get(f"/api/v1/events/{event.id}/checkin-lists").status_code == 401


def test_the_scanner_pages_cookie_door(client, make, session):
    owner, org, event, general, vip, shirt, bought = _world(make, session)
    steward = member(session, org, "checkin")
    cookie = {accounts.SESSION_COOKIE: accounts.create_session(session, steward.user_id)}
    base = f"/scan-api/{org.slug}"
    assert client.get(f"{base}/events/{event.id}/checkin-lists").status_code == 401
    client.cookies.update(cookie)
    try:
        [door] = client.get(f"{base}/events/{event.id}/checkin-lists").json()
        scan = {"code": bought.tickets[0].code, "client_scan_id": "c-1"}
        forged = client.post(f"{base}/checkin-lists/{door['id']}/scans", json=scan)
        assert forged.status_code == 403  # no header: a request another site could have made
        ok = client.post(f"{base}/checkin-lists/{door['id']}/scans", json=scan,
                         headers={"X-AqStream-Scanner": "1"})
        assert ok.status_code == 200 and ok.json()["result"] == "ok"
        stranger, other_org = make.org()
        assert client.get(f"/scan-api/{other_org.slug}/checkin-lists/{door['id']}").status_code == 404
        assert client.get(f"/scan-api/{other_org.slug}/events/{event.id}/checkin-lists").status_code == 404
    finally:
        client.cookies.clear()
    assert "/scan-api" not in str(client.get("/api/v1/openapi.json").json()["paths"])
