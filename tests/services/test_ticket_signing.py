"""Signed tickets (services/checkin/signing.py), groundwork of issue 16: a payload verifies with the event's
public key alone; any changed character, another event's key or a forged signature is refused; the key pair is
made once per event (racing requests get the same one) and its private half is stored encrypted; cancelled
tickets are on the event's revocation list."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from aqstream.models import EventSigningKey
from aqstream.services.checkin import signing
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration


def a_ticket(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                                   buyer_email="ann@example.com", ticket_type_id=tt.id, quantity=2)
    return owner, org, event, bought


UNTIL = datetime(2031, 6, 2, 3, 0, tzinfo=timezone.utc)


def test_a_signed_ticket_verifies_with_the_public_key_alone(make, session):
    _owner, _org, event, bought = a_ticket(make, session)
    ticket = bought.tickets[0]
    payload = signing.sign_ticket(session, ticket, UNTIL)
    public = signing.public_key(session, event.id)
    claims = signing.verify(public, payload)
    assert claims == signing.Claims(ticket.id, event.id, ticket.ticket_type_id, UNTIL, ticket.code)
    assert len(payload) < 160  # a small QR code


def test_one_changed_character_anywhere_is_refused(make, session):
    _owner, _org, event, bought = a_ticket(make, session)
    payload = signing.sign_ticket(session, bought.tickets[0], UNTIL)
    public = signing.public_key(session, event.id)
    for i, char in enumerate(payload):
        if char in ".~":
            continue
        for other in {"A", "B", "C", "-", "_", "0"} - {char}:  # the signature's last character too
            changed = payload[:i] + other + payload[i + 1:]
            with pytest.raises(signing.BadTicket):
                signing.verify(public, changed)
    for broken in ("", "garbage", payload.split("~")[0], payload + "x", payload.replace("A1.", "A2.", 1)):
        with pytest.raises(signing.BadTicket):
            signing.verify(public, broken)


def test_another_events_key_and_a_forged_signature_are_refused(make, session):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _owner, _org, event, bought = a_ticket(make, session)
    _owner2, _org2, other, _ = a_ticket(make, session)
    payload = signing.sign_ticket(session, bought.tickets[0], UNTIL)
    assert signing.public_key(session, other.id) != signing.public_key(session, event.id)
    with pytest.raises(signing.BadTicket):
        signing.verify(signing.public_key(session, other.id), payload)
    message = payload.split("~")[0]
    forger = Ed25519PrivateKey.generate()
    forged = message + "~" + signing._b64(forger.sign(message.encode()))
    with pytest.raises(signing.BadTicket):
        signing.verify(signing.public_key(session, event.id), forged)


def test_the_key_pair_is_made_once_and_stored_encrypted(make, session):
    _owner, _org, event, bought = a_ticket(make, session)
    first = signing.public_key(session, event.id)
    assert signing.public_key(session, event.id) == first
    rows = session.exec(select(EventSigningKey).where(EventSigningKey.event_id == event.id)).all()
    assert len(rows) == 1
    stored = rows[0].private_key_encrypted
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(signing._fernet().decrypt(stored.encode()))
    assert private.public_key().public_bytes_raw().hex() == first
    assert private.private_bytes_raw().hex() not in stored  # not kept in clear


def test_cancelled_tickets_are_on_the_revocation_list(make, session):
    owner, org, event, bought = a_ticket(make, session)
    assert signing.revoked(session, event.id) == []
    orders.cancel_ticket(session, Principal(owner.id), org.id, bought.tickets[1].id)
    assert signing.revoked(session, event.id) == [bought.tickets[1].id]
    late = UNTIL - timedelta(days=1)
    assert signing.verify(signing.public_key(session, event.id),
                          signing.sign_ticket(session, bought.tickets[0], late)).valid_until == late


def test_the_signature_has_one_spelling(make, session):
    """Base64 leaves 4 bits of the signature's last character unused: a payload differing only there decodes to
    the same signature, and is still refused (one ticket, one payload)."""
    _owner, _org, event, bought = a_ticket(make, session)
    payload = signing.sign_ticket(session, bought.tickets[0], UNTIL)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(payload[-1])
    twin = payload[:-1] + alphabet[last ^ 1]  # the same top bits: the same 64 bytes once decoded
    assert signing._unb64(twin.split("~")[1]) == signing._unb64(payload.split("~")[1])
    with pytest.raises(signing.BadTicket):
        signing.verify(signing.public_key(session, event.id), twin)
