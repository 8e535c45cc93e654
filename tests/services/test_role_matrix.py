"""Every organizer action on events, ticket types, questions, orders, attendees and check-in, tried with every
role: owners, admins and staff run events and see everything about them; check-in staff see the scanner and the
check-in lists (the events' names and times, the lists' counts, the people on them at the door) and nothing else;
outsiders see nothing at all. (Team and settings have their own matrix in test_team.py; event lifecycle in
test_event_lifecycle.py; the pages and the API in tests/state/test_role_pages.py and tests/api/test_role_api.py.)"""
import uuid

import pytest
from sqlmodel import select

from aqstream.models import AuditEntry, CheckinList
from aqstream.services.checkin import lists, scans
from aqstream.services.errors import Forbidden, NotFound
from aqstream.services.events import event_emails, events, overview, questions
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import analytics, org_analytics
from aqstream.services.sales import attendees, orders, registration
from tests.services.test_event_lifecycle import member

WRITE = {"owner", "admin", "staff"}  # MANAGE_EVENTS
READ = {"owner", "admin", "staff"}  # VIEW_ATTENDEES: not check-in staff
DOOR = {"owner", "admin", "staff", "checkin"}  # VIEW_CHECKIN and CHECK_IN


def _world(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    q = questions.add_question(session, Principal(owner.id), org.id, event.id,
                               questions.QuestionInput(label="Company", kind="short_text"))
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                   buyer_email="buyer@example.com", ticket_type_id=tt.id, quantity=2)
    me = Principal(owner.id)
    lists.event_lists(session, me, org.id, event.id)  # the default list
    lists.create_list(session, me, org.id, event.id, lists.ListInput(name="Side door"))
    first = lists.event_lists(session, me, org.id, event.id)[0].id
    scans.redeem(session, me, org.id, first, bought.tickets[1].code, client_scan_id=uuid.uuid4().hex, device="Door 1")
    return owner, org, event, tt, q, bought


def _lists(s, p, w) -> list[int]:
    """The event's check-in lists: the default one first, then "Side door"."""
    return list(s.exec(select(CheckinList.id).where(CheckinList.event_id == w["event"].id).order_by(CheckinList.id)).all())


