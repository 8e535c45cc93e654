"""Accounts: sign-up, password checks, sign-in with throttling, server-side sessions and sign-out."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from jose import JWTError, jwt
from passlib.context import CryptContext
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from aqstream import config
from aqstream.db import begin_write
from aqstream.i18n import LOCALES
from aqstream.models import (
    Answer,
    AuditEntry,
    Event,
    Invitation,
    LoginAttempt,
    LoginTicket,
    Membership,
    Order,
    OutboxMessage,
    PasswordReset,
    Ticket,
    User,
    UserSession,
)
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, Forbidden, TooManyAttempts, Unauthenticated, ValidationError
from aqstream.services.lifecycle import ACTIVE_ORDER
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org import team
from aqstream.services.sales import orders
from aqstream.services.validation import Checker

# argon2id; passlib's bcrypt backend is broken with bcrypt 5, and argon2 does not truncate passwords.
PASSWORDS = CryptContext(schemes=["argon2"], argon2__type="ID")

PASSWORD_MIN = 8
PASSWORD_MAX = 128
SESSION_LIFETIME = timedelta(days=30)
LOGIN_TICKET_LIFETIME = timedelta(seconds=60)
SUPPORTED_LOCALES = LOCALES
SESSION_COOKIE = "aq_session"  # the browser's HttpOnly session cookie
VERIFY_EMAIL = email_kinds.VERIFY_ADDRESS
VERIFY_AUDIENCE = "aqstream-verify-email"
VERIFY_LIFETIME = timedelta(days=7)

# Throttling of failed sign-ins, within the window; a try that must wait is refused unchecked, so a hit
# looks like a miss. Per account: after FREE_FAILURES_PER_EMAIL (from anywhere), every try at it waits
# BASE_DELAY * 2**(extra failures), capped. Per client address: after FREE_FAILURES_PER_ADDRESS (at any
# accounts) the address waits the same way, but only before trying again at an account it has itself failed
# on FREE_FAILURES_PER_PAIR times: other people behind the same address (an office, a proxy) still sign in.
THROTTLE_WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_EMAIL = 5
FREE_FAILURES_PER_ADDRESS = 20
FREE_FAILURES_PER_PAIR = 2
BASE_DELAY_SECONDS = 15
MAX_DELAY_SECONDS = 15 * 60

# The most common passwords (zxcvbn's list of 30,000, from real leaks), compared case-insensitively.
_COMMON_PASSWORDS = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])
_DUMMY_HASH = PASSWORDS.hash("aqstream-timing-equaliser")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str, checker: Checker, field: str = "password", email: str = "") -> None:
    if len(password) < PASSWORD_MIN:
        checker.fail(field, "auth.password_too_short")
    elif len(password) > PASSWORD_MAX:
        checker.fail(field, "auth.password_too_long")
    elif password.lower() in _COMMON_PASSWORDS:
        checker.fail(field, "auth.password_common")
    elif email and password.lower() in (email.lower(), email.split("@")[0].lower()):
        checker.fail(field, "auth.password_like_email")


def normalize_locale(locale: str | None) -> str:
    return locale if locale in SUPPORTED_LOCALES else "en"


def sign_up(session: Session, *, name: str, email: str, password: str, locale: str = "en") -> User:
    checker = Checker()
    clean_name = checker.text("name", name, max_len=200)
    clean_email = checker.email("email", email)
    check_password(password or "", checker, email=clean_email)
    checker.raise_if_any()
    begin_write(session)
    if session.exec(select(User.id).where(User.email == clean_email)).first() is not None:
        raise ValidationError({"email": "auth.email_taken"})
    user = User(
        email=clean_email,
        name=clean_name,
        password_hash=PASSWORDS.hash(password),
        locale=normalize_locale(locale),
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same address signed up at the same moment
        session.rollback()
        raise ValidationError({"email": "auth.email_taken"})
    # Guest orders with this address join the account only once the address is confirmed: otherwise
    # anyone could sign up with someone else's email and see (or cancel) their tickets. The link travels in the
    # email only (transient: not kept in the event).
    domain_events.record(session, "account.created", {"user_id": user.id}, actor_user_id=user.id,
                         transient={"verify_path": f"/verify/{email_verification_token(user.id, clean_email)}"})
    session.commit()
    return user


def email_verification_token(user_id: int, email: str) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "email": email, "aud": VERIFY_AUDIENCE, "iat": int(now.timestamp()),
              "exp": int((now + VERIFY_LIFETIME).timestamp())}
    return jwt.encode(claims, config.secret_key(), algorithm="HS256")


def verify_email(session: Session, token: str) -> User:
    """Confirm an address from the emailed link; the guest orders made with it join the account."""
    try:
        claims = jwt.decode(token or "", config.secret_key(), algorithms=["HS256"], audience=VERIFY_AUDIENCE,
                            options={"require_exp": True, "require_sub": True})
        user_id, email = int(claims["sub"]), str(claims["email"])
    except (JWTError, KeyError, TypeError, ValueError):
        raise Forbidden("auth.verify_link_invalid")
    begin_write(session)
    user = session.get(User, user_id)
    if user is None or user.email != email:
        session.rollback()
        raise Forbidden("auth.verify_link_invalid")
    confirm_address(session, user)
    session.commit()
    return user


def confirm_address(session: Session, user: User) -> bool:
    """Within the caller's write transaction: the person proved they read their address, so it counts as
    confirmed and the guest orders made with it join the account. True if it was not confirmed before."""
    first = user.email_verified_at is None
    if first:
        user.email_verified_at = utcnow()
        session.add(user)
        domain_events.record(session, "account.email_verified", {"user_id": user.id}, actor_user_id=user.id)
    session.exec(update(Order).where(Order.buyer_email == user.email, Order.user_id.is_(None)).values(user_id=user.id))
    return first


def _failures(session: Session, *conditions) -> tuple[int, datetime | None]:
    """How many failed sign-ins within the window match, and when the last one was."""
    since = utcnow() - THROTTLE_WINDOW
    return session.exec(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(*conditions, LoginAttempt.at >= since)
    ).one()


def _throttle_delay(session: Session, free: int, *conditions) -> int:
    """Seconds the next try must still wait, from the failures recorded for one account or address."""
    count, last = _failures(session, *conditions)
    if count < free or last is None:
        return 0
    delay = min(BASE_DELAY_SECONDS * 2 ** (count - free), MAX_DELAY_SECONDS)
    remaining = (last + timedelta(seconds=delay) - utcnow()).total_seconds()
    return max(0, math.ceil(remaining))


def authenticate(session: Session, *, email: str, password: str, address: str = "unknown") -> User:
    """Check an email and password. Raises ValidationError (wrong pair) or TooManyAttempts.

    The count, the check and the record happen in one write transaction that first locks the account's
    row, so parallel guesses against one account are counted one after another, not all let through."""
    clean_email = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    begin_write(session)
    user = session.exec(select(User).where(User.email == clean_email).with_for_update()).first()
    wait = _throttle_delay(session, FREE_FAILURES_PER_EMAIL, LoginAttempt.email == clean_email)
    # The address's own limit holds it back only at the accounts it has been guessing at: a correct
    # password for another account from the same address (a colleague, everyone behind one proxy) is not
    # refused because of someone else's failures.
    pair_failures, _last = _failures(session, LoginAttempt.email == clean_email, LoginAttempt.address == address)
    if pair_failures >= FREE_FAILURES_PER_PAIR:
        wait = max(wait, _throttle_delay(session, FREE_FAILURES_PER_ADDRESS, LoginAttempt.address == address))
    if wait > 0:
        session.rollback()
        raise TooManyAttempts(field="password", seconds=wait)
    if user is not None and user.deleted_at is not None:
        user = None  # a deleted account's row stays, but nobody signs in with it
    # Hash even for an unknown address, so the answer's timing does not tell which accounts exist.
    ok = PASSWORDS.verify(password or "", user.password_hash if user else _DUMMY_HASH)
    if not (ok and user):
        session.add(LoginAttempt(email=clean_email, address=address, at=utcnow()))
        session.commit()
        raise ValidationError({"password": "auth.wrong_credentials"})
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == clean_email))
    session.commit()
    return user


def create_session(session: Session, user_id: int, user_agent: str = "") -> str:
    """Start a browser session; returns the raw token (256 random bits). Only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    begin_write(session)
    session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            user_agent=(user_agent or "")[:300],
        )
    )
    session.commit()
    return token


