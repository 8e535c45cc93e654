"""Accounts: sign-up, password checks, sign-in with throttling, server-side sessions and sign-out."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta

from jose import JWTError, jwt
from passlib.context import CryptContext
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from aqstream import config
from aqstream.db import begin_write
from aqstream.models import LoginAttempt, LoginTicket, Order, User, UserSession
from aqstream.services import audit, outbox
from aqstream.services.clock import utcnow
from aqstream.services.errors import Forbidden, TooManyAttempts, Unauthenticated, ValidationError
from aqstream.services.validation import Checker

# argon2id; passlib's bcrypt backend is broken with bcrypt 5, and argon2 does not truncate passwords.
PASSWORDS = CryptContext(schemes=["argon2"], argon2__type="ID")

PASSWORD_MIN = 8
PASSWORD_MAX = 128
SESSION_LIFETIME = timedelta(days=30)
LOGIN_TICKET_LIFETIME = timedelta(seconds=60)
SUPPORTED_LOCALES = ("en", "ru")
VERIFY_EMAIL = "email.verify_address"
VERIFY_AUDIENCE = "aqstream-verify-email"
VERIFY_LIFETIME = timedelta(days=7)

# Throttling of failed sign-ins: after FREE_FAILURES within the window, each further try waits
# BASE_DELAY * 2**(extra failures), capped. Counted per account and, more loosely, per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_EMAIL = 5
FREE_FAILURES_PER_ADDRESS = 20
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
    # anyone could sign up with someone else's email and see (or cancel) their tickets.
    outbox.enqueue(
        session,
        kind=VERIFY_EMAIL,
        recipient=clean_email,
        payload={"user_id": user.id, "name": clean_name, "locale": user.locale,
                 "verify_path": f"/verify/{email_verification_token(user.id, clean_email)}"},
    )
    audit.record(session, action="user.sign_up", object_type="user", object_id=user.id, actor_user_id=user.id)
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
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)
        audit.record(session, action="user.verify_email", object_type="user", object_id=user.id, actor_user_id=user.id)
    session.exec(update(Order).where(Order.buyer_email == email, Order.user_id.is_(None)).values(user_id=user.id))
    session.commit()
    return user


def _throttle_delay(session: Session, column, value: str, free: int) -> int:
    """Seconds the next try must still wait, from the failures recorded for one account or address."""
    since = utcnow() - THROTTLE_WINDOW
    count, last = session.exec(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(column == value, LoginAttempt.at >= since)
    ).one()
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
    wait = max(
        _throttle_delay(session, LoginAttempt.email, clean_email, FREE_FAILURES_PER_EMAIL),
        _throttle_delay(session, LoginAttempt.address, address, FREE_FAILURES_PER_ADDRESS),
    )
    if wait > 0:
        session.rollback()
        raise TooManyAttempts(field="password", seconds=wait)
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
    audit.record(session, action="user.sign_out_everywhere", object_type="user", object_id=user_id, actor_user_id=user_id)
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
