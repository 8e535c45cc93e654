"""A check-in list as the organizer's form submits it: the name, the ticket types and questions ticked, the
window's two wall-clock times in the event's own zone (as the event form reads its times,
services/events/events.py), and the re-entry switch. Bad times and a missing name are answered together, next to
their fields, before anything is saved; the rest is checked by services/checkin/lists.py."""
from __future__ import annotations

from datetime import datetime

from aqstream.services.checkin.lists import NAME_MAX, ListInput
from aqstream.services.errors import ValidationError
from aqstream.services.events.events import exists_in_zone, to_utc

TYPE_PREFIX = "type."  # a ticked ticket type: "type.<id>"
QUESTION_PREFIX = "question."  # a ticked question: "question.<id>"
ID_MAX = 2**31 - 1


def _ids(form: dict, prefix: str) -> list[int]:
    out = []
    for key, value in form.items():
        if not str(key).startswith(prefix) or value in (None, "", False, "false", "off"):
            continue
        number = str(key)[len(prefix):]
        if number.isdigit() and 0 < int(number) <= ID_MAX:
            out.append(int(number))
    return sorted(set(out))


def _time(errors: dict[str, str], name: str, text, time_zone: str) -> datetime | None:
    text = str(text or "").strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text[:40])
    except ValueError:
        errors[name] = "field.datetime_invalid"
        return None
    if local.tzinfo is None and not exists_in_zone(local, time_zone):
        errors[name] = "field.time_skipped"
        return None
    return to_utc(local, time_zone)


def list_input(form: dict, time_zone: str) -> ListInput:
    """The form's values as a ListInput (times as aware UTC), or ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    name = " ".join(str(form.get("name") or "").split())
    if not name:
        errors["name"] = "checkin.list.name_required"
    elif len(name) > NAME_MAX:
        errors["name"] = "checkin.list.name_too_long"
    opens = _time(errors, "opens_at", form.get("opens_at"), time_zone)
    closes = _time(errors, "closes_at", form.get("closes_at"), time_zone)
    if opens and closes and closes <= opens and "closes_at" not in errors:
        errors["closes_at"] = "checkin.list.closes_before_opens"
    if errors:
        raise ValidationError(errors)
    reentry = form.get("allow_reentry") not in (None, "", False, "false", "off")
    return ListInput(name=name, ticket_type_ids=_ids(form, TYPE_PREFIX), opens_at=opens, closes_at=closes,
                     allow_reentry=reentry, question_ids=_ids(form, QUESTION_PREFIX))
