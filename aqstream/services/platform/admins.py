"""Platform admins: granted and revoked from the command line (`aqstream admin grant EMAIL`) or by another
platform admin; the installation never loses its last one. Each change is a domain event with its audit entry."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import User
from aqstream.services.errors import Conflict, NotFound
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import Principal, require_platform_admin

COMMAND_LINE = "command line"  # the actor label of a change made with `aqstream admin ...`


@dataclass(frozen=True)
class AdminView:
    user_id: int
    name: str
    email: str
    since: datetime  # when the account was created (the flag keeps no date of its own)


def list_admins(session: Session, principal: Principal) -> list[AdminView]:
    require_platform_admin(session, principal)
    return [AdminView(u.id, u.name, u.email, u.created_at) for u in session.exec(
        select(User).where(User.is_platform_admin.is_(True)).order_by(User.email)).all()]


def _user(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None:
        raise NotFound("admin.no_such_account", field="email")
    return user


def grant(session: Session, principal: Principal | None, email: str) -> User:
    """Make the account with this email a platform admin. `principal` None: the command line (trusted: whoever
    runs it can reach the database). Granting an admin again changes nothing."""
    if principal is not None:
        require_platform_admin(session, principal)
    begin_write(session)
    user = _user(session, email)
    if not user.is_platform_admin:
        session.exec(update(User).where(User.id == user.id).values(is_platform_admin=True))
        domain_events.record(session, "platform_admin.granted", {"user_id": user.id},
                             actor_user_id=principal.user_id if principal else None,
                             actor_label="" if principal else COMMAND_LINE)
    session.commit()
    session.refresh(user)
    return user


def revoke(session: Session, principal: Principal | None, email: str) -> User:
    """Take the platform admin's rights away. The last platform admin stays: revoking them is refused (a
    Conflict), whoever asks, so the installation can always be run from its pages."""
    if principal is not None:
        require_platform_admin(session, principal)
    begin_write(session)
    user = _user(session, email)
    if user.is_platform_admin:
        # Locked in id order, so two admins revoking each other at once cannot both succeed.
        admins = session.exec(select(User.id).where(User.is_platform_admin.is_(True)).order_by(User.id)
                              .with_for_update()).all()
        if len(admins) <= 1:
            session.rollback()
            raise Conflict("admin.last_admin", field="email")
        session.exec(update(User).where(User.id == user.id).values(is_platform_admin=False))
        domain_events.record(session, "platform_admin.revoked", {"user_id": user.id},
                             actor_user_id=principal.user_id if principal else None,
                             actor_label="" if principal else COMMAND_LINE)
    session.commit()
    session.refresh(user)
    return user


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(User).where(User.is_platform_admin.is_(True))).one())
