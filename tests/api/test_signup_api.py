"""Sign-up and creating an organization through the API, with the pages' rules: an integration (or a test)
never has to imitate the browser to start from nothing."""
from sqlmodel import select

from aqstream.models import Membership, Organization, OutboxMessage, User
from aqstream.services.accounts.accounts import VERIFY_EMAIL
from tests.conftest import unique

PASSWORD = "a-good-long-passphrase"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_from_nothing_to_a_published_event_through_the_api(client, session):
    email = f"{unique('api')}@example.com"
    answer = client.post("/api/v1/auth/signup", json={"name": "Api Person", "email": email, "password": PASSWORD},
                         headers={"Accept-Language": "ru"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["email"] == email and body["email_verified"] is False and body["organization"] is None
    user = session.exec(select(User).where(User.email == email)).one()
    assert user.locale == "ru" and user.email_verified_at is None
    assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == VERIFY_EMAIL,
                                                    OutboxMessage.recipient == email)).one()
    # The account token reaches nothing of an organization...
    refused = client.get("/api/v1/events", headers=bearer(body["access_token"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    # ...until it creates one, as its owner, and gets that organization's token back.
    created = client.post("/api/v1/orgs", json={"name": "Клуб любителей API", "time_zone": "Europe/Moscow"},
                          headers=bearer(body["access_token"]))
    assert created.status_code == 201, created.text
    session.rollback()  # a fresh snapshot: the API committed in its own session
    org = session.exec(select(Organization).where(Organization.slug == created.json()["slug"])).one()
    assert org.name == "Клуб любителей API" and org.time_zone == "Europe/Moscow" and org.default_locale == "en"
    assert session.exec(select(Membership.role).where(Membership.organization_id == org.id,
                                                      Membership.user_id == user.id)).one() == "owner"
    token = created.json()["access_token"]
    event = client.post("/api/v1/events", headers=bearer(token), json={
        "title": "First API evening", "starts_at": "2031-06-01T18:00", "ends_at": "2031-06-01T21:00",
        "time_zone": "Europe/Moscow", "venue": "Hall", "ticket_types": [{"name": "Standard", "quantity": 5}]})
    assert event.status_code == 201, event.text
    published = client.post(f"/api/v1/events/{event.json()['id']}/publish", headers=bearer(token))
    assert published.status_code == 200 and published.json()["public_url"].endswith(f"/e/{org.slug}/first-api-evening")
    # A password sign-in gives the same organization's token.
    signed_in = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200 and signed_in.json()["organization"] == org.slug


def test_sign_up_keeps_the_pages_rules(client, make):
    taken = make.user()
    cases = [
        ({"name": "A", "email": taken.email, "password": PASSWORD}, "email"),
        ({"name": "A", "email": "not-an-address", "password": PASSWORD}, "email"),
        ({"name": "A", "email": f"{unique()}@example.com", "password": "short"}, "password"),
        ({"name": "A", "email": f"{unique()}@example.com", "password": "password123"}, "password"),
        ({"name": "   ", "email": f"{unique()}@example.com", "password": PASSWORD}, "name"),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/auth/signup", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.json()["error"]["fields"], (body, answer.text)


def test_creating_an_organization_needs_a_token_and_a_free_valid_slug(client, make, login):
    assert client.post("/api/v1/orgs", json={"name": "Nobody's"}).status_code == 401
    assert client.post("/api/v1/orgs", json={"name": "Forged"}, headers=bearer("x.y.z")).status_code == 401
    owner, org = make.org()
    headers = login(owner)
    taken = client.post("/api/v1/orgs", json={"name": "Second", "slug": org.slug}, headers=headers)
    assert taken.status_code == 422 and "slug" in taken.json()["error"]["fields"]
    bad = client.post("/api/v1/orgs", json={"name": "Second", "time_zone": "Mars/Olympus"}, headers=headers)
    assert bad.status_code == 422 and "time_zone" in bad.json()["error"]["fields"]
    # A member of one organization can start another; its token acts for the new one only.
    second = client.post("/api/v1/orgs", json={"name": f"Second {unique()}"}, headers=headers)
    assert second.status_code == 201, second.text
    settings = client.get("/api/v1/orgs/current/settings", headers=bearer(second.json()["access_token"]))
    assert settings.json()["slug"] == second.json()["slug"]
    event, _ = make.event(owner, org)
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(second.json()["access_token"])).status_code == 404
