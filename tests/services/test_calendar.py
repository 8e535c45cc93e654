"""Add to calendar: the .ics file (read back with icalendar) and the Google Calendar link."""
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar

from aqstream.models import Event
from aqstream.services.events import calendar

URL = "https://tickets.example.org/e/devs/rust-night"


def event(**kw) -> Event:
    fields = dict(
        id=42, organization_id=1, slug="rust-night", title="Rust night: ownership & borrowing",
        description="# Agenda\n\nTalks about **ownership**, then [pizza](https://pizza.example).\n\n- one\n- two",
        venue="Moscow, Pokrovka 3", starts_at=datetime(2031, 5, 20, 16, 0, tzinfo=timezone.utc),
        ends_at=datetime(2031, 5, 20, 19, 30, tzinfo=timezone.utc), time_zone="Europe/Moscow", status="published",
        created_at=datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    return Event(**{**fields, **kw})


def parsed(ev: Event):
    cal = icalendar.Calendar.from_ical(calendar.event_ics(ev, "Moscow Devs", URL))
    (vevent,) = cal.walk("VEVENT")
    return cal, vevent


def test_ics_holds_the_event_in_its_own_zone():
    cal, vevent = parsed(event())
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    # 16:00 UTC is 19:00 in Moscow; the file says so, in the Moscow zone, with its VTIMEZONE.
    assert start.replace(tzinfo=None) == datetime(2031, 5, 20, 19, 0)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert start == datetime(2031, 5, 20, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2031, 5, 20, 22, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Moscow"]
    assert str(vevent["SUMMARY"]) == "Rust night: ownership & borrowing"
    assert str(vevent["LOCATION"]) == "Moscow, Pokrovka 3"
    assert str(vevent["URL"]) == URL
    description = str(vevent["DESCRIPTION"])
    assert description.startswith("Moscow Devs\n\nAgenda\n\nTalks about ownership, then pizza.")
    assert "**" not in description and "#" not in description and description.endswith(URL)


def test_uid_is_stable_and_online_events_give_their_link():
    _, first = parsed(event())
    _, again = parsed(event(title="Renamed", venue="", online_url="https://meet.example/rust"))
    assert str(first["UID"]) == str(again["UID"]) == "event-42@tickets.example.org"
    assert str(again["LOCATION"]) == "https://meet.example/rust"
    _, other = parsed(event(id=43))
    assert str(other["UID"]) != str(first["UID"])


def test_long_descriptions_are_cut():
    _, vevent = parsed(event(description="word " * 2000))
    text = str(vevent["DESCRIPTION"])
    assert len(text) < calendar.DESCRIPTION_MAX + len(URL) + 20 and "…" in text


def test_utc_event_without_a_known_zone_falls_back_to_utc():
    _, vevent = parsed(event(time_zone="Not/AZone"))
    assert vevent.decoded("DTSTART") == datetime(2031, 5, 20, 16, 0, tzinfo=timezone.utc)


def test_google_calendar_link():
    link = calendar.google_calendar_url(event(), URL, "Moscow Devs")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "calendar.google.com", "/calendar/render")
    assert " " not in link and "&ownership" not in link  # the title's "&" is encoded, not a new parameter
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Rust night: ownership & borrowing"]
    assert query["dates"] == ["20310520T160000Z/20310520T193000Z"]
    assert query["location"] == ["Moscow, Pokrovka 3"]
    assert query["ctz"] == ["Europe/Moscow"]
    assert query["details"][0].endswith(URL) and "**" not in query["details"][0]