def user_for_session(session: Session, token: str | None) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _digest(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.deleted_at.is_(None),
        )
    ).first()
    return row


def require_user(session: Session, token: str | None) -> User:
    user = user_for_session(session, token)
    if user is None:
        raise Unauthenticated()
    return user


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    begin_write(session)
    session.exec(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def sign_out_everywhere(session: Session, user_id: int) -> int:
    """End every browser session of the user, and every API token issued so far."""
    begin_write(session)
    now = utcnow()
    result = session.exec(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    session.exec(update(User).where(User.id == user_id).values(sessions_revoked_at=now))
    domain_events.record(session, "account.signed_out_everywhere", {"user_id": user_id, "sessions": result.rowcount or 0},
                         actor_user_id=user_id)
    session.commit()
    return result.rowcount or 0


def create_login_ticket(session: Session, user_id: int, next_path: str = "/") -> str:
    """A single-use voucher, valid a minute, that the backend swaps for the HttpOnly session cookie."""
    ticket = secrets.token_urlsafe(32)
    begin_write(session)
    session.add(
        LoginTicket(
            ticket_hash=_digest(ticket),
            user_id=user_id,
            next_path=safe_next_path(next_path),
            expires_at=utcnow() + LOGIN_TICKET_LIFETIME,
        )
    )
    session.commit()
    return ticket


def redeem_login_ticket(session: Session, ticket: str | None, user_agent: str = "") -> tuple[str, str]:
    """Swap a login ticket for a new session token. Returns (session token, path to go to next)."""
    if not ticket or len(ticket) > 200:
        raise Forbidden("auth.ticket_invalid")
    begin_write(session)
    # Marking it used with a guarded UPDATE makes a ticket good for one session even if replayed at once.
    used = session.exec(
        update(LoginTicket)
        .where(LoginTicket.ticket_hash == _digest(ticket), LoginTicket.used_at.is_(None), LoginTicket.expires_at > utcnow())
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        session.rollback()
        raise Forbidden("auth.ticket_invalid")
    row = session.exec(select(LoginTicket).where(LoginTicket.ticket_hash == _digest(ticket))).one()
    session.commit()
    return create_session(session, row.user_id, user_agent), row.next_path


def safe_next_path(path: str | None) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 300:
        return "/"
    return path


def set_locale(session: Session, user_id: int, locale: str) -> None:
    begin_write(session)
    session.exec(update(User).where(User.id == user_id).values(locale=normalize_locale(locale)))
    session.commit()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise Unauthenticated()
    return user


def update_profile(session: Session, user_id: int, *, name: str, locale: str) -> User:
    """The person's own name and language (the language of the pages and of the emails sent to them)."""
    checker = Checker()
    clean_name = checker.text("name", name, max_len=200)
    if locale not in SUPPORTED_LOCALES:
        checker.fail("locale", "profile.locale_invalid")
    checker.raise_if_any()
    begin_write(session)
    user = session.exec(select(User).where(User.id == user_id, User.deleted_at.is_(None))).first()
    if user is None:
        session.rollback()
        raise Unauthenticated()
    changed = [k for k, v in (("name", clean_name), ("locale", locale)) if getattr(user, k) != v]
    user.name, user.locale = clean_name, locale
    session.add(user)
    domain_events.record(session, "account.updated", {"user_id": user.id, "changed": changed}, actor_user_id=user.id)
    session.commit()
    session.refresh(user)
    return user


DELETED_PASSWORD_HASH = "!deleted"  # not a hash any scheme produces: nothing verifies against it


def deleted_email(user_id: int) -> str:
    return f"deleted-{user_id}@deleted.invalid"


def delete_account(session: Session, user_id: int, password: str) -> None:
    """Delete the person's account, after checking their password.

    Refused while they are the last owner of an organization. Otherwise, in one transaction: their
    registrations for events that have not ended are cancelled (places go back on sale), every order of
    theirs loses the buyer's and attendees' names, emails and answers (the ticket rows and totals stay, so
    organizers' counts stay right), their memberships, sessions, login tickets, password-reset links and
    pending invitations go, and the account row keeps only an id, under an address nobody owns."""
    user = get_user(session, user_id)
    if user.deleted_at is not None:
        raise Unauthenticated()
    try:
        # The sign-in check, with its throttling: a stolen session cannot guess the password quickly.
        authenticate(session, email=user.email, password=password)
    except ValidationError:
        raise ValidationError({"password": "profile.delete.wrong_password"}) from None
    begin_write(session)
    try:
        user = session.exec(select(User).where(User.id == user_id).with_for_update()).one()
        email = user.email
        sole = team.sole_owner_of(session, user_id)
        if sole:
            raise Conflict("profile.delete.last_owner", organizations=", ".join(sole))
        now = utcnow()
        # Registrations for events that have not ended: cancelled as an attendee cancels, without an email
        # to the person who is leaving.
        to_cancel = session.exec(
            select(Order.id).join(Event, Event.id == Order.event_id)
            .where(orders.owned_by(user_id), Order.status.in_(ACTIVE_ORDER), Event.ends_at > now)
            .order_by(Order.id)
        ).all()
        flipped = []
        for order_id in to_cancel:
            flipped += orders.cancel_in_transaction(session, order_id, None, by="account_deleted",
                                                    actor_user_id=None, notify=False)
        order_ids = session.exec(select(Order.id).where(orders.owned_by(user_id))).all()
        domain_events.forget(session, email=email, order_ids=list(order_ids))
        if order_ids:
            session.exec(update(Order).where(Order.id.in_(order_ids))
                         .values(buyer_name="", buyer_email="", dedupe_key=None, request_fingerprint=""))
            session.exec(update(Ticket).where(Ticket.order_id.in_(order_ids)).values(attendee_name="", attendee_email=""))
            session.exec(delete(Answer).where(Answer.order_id.in_(order_ids)))
            # Their address as the actor of earlier entries (a guest's registration, cancellation, rename).
            session.exec(update(AuditEntry)
                         .where(AuditEntry.object_type == "order", AuditEntry.object_id.in_(order_ids),
                                AuditEntry.actor_label == email)
                         .values(actor_label=""))
        session.exec(delete(Membership).where(Membership.user_id == user_id))
        session.exec(delete(UserSession).where(UserSession.user_id == user_id))
        session.exec(delete(LoginTicket).where(LoginTicket.user_id == user_id))
        session.exec(delete(PasswordReset).where(PasswordReset.user_id == user_id))
        session.exec(delete(LoginAttempt).where(LoginAttempt.email == email))
        session.exec(delete(Invitation).where(Invitation.email == email, Invitation.accepted_at.is_(None)))
        session.exec(update(Invitation).where(Invitation.email == email).values(email=""))
        # ... and in the teams' audit logs (invited, revoked, joined): the entries stay, without the address.
        for entry in session.exec(select(AuditEntry).where(AuditEntry.object_type == "invitation",
                                                           AuditEntry.data["email"].as_string() == email)).all():
            entry.data = {key: value for key, value in entry.data.items() if key != "email"}
            session.add(entry)
        session.exec(delete(OutboxMessage).where(OutboxMessage.recipient == email, OutboxMessage.status != "sending"))
        user.email, user.name, user.password_hash = deleted_email(user_id), "", DELETED_PASSWORD_HASH
        user.deleted_at = user.sessions_revoked_at = now
        user.email_verified_at = None
        session.add(user)
        # Id-only: the address and the name are gone from the account and from every earlier event.
        domain_events.record(session, "account.deleted", {"user_id": user_id, "cancelled_tickets": len(flipped)},
                             actor_user_id=user_id)
        session.flush()
        orders.return_places(session, flipped)
    except BaseException:
        session.rollback()
        raise
    session.commit()
