"""The services behind the organizer's event workspace: editing a registration question (its answers keep
their meaning), the event's email settings saved on their own, the overview's numbers, and the organization
an organizer lands on after signing in. Both databases."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from aqstream.models import AuditEntry, Event, Question
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.events import event_emails, event_lifecycle, events, overview, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique
from tests.services.test_event_lifecycle import member


def ask(session, owner, org, event, label="T-shirt", kind="single_choice", **kw):
    if kind in questions.CHOICE_KINDS:
        kw.setdefault("options", ["S", "M", "L"])
    return questions.add_question(session, Principal(owner.id), org.id, event.id,
                                  questions.QuestionInput(label=label, kind=kind, **kw))


def edit(session, who, org, event, q, **changes):
    data = dict(label=q.label, kind=q.kind, required=q.required, scope=q.scope, options=list(q.options),
                help_text=q.help_text)
    data.update(changes)
    who = who if isinstance(who, Principal) else Principal(who.id)
    return questions.update_question(session, who, org.id, event.id, q.id,
                                     questions.QuestionInput(**data))


def reg(session, org, event, tt, answers=None):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email=f"{unique('b')}@example.com", tickets=[TR(tt.id)], answers=answers)


def test_a_question_without_answers_can_change_everything(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    q = ask(session, owner, org, event)
    changed = edit(session, owner, org, event, q, label="  Dietary needs ", kind="long_text", scope="attendee",
                   required=True)
    assert (changed.label, changed.kind, changed.scope, changed.required, changed.options) == (
        "Dietary needs", "long_text", "attendee", True, [])
    stored = session.get(Question, q.id)
    assert stored.label == "Dietary needs" and stored.kind == "long_text"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "question.update",
                                                  AuditEntry.object_id == q.id)).one()
    assert entry.data["changed"] == ["kind", "label", "options", "required", "scope"]


def test_an_answered_question_keeps_its_kind_scope_and_the_choices_people_picked(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    q = ask(session, owner, org, event)
    reg(session, org, event, tt, answers={str(q.id): "M"})
    for change, field, key in [({"kind": "short_text"}, "kind", "question.kind_locked"),
                               ({"scope": "attendee"}, "scope", "question.scope_locked")]:
        with pytest.raises(ValidationError) as err:
            edit(session, owner, org, event, q, **change)
        assert err.value.errors == {field: key}
    with pytest.raises(ValidationError) as err:
        edit(session, owner, org, event, q, options=["S", "Medium", "L"])
    assert err.value.errors == {"options": "question.option_in_use"} and err.value.params == {"option": "M"}
    assert session.get(Question, q.id).options == ["S", "M", "L"]
    # A new label, a new choice, an unpicked choice dropped, "required": all fine.
    changed = edit(session, owner, org, event, q, label="Size", options=["M", "L", "XL"], required=True)
    assert (changed.label, changed.options, changed.required) == ("Size", ["M", "L", "XL"], True)


def test_editing_a_question_is_checked_like_adding_one(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    q = ask(session, owner, org, event)
    with pytest.raises(ValidationError) as err:
        edit(session, owner, org, event, q, label=" ", options=["Only one"])
    assert err.value.errors == {"label": "field.required", "options": "question.options_required"}
    with pytest.raises(ValidationError):
        edit(session, owner, org, event, q, kind="dropdown")
    unchanged = edit(session, owner, org, event, q)
    assert unchanged.label == "T-shirt"
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "question.update",
                                                 AuditEntry.object_id == q.id)).all() == []


def test_a_question_of_another_event_or_organization_or_removed_is_not_found(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    other_event, _ = make.event(owner, org)
    q = ask(session, owner, org, event)
    with pytest.raises(NotFound):
        edit(session, owner, org, other_event, q, label="Moved")
    stranger, their_org = make.org()
    with pytest.raises(NotFound):
        questions.update_question(session, Principal(stranger.id), their_org.id, event.id, q.id,
                                  questions.QuestionInput(label="Mine", kind="short_text"))
    questions.remove_question(session, Principal(owner.id), org.id, event.id, q.id)
    with pytest.raises(NotFound):
        edit(session, owner, org, event, q, label="Back")


def test_check_in_staff_cannot_edit_questions_or_emails(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    q = ask(session, owner, org, event)
    door = member(session, org, "checkin")
    with pytest.raises(Forbidden):
        edit(session, door, org, event, q, label="Nope")
    with pytest.raises(Forbidden):
        event_emails.update_email_settings(session, door, org.id, event.id,
                                           event_emails.EmailSettingsInput(reminder_hours=3))
    with pytest.raises(Forbidden):  # check-in staff see the check-in lists, not the event's numbers
        overview.event_numbers(session, door, org.id, event.id)


def test_email_settings_are_saved_on_their_own(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    me = Principal(owner.id)
    with pytest.raises(ValidationError) as err:
        event_emails.update_email_settings(session, me, org.id, event.id, event_emails.EmailSettingsInput(
            reminder_hours="200", notify_email="desk@"))
    assert set(err.value.errors) == {"reminder_hours", "notify_email"}
    saved = event_emails.update_email_settings(session, me, org.id, event.id, event_emails.EmailSettingsInput(
        reminder_hours="3", confirmation_text=" Enter from the courtyard. ", reminder_text="Doors at 18:30",
        notify_email="Desk@Example.com"))
    assert (saved.reminder_hours, saved.confirmation_text, saved.reminder_text, saved.notify_email) == (
        3, "Enter from the courtyard.", "Doors at 18:30", "desk@example.com")
    assert saved.title == event.title
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "event.update",
                                                  AuditEntry.object_id == event.id)).one()
    assert entry.data["changed"] == ["confirmation_text", "notify_email", "reminder_hours", "reminder_text"]
    # The editor without email fields leaves them as they are.
    stored = session.get(Event, event.id)
    tz = stored.time_zone
    local = "%Y-%m-%dT%H:%M"
    event_lifecycle.update_event(session, me, org.id, event.id, events.EventInput(
        title="Renamed evening", starts_local=stored.starts_at.astimezone(ZoneInfo(tz)).strftime(local),
        ends_local=stored.ends_at.astimezone(ZoneInfo(tz)).strftime(local), time_zone=tz, venue="Main hall"),
        keep_emails=True)
    after = session.get(Event, event.id)
    assert after.title == "Renamed evening" and after.reminder_hours == 3 and after.notify_email == "desk@example.com"
    event_lifecycle.cancel_event(session, me, org.id, event.id, "Sorry")
    with pytest.raises(Conflict):
        event_emails.update_email_settings(session, me, org.id, event.id, event_emails.EmailSettingsInput())


def test_overview_numbers_per_type_today_and_cancellations(make, session):
    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(10, 5), capacity=12)
    first = reg(session, org, event, a)
    reg(session, org, event, a)
    reg(session, org, event, b)
    orders.cancel_order(session, Principal(owner.id), org.id, first.order.id)
    got = overview.event_numbers(session, Principal(owner.id), org.id, event.id)
    assert [(t.name, t.sold, t.quantity) for t in got.ticket_types] == [("Type 0", 1, 10), ("Type 1", 1, 5)]
    assert (got.registered, got.capacity, got.registered_today, got.cancelled_today, got.cancelled) == (
        2, 12, 2, 1, 1)
    stranger, their_org = make.org()
    with pytest.raises(NotFound):
        overview.event_numbers(session, Principal(stranger.id), their_org.id, event.id)


def test_sign_in_lands_on_the_organization_used_last(make, session):
    owner, first = make.org()
    _, second = make.org(owner)
    me = Principal(owner.id)
    assert organizations.landing_path(session, me, "/") == "/"
    organizations.remember_last(session, me, second.id)
    assert organizations.landing_path(session, me, "/") == f"/o/{second.slug}"
    assert organizations.landing_path(session, me, "/account/tickets") == "/account/tickets"  # asked for a page
    organizations.remember_last(session, me, first.id)
    assert organizations.landing_path(session, me, "/") == f"/o/{first.slug}"
    # Remembered for someone no longer (or never) a member: the usual home page.
    outsider = make.user()
    organizations.remember_last(session, Principal(outsider.id), first.id)
    assert organizations.landing_path(session, Principal(outsider.id), "/") == "/"


def test_today_is_the_organizations_day(make, session, monkeypatch):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    reg(session, org, event, tt)
    from aqstream.services import clock

    later = clock.utcnow() + timedelta(days=2)
    monkeypatch.setattr(overview, "utcnow", lambda: later)
    got = overview.event_numbers(session, Principal(owner.id), org.id, event.id)
    assert (got.registered, got.registered_today) == (1, 0)
