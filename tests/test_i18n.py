"""Both languages complete; every message key the code uses exists; Babel formats in the event's zone."""
import re
from datetime import datetime, timezone
from pathlib import Path

from aqstream.i18n import catalogue, format_datetime, format_money, format_number, format_range

ROOT = Path(__file__).resolve().parent.parent / "aqstream"


def test_catalogues_have_the_same_keys_and_no_empty_text():
    en, ru = catalogue("en"), catalogue("ru")
    assert set(en) == set(ru)
    assert all(v.strip() for v in [*en.values(), *ru.values()])


def test_every_key_used_in_the_code_is_translated():
    from aqstream.services.notify import domain_events

    en = catalogue("en")
    used = set()
    for path in ROOT.rglob("*.py"):
        if "models" in path.parts or path.name == "notifications.py":
            continue  # foreign keys ("event.id") are not messages, nor the handlers' event names and audit actions
        text = re.sub(r'action=[^,\n]*', "", path.read_text(encoding="utf-8"))  # audit actions neither
        used |= set(re.findall(r'["\']((?:auth|field|org|event|registration|public|confirmation|error|nav|home|'
                               r'dashboard|attendee|api|question|order|ticket_type|ticket|account|'
                               r'verify)\.[a-z_.]+[a-z_])["\']', text))
    # tn() keys are stored per plural form (key.one, key.other, ...).
    used -= domain_events.names() | domain_events.UNHANDLED  # "order.cancelled" names a domain event, not a message
    missing = sorted(k for k in used if k not in en and f"{k}.other" not in en and not k.endswith("."))
    assert missing == []


def test_dates_are_shown_in_the_event_zone_and_language():
    start = datetime(2026, 12, 12, 16, 0, tzinfo=timezone.utc)
    end = datetime(2026, 12, 12, 18, 0, tzinfo=timezone.utc)
    assert format_range(start, end, "Europe/Moscow", "ru") == "сб, 12 дек. 2026\u202fг., 19:00 – 21:00 (Москва)"
    assert format_range(start, end, "Europe/Moscow", "en") == "Sat, Dec 12, 2026, 7:00\u202fPM – 9:00\u202fPM (Moscow Time)"
    assert format_datetime(start, "America/New_York", "en") == "Sat, Dec 12, 2026, 11:00\u202fAM"


def test_numbers_follow_the_language():
    assert format_number(12345, "en") == "12,345"
    assert format_number(12345, "ru") == "12\xa0345"


def test_money_is_formatted_exactly_from_minor_units():
    assert format_money(1000, "EUR", "en") == "€10"
    assert format_money(1050, "EUR", "en") == "€10.50"
    assert format_money(1050, "EUR", "ru") == "10,50\xa0€"
    assert format_money(123456789, "RUB", "ru") == "1\xa0234\xa0567,89\xa0₽"
    assert format_money(1, "EUR", "en") == "€0.01"
    assert format_money(500, "JPY", "en") == "¥500"  # no minor units in yen


def test_counts_take_the_languages_plural_forms():
    from aqstream.i18n import tn

    assert [tn("account.tickets_count", n, "en") for n in (1, 2, 5)] == ["1 ticket", "2 tickets", "5 tickets"]
    assert [tn("account.tickets_count", n, "ru") for n in (1, 2, 5, 21, 1500)] == [
        "1 билет", "2 билета", "5 билетов", "21 билет", "1\xa0500 билетов"]
