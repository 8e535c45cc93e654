"""Sign-in throttling through the API, behind a reverse proxy and without one (issue 12, defect 6)."""
import pytest
from fastapi.testclient import TestClient

from aqstream.api.app import create_api
from aqstream.services.accounts import accounts
from tests.conftest import unique

PASSWORD = "a-good-long-passphrase"
PROXY = "10.20.30.40"


def unique_ip() -> str:
    return f"2001:db8:{unique('')[:4]}:{unique('')[:4]}::7"


@pytest.fixture
def peer(use_db):
    """A test client whose connections come from the given address (the reverse proxy, or a visitor)."""
    clients = []

    def open_from(host: str) -> TestClient:
        client = TestClient(create_api(), client=(host, 50000))
        clients.append(client.__enter__())
        return client

    yield open_from
    for client in clients:
        client.__exit__(None, None, None)


def sign_in(client, email, password, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/v1/auth/token", json={"email": email, "password": password}, headers=headers)


def fail_many(client, count, forwarded_for=None, emails=None):
    emails = emails or [f"{unique('nobody')}@example.com" for _ in range(count)]
    for i in range(count):
        forwarded = forwarded_for() if callable(forwarded_for) else forwarded_for
        response = sign_in(client, emails[i % len(emails)], "wrong-password", forwarded)
        assert response.status_code == 401, response.text
    return emails


def test_behind_an_untrusted_proxy_a_right_password_still_works_after_25_failures(peer, make, monkeypatch):
    """The issue's scenario: the proxy is not configured, so every visitor has the proxy's address."""
    monkeypatch.delenv("AQSTREAM_TRUSTED_PROXIES", raising=False)
    proxy = peer(unique_ip())
    fail_many(proxy, 25, forwarded_for="198.51.100.1")
    owner, _org = make.org()
    response = sign_in(proxy, owner.email, PASSWORD, "198.51.100.2")
    assert response.status_code == 200, response.text


def test_with_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(peer, make, monkeypatch):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    proxy = peer(PROXY)
    attacker = unique_ip()
    victim, _org = make.org()
    # The attacker (behind the proxy) guesses twice at the victim, then sprays other accounts.
    fail_many(proxy, accounts.FREE_FAILURES_PER_PAIR, forwarded_for=attacker, emails=[victim.email])
    fail_many(proxy, 25, forwarded_for=attacker)
    # The attacker now waits before guessing at the victim again, even with the right password ...
    throttled = sign_in(proxy, victim.email, PASSWORD, f"1.1.1.1, {attacker}")  # a forged left part changes nothing
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers.get("Retry-After", "1")) > 0
    # ... while the victim, behind the same proxy at their own address, is not held back.
    assert sign_in(proxy, victim.email, PASSWORD, unique_ip()).status_code == 200
    # Another client's failures are its own: the attacker's count does not touch them.
    other = unique_ip()
    emails = fail_many(proxy, accounts.FREE_FAILURES_PER_PAIR, forwarded_for=other)
    assert sign_in(proxy, emails[0], "wrong-password", other).status_code == 401


def test_without_trusted_proxies_a_forged_header_does_not_dodge_the_limit(peer, make, monkeypatch):
    monkeypatch.delenv("AQSTREAM_TRUSTED_PROXIES", raising=False)
    attacker = peer(unique_ip())
    victim, _org = make.org()
    # Each guess claims to come from somewhere else; all of them still count against the real address.
    fail_many(attacker, accounts.FREE_FAILURES_PER_PAIR, forwarded_for=unique_ip, emails=[victim.email])
    fail_many(attacker, 25, forwarded_for=unique_ip)
    response = sign_in(attacker, victim.email, PASSWORD, unique_ip())
    assert response.status_code == 429, response.text
    # The victim from their own address signs in.
    assert sign_in(peer(unique_ip()), victim.email, PASSWORD).status_code == 200


def test_a_forged_header_from_a_peer_outside_the_trusted_networks_is_ignored(peer, make, monkeypatch):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", "10.0.0.0/8")
    attacker = peer(unique_ip())  # connects directly, not through the proxy
    victim, _org = make.org()
    fail_many(attacker, accounts.FREE_FAILURES_PER_PAIR, forwarded_for=unique_ip, emails=[victim.email])
    fail_many(attacker, 25, forwarded_for=lambda: f"{unique_ip()}, 10.1.1.1")
    assert sign_in(attacker, victim.email, PASSWORD, unique_ip()).status_code == 429


def test_the_attacked_account_is_still_locked_from_everywhere(peer, make, monkeypatch):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", PROXY)
    proxy = peer(PROXY)
    victim, _org = make.org()
    # Guesses at one account from many addresses: the account's own limit holds.
    fail_many(proxy, accounts.FREE_FAILURES_PER_EMAIL, forwarded_for=unique_ip, emails=[victim.email])
    assert sign_in(proxy, victim.email, PASSWORD, unique_ip()).status_code == 429


def test_password_reset_counts_the_forwarded_client(peer, make, monkeypatch):
    """The reset form's per-client limit uses the same address: behind a trusted proxy, one client's
    requests do not use up everyone's."""
    from aqstream.services.accounts import password_reset

    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", PROXY)
    proxy = peer(PROXY)
    noisy = unique_ip()
    people = [make.user() for _ in range(password_reset.MAX_PER_CLIENT + 1)]
    for person in people[:-1]:
        response = proxy.post("/api/v1/auth/password-reset", json={"email": person.email},
                              headers={"X-Forwarded-For": noisy})
        assert response.status_code == 202
    from sqlmodel import Session, func, select

    from aqstream.db import get_engine
    from aqstream.models import PasswordReset

    def links(user):
        with Session(get_engine()) as s:
            return s.exec(select(func.count(PasswordReset.id)).where(PasswordReset.user_id == user.id)).one()

    last = people[-1]
    proxy.post("/api/v1/auth/password-reset", json={"email": last.email}, headers={"X-Forwarded-For": noisy})
    assert links(last) == 0  # the noisy client is over its limit
    proxy.post("/api/v1/auth/password-reset", json={"email": last.email}, headers={"X-Forwarded-For": unique_ip()})
    assert links(last) == 1  # another client behind the same proxy is not
