"""The QR codes attendees carry (issue 16): every valid ticket's QR code holds its signed payload
(signing.qr_payloads, the one rule), in the confirmation and reminder emails and on the order page; the payload
verifies with the event's public key alone and is valid until a day after the event ends; the plain code stays
printed under it; a cancelled ticket shows no QR code; signing many tickets reads the event's key once; at the
door the signed payload and an old QR code holding the bare code both get in."""
import io
import re
from datetime import timedelta

import pytest
import segno
from PIL import Image
from sqlalchemy import event as sa_event
from sqlmodel import select

from aqstream.models import Event, OutboxMessage, Ticket
from aqstream.services.checkin import scans, signing
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.notify import email_kinds, email_render
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR


def bought(make, session, names=("Ann", "Bob", "Cleo")):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                                 buyer_email="ann@example.com", tickets=[TR(tt.id, name) for name in names])
    return owner, org, session.get(Event, event.id), done


def module_matrix(png: bytes) -> list[list[bool]]:
    """The dark modules of a QR PNG drawn by email_render.qr_png (scale 5, border 2), read back from the pixels."""
    with Image.open(io.BytesIO(png)) as image:
        gray = image.convert("L")
        size = gray.size[0] // 5 - 4
        return [[gray.getpixel(((x + 2) * 5 + 2, (y + 2) * 5 + 2)) < 128 for x in range(size)] for y in range(size)]


def segno_matrix(text: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(text, error="m").matrix]


def assert_signed_for(session, payload: str, ticket: Ticket, event: Event):
    claims = signing.verify(signing.public_key(session, event.id), payload)
    assert claims == signing.Claims(ticket.id, event.id, ticket.ticket_type_id, event.ends_at + timedelta(days=1),
                                    ticket.code)
    assert payload != ticket.code and payload.split("~")[0].endswith("." + ticket.code)


def test_valid_until_is_a_day_after_the_event_ends(make, session):
    _owner, _org, event, _done = bought(make, session, ("Ann",))
    assert signing.valid_until(event) == event.ends_at + timedelta(days=1)
    assert event.ends_at.utcoffset() == timedelta(0)  # aware UTC, so the payload's minutes are UTC minutes


def test_the_confirmation_email_carries_each_tickets_signed_payload(make, session):
    _owner, _org, event, done = bought(make, session)
    message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == registration.CONFIRMATION_EMAIL,
                                                       OutboxMessage.recipient == "ann@example.com")
                           .order_by(OutboxMessage.id.desc())).first()
    email = email_render.render(session, message)
    html = email.get_body(("html",)).get_content()
    text = email.get_body(("plain",)).get_content()
    images = {part["Content-ID"].strip("<>"): part.get_payload(decode=True) for part in email.walk()
              if part.get("Content-ID")}
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 3
    tickets = [session.get(Ticket, t.id) for t in done.tickets]
    for ticket, cid in zip(tickets, cids):
        payload = signing.qr_payload(session, ticket, event)
        assert_signed_for(session, payload, ticket, event)
        assert images[cid] == email_render.qr_png(payload)  # the same text drawn the same way
        assert module_matrix(images[cid]) == segno_matrix(payload)  # and the pixels hold that text's modules
        assert module_matrix(images[cid]) != segno_matrix(ticket.code)
        assert ticket.code in text and ticket.code in html  # still printed, for people who type it
        assert payload not in text  # the long payload is for the camera only


def test_the_reminder_email_carries_the_signed_payload_too(make, session):
    _owner, org, event, done = bought(make, session, ("Ann",))
    ticket = session.get(Ticket, done.tickets[0].id)
    message = OutboxMessage(kind=email_kinds.EVENT_REMINDER, recipient="ann@example.com", organization_id=org.id,
                            payload={"event_id": event.id, "codes": [ticket.code], "name": "Ann"})
    email = email_render.render(session, message)
    [png] = [part.get_payload(decode=True) for part in email.walk() if part.get_content_type() == "image/png"]
    assert png == email_render.qr_png(signing.qr_payload(session, ticket, event))


def test_a_cancelled_ticket_and_a_held_place_get_no_qr_code(make, session):
    owner, org, event, done = bought(make, session)
    orders.cancel_ticket(session, Principal(owner.id), org.id, done.tickets[1].id)
    tickets = session.exec(select(Ticket).where(Ticket.order_id == done.order.id).order_by(Ticket.id)).all()
    held = Ticket(**{**tickets[2].model_dump(), "status": TicketStatus.HELD})  # a copy, never stored
    payloads = signing.qr_payloads(session, event, tickets)
    assert payloads[tickets[1].id] == ""
    assert_signed_for(session, payloads[tickets[0].id], tickets[0], event)
    assert_signed_for(session, payloads[tickets[2].id], tickets[2], event)
    assert signing.qr_payloads(session, event, [held]) == {held.id: ""}
    assert signing.qr_payloads(session, event, []) == {}


