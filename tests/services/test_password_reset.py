"""Password reset: the same answer for every address, one working link a real account, single use even
under two submissions at once, an hour's validity, quiet throttling, and everything a new password ends."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from aqstream import config
from aqstream.models import AuditEntry, OutboxMessage, PasswordReset, User
from aqstream.services import clock
from aqstream.services.accounts import accounts
from aqstream.services.accounts import password_reset as reset
from aqstream.services.errors import Forbidden, TooManyAttempts, Unauthenticated, ValidationError
from aqstream.services.notify import email_render
from aqstream.services.org import api_tokens
from tests.conftest import unique

OLD = "a-good-long-passphrase"
NEW = "brand-new-passphrase-7"


def new_user(session, name="Rita", password=OLD, locale="en"):
    return accounts.sign_up(session, name=name, email=f"{unique('r')}@example.com", password=password, locale=locale)


def mails(session, recipient):
    session.rollback()
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == reset.RESET_EMAIL,
                                                         OutboxMessage.recipient == recipient)
                             .order_by(OutboxMessage.id)).all())


def token_of(message) -> str:
    path = message.payload["reset_path"]
    assert path.startswith("/reset/")
    return path.removeprefix("/reset/")


def ask(session, email, address=None, locale="en"):
    # The database is shared by the whole run: each request comes from its own client unless a test says.
    return reset.request_password_reset(session, email, address=address or unique("client-"), locale=locale)


def link_error(session, token) -> str:
    with pytest.raises(ValidationError) as err:
        reset.check_reset_link(session, token)
    return err.value.errors["token"]


def test_unknown_and_deleted_addresses_get_the_same_answer_and_no_mail(make, session):
    unknown = f"{unique('nobody')}@example.com"
    gone = new_user(session)
    gone_email = gone.email
    accounts.delete_account(session, gone.id, OLD)
    real = new_user(session)
    answers = [ask(session, unknown), ask(session, gone_email), ask(session, real.email)]
    assert answers == [None, None, None]
    assert mails(session, unknown) == [] and mails(session, gone_email) == []
    assert session.exec(select(PasswordReset).where(PasswordReset.user_id == gone.id)).all() == []
    assert len(mails(session, real.email)) == 1


def test_a_malformed_address_is_refused_at_the_field(session):
    with pytest.raises(ValidationError) as err:
        ask(session, "not-an-address")
    assert err.value.errors == {"email": "field.email_invalid"}


def test_one_mail_in_the_accounts_language_with_a_link_that_works_once(session):
    user = new_user(session, name="Рита", locale="ru")
    ask(session, "  " + user.email.upper() + " ", locale="en")  # the account's language wins over the page's
    [message] = mails(session, user.email)
    assert message.organization_id is None and message.status == "pending"
    assert message.payload["locale"] == "ru" and message.payload["name"] == "Рита"
    token = token_of(message)
    row = session.exec(select(PasswordReset).where(PasswordReset.user_id == user.id)).one()
    assert token not in row.token_hash and len(row.token_hash) == 64  # only the digest is kept
    assert row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None) == timedelta(hours=1)
    email = email_render.render(session, message)
    assert f"{config.public_base_url()}/reset/{token}" in email.get_body(("plain",)).get_content()

    assert reset.check_reset_link(session, token).user_id == user.id
    assert reset.reset_password(session, token, NEW, NEW).id == user.id
    assert link_error(session, token) == reset.LINK_USED
    with pytest.raises(ValidationError) as err:
        reset.reset_password(session, token, "another-passphrase-8")
    assert err.value.errors == {"token": reset.LINK_USED}
    assert accounts.authenticate(session, email=user.email, password=NEW).id == user.id


def test_the_old_password_is_refused_and_the_new_one_accepted(session):
    user = new_user(session)
    ask(session, user.email)
    reset.reset_password(session, token_of(mails(session, user.email)[0]), NEW)
    with pytest.raises(ValidationError) as err:
        accounts.authenticate(session, email=user.email, password=OLD)
    assert err.value.errors == {"password": "auth.wrong_credentials"}
    assert accounts.authenticate(session, email=user.email, password=NEW).id == user.id


def test_unknown_links_are_told_apart(session):
    assert link_error(session, "made-up-token") == reset.LINK_UNKNOWN
    assert link_error(session, "") == reset.LINK_UNKNOWN
    assert link_error(session, "x" * 500) == reset.LINK_UNKNOWN


def test_the_link_expires_after_an_hour(session):
    user = new_user(session)
    ask(session, user.email)
    token = token_of(mails(session, user.email)[0])
    with clock.travel(timedelta(minutes=59)):
        assert reset.check_reset_link(session, token).user_id == user.id
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert link_error(session, token) == reset.LINK_EXPIRED
        with pytest.raises(ValidationError) as err:
            reset.reset_password(session, token, NEW)
        assert err.value.errors == {"token": reset.LINK_EXPIRED}
    assert accounts.authenticate(session, email=user.email, password=OLD).id == user.id


def test_a_newer_request_keeps_the_older_link_until_one_is_used(session):
    user = new_user(session)
    ask(session, user.email)
    ask(session, user.email)
    first, second = (token_of(m) for m in mails(session, user.email))
    assert reset.check_reset_link(session, first).user_id == reset.check_reset_link(session, second).user_id
    reset.reset_password(session, first, NEW)
    assert link_error(session, first) == reset.LINK_USED
    assert link_error(session, second) == reset.LINK_USED
    with pytest.raises(ValidationError):
        reset.reset_password(session, second, "sneaky-other-passphrase")
    assert accounts.authenticate(session, email=user.email, password=NEW).id == user.id


def test_a_new_password_ends_every_session_and_api_token(make, session):
    owner, _org = make.org()
    browser_a = accounts.create_session(session, owner.id)
    browser_b = accounts.create_session(session, owner.id)
    issued = api_tokens.issue_token(session, email=owner.email, password="a-good-long-passphrase")
    assert api_tokens.verify_token(session, issued.access_token).principal.user_id == owner.id
    ticket = accounts.create_login_ticket(session, owner.id)  # a sign-in under way when the password changed
    ask(session, owner.email)
    reset.reset_password(session, token_of(mails(session, owner.email)[0]), NEW)
    assert accounts.user_for_session(session, browser_a) is None
    assert accounts.user_for_session(session, browser_b) is None
    with pytest.raises(Unauthenticated):
        api_tokens.verify_token(session, issued.access_token)
    with pytest.raises(Forbidden):
        accounts.redeem_login_ticket(session, ticket)
    # A sign-in after the change works as usual.
    fresh = accounts.create_session(session, owner.id)
    assert accounts.user_for_session(session, fresh).id == owner.id


def test_the_address_counts_as_confirmed_and_failed_sign_ins_are_forgotten(session):
    user = new_user(session)
    assert user.email_verified_at is None
    for i in range(accounts.FREE_FAILURES_PER_EMAIL + 1):
        with pytest.raises((ValidationError, TooManyAttempts)):  # each wrong password is refused
            accounts.authenticate(session, email=user.email, password=f"wrong-{i}")
    with pytest.raises(TooManyAttempts):
        accounts.authenticate(session, email=user.email, password=OLD)
    ask(session, user.email)
    reset.reset_password(session, token_of(mails(session, user.email)[0]), NEW)
    session.rollback()
    assert session.get(User, user.id).email_verified_at is not None
    assert accounts.authenticate(session, email=user.email, password=NEW).id == user.id
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                           AuditEntry.object_id == user.id)).all()
    assert "user.password_reset" in actions and "user.verify_email" in actions


@pytest.mark.parametrize("password, repeat, errors", [
    ("short1!", "short1!", {"password": "auth.password_too_short"}),
    ("password", "password", {"password": "auth.password_common"}),
    (NEW, NEW + "x", {"password_repeat": "auth.reset.mismatch"}),
    ("short", "other", {"password": "auth.password_too_short", "password_repeat": "auth.reset.mismatch"}),
])
def test_a_refused_password_changes_nothing_and_keeps_the_link(session, password, repeat, errors):
    user = new_user(session)
    browser = accounts.create_session(session, user.id)
    ask(session, user.email)
    token = token_of(mails(session, user.email)[0])
    with pytest.raises(ValidationError) as err:
        reset.reset_password(session, token, password, repeat)
    assert err.value.errors == errors
    assert reset.check_reset_link(session, token).user_id == user.id
    assert accounts.user_for_session(session, browser).id == user.id
    assert accounts.authenticate(session, email=user.email, password=OLD).id == user.id
    session.rollback()
    assert session.get(User, user.id).email_verified_at is None


def test_a_password_like_the_address_is_refused(session):
    user = new_user(session)
    ask(session, user.email)
    with pytest.raises(ValidationError) as err:
        reset.reset_password(session, token_of(mails(session, user.email)[0]), user.email)
    assert err.value.errors == {"password": "auth.password_like_email"}


def test_a_deleted_accounts_link_stops_working(session):
    user = new_user(session)
    ask(session, user.email)
    token = token_of(mails(session, user.email)[0])
    accounts.delete_account(session, user.id, OLD)
    assert link_error(session, token) == reset.LINK_UNKNOWN


def test_requests_are_throttled_quietly_per_address_and_per_client(session):
    user = new_user(session)
    for _ in range(reset.MAX_PER_EMAIL + 2):
        assert ask(session, user.email, address=unique("client-")) is None
    assert len(mails(session, user.email)) == reset.MAX_PER_EMAIL
    with clock.travel(timedelta(hours=1, minutes=1)):
        ask(session, user.email)
    assert len(mails(session, user.email)) == reset.MAX_PER_EMAIL + 1

    client = unique("client-")
    people = [new_user(session, name=f"P{i}") for i in range(reset.MAX_PER_CLIENT + 1)]
    for person in people:
        assert ask(session, person.email, address=client) is None
    sent = [len(mails(session, person.email)) for person in people]
    assert sent == [1] * reset.MAX_PER_CLIENT + [0]
    ask(session, people[-1].email, address=unique("client-"))  # another client is not held back
    assert len(mails(session, people[-1].email)) == 1


def test_two_confirmations_at_once_exactly_one_wins(session, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the race needs real parallel transactions; SQLite serializes writers at BEGIN")
    user = new_user(session)
    ask(session, user.email)
    token = token_of(mails(session, user.email)[0])
    barrier = threading.Barrier(2)

    def confirm(password):
        with Session(engine) as own:
            barrier.wait()
            try:
                reset.reset_password(own, token, password)
                return password
            except ValidationError as exc:
                return exc.errors

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(confirm, ["first-winner-passphrase", "second-winner-passphrase"]))
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert [r for r in results if not isinstance(r, str)] == [{"token": reset.LINK_USED}]
    assert accounts.authenticate(session, email=user.email, password=winners[0]).id == user.id
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "user.password_reset",
                                                    AuditEntry.object_id == user.id)).all()
    assert len(entries) == 1
