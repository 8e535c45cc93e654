"""An event after creation: edit, unpublish, cancel with a message to every attendee, duplicate, archive,
cover image, the organizer's preview; each action checked by role."""
import io

import pytest
from PIL import Image
from sqlmodel import select

from aqstream.models import AuditEntry, Event, OutboxMessage, Question
from aqstream.services.errors import Conflict, Forbidden, NotFound, RegistrationClosed, ValidationError
from aqstream.services.events import event_lifecycle as lifecycle
from aqstream.services.events import events, questions
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def edit(event, **changes):
    data = dict(title=event.title, starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
                time_zone=event.time_zone, venue=event.venue, capacity=event.capacity)
    data.update(changes)
    return events.EventInput(**data)


def buy(session, org, event, tt, email, *tickets):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email=email, tickets=[TR(tt.id, n, e) for n, e in tickets] or [TR(tt.id)])


def mails(session, kind, event):
    session.rollback()
    found = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
    return [m for m in found if m.payload.get("event_id") == event.id]


def member(session, org, role):
    """A user with `role` in `org` (added directly: team invitations are tested on their own)."""
    from aqstream.models import Membership
    from aqstream.services.accounts import accounts
    from aqstream.services.clock import utcnow

    user = accounts.sign_up(session, name=role, email=f"{unique(role)}@example.com", password="a-good-long-passphrase")
    session.add(Membership(user_id=user.id, organization_id=org.id, role=role, created_at=utcnow()))
    session.commit()
    return Principal(user.id)


def test_organizer_edits_an_event_and_attendees_hear_of_a_new_time(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    buy(session, org, event, tt, "buyer@example.com", ("Ann", "ann@example.com"), ("Bob", ""))
    changed = lifecycle.update_event(session, Principal(owner.id), org.id, event.id,
                                     edit(event, title="Renamed evening", starts_local="2031-06-02T18:00",
                                          ends_local="2031-06-02T21:00", locale="ru"))
    assert changed.title == "Renamed evening" and changed.locale == "ru"
    assert changed.starts_at.isoformat().startswith("2031-06-02T15:00")  # Moscow is UTC+3
    told = mails(session, lifecycle.EVENT_CHANGED_EMAIL, event)
    assert sorted(m.recipient for m in told) == ["ann@example.com", "buyer@example.com"]
    assert told[0].payload["changed"] == ["starts_at", "ends_at"]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "event.update",
                                                  AuditEntry.object_id == event.id)).one()
    assert entry.data["attendees_told"] == 2 and "title" in entry.data["changed"]


def test_a_title_change_tells_nobody_and_bad_input_changes_nothing(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    buy(session, org, event, tt, "x@example.com")
    lifecycle.update_event(session, Principal(owner.id), org.id, event.id, edit(event, title="Only the title"))
    assert mails(session, lifecycle.EVENT_CHANGED_EMAIL, event) == []
    with pytest.raises(ValidationError) as err:
        lifecycle.update_event(session, Principal(owner.id), org.id, event.id,
                               edit(event, title="", ends_local="2031-06-01T10:00", locale="de"))
    assert set(err.value.errors) >= {"title", "ends_at", "locale"}
    session.rollback()
    assert session.get(Event, event.id).title == "Only the title"


def test_capacity_cannot_drop_below_the_places_taken(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,), capacity=10)
    buy(session, org, event, tt, "a@example.com", ("A", ""), ("B", ""), ("C", ""))
    with pytest.raises(ValidationError) as err:
        lifecycle.update_event(session, Principal(owner.id), org.id, event.id, edit(event, capacity=2))
    assert err.value.errors == {"capacity": "event.capacity_below_sold"}
    assert lifecycle.update_event(session, Principal(owner.id), org.id, event.id, edit(event, capacity=3)).capacity == 3


