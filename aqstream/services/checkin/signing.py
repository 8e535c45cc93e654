"""Tamper-proof tickets: each event has an Ed25519 key pair; a ticket's QR payload carries the ticket, the event,
the ticket type and until when it is valid, signed with the event's private key. A scanner holding only the
event's public key verifies it offline; changing one character makes it invalid. Cancelled tickets are on the
event's revocation list, which scanners download with the public key.

The payload is short text, so the QR code stays small: `A1.<ticket>.<event>.<type>.<valid until, epoch
minutes>.<code>` then `~` and the signature, base64url without padding (86 characters). The private key is kept
encrypted (Fernet, with a key derived by HKDF from AQSTREAM_SECRET_KEY), never leaves the server and is created
on first use, once per event even when two requests race.

Which text a ticket's QR code carries is decided in one place, `qr_payloads` (emails and the order page use it):
a valid ticket's signed payload, valid until a day after its event ends; no QR code for any other ticket. The
ticket's plain code stays printed under the QR code (people type it), and old QR codes holding the plain code
keep working at the door."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aqstream import config
from aqstream.db import begin_write
from aqstream.models import Event, EventSigningKey, Ticket
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
    return _fernet_for(config.secret_key())


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aqstream-ticket-signing",
               info=b"event private keys").derive(secret.encode())
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


# An event's key pair never changes once made, so a scan needs no read of it; by database (tests use several).
_PUBLIC_KEYS: dict[tuple[str, int], str] = {}


def public_key(session: Session, event_id: int) -> str:
    """The event's public key (hex), for scanners. The caller has checked who may ask."""
    key = (str(session.get_bind().url), event_id)
    known = _PUBLIC_KEYS.get(key)
    if known is None:
        known = _PUBLIC_KEYS[key] = _row(session, event_id).public_key
    return known


def _message(claims: Claims) -> str:
    minutes = int(claims.valid_until.astimezone(timezone.utc).timestamp() // 60)
    return ".".join([VERSION, str(claims.ticket_id), str(claims.event_id), str(claims.ticket_type_id), str(minutes),
                     claims.code])


def _private(session: Session, event_id: int) -> Ed25519PrivateKey:
    row = _row(session, event_id)
    return Ed25519PrivateKey.from_private_bytes(_fernet().decrypt(row.private_key_encrypted.encode()))


def _signed(private: Ed25519PrivateKey, claims: Claims) -> str:
    message = _message(claims)
    return message + SEPARATOR + _b64(private.sign(message.encode()))


def sign(session: Session, claims: Claims) -> str:
    """The signed payload for a ticket's QR code."""
    return _signed(_private(session, claims.event_id), claims)


def sign_many(session: Session, many: Iterable[Claims]) -> list[str]:
    """The signed payloads of many tickets, in order: each event's key is read and decrypted once."""
    keys: dict[int, Ed25519PrivateKey] = {}
    out = []
    for claims in many:
        if claims.event_id not in keys:
            keys[claims.event_id] = _private(session, claims.event_id)
        out.append(_signed(keys[claims.event_id], claims))
    return out


def sign_ticket(session: Session, ticket: Ticket, valid_until: datetime) -> str:
    return sign(session, _claims(ticket, valid_until))


def _claims(ticket: Ticket, until: datetime) -> Claims:
    return Claims(ticket.id, ticket.event_id, ticket.ticket_type_id, until, ticket.code)


def valid_until(event: Event) -> datetime:
    """Until when an event's tickets say they are valid: a day after the event ends (after it starts, for an
    event without an end)."""
    return (event.ends_at or event.starts_at) + timedelta(days=1)


def expired(claims: Claims, event: Event, now: datetime) -> bool:
    """Whether a signed payload is past its validity. The later of the date it carries and the event's current
    one counts: a ticket emailed before the event was moved to a later day stays valid (the "event changed" email
    says so), and moving an event earlier never shortens what was promised."""
    return max(claims.valid_until, valid_until(event)) <= now


def qr_payloads(session: Session, event: Event, tickets: Iterable[Ticket]) -> dict[int, str]:
    """The text each ticket's QR code carries, by ticket id: a valid ticket's signed payload; "" (no QR code)
    for a cancelled ticket or a place still held by an unpaid order. The one rule for emails and pages.

    May create the event's key pair on first use, which ends the session's open transaction (objects read
    before are reloaded on their next use: read what you need inside the session)."""
    until = valid_until(event)
    # Everything is read from the objects before signing, which may end the transaction and expire them.
    ids, shown = [], []
    for ticket in tickets:
        ids.append(ticket.id)
        if ticket.status == TicketStatus.VALID and ticket.event_id == event.id:
            shown.append(_claims(ticket, until))
    signed = dict(zip((claims.ticket_id for claims in shown), sign_many(session, shown)))
    return {ticket_id: signed.get(ticket_id, "") for ticket_id in ids}


def qr_payload(session: Session, ticket: Ticket, event: Event) -> str:
    """One ticket's QR text (see qr_payloads)."""
    return qr_payloads(session, event, [ticket])[ticket.id]


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
