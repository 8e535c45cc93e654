"""REST API v1 for the team, the organization's settings and the audit log, as an integration uses it:
status codes, bodies, and the JSON error shape of every refusal."""
from sqlmodel import select

from aqstream.models import OutboxMessage
from aqstream.services.org import team
from aqstream.services.org.permissions import Principal


def invite(client, auth, email, role="staff"):
    return client.post("/api/v1/orgs/current/invitations", json={"email": email, "role": role}, headers=auth)


def token_of(response) -> str:
    return response.json()["accept_url"].rsplit("/", 1)[1]


def test_invite_accept_change_role_and_remove(client, login, make, session):
    owner, org = make.org()
    newcomer, own_org = make.org()  # a token names an organization, so the newcomer has one of their own
    auth = login(owner)
    sent = invite(client, auth, newcomer.email.upper(), "admin")
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["email"] == newcomer.email and body["role"] == "admin" and body["accept_url"].startswith("http")
    session.rollback()  # a new transaction sees what the API committed
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email.team_invitation",
                                                    OutboxMessage.recipient == newcomer.email)).one()
    assert mail.payload["accept_url"] == body["accept_url"]
    listed = client.get("/api/v1/orgs/current/invitations", headers=auth).json()
    assert [(i["id"], i["email"]) for i in listed] == [(body["id"], newcomer.email)]
    assert "accept_url" not in listed[0]  # the link is shown once, when it is made

    token = token_of(sent)
    preview = client.get(f"/api/v1/invitations/{token}").json()
    assert preview == {"organization": org.slug, "organization_name": org.name, "email": newcomer.email,
                       "role": "admin", "expires_at": preview["expires_at"]}
    joined = client.post(f"/api/v1/invitations/{token}/accept", headers=login(newcomer))
    assert joined.status_code == 200, joined.text
    assert joined.json() == {"organization": org.slug, "organization_name": org.name, "role": "admin"}
    again = client.post(f"/api/v1/invitations/{token}/accept", headers=login(newcomer, organization=own_org.slug))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert again.json()["error"]["message"] == "This invitation has already been used."

    members = client.get("/api/v1/orgs/current/members", headers=auth).json()
    assert [(m["email"], m["role"]) for m in members] == [(owner.email, "owner"), (newcomer.email, "admin")]
    changed = client.patch(f"/api/v1/orgs/current/members/{newcomer.id}", json={"role": "staff"}, headers=auth)
    assert changed.status_code == 200 and changed.json()["role"] == "staff"
    assert client.delete(f"/api/v1/orgs/current/members/{newcomer.id}", headers=auth).status_code == 204
    assert [m["email"] for m in client.get("/api/v1/orgs/current/members", headers=auth).json()] == [owner.email]
    # POST /members is the same invitation.
    alias = client.post("/api/v1/orgs/current/members", json={"email": "later@example.com", "role": "checkin"},
                        headers=auth)
    assert alias.status_code == 201 and alias.json()["role"] == "checkin"
    assert client.delete(f"/api/v1/orgs/current/invitations/{alias.json()['id']}", headers=auth).status_code == 204
    assert client.get("/api/v1/orgs/current/invitations", headers=auth).json() == []