def test_unpublish_stops_registration_and_publish_again_reopens_it(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    assert lifecycle.unpublish_event(session, Principal(owner.id), org.id, event.id).status == "draft"
    with pytest.raises(NotFound):
        buy(session, org, event, tt, "late@example.com")
    events.publish_event(session, Principal(owner.id), org.id, event.id)
    assert buy(session, org, event, tt, "late@example.com").order.status == "confirmed"


def test_cancelling_needs_a_message_and_sends_one_email_per_attendee(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    buy(session, org, event, tt, "one@example.com", ("One", ""), ("Two", "two@example.com"))
    buy(session, org, event, tt, "ONE@example.com")
    with pytest.raises(ValidationError) as err:
        lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "  ")
    assert err.value.errors == {"message": "field.required"}
    assert mails(session, lifecycle.EVENT_CANCELLED_EMAIL, event) == []
    cancelled = lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "The venue flooded. Sorry!")
    assert cancelled.status == "cancelled"
    told = mails(session, lifecycle.EVENT_CANCELLED_EMAIL, event)
    assert sorted(m.recipient for m in told) == ["one@example.com", "two@example.com"]
    assert {m.payload["message"] for m in told} == {"The venue flooded. Sorry!"}
    with pytest.raises(RegistrationClosed):
        buy(session, org, event, tt, "more@example.com")
    with pytest.raises(Conflict):
        lifecycle.unpublish_event(session, Principal(owner.id), org.id, event.id)


def test_cancelling_an_event_cancels_its_orders_and_tickets_at_once_and_tells_each_attendee_once(make, session):
    from aqstream.models import Order, Ticket, TicketType
    from aqstream.services.sales import orders

    owner, org = make.org()
    event, (tt, other) = make.event(owner, org, quantities=(10, 10), capacity=15)
    first = buy(session, org, event, tt, "one@example.com", ("One", ""), ("Two", "two@example.com"))
    second = buy(session, org, event, other, "three@example.com")
    third = buy(session, org, event, tt, "four@example.com")
    orders.cancel_order(session, Principal(owner.id), org.id, third.order.id)  # already cancelled: left as it is
    before = {m.id for m in session.exec(select(OutboxMessage)).all()}
    lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "The venue flooded.")
    session.expire_all()
    statuses = {o.id: o.status for o in session.exec(select(Order).where(Order.event_id == event.id)).all()}
    assert statuses == {first.order.id: "cancelled", second.order.id: "cancelled", third.order.id: "cancelled"}
    tickets = session.exec(select(Ticket).where(Ticket.event_id == event.id)).all()
    assert len(tickets) == 4 and {t.status for t in tickets} == {"cancelled"} and all(t.cancelled_at for t in tickets)
    # The places are given back: the counters agree with the valid tickets (none).
    assert session.get(Event, event.id).sold == 0
    assert [session.get(TicketType, t.id).sold for t in (tt, other)] == [0, 0]
    # One email per person who held a valid ticket, the event's own; no per-order cancellation emails on top.
    new = [m for m in session.exec(select(OutboxMessage)).all() if m.id not in before]
    assert sorted((m.kind, m.recipient) for m in new) == [(lifecycle.EVENT_CANCELLED_EMAIL, "one@example.com"),
                                                          (lifecycle.EVENT_CANCELLED_EMAIL, "three@example.com"),
                                                          (lifecycle.EVENT_CANCELLED_EMAIL, "two@example.com")]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "event.cancel",
                                                  AuditEntry.object_id == event.id)).one()
    assert entry.data["orders_cancelled"] == 2 and entry.data["tickets_cancelled"] == 3
    # The attendee's own link says it is cancelled and there is nothing left to cancel.
    view = registration.get_order_by_token(session, first.order.access_token)
    assert view.order.status == "cancelled" and {t.status for t, _ in view.tickets} == {"cancelled"}
    with pytest.raises(Conflict):
        orders.cancel_by_token(session, first.order.access_token)


