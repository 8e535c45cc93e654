"""Audit log: who did what to which object. Written inside the caller's transaction."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from aqstream.models import AuditEntry
from aqstream.services.clock import utcnow


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
