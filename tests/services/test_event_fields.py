"""Event fields declared once (services/events/fields.py): the API's request and response bodies, the events
service's checks, the page forms and the Event's columns all follow the declaration, and agree for every
declared field."""
from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import ValidationError as PydanticError
from pydantic import create_model

from aqstream.api import events as api_events
from aqstream.api import schemas
from aqstream.i18n import catalogue
from aqstream.models import Event
from aqstream.services.errors import ValidationError
from aqstream.services.events import event_lifecycle, events, fields
from aqstream.services.org.permissions import Principal
from aqstream.services.validation import Checker

BASE = dict(title="Declared night", starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
            time_zone="Europe/Berlin", venue="Hall")
API_BASE = dict(title="Declared night", starts_at="2031-06-01T18:00", ends_at="2031-06-01T21:00",
                time_zone="Europe/Berlin", venue="Hall")


def service_errors(**changes) -> dict[str, str]:
    """The events service's own check of the event's fields (no database)."""
    checker = Checker()
    events._check_event(checker, events.EventInput(**{**BASE, **changes}), "UTC")
    return checker.errors


def api_errors(model, **changes) -> set[str]:
    """The fields a request body model refuses."""
    try:
        model.model_validate({**API_BASE, **changes})
    except PydanticError as exc:
        return {str(e["loc"][0]) for e in exc.errors()}
    return set()


def over(f: fields.EventField) -> str:
    """A value one character longer than the declaration allows, valid otherwise."""
    if f.kind == fields.URL:
        return "https://example.com/" + "a" * (f.max_len - 19)
    if f.kind == fields.EMAILS:  # two good addresses, spaced out
        return "a@example.com," + " " * (f.max_len - 26) + "b@example.com"
    return "x" * (f.max_len + 1)


def at_most(f: fields.EventField) -> str:
    if f.kind == fields.URL:
        return "https://example.com/" + "a" * (f.max_len - 20)
    if f.kind == fields.EMAILS:
        return "a@example.com," + " " * (f.max_len - 27) + "b@example.com"
    return "x" * f.max_len


REQUESTS = [schemas.EventIn, api_events.EventUpdateIn]
LENGTHS = [f for f in fields.FIELDS if f.max_len is not None and f.kind not in (fields.TIME_ZONE, fields.TAGS)]
RANGES = [f for f in fields.FIELDS if f.kind == fields.INT]


def test_every_declared_field_is_in_both_request_bodies_with_its_limits():
    for model in REQUESTS:
        doc = model.model_json_schema()
        props = doc["properties"]
        for f in fields.FIELDS:
            prop = props[f.name]
            allowed = prop.get("anyOf", [prop])
            if f.max_len is not None and f.kind != fields.TAGS:
                assert [a.get("maxLength") for a in allowed if a.get("type") == "string"] == [f.max_len], f.name
            if f.kind == fields.INT:
                number = next(a for a in allowed if a.get("type") == "integer")
                assert (number["minimum"], number["maximum"]) == (f.low, f.high), f.name
            if f.kind == fields.TAGS:
                assert prop["maxItems"] == f.max_items
            if f.kind == fields.CHOICE:
                assert tuple(prop["enum"]) == f.choices
        assert set(doc["required"]) - {"ticket_types"} == {f.name for f in fields.FIELDS if f.required}


@pytest.mark.parametrize("f", LENGTHS, ids=lambda f: f.name)
def test_the_api_and_the_service_agree_on_each_length(f):
    for model in REQUESTS:
        assert f.name not in api_errors(model, **{f.name: at_most(f)})
        assert f.name in api_errors(model, **{f.name: over(f)})
    assert f.name not in service_errors(**{f.attr: at_most(f)})
    assert service_errors(**{f.attr: over(f)})[f.name] in ("field.too_long", "field.url_invalid")


