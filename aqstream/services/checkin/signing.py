"""Tamper-proof tickets: each event has an Ed25519 key pair; a ticket's QR payload carries the ticket, the event,
the ticket type and until when it is valid, signed with the event's private key. A scanner holding only the
event's public key verifies it offline; changing one character makes it invalid. Cancelled tickets are on the
event's revocation list, which scanners download with the public key.

The payload is short text, so the QR code stays small: `A1.<ticket>.<event>.<type>.<valid until, epoch
minutes>.<code>` then `~` and the signature, base64url without padding (86 characters). The private key is kept
encrypted (Fernet, with a key derived by HKDF from AQSTREAM_SECRET_KEY), never leaves the server and is created
on first use, once per event even when two requests race."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aqstream import config
from aqstream.db import begin_write
from aqstream.models import EventSigningKey, Ticket
from aqstream.services.clock import utcnow
from aqstream.services.lifecycle import TicketStatus

VERSION = "A1"
SEPARATOR = "~"


class BadTicket(Exception):
    """A payload that is not a ticket of ours: malformed, or its signature does not match."""


@dataclass(frozen=True)
class Claims:
    ticket_id: int
    event_id: int
    ticket_type_id: int
    valid_until: datetime  # UTC, to the minute
    code: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aqstream-ticket-signing",
               info=b"event private keys").derive(config.secret_key().encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(EventSigningKey.__table__)


def _row(session: Session, event_id: int) -> EventSigningKey:
    """The event's key row, made on first use; when two requests race, both get the one stored."""
    row = session.exec(select(EventSigningKey).where(EventSigningKey.event_id == event_id)).first()
    if row is not None:
        return row
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes_raw()
    public_hex = private.public_key().public_bytes_raw().hex()
    begin_write(session)
    session.execute(_insert(session).values(
        event_id=event_id, public_key=public_hex, private_key_encrypted=_fernet().encrypt(raw_private).decode(),
        created_at=utcnow()).on_conflict_do_nothing())
    session.commit()
    return session.exec(select(EventSigningKey).where(EventSigningKey.event_id == event_id)).one()


def public_key(session: Session, event_id: int) -> str:
    """The event's public key (hex), for scanners. The caller has checked who may ask."""
    return _row(session, event_id).public_key


def _message(claims: Claims) -> str:
    minutes = int(claims.valid_until.astimezone(timezone.utc).timestamp() // 60)
    return ".".join([VERSION, str(claims.ticket_id), str(claims.event_id), str(claims.ticket_type_id), str(minutes),
                     claims.code])


def sign(session: Session, claims: Claims) -> str:
    """The signed payload for a ticket's QR code."""
    row = _row(session, claims.event_id)
    private = Ed25519PrivateKey.from_private_bytes(_fernet().decrypt(row.private_key_encrypted.encode()))
    message = _message(claims)
    return message + SEPARATOR + _b64(private.sign(message.encode()))


def sign_ticket(session: Session, ticket: Ticket, valid_until: datetime) -> str:
    return sign(session, Claims(ticket.id, ticket.event_id, ticket.ticket_type_id, valid_until, ticket.code))


def verify(public_key_hex: str, payload: str) -> Claims:
    """The claims of a payload signed with this public key's private key; BadTicket otherwise. Needs nothing else:
    a scanner runs the same check offline."""
    try:
        message, text = payload.strip().rsplit(SEPARATOR, 1)
        signature = _unb64(text)
        if _b64(signature) != text:  # base64's unused low bits: one payload, one spelling
            raise ValueError("not the canonical spelling of the signature")
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(signature, message.encode())
        version, ticket, event, ticket_type, minutes, code = message.split(".", 5)
        if version != VERSION:
            raise BadTicket("unknown version")
        return Claims(int(ticket), int(event), int(ticket_type),
                      datetime.fromtimestamp(int(minutes) * 60, timezone.utc), code)
    except (ValueError, InvalidSignature) as exc:
        raise BadTicket(str(exc) or type(exc).__name__) from exc


def revoked(session: Session, event_id: int) -> list[int]:
    """The event's revocation list: ids of its tickets that must not get in (cancelled, or their pending order
    expired). The caller has checked who may ask."""
    return list(session.exec(select(Ticket.id).where(Ticket.event_id == event_id,
                                                     Ticket.status == TicketStatus.CANCELLED)
                             .order_by(Ticket.id)).all())
