"""An event's own fields, each declared once: its kind, limits, default, whether it is required, its label and
hint in the catalogue, and how the API documents it.

The declaration drives the events service's checks (`check_simple`: lengths, ranges, choices, with the
messages the service always gave), the REST API's request and response bodies (`aqstream/api/schemas.py`
builds them from `FIELDS`), the reading of a submitted page form (`form_values`, which
`events.input_from_form` uses) and what a page needs to draw a field (`form_attrs`). The rules that tie
several fields together (a venue or an online link; the end after the start) stay in the service.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

# Kinds of field: how a value is checked, typed in the API and read from a form.
TEXT = "text"  # one line of text
LONG_TEXT = "long_text"  # several lines
URL = "url"  # an http(s) address
DATETIME = "datetime"  # wall-clock time in the event's zone ("2031-06-01T18:00")
TIME_ZONE = "time_zone"  # an IANA name
INT = "int"
BOOL = "bool"
CHOICE = "choice"  # one of `choices`
TAGS = "tags"  # "jazz, music" in a form, a list in the API
EMAILS = "emails"  # up to `max_items` addresses, "a@x.org, b@y.org"

MAX_CAPACITY = 1_000_000


@dataclass(frozen=True)
class EventField:
    name: str  # the name in forms, errors and the API's JSON
    kind: str
    label_key: str
    hint_key: str | None = None
    required: bool = False
    default: Any = ""  # when the API request leaves it out
    max_len: int | None = None  # characters, after trimming (for TAGS and EMAILS: of the stored text)
    min_len: int = 1
    low: int | None = None  # INT range
    high: int | None = None
    choices: tuple[str, ...] = ()  # CHOICE values
    max_items: int | None = None  # TAGS and EMAILS
    item_max_len: int | None = None  # TAGS: characters in one tag
    input_name: str = ""  # the EventInput attribute when it differs from name (starts_at -> starts_local)
    form_default: str | None = None  # a form that leaves it out means this (checkboxes: unchecked, "")
    public: bool = False  # also shown of a public event (the API's EventFields)
    description: str = ""  # for the API document
    example: str | None = None

    @property
    def attr(self) -> str:
        return self.input_name or self.name


FIELDS: tuple[EventField, ...] = (
    EventField("title", TEXT, "event.title", required=True, max_len=200, min_len=3, public=True),
    EventField("description", LONG_TEXT, "event.description", "event.description_hint", max_len=20000,
               public=True),
    EventField("venue", TEXT, "event.venue", max_len=300, public=True),
    EventField("online_url", URL, "event.online_url", "event.online_url_hint", max_len=500, public=True),
    EventField("starts_at", DATETIME, "event.starts_at", required=True, input_name="starts_local", public=True,
               description="Wall-clock time in time_zone, or an ISO time with an offset"),
    EventField("ends_at", DATETIME, "event.ends_at", required=True, input_name="ends_local", public=True),
    EventField("time_zone", TIME_ZONE, "event.time_zone", required=True, max_len=64, public=True,
               example="Europe/Moscow"),
    EventField("capacity", INT, "event.capacity", "event.capacity_hint", default=None, low=1, high=MAX_CAPACITY),
    EventField("registration_opens_at", DATETIME, "event.registration_opens", default=None,
               input_name="registration_opens_local"),
    EventField("registration_closes_at", DATETIME, "event.registration_closes", default=None,
               input_name="registration_closes_local"),
    EventField("one_registration_per_email", BOOL, "event.one_per_email", default=False),
    EventField("locale", CHOICE, "event.locale", choices=("", "en", "ru")),
    EventField("city", TEXT, "event.city", "event.city_hint", max_len=120, public=True),
    EventField("tags", TAGS, "event.tags", "event.tags_hint", default=(), max_len=300, max_items=10,
               item_max_len=30, public=True, description='Topic tags, e.g. ["jazz", "music"]'),
    EventField("listed", BOOL, "event.listed", default=True,
               description="False keeps the event out of the public catalog"),
    EventField("attendees_can_edit_names", BOOL, "event.attendees_can_edit_names", default=True),
    EventField("reminder_hours", INT, "event.reminder_hours", default=24, low=0, high=168, form_default="24",
               description="Reminder email this many hours before; 0: none"),
    EventField("confirmation_text", LONG_TEXT, "event.confirmation_text", "event.confirmation_text_hint",
               max_len=2000, description="Added to the confirmation email"),
    EventField("reminder_text", LONG_TEXT, "event.reminder_text", "event.reminder_text_hint", max_len=2000,
               description="Added to the reminder email"),
    EventField("notify_email", EMAILS, "event.notify_email", "event.notify_email_hint", max_len=1300, max_items=5,
               description="Told of each new registration: up to 5 addresses separated by commas; empty: nobody"),
    # Payments (services/payments): the currency of the event's prices, the methods it offers, how long a
    # pending order holds its places, and until when and how much an attendee's cancellation gives back.
    EventField("currency", TEXT, "event.currency", "event.currency_hint", max_len=3,
               description='ISO 4217 code of the ticket prices, e.g. "EUR"; empty: the organization\'s currency',
               example="EUR"),
    EventField("pay_stripe", BOOL, "event.pay_stripe", default=False,
               description="Offer card payment through the organization's Stripe account"),
    EventField("pay_yookassa", BOOL, "event.pay_yookassa", default=False,
               description="Offer payment through the organization's YooKassa shop"),
    EventField("pay_bank", BOOL, "event.pay_bank", default=False,
               description="Offer bank transfer with the organization's instructions"),
    EventField("hold_minutes", INT, "event.hold_minutes", "event.hold_minutes_hint", default=15, low=5, high=1440,
               form_default="15", description="A card payment's pending order holds its places this long"),
    EventField("bank_transfer_days", INT, "event.bank_transfer_days", "event.bank_transfer_days_hint", default=3,
               low=1, high=30, form_default="3", description="A bank transfer's pending order holds its places this long"),
    EventField("refund_until", DATETIME, "event.refund_until", "event.refund_until_hint", default=None,
               input_name="refund_until_local",
               description="Attendees may cancel with a refund until then (wall-clock time in time_zone); null: never"),
    EventField("refund_percent", INT, "event.refund_percent", "event.refund_percent_hint", default=100, low=0,
               high=100, form_default="100", description="How much of the price an attendee's cancellation gives back"),
)

BY_NAME: dict[str, EventField] = {f.name: f for f in FIELDS}
# The event's email settings: the Emails tab saves these on their own, the editor keeps them.
EMAIL_FIELDS = ("reminder_hours", "confirmation_text", "reminder_text", "notify_email")
# The event's payment settings: the Payments card of the event's forms.
PAYMENT_FIELDS = ("currency", "pay_stripe", "pay_yookassa", "pay_bank", "hold_minutes", "bank_transfer_days",
                  "refund_until", "refund_percent")


def get(name: str) -> EventField:
    return BY_NAME[name]


# --- the service's checks -------------------------------------------------------------------------------------

def check_simple(checker, f: EventField, value):
    """Check one field whose rule is its own (not DATETIME or TIME_ZONE, which need the zone), recording the
    message key in the checker; returns the cleaned value."""
    if f.kind in (TEXT, LONG_TEXT):
        return checker.text(f.name, value, max_len=f.max_len, required=f.required, min_len=f.min_len)
    if f.kind == URL:
        return checker.url(f.name, value, required=f.required, max_len=f.max_len)
    if f.kind == INT:
        return checker.int_range(f.name, value, low=f.low, high=f.high, required=f.required)
    if f.kind == BOOL:
        return bool(value)
    if f.kind == CHOICE:
        cleaned = (value or "").strip().lower()
        if cleaned not in f.choices:
            checker.fail(f.name, f"event.{f.name}_invalid")
        return cleaned
    if f.kind == TAGS:
        return _check_tags(checker, f, value)
    if f.kind == EMAILS:
        if len((value or "").strip()) > f.max_len:  # what the API refuses, and the column could not hold
            checker.fail(f.name, "field.too_long")
            return value or ""
        return checker.email_list(f.name, value, max_count=f.max_items)
    raise ValueError(f"{f.name}: {f.kind} is checked with the event's zone")


def normalize_tags(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Topic tags as the catalog and recommendations compare them: lower-case, trimmed, each once, in order."""
    parts = value if isinstance(value, (list, tuple)) else (value or "").replace(";", ",").split(",")
    out: list[str] = []
    for part in parts:
        tag = " ".join(str(part).split()).lower().lstrip("#")
        if tag and tag not in out:
            out.append(tag)
    return out