@pytest.mark.parametrize("f", RANGES, ids=lambda f: f.name)
def test_the_api_and_the_service_agree_on_each_range(f):
    for value, ok in ((f.low, True), (f.high, True), (f.low - 1, False), (f.high + 1, False)):
        for model in REQUESTS:
            assert (f.name not in api_errors(model, **{f.name: value})) == ok, (f.name, value)
        assert (f.name not in service_errors(**{f.attr: value})) == ok, (f.name, value)


def test_the_api_and_the_service_agree_on_choices_tags_and_required_fields():
    locale = fields.get("locale")
    for value in locale.choices:
        assert "locale" not in api_errors(schemas.EventIn, locale=value) and "locale" not in service_errors(locale=value)
    assert "locale" in api_errors(schemas.EventIn, locale="de") and "locale" in service_errors(locale="de")
    tags = fields.get("tags")
    many = [f"t{i}" for i in range(tags.max_items)]
    assert "tags" not in api_errors(schemas.EventIn, tags=many) and "tags" not in service_errors(tags=many)
    assert "tags" in api_errors(schemas.EventIn, tags=[*many, "one more"])
    assert service_errors(tags=[*many, "one more"])["tags"] == "event.tags_too_many"
    for f in fields.FIELDS:
        if f.required:
            assert f.name in api_errors(schemas.EventIn, **{f.name: None})
            if f.kind != fields.TIME_ZONE:  # the service falls back to the organization's zone
                assert f.name in service_errors(**{f.attr: ""})


def test_a_changed_declaration_changes_the_api_schema_and_the_service_check(monkeypatch):
    shorter = dataclasses.replace(fields.get("venue"), max_len=50)
    monkeypatch.setattr(fields, "FIELDS", tuple(shorter if f.name == "venue" else f for f in fields.FIELDS))
    model = create_model("ShorterVenueIn", __base__=schemas.Input, **schemas.event_request_fields())
    assert model.model_json_schema()["properties"]["venue"]["maxLength"] == 50
    assert "venue" in api_errors(model, venue="v" * 51) and "venue" not in api_errors(model, venue="v" * 50)
    assert service_errors(venue="v" * 51)["venue"] == "field.too_long"
    assert "venue" not in service_errors(venue="v" * 50)


def test_the_response_holds_every_declared_field():
    organizer = schemas.EventOut.model_json_schema()["properties"]
    public = schemas.PublicEventOut.model_json_schema()["properties"]
    for f in fields.FIELDS:
        assert f.name in organizer
        assert (f.name in public) == f.public


def test_every_declared_field_is_a_column_that_holds_what_the_declaration_allows():
    columns = Event.__table__.columns
    for f in fields.FIELDS:
        assert f.name in columns, f.name
        length = getattr(columns[f.name].type, "length", None)
        if f.max_len is not None:
            assert length is not None and f.max_len <= length, f.name


def test_every_field_has_its_label_and_hint_in_both_languages():
    for lang in ("en", "ru"):
        words = catalogue(lang)
        for f in fields.FIELDS:
            attrs = fields.form_attrs(f.name)
            assert attrs["label_key"] in words, (lang, f.name)
            assert attrs["hint_key"] is None or attrs["hint_key"] in words, (lang, f.name)


def test_form_attrs_give_a_page_the_browser_side_limits():
    assert fields.form_attrs("title") == {"name": "title", "label_key": "event.title", "hint_key": None,
                                          "input_type": "text", "required": True, "max_length": 200}
    capacity = fields.form_attrs("capacity")
    assert (capacity["input_type"], capacity["min"], capacity["max"]) == ("number", 1, 1_000_000)
    assert fields.form_attrs("starts_at")["input_type"] == "datetime-local"
    assert fields.form_attrs("locale")["choices"] == ("", "en", "ru")
    assert "max_length" not in fields.form_attrs("time_zone")


