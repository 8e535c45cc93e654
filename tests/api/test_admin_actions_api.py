"""/api/v1/admin/... changes: platform admins only (404 to everyone else, owners included); suspension seen
by the organization's own tokens as 403 organization_suspended on writes, and by registrations through the
public API; limits; admins granted and revoked, never the last."""
from sqlalchemy import update

from aqstream.models import User
from aqstream.services.platform import admins


def make_root(make, session):
    session.exec(update(User).values(is_platform_admin=False))  # alone, whatever other tests granted
    session.commit()
    root, own = make.org()
    admins.grant(session, None, root.email)
    return root, own


def test_suspend_and_reactivate_through_the_api(client, login, make, session):
    root, own = make_root(make, session)
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    admin_auth, owner_auth = login(root, organization=own.slug), login(owner)

    refused = client.post(f"/api/v1/admin/organizations/{org.slug}/suspend", json={"reason": ""}, headers=admin_auth)
    assert refused.status_code == 422 and "reason" in refused.json()["error"]["fields"]
    done = client.post(f"/api/v1/admin/organizations/{org.slug}/suspend", json={"reason": "Chargebacks"},
                       headers=admin_auth)
    assert done.status_code == 200 and done.json()["status"] == "suspended"
    assert done.json()["suspension_reason"] == "Chargebacks"

    # The organization's own token: reads work, writes answer 403 organization_suspended.
    assert client.get(f"/api/v1/events/{event.id}", headers=owner_auth).status_code == 200
    write = client.post(f"/api/v1/events/{event.id}/ticket-types", json={"name": "VIP", "quantity": 3},
                        headers=owner_auth)
    assert write.status_code == 403 and write.json()["error"]["code"] == "organization_suspended"
    # The public: the event is there and says why registration is closed; registering is refused.
    public = client.get(f"/api/v1/public/events/{org.slug}/{event.slug}").json()
    assert public["registration_open"] is False
    assert public["registration_closed_reason"] == "registration.org_suspended"
    register = client.post(f"/api/v1/public/events/{org.slug}/{event.slug}/registrations",
                           json={"name": "Ann", "email": "ann@example.com",
                                 "tickets": [{"ticket_type_id": tt.id, "attendee_name": "Ann"}]})
    assert register.status_code == 403 and register.json()["error"]["code"] == "organization_suspended"

    back = client.post(f"/api/v1/admin/organizations/{org.slug}/reactivate", headers=admin_auth)
    assert back.status_code == 200 and back.json()["status"] == "active"
    assert client.post(f"/api/v1/events/{event.id}/ticket-types", json={"name": "VIP", "quantity": 3},
                       headers=owner_auth).status_code == 201
    again = client.post(f"/api/v1/admin/organizations/{org.slug}/reactivate", headers=admin_auth)
    assert again.status_code == 409


def test_limits_and_admins(client, login, make, session):
    root, own = make_root(make, session)
    _owner, org = make.org()
    other = make.user("Second Admin")
    auth = login(root, organization=own.slug)
    bad = client.put(f"/api/v1/admin/organizations/{org.slug}/limits",
                     json={"max_published_events": -1, "max_tickets_per_event": 10**30}, headers=auth)
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"max_published_events", "max_tickets_per_event"}
    ok = client.put(f"/api/v1/admin/organizations/{org.slug}/limits",
                    json={"max_published_events": 2, "max_tickets_per_event": None}, headers=auth)
    assert ok.status_code == 200 and ok.json()["max_published_events"] == 2
    assert client.post("/api/v1/admin/admins", json={"email": other.email}, headers=auth).status_code == 201
    assert {a["email"] for a in client.get("/api/v1/admin/admins", headers=auth).json()} == {root.email, other.email}
    assert client.post("/api/v1/admin/admins/revoke", json={"email": other.email}, headers=auth).status_code == 200
    last = client.post("/api/v1/admin/admins/revoke", json={"email": root.email}, headers=auth)
    assert last.status_code == 409 and last.json()["error"]["code"] == "conflict"


ROUTES = [("get", "/api/v1/admin/admins", None), ("post", "/api/v1/admin/admins", {"email": "x@example.com"}),
          ("post", "/api/v1/admin/admins/revoke", {"email": "x@example.com"}),
          ("post", "/api/v1/admin/organizations/{slug}/suspend", {"reason": "x"}),
          ("post", "/api/v1/admin/organizations/{slug}/reactivate", None),
          ("put", "/api/v1/admin/organizations/{slug}/limits", {"max_published_events": 1})]


def test_every_admin_route_is_a_404_to_anyone_else(client, login, make, session):
    owner, org = make.org()
    staff_owner, other = make.org()
    for auth in (login(owner), login(staff_owner)):  # owners of organizations are no platform admins
        for method, path, body in ROUTES:
            url = path.format(slug=org.slug)
            response = getattr(client, method)(url, headers=auth, **({"json": body} if body else {}))
            assert response.status_code == 404, (method, url, response.text)
            assert response.json()["error"]["code"] == "not_found"
    for method, path, body in ROUTES:  # and without a token: 401, as every protected route
        response = getattr(client, method)(path.format(slug=org.slug), **({"json": body} if body else {}))
        assert response.status_code == 401
    session.refresh(org)
    assert org.status == "active"