ACTIONS = {
    "create event": (WRITE, lambda s, p, w: events.create_event(s, p, w["org"].id, events.EventInput(
        title="Another one", starts_local="2031-07-01T10:00", ends_local="2031-07-01T12:00", time_zone="UTC",
        venue="Hall", ticket_types=[events.TicketTypeInput("GA", 5)]))),
    "list events": (READ, lambda s, p, w: events.list_events(s, p, w["org"].id)),
    "add ticket type": (WRITE, lambda s, p, w: events.add_ticket_type(s, p, w["org"].id, w["event"].id,
                                                                      events.TicketTypeInput("VIP", 3))),
    "edit ticket type": (WRITE, lambda s, p, w: events.update_ticket_type(s, p, w["org"].id, w["event"].id,
                                                                          w["tt"].id, events.TicketTypeInput("GA", 30))),
    "add question": (WRITE, lambda s, p, w: questions.add_question(s, p, w["org"].id, w["event"].id,
                                                                   questions.QuestionInput(label="Diet", kind="long_text"))),
    "edit question": (WRITE, lambda s, p, w: questions.update_question(s, p, w["org"].id, w["event"].id, w["q"].id,
                                                                       questions.QuestionInput(label="Firm",
                                                                                               kind="short_text"))),
    "event email settings": (WRITE, lambda s, p, w: event_emails.update_email_settings(
        s, p, w["org"].id, w["event"].id, event_emails.EmailSettingsInput(reminder_hours=3))),
    "event numbers": (READ, lambda s, p, w: overview.event_numbers(s, p, w["org"].id, w["event"].id)),
    "remove question": (WRITE, lambda s, p, w: questions.remove_question(s, p, w["org"].id, w["event"].id, w["q"].id)),
    "cancel order": (WRITE, lambda s, p, w: orders.cancel_order(s, p, w["org"].id, w["bought"].order.id)),
    "cancel ticket": (WRITE, lambda s, p, w: orders.cancel_ticket(s, p, w["org"].id, w["bought"].tickets[0].id)),
    "add attendee": (WRITE, lambda s, p, w: attendees.add_attendee(s, p, w["org"].id, w["event"].id, name="Guest",
                                                                   email="guest@example.com", ticket_type_id=w["tt"].id)),
    "resend confirmation": (WRITE, lambda s, p, w: attendees.resend_confirmation(s, p, w["org"].id,
                                                                                 w["bought"].order.id)),
    "search attendees": (READ, lambda s, p, w: attendees.search(s, p, w["org"].id, w["event"].id)),
    "attendee detail": (READ, lambda s, p, w: attendees.detail(s, p, w["org"].id, w["bought"].tickets[0].id)),
    "export attendees": (READ, lambda s, p, w: list(attendees.export_rows(s, p, w["org"].id, w["event"].id, {}).rows)),
    "event analytics": (READ, lambda s, p, w: analytics.event_analytics(s, p, w["org"].id, w["event"].id, "30d")),
    "organization analytics": (READ, lambda s, p, w: org_analytics.org_analytics(s, p, w["org"].id)),
    "events at the door": (DOOR, lambda s, p, w: events.door_events(s, p, w["org"].id)),
    "check-in lists": (DOOR, lambda s, p, w: lists.event_lists(s, p, w["org"].id, w["event"].id)),
    "check-in list counts": (DOOR, lambda s, p, w: lists.stats(s, p, w["org"].id, _lists(s, p, w)[0])),
    "create check-in list": (WRITE, lambda s, p, w: lists.create_list(s, p, w["org"].id, w["event"].id,
                                                                      lists.ListInput(name="VIP door"))),
    "edit check-in list": (WRITE, lambda s, p, w: lists.update_list(s, p, w["org"].id, _lists(s, p, w)[1],
                                                                    lists.ListInput(name="Back door"))),
    "delete check-in list": (WRITE, lambda s, p, w: lists.delete_list(s, p, w["org"].id, _lists(s, p, w)[1])),
    "check in": (DOOR, lambda s, p, w: scans.redeem(s, p, w["org"].id, _lists(s, p, w)[0], w["bought"].tickets[0].code,
                                                    client_scan_id=uuid.uuid4().hex, device="Door 2")),
    "undo check-in": (DOOR, lambda s, p, w: scans.undo(s, p, w["org"].id, _lists(s, p, w)[0],
                                                       w["bought"].tickets[1].id)),
    "find at the door": (DOOR, lambda s, p, w: scans.search(s, p, w["org"].id, _lists(s, p, w)[0], "Buyer")),
    "latest scans": (DOOR, lambda s, p, w: scans.recent(s, p, w["org"].id, _lists(s, p, w)[0])),
    "check-in conflicts": (DOOR, lambda s, p, w: scans.conflicts(s, p, w["org"].id, w["event"].id)),
}
# The actions that change the organization's data (refused while it is suspended, test_platform_tenants.py).
WRITING = {name for name, (allowed, _) in ACTIONS.items() if allowed is WRITE} | {"check in", "undo check-in"}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ["owner", "admin", "staff", "checkin", "outsider"])
def test_every_organizer_action_with_every_role(make, session, action, role):
    owner, org, event, tt, q, bought = _world(make, session)
    w = {"org": org, "event": event, "tt": tt, "q": q, "bought": bought}
    if role == "owner":
        who = Principal(owner.id)
    elif role == "outsider":
        _, elsewhere = make.org()
        who = member(session, elsewhere, "owner")
    else:
        who = member(session, org, role)
    allowed, run = ACTIONS[action]
    session.rollback()
    before = len(session.exec(select(AuditEntry).where(AuditEntry.organization_id == org.id)).all())
    if role in allowed:
        run(session, who, w)
        return
    with pytest.raises(NotFound if role == "outsider" else Forbidden):
        run(session, who, w)
    session.rollback()
    after = len(session.exec(select(AuditEntry).where(AuditEntry.organization_id == org.id)).all())
    assert after == before  # a refused action leaves no trace of a change
