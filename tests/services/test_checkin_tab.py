"""What the Check-in tab and the attendee pages read: the list form's reading (times in the event's zone, every
bad field at once), the device of a ticket's first check-in in the attendee list, its details and its exports,
and the events a check-in member's dashboard lists."""
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from aqstream.models import CheckinEntry, Event
from aqstream.services.checkin import list_form, lists, scans
from aqstream.services.clock import utcnow
from aqstream.services.errors import Forbidden, ValidationError
from aqstream.services.events import events
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import exports
from aqstream.services.sales import attendees, registration
from tests.services.test_event_lifecycle import member


def test_the_form_reads_wall_clock_times_in_the_events_zone_and_ticked_boxes():
    got = list_form.list_input({"name": "  VIP   door ", "opens_at": "2031-06-01T18:00", "closes_at": "",
                                "type.7": "on", "type.3": "on", "type.x": "on", "question.12": "on",
                                "question.13": "", "allow_reentry": "on"}, "Europe/Berlin")
    assert got.name == "VIP door" and got.ticket_type_ids == [3, 7] and got.question_ids == [12]
    assert got.opens_at == datetime(2031, 6, 1, 16, 0, tzinfo=timezone.utc) and got.closes_at is None
    assert got.allow_reentry is True
    assert list_form.list_input({"name": "Main"}, "UTC").allow_reentry is False


@pytest.mark.parametrize("form,errors", [
    ({"name": "", "opens_at": "tomorrow", "closes_at": "2031-13-01T10:00"},
     {"name": "checkin.list.name_required", "opens_at": "field.datetime_invalid",
      "closes_at": "field.datetime_invalid"}),
    ({"name": "x" * 121}, {"name": "checkin.list.name_too_long"}),
    ({"name": "Door", "opens_at": "2031-06-01T18:00", "closes_at": "2031-06-01T17:00"},
     {"closes_at": "checkin.list.closes_before_opens"}),
    ({"name": "Door", "opens_at": "2031-03-30T02:30"}, {"opens_at": "field.time_skipped"}),  # Berlin skips 02:30
])
def test_every_bad_field_is_answered_together(form, errors):
    with pytest.raises(ValidationError) as caught:
        list_form.list_input(form, "Europe/Berlin")
    assert caught.value.errors == errors


def _two_lists(make, session):
    owner, org = make.org()
    event, (ga, vip) = make.event(owner, org, quantities=(10, 5))
    me = Principal(owner.id)
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Nina Door",
                                   buyer_email="nina@example.com", ticket_type_id=vip.id, quantity=1)
    main = lists.event_lists(session, me, org.id, event.id)[0]
    side = lists.create_list(session, me, org.id, event.id, list_form.list_input(
        {"name": "VIP door", f"type.{vip.id}": "on", "allow_reentry": "on"}, event.time_zone))
    return owner, org, event, bought.tickets[0], main, side


def test_the_attendee_list_details_and_exports_name_the_first_check_ins_device(make, session):
    owner, org, event, ticket, main, side = _two_lists(make, session)
    me = Principal(owner.id)
    assert side.ticket_type_ids == [ticket.ticket_type_id] and side.allow_reentry
    assert attendees.search(session, me, org.id, event.id).rows[0].checked_in_device == ""
    assert scans.redeem(session, me, org.id, side.id, ticket.code, client_scan_id=uuid.uuid4().hex,
                        device="VIP Door").result == "ok"
    assert scans.redeem(session, me, org.id, main.id, ticket.code, client_scan_id=uuid.uuid4().hex,
                        device="Door 2").result == "ok"
    # The earliest entry's device, whichever list it was on.
    later = session.exec(select(CheckinEntry).where(CheckinEntry.list_id == main.id)).one()
    later.at = later.at + timedelta(minutes=5)
    session.add(later)
    session.commit()
    row = attendees.search(session, me, org.id, event.id).rows[0]
    assert row.checked_in_at is not None and row.checked_in_device == "VIP Door"
    seen = attendees.detail(session, me, org.id, ticket.id)
    assert seen.row.checked_in_device == "VIP Door"
    assert [(c.list_name, c.device, c.inside) for c in seen.checkins] == [("VIP door", "VIP Door", True),
                                                                          ("All tickets", "Door 2", True)]
    export = attendees.export_rows(session, me, org.id, event.id, {"checked_in_device": "Device"})
    data = b"".join(exports.csv_chunks(export))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column = rows[0].index("Device")
    assert rows[0][column - 1] == "checked_in_at" and rows[1][column] == "VIP Door"
    # Undone on both lists: nobody's device is named any more.
    for checkin_list in (side, main):
        scans.undo(session, me, org.id, checkin_list.id, ticket.id)
    row = attendees.search(session, me, org.id, event.id).rows[0]
    assert row.checked_in_at is None and row.checked_in_device == ""
    assert attendees.detail(session, me, org.id, ticket.id).checkins == []


def test_a_check_in_member_sees_the_events_at_the_door_and_nothing_more(make, session):
    owner, org = make.org()
    soon, _ = make.event(owner, org, starts="2031-06-01T18:00")
    draft, _ = make.event(owner, org, publish=False)
    over, _ = make.event(owner, org)
    gone = session.get(Event, over.id)
    gone.starts_at, gone.ends_at = utcnow() - timedelta(days=10), utcnow() - timedelta(days=9)
    session.add(gone)
    session.commit()
    door = member(session, org, "checkin")
    shown = [e.id for e in events.door_events(session, door, org.id)]
    assert soon.id in shown and draft.id not in shown and over.id not in shown
    with pytest.raises(Forbidden):
        lists.create_list(session, door, org.id, soon.id, lists.ListInput(name="Mine"))
    assert [v.name for v in lists.event_lists(session, door, org.id, soon.id)] == ["All tickets"]
