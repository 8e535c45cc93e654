"""REST API v1 for the mail log: an organization's emails with filters, counts and pages, and "send again"
for a failed one; another tenant's organization or message is a 404, a message that has not failed a 409."""
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import OutboxMessage, User
from aqstream.services.org import team
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration
from tests.conftest import unique


def confirmation(session, make, owner, org):
    event, (tt,) = make.event(owner, org)
    email = f"{unique('buyer')}@example.com"
    registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=tt.id,
                          buyer_name="Anna Buyer", buyer_email=email)
    session.rollback()
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == email)).one()
    return event, message.id


def fail(session, message_id, error="SMTP 550: 'mailbox unavailable'"):
    session.rollback()
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id)
                 .values(status="failed", attempts=10, last_error=error))
    session.commit()


def test_list_filter_and_send_again(client, login, make, session, monkeypatch):
    monkeypatch.delenv("AQSTREAM_SMTP_HOST", raising=False)
    owner, org = make.org()
    event, waiting_id = confirmation(session, make, owner, org)
    _, failed_id = confirmation(session, make, owner, org)
    fail(session, failed_id)
    auth = login(owner)
    url = f"/api/v1/organizations/{org.slug}/mail"

    listed = client.get(url, headers=auth)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [m["id"] for m in body["messages"]] == [failed_id, waiting_id]  # newest first
    assert (body["total"], body["page"], body["pages"], body["per_page"], body["status"]) == (2, 1, 1, 25, "all")
    assert body["counts"] == {"all": 2, "waiting": 1, "sent": 0, "failed": 1,
                              "by_status": {"pending": 1, "failed": 1}}
    assert body["smtp_configured"] is False
    waiting = body["messages"][1]
    assert waiting["subject"] == f"You are registered: {event.title}"
    assert (waiting["status"], waiting["kind"], waiting["kind_label"], waiting["organization"]) == (
        "pending", "email.registration_confirmation", "Registration confirmation", org.slug)
    assert waiting["next_attempt_at"] and waiting["sent_at"] is None

    failed = client.get(url, params={"status": "failed"}, headers=auth).json()
    assert [(m["id"], m["last_error"], m["attempts"]) for m in failed["messages"]] == [
        (failed_id, "SMTP 550: 'mailbox unavailable'", 10)]
    ru = client.get(url, params={"status": "waiting"}, headers={**auth, "Accept-Language": "ru"}).json()
    assert [m["kind_label"] for m in ru["messages"]] == ["Подтверждение регистрации"]
    assert client.get(url, params={"page": 2}, headers=auth).json()["messages"] == []
    bad = client.get(url, params={"status": "lost"}, headers=auth)
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]

    again = client.post(f"{url}/{failed_id}/retry", headers=auth)
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["attempts"], again.json()["last_error"]) == ("pending", 0, "")
    assert client.get(url, headers=auth).json()["counts"]["failed"] == 0

    # Not failed (any more): 409, in the JSON error shape.
    for message_id in (failed_id, waiting_id):
        refused = client.post(f"{url}/{message_id}/retry", headers=auth)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "conflict"
        assert refused.json()["error"]["message"].startswith("Only a message that failed can be sent again")
    assert client.post(f"{url}/999999/retry", headers=auth).status_code == 404


def test_another_tenant_gets_404_and_staff_403(client, login, make, session):
    alice, org_a = make.org()
    bob, org_b = make.org()
    _, b_mail = confirmation(session, make, bob, org_b)
    _, a_mail = confirmation(session, make, alice, org_a)
    fail(session, b_mail)
    auth = login(alice)
    for method, url in (
        ("get", f"/api/v1/organizations/{org_b.slug}/mail"),
        ("post", f"/api/v1/organizations/{org_b.slug}/mail/{b_mail}/retry"),
        ("post", f"/api/v1/organizations/{org_a.slug}/mail/{b_mail}/retry"),  # B's message through A
        ("get", "/api/v1/organizations/no-such-org/mail"),
    ):
        response = getattr(client, method)(url, headers=auth)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "not_found"
    session.rollback()
    assert session.get(OutboxMessage, b_mail).status == "failed"
    assert client.get(f"/api/v1/organizations/{org_a.slug}/mail").status_code == 401

    # Bob is in both organizations; a token for his own one does not open A's log.
    issued = team.invite(session, Principal(alice.id), org_a.id, email=bob.email, role="admin")
    team.accept_invitation(session, Principal(bob.id), issued.token)
    bob_b = login(bob, organization=org_b.slug)
    assert client.get(f"/api/v1/organizations/{org_a.slug}/mail", headers=bob_b).status_code == 404
    bob_a = login(bob, organization=org_a.slug)
    seen = client.get(f"/api/v1/organizations/{org_a.slug}/mail", headers=bob_a).json()["messages"]
    assert [(m["kind"], m["recipient"]) for m in seen][0] == ("email.team_invitation", bob.email)
    assert [m["id"] for m in seen][1:] == [a_mail]

    staff, _ = make.org()
    issued = team.invite(session, Principal(alice.id), org_a.id, email=staff.email, role="staff")
    team.accept_invitation(session, Principal(staff.id), issued.token)
    staff_auth = login(staff, organization=org_a.slug)
    forbidden = client.get(f"/api/v1/organizations/{org_a.slug}/mail", headers=staff_auth)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert client.post(f"/api/v1/organizations/{org_a.slug}/mail/{a_mail}/retry",
                       headers=staff_auth).status_code == 403


def test_a_platform_admins_token_opens_any_organizations_log(client, login, make, session):
    root, own_org = make.org()
    session.exec(update(User).where(User.id == root.id).values(is_platform_admin=True))
    session.commit()
    bob, org_b = make.org()
    _, b_mail = confirmation(session, make, bob, org_b)
    fail(session, b_mail)
    auth = login(root, organization=own_org.slug)
    listed = client.get(f"/api/v1/organizations/{org_b.slug}/mail", headers=auth)
    assert [m["id"] for m in listed.json()["messages"]] == [b_mail]
    assert client.post(f"/api/v1/organizations/{org_b.slug}/mail/{b_mail}/retry", headers=auth).status_code == 200