def test_refusals_are_json_errors(client, login, make, session):
    owner, org = make.org()
    admin, _ = make.org()
    issued = team.invite(session, Principal(owner.id), org.id, email=admin.email, role="admin")
    team.accept_invitation(session, Principal(admin.id), issued.token)
    auth, admin_auth = login(owner), login(admin, organization=org.slug)

    bad = invite(client, auth, "nope", "boss")
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"email": "Enter a valid email address, like name@example.com.",
                                             "role": "Choose a role from the list."}
    member = invite(client, auth, admin.email)
    assert member.status_code == 422 and member.json()["error"]["fields"] == {
        "email": "This person is already a member of the organization."}

    last = client.delete(f"/api/v1/orgs/current/members/{owner.id}", headers=auth)
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "conflict"
    assert last.json()["error"]["message"].startswith("The organization needs at least one owner.")
    ru = client.patch(f"/api/v1/orgs/current/members/{owner.id}", json={"role": "admin"},
                      headers={**auth, "Accept-Language": "ru"})
    assert ru.status_code == 409 and ru.json()["error"]["message"].startswith("У организации должен остаться")

    for method, url, body in [("patch", f"/api/v1/orgs/current/members/{owner.id}", {"role": "staff"}),
                              ("delete", f"/api/v1/orgs/current/members/{owner.id}", None),
                              ("post", "/api/v1/orgs/current/invitations", {"email": "b@example.com", "role": "owner"})]:
        refused = client.request(method, url, json=body, headers=admin_auth)
        assert refused.status_code == 403, (url, refused.text)
        assert refused.json()["error"]["message"] == "Only an owner can make, change or remove an owner."

    assert client.patch("/api/v1/orgs/current/members/999999", json={"role": "staff"}, headers=auth).status_code == 404
    assert client.patch(f"/api/v1/orgs/current/members/{2**40}", json={"role": "staff"},
                        headers=auth).status_code == 422
    assert client.delete("/api/v1/orgs/current/invitations/999999", headers=auth).status_code == 404
    unknown = client.get("/api/v1/invitations/not-a-real-token")
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == "This invitation link is not valid."
    assert client.get("/api/v1/orgs/current/members").status_code == 401
    assert client.post("/api/v1/invitations/whatever/accept").status_code == 401


def test_wrong_address_cannot_accept(client, login, make):
    owner, org = make.org()
    stranger, _ = make.org()
    sent = invite(client, login(owner), "someone.else@example.com")
    refused = client.post(f"/api/v1/invitations/{token_of(sent)}/accept", headers=login(stranger))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "This invitation is for someone.else@example.com. Sign in with that address to accept it.")
    assert [m["email"] for m in client.get("/api/v1/orgs/current/members", headers=login(owner)).json()] == [
        owner.email]


def test_staff_and_checkin_cannot_use_team_settings_or_audit(client, login, make, session):
    owner, org = make.org()
    for role in ("staff", "checkin"):
        person, _ = make.org()
        issued = team.invite(session, Principal(owner.id), org.id, email=person.email, role=role)
        team.accept_invitation(session, Principal(person.id), issued.token)
        auth = login(person, organization=org.slug)
        for method, url, body in [("get", "/api/v1/orgs/current/members", None),
                                  ("get", "/api/v1/orgs/current/invitations", None),
                                  ("post", "/api/v1/orgs/current/invitations", {"email": "x@example.com",
                                                                                "role": "staff"}),
                                  ("patch", f"/api/v1/orgs/current/members/{owner.id}", {"role": "staff"}),
                                  ("get", "/api/v1/orgs/current/settings", None),
                                  ("patch", "/api/v1/orgs/current/settings", {"name": "Mine now"}),
                                  ("get", "/api/v1/orgs/current/audit", None)]:
            refused = client.request(method, url, json=body, headers=auth)
            assert refused.status_code == 403, (role, url, refused.text)
            assert refused.json()["error"]["code"] == "forbidden"
        # ...but may leave.
        assert client.delete(f"/api/v1/orgs/current/members/{person.id}", headers=auth).status_code == 204