def _check_tags(checker, f: EventField, value) -> str:
    tags = normalize_tags(value)
    stored = ", ".join(tags)
    if len(tags) > f.max_items:
        checker.fail(f.name, "event.tags_too_many")
    elif any(len(tag) > f.item_max_len for tag in tags):
        checker.fail(f.name, "event.tag_too_long")
    elif len(stored) > f.max_len:  # what the column holds: 10 tags of 30 characters do not fit in 300
        checker.fail(f.name, "event.tags_too_long")
    return stored


# --- forms ----------------------------------------------------------------------------------------------------

def input_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The EventInput keyword arguments of submitted values keyed by field name (a page form or an API body):
    every declared field, named as EventInput names it."""
    return {f.attr: values[f.name] for f in FIELDS if f.name in values}


def local_text(value: datetime | None, tz_name: str) -> str:
    """A stored UTC time as a datetime-local input shows it, in the event's zone ("" for none)."""
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M") if value else ""


def form_strings(event) -> dict[str, str]:
    """An event's declared fields as an edit form shows them: times in the event's zone, numbers as text
    ("" for none), checkboxes "true" or "", tags and addresses as stored."""
    tz = event.time_zone
    out: dict[str, str] = {}
    for f in FIELDS:
        value = getattr(event, f.name)
        if f.kind == DATETIME:
            out[f.name] = local_text(value, tz)
        elif f.kind == BOOL:
            out[f.name] = "true" if value else ""
        else:
            out[f.name] = "" if value is None else str(value)
    return out


