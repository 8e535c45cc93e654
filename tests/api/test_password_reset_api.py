"""Password reset over the API: 202 for every address, 400 with per-field errors on confirmation, and a
new password that ends the API tokens issued before it."""
from sqlmodel import select

from aqstream.models import OutboxMessage
from aqstream.services.accounts import password_reset
from tests.conftest import unique


def reset_token(session, email):
    session.rollback()
    message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == password_reset.RESET_EMAIL,
                                                       OutboxMessage.recipient == email)).one()
    return message.payload["reset_path"].removeprefix("/reset/")


def test_request_answers_the_same_for_every_address(client, make):
    owner, _ = make.org()
    known = client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": f"{unique('nobody')}@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert "If an account with this address exists" in known.json()["detail"]
    russian = client.post("/api/v1/auth/password-reset", json={"email": owner.email},
                          headers={"Accept-Language": "ru-RU"})
    assert russian.status_code == 202 and "Если учётная запись" in russian.json()["detail"]
    malformed = client.post("/api/v1/auth/password-reset", json={"email": "not-an-address"})
    assert malformed.status_code == 422 and set(malformed.json()["error"]["fields"]) == {"email"}


def test_confirm_reports_each_field_and_works_once(client, login, make):
    owner, _ = make.org()
    old_token = login(owner)
    client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    token = reset_token(make.session, owner.email)

    bad = client.post("/api/v1/auth/password-reset/confirm",
                      json={"token": token, "password": "short", "password_repeat": "other"})
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert fields == {"password": "The password must have at least 8 characters.",
                      "password_repeat": "The two passwords are not the same."}
    unknown = client.post("/api/v1/auth/password-reset/confirm", json={"token": "made-up", "password": "x" * 12})
    assert unknown.status_code == 400 and set(unknown.json()["error"]["fields"]) == {"token"}

    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "api-new-passphrase-5"})
    assert done.status_code == 204
    assert client.get("/api/v1/events", headers=old_token).status_code == 401
    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "api-other-pass-6"})
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["token"].startswith("This password reset link has already been used")
    assert client.post("/api/v1/auth/token", json={"email": owner.email, "password": "a-good-long-passphrase"}
                       ).status_code == 401
    assert client.get("/api/v1/events", headers=login(owner, password="api-new-passphrase-5")).status_code == 200