def test_duplicate_makes_a_draft_with_the_same_types_and_questions_and_nothing_sold(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    questions.add_question(session, Principal(owner.id), org.id, event.id,
                           questions.QuestionInput(label="Company", kind="short_text"))
    events.add_ticket_type(session, Principal(owner.id), org.id, event.id,
                           events.TicketTypeInput("Crew", 3, hidden=True))
    buy(session, org, event, tt, "a@example.com")
    copy = lifecycle.duplicate_event(session, Principal(owner.id), org.id, event.id)
    assert copy.status == "draft" and copy.id != event.id and copy.slug != event.slug
    assert copy.title == f"{event.title} (copy)" and copy.sold == 0 and copy.venue == event.venue
    old_types = events.list_ticket_types(session, event.id)
    new_types = events.list_ticket_types(session, copy.id)
    assert [(t.name, t.quantity, t.sold, t.hidden) for t in new_types] == [("Type 0", 5, 0, False), ("Crew", 3, 0, True)]
    assert new_types[1].unlock_code and new_types[1].unlock_code != old_types[1].unlock_code
    assert [q.label for q in session.exec(select(Question).where(Question.event_id == copy.id)).all()] == ["Company"]


def test_archive_only_after_the_event_or_once_cancelled(make, session):
    owner, org = make.org()
    upcoming, _ = make.event(owner, org)
    with pytest.raises(Conflict) as err:
        lifecycle.archive_event(session, Principal(owner.id), org.id, upcoming.id)
    assert err.value.message_key == "event.archive_upcoming"
    lifecycle.cancel_event(session, Principal(owner.id), org.id, upcoming.id, "Cancelled")
    assert lifecycle.archive_event(session, Principal(owner.id), org.id, upcoming.id).status == "archived"
    draft, _ = make.event(owner, org, publish=False)
    assert lifecycle.archive_event(session, Principal(owner.id), org.id, draft.id).status == "archived"


def png(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


def test_cover_image_is_checked_and_stored(make, session, tmp_path, monkeypatch):
    from aqstream.services.events import media

    monkeypatch.setenv("AQSTREAM_MEDIA_DIR", str(tmp_path))
    owner, org = make.org()
    event, _ = make.event(owner, org)
    with pytest.raises(ValidationError) as err:
        lifecycle.set_cover(session, Principal(owner.id), org.id, event.id, b"<svg onload=alert(1)>")
    assert err.value.errors == {"cover": "media.not_an_image"}
    monkeypatch.setenv("AQSTREAM_MAX_UPLOAD_BYTES", "100")
    with pytest.raises(ValidationError) as err:
        lifecycle.set_cover(session, Principal(owner.id), org.id, event.id, png((300, 300)) + b"x" * 200)
    assert err.value.errors == {"cover": "media.too_large"}
    monkeypatch.delenv("AQSTREAM_MAX_UPLOAD_BYTES")
    assert session.get(Event, event.id).cover_path == ""
    event = lifecycle.set_cover(session, Principal(owner.id), org.id, event.id, png())
    assert event.cover_path.endswith(".png")
    path, content_type = media.open_image(event.cover_path)
    assert path.parent == tmp_path and content_type == "image/png" and path.read_bytes() == png()
    with pytest.raises(NotFound):
        media.open_image("../secret_key")
    assert lifecycle.set_cover(session, Principal(owner.id), org.id, event.id, None).cover_path == ""


def test_organizers_preview_a_draft_that_others_cannot_see(make, session):
    owner, org = make.org()
    draft, _ = make.event(owner, org, publish=False)
    assert lifecycle.preview_event(session, Principal(owner.id), org.slug, draft.slug).id == draft.id
    stranger = make.user()
    with pytest.raises(NotFound):
        lifecycle.preview_event(session, Principal(stranger.id), org.slug, draft.slug)
    with pytest.raises(NotFound):
        events.get_public_event(session, org.slug, draft.slug)


ACTIONS = {
    "update": lambda s, p, org, ev: lifecycle.update_event(s, p, org.id, ev.id, edit(ev, title="Changed title")),
    "unpublish": lambda s, p, org, ev: lifecycle.unpublish_event(s, p, org.id, ev.id),
    "cancel": lambda s, p, org, ev: lifecycle.cancel_event(s, p, org.id, ev.id, "Sorry"),
    "duplicate": lambda s, p, org, ev: lifecycle.duplicate_event(s, p, org.id, ev.id),
    "cover": lambda s, p, org, ev: lifecycle.set_cover(s, p, org.id, ev.id, png()),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role,allowed", [("owner", True), ("admin", True), ("staff", True), ("checkin", False),
                                          ("outsider", None)])
def test_every_event_action_with_every_role(make, session, tmp_path, monkeypatch, action, role, allowed):
    monkeypatch.setenv("AQSTREAM_MEDIA_DIR", str(tmp_path))
    owner, org = make.org()
    event, _ = make.event(owner, org)
    if role == "outsider":
        _, other_org = make.org()
        who = member(session, other_org, "owner")
    elif role == "owner":
        who = Principal(owner.id)
    else:
        who = member(session, org, role)
    before = event.status
    if allowed:
        ACTIONS[action](session, who, org, event)
        return
    with pytest.raises(Forbidden if allowed is False else NotFound):
        ACTIONS[action](session, who, org, event)
    session.rollback()
    now = session.get(Event, event.id)
    assert (now.status, now.title, now.cover_path) == (before, event.title, "")
    assert [e.id for e in session.exec(select(Event).where(Event.organization_id == org.id)).all()] == [event.id]