def test_settings_read_and_partial_update(client, login, make):
    owner, org = make.org()
    _, other = make.org()
    auth = login(owner)
    current = client.get("/api/v1/orgs/current/settings", headers=auth).json()
    assert current == {"name": org.name, "slug": org.slug, "default_locale": "en", "currency": "EUR",
                       "time_zone": "UTC", "contact_email": "", "logo_url": None}
    changed = client.patch("/api/v1/orgs/current/settings", json={"currency": "rub", "default_locale": "ru",
                                                                  "contact_email": "team@example.com"}, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**current, "currency": "RUB", "default_locale": "ru", "contact_email": "team@example.com"}
    bad = client.patch("/api/v1/orgs/current/settings", json={"slug": "api", "currency": "rubles",
                                                              "time_zone": "Nowhere/City"}, headers=auth)
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"slug", "currency", "time_zone"}
    taken = client.patch("/api/v1/orgs/current/settings", json={"slug": other.slug}, headers=auth)
    assert taken.status_code == 422 and taken.json()["error"]["fields"] == {
        "slug": "This address is taken. Choose another."}
    assert client.get("/api/v1/orgs/current/settings", headers=auth).json() == changed.json()
    renamed = client.patch("/api/v1/orgs/current/settings", json={"slug": f"{org.slug}-new"}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["slug"] == f"{org.slug}-new"


def test_audit_log_with_filters_and_paging(client, login, make):
    owner, org = make.org()
    auth = login(owner)
    invite(client, auth, "one@example.com")
    invite(client, auth, "two@example.com")
    client.patch("/api/v1/orgs/current/settings", json={"name": "Renamed Org"}, headers=auth)
    log = client.get("/api/v1/orgs/current/audit", headers=auth).json()
    assert [e["action"] for e in log["entries"]] == ["organization.settings_update", "team.invite", "team.invite",
                                                      "organization.create"]
    assert log["entries"][0]["actor"] == owner.name and log["entries"][0]["actor_email"] == owner.email
    assert (log["total"], log["page"], log["pages"]) == (4, 1, 1)
    team_only = client.get("/api/v1/orgs/current/audit", params={"action": "team."}, headers=auth).json()
    assert [e["data"]["email"] for e in team_only["entries"]] == ["two@example.com", "one@example.com"]
    assert client.get("/api/v1/orgs/current/audit", params={"actor": "nobody-like-this"},
                      headers=auth).json()["total"] == 0
    paged = client.get("/api/v1/orgs/current/audit", params={"per_page": 3, "page": 2}, headers=auth).json()
    assert [e["action"] for e in paged["entries"]] == ["organization.create"] and paged["pages"] == 2
    since = log["entries"][0]["at"]
    recent = client.get("/api/v1/orgs/current/audit", params={"since": since}, headers=auth).json()
    assert [e["action"] for e in recent["entries"]] == ["organization.settings_update"]
    backwards = client.get("/api/v1/orgs/current/audit", params={"since": since, "until": "2000-01-01T00:00:00"},
                           headers=auth)
    assert backwards.status_code == 422 and "until" in backwards.json()["error"]["fields"]
    assert client.get("/api/v1/orgs/current/audit", params={"per_page": 0}, headers=auth).status_code == 422
    odd = client.get("/api/v1/orgs/current/audit", params={"since": "0001-01-01T00:00:00+05:00"}, headers=auth)
    assert odd.status_code == 422 and odd.json()["error"]["fields"] == {"since": "Enter a date and time."}
    assert client.get("/api/v1/orgs/current/audit", params={"actor": "a\x00b%_"}, headers=auth).json()["total"] == 0


def test_an_organization_sees_only_its_own_team(client, login, make):
    alice, org_a = make.org()
    bob, org_b = make.org()
    a, b = login(alice), login(bob)
    a_invite = invite(client, a, "for-a@example.com").json()
    b_invite = invite(client, b, "for-b@example.com").json()
    assert client.delete(f"/api/v1/orgs/current/invitations/{a_invite['id']}", headers=b).status_code == 404
    assert client.patch(f"/api/v1/orgs/current/members/{alice.id}", json={"role": "staff"},
                        headers=b).status_code == 404
    assert client.delete(f"/api/v1/orgs/current/members/{alice.id}", headers=b).status_code == 404
    assert [i["email"] for i in client.get("/api/v1/orgs/current/invitations", headers=b).json()] == ["for-b@example.com"]
    assert [m["email"] for m in client.get("/api/v1/orgs/current/members", headers=b).json()] == [bob.email]
    assert client.get("/api/v1/orgs/current/settings", headers=b).json()["slug"] == org_b.slug
    b_log = client.get("/api/v1/orgs/current/audit", headers=b).json()
    assert "for-a@example.com" not in str(b_log) and b_log["total"] == 2
    assert [i["id"] for i in client.get("/api/v1/orgs/current/invitations", headers=a).json()] == [a_invite["id"]]
    assert b_invite["id"] != a_invite["id"]


def test_team_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/orgs/current/members", "/api/v1/orgs/current/members/{user_id}",
                 "/api/v1/orgs/current/invitations", "/api/v1/orgs/current/invitations/{invitation_id}",
                 "/api/v1/invitations/{token}", "/api/v1/invitations/{token}/accept",
                 "/api/v1/orgs/current/settings", "/api/v1/orgs/current/audit"):
        assert path in paths, path