def test_signing_an_orders_tickets_reads_the_events_key_once(make, session, engine):
    _owner, _org, event, done = bought(make, session, tuple(f"Guest {i}" for i in range(8)))
    tickets = session.exec(select(Ticket).where(Ticket.order_id == done.order.id)).all()
    signing.public_key(session, event.id)  # the key pair exists
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        payloads = signing.qr_payloads(session, event, tickets)
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if "event_signing_key" in s]) == 1
    assert len(set(payloads.values())) == 8
    assert signing.sign_many(session, []) == []


def test_the_order_page_shows_the_signed_payload_and_the_code(make, session, use_db):
    from reflex.state import State

    import aqstream.aqstream  # noqa: F401 - the app's states, registered
    from aqstream.state.public import OrderState

    owner, org, event, done = bought(make, session)
    orders.cancel_ticket(session, Principal(owner.id), org.id, done.tickets[2].id)
    page = State(_reflex_internal_init=True)
    for name in OrderState.get_full_name().split(".")[1:]:
        page = page.substates[name]
    page._token = done.order.access_token
    page._load()
    assert [row["status"] for row in page.tickets] == ["valid", "valid", "cancelled"]
    for row, ticket in zip(page.tickets, done.tickets):
        ticket = session.get(Ticket, ticket.id)
        assert row["code"] == ticket.code
        if ticket.status != TicketStatus.VALID:
            assert row["qr"] == ""  # a cancelled ticket shows no QR code, as before
            continue
        payload = signing.qr_payload(session, ticket, event)
        assert_signed_for(session, payload, ticket, event)
        assert row["qr"] == segno.make(payload, error="m").svg_data_uri(scale=5, border=2)
        assert row["qr"] != segno.make(ticket.code, error="m").svg_data_uri(scale=5, border=2)


def test_at_the_door_the_signed_payload_and_an_old_bare_code_both_get_in(make, session):
    owner, org, event, done = bought(make, session, ("Ann", "Bob"))
    door = scans.default_list(session, Principal(owner.id), org.id, event.id)
    me = Principal(owner.id)
    ann, bob = (session.get(Ticket, t.id) for t in done.tickets)
    ann_qr = signing.qr_payload(session, ann, event)
    assert scans.redeem(session, me, org.id, door.id, ann_qr, client_scan_id="qr-1").result == "ok"
    assert scans.redeem(session, me, org.id, door.id, ann.code, client_scan_id="qr-2").result == "already"
    # A QR code from before signed tickets holds the bare code: it still gets in.
    assert scans.redeem(session, me, org.id, door.id, bob.code, client_scan_id="qr-3").result == "ok"
    assert scans.redeem(session, me, org.id, door.id, signing.qr_payload(session, bob, event),
                        client_scan_id="qr-4").result == "already"
    # One changed character of the code inside the payload: refused, not someone else's ticket.
    message, signature = ann_qr.split("~")
    forged = message[:-1] + ("x" if message[-1] != "x" else "y") + "~" + signature
    assert scans.redeem(session, me, org.id, door.id, forged, client_scan_id="qr-5").result == "invalid"


@pytest.mark.parametrize("position", ["ticket", "event", "type", "minutes"])
def test_changing_a_claim_of_a_real_payload_is_refused(make, session, position):
    _owner, _org, event, done = bought(make, session, ("Ann",))
    payload = signing.qr_payload(session, session.get(Ticket, done.tickets[0].id), event)
    message, signature = payload.split("~")
    fields = message.split(".", 5)
    index = ["version", "ticket", "event", "type", "minutes", "code"].index(position)
    fields[index] = str(int(fields[index]) + 1)
    with pytest.raises(signing.BadTicket):
        signing.verify(signing.public_key(session, event.id), ".".join(fields) + "~" + signature)


def test_a_payload_emailed_before_the_event_moved_later_stays_valid(make, session):
    _owner, _org, event, done = bought(make, session, ("Ann",))
    ticket = session.get(Ticket, done.tickets[0].id)
    claims = signing.verify(signing.public_key(session, event.id), signing.qr_payload(session, ticket, event))
    day_after = event.ends_at + timedelta(days=1)
    assert not signing.expired(claims, event, day_after - timedelta(minutes=1))
    assert signing.expired(claims, event, day_after)
    moved = Event(**{**event.model_dump(), "starts_at": event.starts_at + timedelta(days=30),
                     "ends_at": event.ends_at + timedelta(days=30)})  # a copy, never stored
    assert not signing.expired(claims, moved, moved.starts_at)  # the old email's QR code still gets in
    assert signing.expired(claims, moved, moved.ends_at + timedelta(days=1))