def form_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted page form as values keyed by field name: a checkbox left unchecked is False, an empty
    optional number or time is None, anything missing is what the form means by leaving it out."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        raw = form.get(f.name)
        if f.kind == BOOL:
            out[f.name] = bool(raw)
        elif f.kind in (INT, DATETIME) and not f.required and f.form_default is None:
            out[f.name] = raw or None
        else:
            out[f.name] = raw if raw is not None else (f.form_default if f.form_default is not None else "")
    return out


# --- what a page needs to draw a field --------------------------------------------------------------------------

_INPUT_TYPES = {TEXT: "text", LONG_TEXT: "textarea", URL: "url", DATETIME: "datetime-local", TIME_ZONE: "select",
                INT: "number", BOOL: "checkbox", CHOICE: "select", TAGS: "text", EMAILS: "email"}


def form_attrs(name: str) -> dict[str, Any]:
    """For one field: its label and hint keys, the input type, and the browser-side limits (max length for
    text; min and max for numbers). The server checks the same limits whatever the browser sends."""
    f = BY_NAME[name]
    attrs: dict[str, Any] = {"name": f.name, "label_key": f.label_key, "hint_key": f.hint_key,
                             "input_type": _INPUT_TYPES[f.kind], "required": f.required}
    if f.max_len is not None and f.kind != TIME_ZONE:
        attrs["max_length"] = f.max_len
    if f.kind == INT:
        attrs["min"], attrs["max"] = f.low, f.high
    if f.kind == CHOICE:
        attrs["choices"] = f.choices
    return attrs
