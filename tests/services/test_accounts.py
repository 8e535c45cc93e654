"""Accounts: password rules, argon2id, server-side sessions, sign-out, throttled sign-in."""
from datetime import timedelta

import pytest
from sqlmodel import select

from aqstream.models import LoginAttempt, User, UserSession
from aqstream.services.accounts import accounts
from aqstream.services.errors import Forbidden, TooManyAttempts, ValidationError
from tests.conftest import unique


def email():
    return f"{unique('a')}@example.com"


def test_password_is_hashed_with_argon2id_and_verifies(session):
    user = accounts.sign_up(session, name="Ann", email=email(), password="correct horse battery")
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in user.password_hash
    assert accounts.authenticate(session, email=user.email, password="correct horse battery").id == user.id


@pytest.mark.parametrize(
    "password, key",
    [
        ("short1!", "auth.password_too_short"),
        ("x" * 129, "auth.password_too_long"),
        ("password", "auth.password_common"),
        ("Qwerty123", "auth.password_common"),
        ("iloveyou", "auth.password_common"),
    ],
)
def test_weak_passwords_are_refused_with_a_message_and_nothing_saved(session, password, key):
    address = email()
    with pytest.raises(ValidationError) as err:
        accounts.sign_up(session, name="Ann", email=address, password=password)
    assert err.value.errors == {"password": key}
    assert session.exec(select(User).where(User.email == address)).first() is None


def test_long_passwords_are_accepted_and_never_truncated(session):
    base = "b" * 72  # bcrypt would silently ignore everything after 72 bytes
    user = accounts.sign_up(session, name="Long", email=email(), password=base + "-first-ending")
    assert accounts.authenticate(session, email=user.email, password=base + "-first-ending").id == user.id
    with pytest.raises(ValidationError):
        accounts.authenticate(session, email=user.email, password=base + "-other-ending")
    user64 = accounts.sign_up(session, name="L64", email=email(), password="z" * 40 + "y" * 24)
    assert accounts.authenticate(session, email=user64.email, password="z" * 40 + "y" * 24).id == user64.id


def test_email_is_unique_case_insensitively(session):
    address = email()
    accounts.sign_up(session, name="One", email=address.upper(), password="a-good-long-passphrase")
    with pytest.raises(ValidationError) as err:
        accounts.sign_up(session, name="Two", email=address, password="a-good-long-passphrase")
    assert err.value.errors == {"email": "auth.email_taken"}


def test_bad_fields_are_all_reported_at_once(session):
    with pytest.raises(ValidationError) as err:
        accounts.sign_up(session, name="", email="not-an-email", password="")
    assert set(err.value.errors) == {"name", "email", "password"}


def test_session_token_is_random_stored_hashed_and_sign_out_ends_it(session):
    user = accounts.sign_up(session, name="S", email=email(), password="a-good-long-passphrase")
    token = accounts.create_session(session, user.id)
    other = accounts.create_session(session, user.id)
    assert len(token) >= 43 and token != other  # 32 random bytes, URL-safe
    stored = session.exec(select(UserSession.token_hash).where(UserSession.user_id == user.id)).all()
    assert token not in stored
    assert accounts.user_for_session(session, token).id == user.id
    accounts.sign_out(session, token)
    assert accounts.user_for_session(session, token) is None
    assert accounts.user_for_session(session, other).id == user.id


def test_sign_out_everywhere_ends_every_session(session):
    user = accounts.sign_up(session, name="S", email=email(), password="a-good-long-passphrase")
    tokens = [accounts.create_session(session, user.id) for _ in range(3)]
    assert accounts.sign_out_everywhere(session, user.id) == 3
    assert all(accounts.user_for_session(session, t) is None for t in tokens)


def test_expired_session_is_not_accepted(session):
    user = accounts.sign_up(session, name="S", email=email(), password="a-good-long-passphrase")
    token = accounts.create_session(session, user.id)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = row.created_at - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert accounts.user_for_session(session, token) is None


def test_repeated_failures_for_one_account_are_slowed_down(session):
    user = accounts.sign_up(session, name="T", email=email(), password="a-good-long-passphrase")
    for _ in range(accounts.FREE_FAILURES_PER_EMAIL):
        with pytest.raises(ValidationError):
            accounts.authenticate(session, email=user.email, password="wrong-password", address="10.0.0.1")
    # Even the right password has to wait now: the guesser cannot tell a hit from a miss.
    with pytest.raises(TooManyAttempts) as err:
        accounts.authenticate(session, email=user.email, password="a-good-long-passphrase", address="10.0.0.2")
    assert 0 < err.value.params["seconds"] <= accounts.BASE_DELAY_SECONDS
    # Once the delay has passed, the right password works and clears the record.
    for row in session.exec(select(LoginAttempt).where(LoginAttempt.email == user.email)).all():
        row.at = row.at - timedelta(minutes=1)
        session.add(row)
    session.commit()
    assert accounts.authenticate(session, email=user.email, password="a-good-long-passphrase").id == user.id
    assert session.exec(select(LoginAttempt).where(LoginAttempt.email == user.email)).first() is None


