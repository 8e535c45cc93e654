"""An event's emails, set on their own: when the reminder goes, the organizer's words in the confirmation and
the reminder, and who is told of each new registration."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from aqstream.db import begin_write
from aqstream.models import Event
from aqstream.services.errors import Conflict
from aqstream.services.events import fields
from aqstream.services.events.events import DEFAULT_REMINDER_HOURS, get_event
from aqstream.services.lifecycle import EDITABLE_EVENT
from aqstream.services.notify import domain_events, reminders
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal
from aqstream.services.validation import Checker


@dataclass
class EmailSettingsInput:
    reminder_hours: int | str | None = DEFAULT_REMINDER_HOURS  # 0: no reminder
    confirmation_text: str = ""
    reminder_text: str = ""
    notify_email: str = ""  # "a@x.org, b@y.org"; "" for nobody


def update_email_settings(session: Session, principal: Principal, organization_id: int, event_id: int,
                          data: EmailSettingsInput) -> Event:
    """Change only the event's email settings (the event editor changes the rest). A new reminder time
    reschedules the reminders still ahead."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    if event.status not in EDITABLE_EVENT:
        raise Conflict("event.not_editable")
    checker = Checker()
    # Each checked by its declaration (services/events/fields.py), as the event form and the API check it.
    values = {name: fields.check_simple(checker, fields.get(name), getattr(data, name)) for name in fields.EMAIL_FIELDS}
    if values["reminder_hours"] is None:
        values["reminder_hours"] = DEFAULT_REMINDER_HOURS
    checker.raise_if_any()
    changed = sorted(k for k, v in values.items() if getattr(event, k) != v)
    if not changed:
        return event
    status = event.status
    begin_write(session)
    written = session.exec(update(Event).where(Event.id == event.id, Event.organization_id == organization_id,
                                               Event.status == status).values(**values))
    if written.rowcount != 1:  # cancelled or archived meanwhile
        session.rollback()
        raise Conflict("event.not_editable")
    session.refresh(event)
    if "reminder_hours" in changed:
        reminders.reschedule(session, event.id, event.starts_at, event.reminder_hours)
    # Its handler (services/notify/notifications.py) writes the audit entry; nobody is emailed for this.
    domain_events.record(session, "event.changed", {
        "event_id": event.id, "event_title": event.title, "event_locale": event.locale, "changed": changed,
        "moved": [], "recipients": [], "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
        "time_zone": event.time_zone, "venue": event.venue, "online_url": event.online_url,
    }, organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(event)
    return event
