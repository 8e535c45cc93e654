"""Events: creation with ticket types, validation that saves nothing on error, publishing, time zones."""
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from aqstream.models import AuditEntry, Event, TicketType
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.events import events
from aqstream.services.org.permissions import Principal
from tests.conftest import unique


def test_event_times_are_stored_in_utc_from_the_chosen_zone(make, session):
    owner, org = make.org()
    event, types = make.event(owner, org, starts="2031-06-01T18:00", ends="2031-06-01T21:00", time_zone="Europe/Moscow")
    assert event.starts_at.replace(tzinfo=timezone.utc) == datetime(2031, 6, 1, 15, 0, tzinfo=timezone.utc)
    assert event.time_zone == "Europe/Moscow"
    assert [t.quantity for t in types] == [10]


def test_new_event_is_a_draft_until_published_and_publishing_is_audited(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org, publish=False)
    assert event.status == "draft"
    with pytest.raises(NotFound):
        events.get_public_event(session, org.slug, event.slug)
    published = events.publish_event(session, Principal(owner.id), org.id, event.id)
    assert published.status == "published" and published.published_at is not None
    assert events.get_public_event(session, org.slug, event.slug)[1].id == event.id
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.object_id == event.id,
                                                           AuditEntry.object_type == "event")).all()
    assert set(actions) == {"event.create", "event.publish"}


def test_invalid_event_reports_every_field_and_saves_nothing(make, session):
    owner, org = make.org()
    before = session.exec(select(Event).where(Event.organization_id == org.id)).all()
    data = events.EventInput(
        title="",
        starts_local="2031-06-01T18:00",
        ends_local="2031-06-01T17:00",
        time_zone="Mars/Olympus",
        online_url="ftp://x",
        capacity="0",
        ticket_types=[events.TicketTypeInput("", "-5")],
    )
    with pytest.raises(ValidationError) as err:
        events.create_event(session, Principal(owner.id), org.id, data)
    assert {"title", "time_zone", "online_url", "capacity", "ticket_types.0.name", "ticket_types.0.quantity"} <= set(
        err.value.errors
    )
    assert session.exec(select(Event).where(Event.organization_id == org.id)).all() == before


def test_end_before_start_is_refused(make, session):
    owner, org = make.org()
    data = events.EventInput(title="Talk night", starts_local="2031-06-01T18:00", ends_local="2031-06-01T17:59",
                             time_zone="UTC", venue="Hall", ticket_types=[events.TicketTypeInput("GA", 5)])
    with pytest.raises(ValidationError) as err:
        events.create_event(session, Principal(owner.id), org.id, data)
    assert err.value.errors == {"ends_at": "event.ends_before_start"}


def test_event_needs_a_venue_or_an_online_link_and_a_ticket_type(make, session):
    owner, org = make.org()
    data = events.EventInput(title="Nowhere", starts_local="2031-06-01T18:00", ends_local="2031-06-01T19:00",
                             time_zone="UTC", ticket_types=[])
    with pytest.raises(ValidationError) as err:
        events.create_event(session, Principal(owner.id), org.id, data)
    assert err.value.errors == {"venue": "event.venue_or_online_required", "ticket_types": "event.ticket_type_required"}


def test_slugs_are_unique_within_an_organization(make, session):
    owner, org = make.org()
    data = lambda: events.EventInput(title="Python Meetup", starts_local="2031-06-01T18:00",  # noqa: E731
                                     ends_local="2031-06-01T19:00", time_zone="UTC", online_url="https://meet.example",
                                     ticket_types=[events.TicketTypeInput("GA", 5)])
    first = events.create_event(session, Principal(owner.id), org.id, data())
    second = events.create_event(session, Principal(owner.id), org.id, data())
    assert (first.slug, second.slug) == ("python-meetup", "python-meetup-2")


def test_cyrillic_titles_get_latin_slugs(make, session):
    owner, org = make.org()
    data = events.EventInput(title="Митап по Python", starts_local="2031-06-01T18:00", ends_local="2031-06-01T19:00",
                             time_zone="Europe/Moscow", venue="Москва", ticket_types=[events.TicketTypeInput("Вход", 5)])
    event = events.create_event(session, Principal(owner.id), org.id, data)
    assert event.slug == "mitap-po-python"


def test_publishing_twice_is_harmless_and_cancelled_events_cannot_be_published(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    assert events.publish_event(session, Principal(owner.id), org.id, event.id).status == "published"
    event.status = "cancelled"
    session.add(event)
    session.commit()
    with pytest.raises(Conflict):
        events.publish_event(session, Principal(owner.id), org.id, event.id)


def test_added_ticket_type_is_validated(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    tt = events.add_ticket_type(session, Principal(owner.id), org.id, event.id, events.TicketTypeInput("VIP", 3))
    assert tt.quantity == 3 and tt.event_id == event.id
    with pytest.raises(ValidationError) as err:
        events.add_ticket_type(session, Principal(owner.id), org.id, event.id, events.TicketTypeInput("", 0))
    assert set(err.value.errors) == {"name", "quantity"}
    assert len(session.exec(select(TicketType).where(TicketType.event_id == event.id)).all()) == 2


def test_checkin_role_cannot_create_events(make, session):
    from aqstream.models import Membership
    from aqstream.services.clock import utcnow

    owner, org = make.org()
    door = make.user(name="Door")
    session.add(Membership(user_id=door.id, organization_id=org.id, role="checkin", created_at=utcnow()))
    session.commit()
    data = events.EventInput(title=f"E {unique()}", starts_local="2031-06-01T18:00", ends_local="2031-06-01T19:00",
                             time_zone="UTC", venue="Hall", ticket_types=[events.TicketTypeInput("GA", 5)])
    with pytest.raises(Forbidden):
        events.create_event(session, Principal(door.id), org.id, data)
    # ...nor see the events' details and attendees: only the events at the door, by name and time.
    with pytest.raises(Forbidden):
        events.list_events(session, Principal(door.id), org.id)
    assert events.door_events(session, Principal(door.id), org.id) == []


def test_places_left_never_exceed_what_the_event_has_left(make, session):
    from aqstream.services.sales import registration

    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(5, 5), capacity=6)
    for _ in range(4):
        registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=a.id,
                              buyer_name="A", buyer_email=f"{unique('p')}@example.com")
    session.expire_all()
    event = session.get(Event, event.id)
    a, b = session.get(TicketType, a.id), session.get(TicketType, b.id)
    assert (events.places_left(event, a), events.places_left(event, b)) == (1, 2)


def test_a_time_the_clocks_skip_is_refused(make, session):
    owner, org = make.org()
    data = events.EventInput(title="Night of the switch", starts_local="2031-03-30T02:30", ends_local="2031-03-30T05:00",
                             time_zone="Europe/Berlin", venue="Club", ticket_types=[events.TicketTypeInput("GA", 5)])
    with pytest.raises(ValidationError) as err:
        events.create_event(session, Principal(owner.id), org.id, data)
    assert err.value.errors == {"starts_at": "field.time_skipped"}