def unique_address():
    return f"2001:db8:{unique('')[:4]}:{unique('')[:4]}::1"


def guess_many(session, address, count, emails=None):
    """Wrong passwords from one address, at the given accounts (else at `count` new ones); the accounts."""
    emails = emails or [f"{unique('nobody')}@example.com" for _ in range(count)]
    for i in range(count):
        with pytest.raises(ValidationError):
            accounts.authenticate(session, email=emails[i % len(emails)], password="whatever-wrong", address=address)
    return emails


def test_many_failures_from_one_address_do_not_lock_out_other_accounts(session):
    """Issue 12, defect 6: behind a proxy (or an office's NAT) everyone shares an address; one person's
    failures there must not refuse another person's right password."""
    address = unique_address()
    guess_many(session, address, 25)
    other = accounts.sign_up(session, name="O", email=email(), password="a-good-long-passphrase")
    assert accounts.authenticate(session, email=other.email, password="a-good-long-passphrase", address=address).id == other.id
    # A wrong password for a fresh account is checked as usual (and counted), not answered with a wait.
    with pytest.raises(ValidationError):
        accounts.authenticate(session, email=email(), password="whatever-wrong", address=address)


def test_an_address_over_its_limit_waits_before_guessing_again_at_the_same_accounts(session):
    address = unique_address()
    victim = accounts.sign_up(session, name="V", email=email(), password="a-good-long-passphrase")
    guess_many(session, address, accounts.FREE_FAILURES_PER_PAIR, emails=[victim.email])
    sprayed = guess_many(session, address, accounts.FREE_FAILURES_PER_ADDRESS)
    guess_many(session, address, accounts.FREE_FAILURES_PER_PAIR - 1, emails=sprayed[:1])
    # Every further try there from that address waits, the right password too: a hit looks like a miss.
    for password in ("wrong-again", "a-good-long-passphrase"):
        with pytest.raises(TooManyAttempts) as err:
            accounts.authenticate(session, email=victim.email, password=password, address=address)
        assert 0 < err.value.params["seconds"] <= accounts.MAX_DELAY_SECONDS
    with pytest.raises(TooManyAttempts):
        accounts.authenticate(session, email=sprayed[0], password="whatever-wrong", address=address)
    # The account itself is not locked: its owner, elsewhere, signs in.
    assert accounts.authenticate(session, email=victim.email, password="a-good-long-passphrase",
                                 address=unique_address()).id == victim.id


def test_below_its_limit_an_address_is_not_held_back(session):
    address = unique_address()
    target = f"{unique('t')}@example.com"
    guess_many(session, address, accounts.FREE_FAILURES_PER_EMAIL - 1, emails=[target])
    guess_many(session, address, accounts.FREE_FAILURES_PER_ADDRESS - accounts.FREE_FAILURES_PER_EMAIL)
    with pytest.raises(ValidationError):  # the address's 20th failure: checked, not throttled
        accounts.authenticate(session, email=target, password="whatever-wrong", address=address)


def test_login_ticket_works_once_and_only_briefly(session):
    user = accounts.sign_up(session, name="L", email=email(), password="a-good-long-passphrase")
    ticket = accounts.create_login_ticket(session, user.id, "/o/x")
    token, next_path = accounts.redeem_login_ticket(session, ticket)
    assert next_path == "/o/x" and accounts.user_for_session(session, token).id == user.id
    with pytest.raises(Forbidden):
        accounts.redeem_login_ticket(session, ticket)
    with pytest.raises(Forbidden):
        accounts.redeem_login_ticket(session, "made-up")


@pytest.mark.parametrize("path, safe", [("/o/a", "/o/a"), ("//evil.com", "/"), ("https://evil.com", "/"),
                                        ("/\\evil.com", "/"), ("", "/")])
def test_next_path_never_leaves_the_site(path, safe):
    assert accounts.safe_next_path(path) == safe


def test_parallel_wrong_guesses_are_counted_one_after_another(session, engine):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session

    address = accounts.sign_up(session, name="P", email=email(), password="a-good-long-passphrase").email
    barrier = threading.Barrier(20)

    def guess(i):
        barrier.wait()
        with Session(engine) as s:
            try:
                accounts.authenticate(s, email=address, password=f"wrong-{i}", address=f"203.0.113.{i}")
            except ValidationError:
                return "checked"
            except TooManyAttempts:
                return "throttled"

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(guess, range(20)))
    assert answers.count("checked") == accounts.FREE_FAILURES_PER_EMAIL, answers
