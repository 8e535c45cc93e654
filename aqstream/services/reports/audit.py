"""Audit log: who did what to which object. Written inside the caller's transaction; read by the
organization's owners and admins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from aqstream.models import AuditEntry, User
from aqstream.services.clock import utcnow
from aqstream.services.errors import ValidationError
from aqstream.services.org.permissions import VIEW_AUDIT, Principal, access
from aqstream.services.paging import Paged

MAX_PER_PAGE = 200


def record(session: Session, **fields: Any) -> AuditEntry:
    """Add an audit entry (the fields of `entry_row`) to the session's transaction."""
    entry = AuditEntry(**entry_row(**fields))
    session.add(entry)
    return entry


def entry_row(
    *,
    action: str,
    object_type: str,
    object_id: int | None,
    organization_id: int | None = None,
    actor_user_id: int | None = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit entry as column values, for callers that insert many rows in one statement."""
    return dict(organization_id=organization_id, actor_user_id=actor_user_id, actor_label=actor_label[:254],
                action=action, object_type=object_type, object_id=object_id, data=data or {}, at=utcnow())


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    object_type: str
    object_id: int | None
    actor: str  # the person's name, else the label (a guest's email, "api"); "" for the system
    actor_email: str
    data: dict[str, Any]


@dataclass(frozen=True)
class AuditPage(Paged):
    entries: list[AuditRow]
    total: int
    page: int
    per_page: int


def list_entries(
    session: Session,
    principal: Principal,
    organization_id: int,
    *,
    action_prefix: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """One organization's audit entries, newest first. `action_prefix` keeps actions starting with it
    ("team." or "event.publish"); `actor` is text found in the person's name or email or the entry's label;
    `since` is inclusive, `until` exclusive."""
    access(session, principal, organization_id, VIEW_AUDIT)
    if since is not None and until is not None and until <= since:
        raise ValidationError({"until": "audit.until_before_since"})
    page = max(1, int(page or 1))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page or 50)))
    conditions = [AuditEntry.organization_id == organization_id]
    prefix = (action_prefix or "").replace("\x00", "").strip()
    if prefix:
        conditions.append(AuditEntry.action.startswith(prefix[:60], autoescape=True))
    who = (actor or "").replace("\x00", "").strip().lower()[:254]
    if who:
        conditions.append(or_(*(func.lower(column).contains(who, autoescape=True)
                                for column in (AuditEntry.actor_label, User.email, User.name))))
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    total = session.exec(
        select(func.count(AuditEntry.id))
        .select_from(AuditEntry)
        .join(User, User.id == AuditEntry.actor_user_id, isouter=True)
        .where(*conditions)
    ).one()
    rows = session.exec(
        select(AuditEntry, User.name, User.email)
        .join(User, User.id == AuditEntry.actor_user_id, isouter=True)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    entries = [
        AuditRow(e.id, e.at, e.action, e.object_type, e.object_id, name or e.actor_label, email or "", dict(e.data or {}))
        for e, name, email in rows
    ]
    return AuditPage(entries, total, page, per_page)
