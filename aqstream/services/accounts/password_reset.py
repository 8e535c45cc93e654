"""Forgotten passwords: an emailed, single-use link valid for an hour sets a new password.

Asking never tells whether an account exists: every address gets the same answer, and only real accounts
get a link. Only the SHA-256 of a link's token is stored; the token itself travels in the email."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import LoginAttempt, LoginTicket, PasswordReset, User, UserSession
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import ValidationError
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.validation import Checker

RESET_EMAIL = email_kinds.PASSWORD_RESET
RESET_LIFETIME = email_kinds.PASSWORD_RESET_LIFETIME
# Quiet limits per hour: beyond them nothing is stored or sent, and the answer stays the same. They keep
# the form from being used to flood someone's inbox (per address) or from one client (per client address).
THROTTLE_WINDOW = timedelta(hours=1)
MAX_PER_EMAIL = 3
MAX_PER_CLIENT = 10

# Why a link cannot be used, as the message keys the page and the API show (field "token").
LINK_UNKNOWN = "auth.reset.link_unknown"
LINK_EXPIRED = "auth.reset.link_expired"
LINK_USED = "auth.reset.link_used"


@dataclass(frozen=True)
class ResetLink:
    """A usable link: whose it is and until when."""

    user_id: int
    email: str
    expires_at: datetime


def request_password_reset(session: Session, email: str, *, address: str = "unknown", locale: str = "en") -> None:
    """Email a reset link to the account with this address, if there is one.

    Returns nothing either way, so neither the page nor the API can tell whether the account exists. A
    malformed address is refused (that says nothing about accounts). `locale` is the language of the page
    the person asked from, used only if the account has none of its own."""
    checker = Checker()
    clean_email = checker.email("email", email)
    checker.raise_if_any()
    address = (address or "unknown")[:64]
    begin_write(session)
    try:
        # The account's row is locked, so parallel requests for one address are counted one after another.
        user = session.exec(
            select(User).where(User.email == clean_email, User.deleted_at.is_(None)).with_for_update()
        ).first()
        if user is None or _over_limit(session, user.id, address):
            session.rollback()
            return
        now = utcnow()
        token = secrets.token_urlsafe(32)
        expires_at = now + RESET_LIFETIME
        reset = PasswordReset(user_id=user.id, token_hash=accounts._digest(token), created_at=now,
                              expires_at=expires_at, address=address)
        session.add(reset)
        session.flush()
        # The token travels in the email only: transient, so the event keeps no usable link.
        domain_events.record(
            session, "account.password_reset_requested",
            {"user_id": user.id, "reset_id": reset.id, "expires_at": expires_at.isoformat(),
             "locale": user.locale if user.locale in accounts.SUPPORTED_LOCALES else accounts.normalize_locale(locale)},
            transient={"reset_path": f"/reset/{token}"},  # no actor: anyone may ask for any address
        )
    except BaseException:
        session.rollback()
        raise
    session.commit()


def _over_limit(session: Session, user_id: int, address: str) -> bool:
    since = utcnow() - THROTTLE_WINDOW
    for_email = session.exec(
        select(func.count(PasswordReset.id)).where(PasswordReset.user_id == user_id, PasswordReset.created_at >= since)
    ).one()
    if for_email >= MAX_PER_EMAIL:
        return True
    for_client = session.exec(
        select(func.count(PasswordReset.id)).where(PasswordReset.address == address, PasswordReset.created_at >= since)
    ).one()
    return for_client >= MAX_PER_CLIENT


def _row(session: Session, token: str | None) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    return session.exec(select(PasswordReset).where(PasswordReset.token_hash == accounts._digest(token))).first()


def _why_unusable(row: PasswordReset | None, user: User | None) -> str | None:
    """The message key saying why this link cannot set a password, or None if it can."""
    if row is None or user is None or user.deleted_at is not None:
        return LINK_UNKNOWN
    if row.used_at is not None:
        return LINK_USED
    if row.expires_at <= utcnow():
        return LINK_EXPIRED
    return None


def check_reset_link(session: Session, token: str | None) -> ResetLink:
    """Whether a link can still set a password. Raises ValidationError on "token": unknown, used or expired."""
    row = _row(session, token)
    user = session.get(User, row.user_id) if row is not None else None
    why = _why_unusable(row, user)
    link = None if why else ResetLink(user.id, user.email, row.expires_at)
    session.rollback()  # only read; nothing stays open
    if why:
        raise ValidationError({"token": why})
    return link


def reset_password(session: Session, token: str | None, new_password: str, repeat: str | None = None) -> User:
    """Set a new password with a link from the email; returns the account.

    The link works once, even when two submissions arrive together (a guarded UPDATE marks it used, and
    only the one that changed the row goes on). Then every other link of the account dies, every session
    and API token ends, the address counts as confirmed (the person read the email), and the failed
    sign-ins counted against it are forgotten. `repeat`, when given, must equal the password."""
    link = check_reset_link(session, token)
    checker = Checker()
    accounts.check_password(new_password or "", checker, email=link.email)
    if repeat is not None and repeat != new_password:
        checker.fail("password_repeat", "auth.reset.mismatch")
    checker.raise_if_any()
    # Hashing is slow on purpose; it happens before the write transaction takes any lock.
    password_hash = accounts.PASSWORDS.hash(new_password)
    digest = accounts._digest(token)
    begin_write(session)
    try:
        # The account's row first, as account deletion locks it (one order of locks: no deadlock).
        user = session.exec(
            select(User).where(User.id == link.user_id, User.deleted_at.is_(None)).with_for_update()
        ).first()
        now = utcnow()
        used = session.exec(
            update(PasswordReset)
            .where(PasswordReset.token_hash == digest, PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)
            .values(used_at=now)
        )
        if used.rowcount != 1 or user is None:
            # Someone else used it a moment ago, or it expired since the check: say which.
            session.rollback()
            check_reset_link(session, token)
            raise ValidationError({"token": LINK_USED})
        session.exec(
            update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now)
        )
        session.exec(
            update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None)).values(revoked_at=now)
        )
        session.exec(delete(LoginTicket).where(LoginTicket.user_id == user.id, LoginTicket.used_at.is_(None)))
        session.exec(delete(LoginAttempt).where(LoginAttempt.email == user.email))
        user.password_hash = password_hash
        user.sessions_revoked_at = now  # API tokens issued before now stop working too
        session.add(user)
        confirmed = accounts.confirm_address(session, user)
        domain_events.record(session, "account.password_changed", {"user_id": user.id, "address_confirmed": confirmed},
                             actor_user_id=user.id)
        session.flush()
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return user