def test_a_submitted_form_becomes_the_service_input():
    form = {"title": "Night", "description": "Words", "venue": "Hall", "online_url": "", "starts_at": "2031-06-01T18:00",
            "ends_at": "2031-06-01T21:00", "time_zone": "Europe/Berlin", "capacity": "", "city": "Berlin",
            "tags": "jazz, music", "listed": "on", "registration_opens_at": "", "registration_closes_at": "2031-05-31T12:00",
            "confirmation_text": "Bring a friend", "reminder_text": "", "notify_email": "a@example.com",
            "unrelated": "ignored"}
    data = events.input_from_form(form, ticket_types=[events.TicketTypeInput("GA", "5")])
    assert data == events.EventInput(
        title="Night", description="Words", venue="Hall", online_url="", starts_local="2031-06-01T18:00",
        ends_local="2031-06-01T21:00", time_zone="Europe/Berlin", capacity=None, registration_opens_local=None,
        registration_closes_local="2031-05-31T12:00", one_registration_per_email=False, locale="", city="Berlin",
        tags="jazz, music", listed=True, attendees_can_edit_names=False, reminder_hours="24",
        confirmation_text="Bring a friend", reminder_text="", notify_email="a@example.com", currency="",
        pay_stripe=False, pay_yookassa=False, pay_bank=False, hold_minutes="15", bank_transfer_days="3",
        refund_until_local=None, refund_percent="100", ticket_types=[events.TicketTypeInput("GA", "5")])
    # An empty form: what each field means by being left out (a missing checkbox is unchecked).
    empty = events.input_from_form({})
    assert (empty.title, empty.capacity, empty.listed, empty.reminder_hours, empty.tags) == ("", None, False, "24", "")


def test_an_edit_form_shows_the_saved_event_and_sends_back_the_same(make, session):
    owner, org = make.org()
    data = events.EventInput(**{**BASE, "capacity": 40, "tags": ["jazz", "music"], "listed": False,
                                "registration_opens_local": "2031-05-01T10:00", "reminder_hours": 3,
                                "ticket_types": [events.TicketTypeInput("GA", 5)]})
    event = events.create_event(session, Principal(owner.id), org.id, data)
    shown = fields.form_strings(event)
    assert shown["starts_at"] == "2031-06-01T18:00" and shown["registration_opens_at"] == "2031-05-01T10:00"
    assert (shown["capacity"], shown["reminder_hours"], shown["listed"], shown["tags"]) == ("40", "3", "", "jazz, music")
    assert shown["registration_closes_at"] == "" and shown["time_zone"] == "Europe/Berlin"
    again = event_lifecycle.update_event(session, Principal(owner.id), org.id, event.id,
                                         events.input_from_form(shown))
    assert json.dumps(fields.form_strings(again), sort_keys=True) == json.dumps(shown, sort_keys=True)


def test_ten_long_tags_are_refused_with_a_message_not_a_database_error(make, session):
    """10 tags of 30 characters are 318 characters stored, more than the column's 300: PostgreSQL refused
    the write (a 500 from the page), SQLite kept it."""
    owner, org = make.org()
    tags = [f"{i}" * 30 for i in range(10)]
    data = events.EventInput(**{**BASE, "tags": tags, "ticket_types": [events.TicketTypeInput("GA", 5)]})
    with pytest.raises(ValidationError) as err:
        events.create_event(session, Principal(owner.id), org.id, data)
    assert err.value.errors == {"tags": "event.tags_too_long"}
    assert catalogue("ru")["event.tags_too_long"] and catalogue("en")["event.tags_too_long"]
    nine = events.EventInput(**{**BASE, "tags": tags[:9], "ticket_types": [events.TicketTypeInput("GA", 5)]})
    assert events.create_event(session, Principal(owner.id), org.id, nine).tags == ", ".join(tags[:9])


def test_an_alias_time_zone_is_still_accepted(make, session):
    owner, org = make.org()
    data = events.EventInput(**{**BASE, "time_zone": "US/Eastern", "ticket_types": [events.TicketTypeInput("GA", 5)]})
    assert events.create_event(session, Principal(owner.id), org.id, data).time_zone == "US/Eastern"
