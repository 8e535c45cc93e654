"""Outbox: messages to deliver, written in the same transaction as the change they belong to.

Emails are delivered by services/notify/mail_delivery.py (workers claim rows with FOR UPDATE SKIP LOCKED, retry
with backoff); without SMTP settings they wait here with status "pending"."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from aqstream.models import OutboxMessage
from aqstream.services.clock import utcnow


def enqueue(
    session: Session, *, kind: str, recipient: str, payload: dict[str, Any], organization_id: int | None = None
) -> OutboxMessage:
    message = OutboxMessage(**message_row(kind=kind, recipient=recipient, payload=payload,
                                          organization_id=organization_id))
    session.add(message)
    return message


def message_row(
    *, kind: str, recipient: str, payload: dict[str, Any], organization_id: int | None = None
) -> dict[str, Any]:
    """A new pending message as column values, for callers that insert many rows in one statement."""
    now = utcnow()
    return dict(organization_id=organization_id, kind=kind, recipient=recipient, payload=payload, status="pending",
                attempts=0, next_attempt_at=now, last_error="", created_at=now, sent_at=None)


def pending(session: Session, limit: int = 100) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id).limit(limit)
        ).all()
    )
