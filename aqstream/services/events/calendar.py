"""An event for the attendee's calendar: an iCalendar (.ics) file and a Google Calendar link."""
from __future__ import annotations

from datetime import timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from markdown_it import MarkdownIt

from aqstream import config
from aqstream.models import Event, Organization
from aqstream.services.lifecycle import EventStatus

DESCRIPTION_MAX = 1000
PRODID = "-//AqStream//Events//EN"
GOOGLE_RENDER = "https://calendar.google.com/calendar/render"

_markdown = MarkdownIt("commonmark")


def _zone(event: Event):
    try:
        return ZoneInfo(event.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def plain_description(markdown: str, limit: int = DESCRIPTION_MAX) -> str:
    """The event's Markdown description as plain text (calendars show no markup), cut at `limit`."""
    blocks: list[str] = []
    for token in _markdown.parse(markdown or ""):
        if token.type == "inline":
            words = []
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append("\n")
            blocks.append("".join(words).strip())
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.strip())
    text = "\n\n".join(block for block in blocks if block)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def event_page_url(org: Organization, event: Event) -> str:
    """The event's public page: what a calendar entry links to (never the order's secret link, since
    calendars get shared)."""
    return f"{config.public_base_url()}/e/{org.slug}/{event.slug}"


def ics_filename(event: Event) -> str:
    return f"{event.slug or 'event'}.ics"


def location(event: Event) -> str:
    return event.venue or event.online_url


def _details(event: Event, url: str, org_name: str = "") -> str:
    return "\n\n".join(part for part in (org_name, plain_description(event.description), url) if part)


def event_uid(event: Event, url: str) -> str:
    """The same for every download of one event, so a calendar updates its entry instead of adding another."""
    host = urlsplit(url).hostname or "aqstream"
    return f"event-{event.id}@{host}"


def event_ics(event: Event, org_name: str, url: str) -> bytes:
    """One VEVENT in the event's own time zone (with its VTIMEZONE), for "Add to calendar"."""
    zone = _zone(event)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    item = icalendar.Event()
    item.add("uid", event_uid(event, url))
    item.add("dtstamp", _aware(event.published_at or event.created_at).astimezone(timezone.utc))
    item.add("dtstart", _aware(event.starts_at).astimezone(zone))
    item.add("dtend", _aware(event.ends_at).astimezone(zone))
    item.add("summary", event.title)
    if where := location(event):
        item.add("location", where)
    item.add("url", url)
    item.add("description", _details(event, url, org_name))
    if event.status == EventStatus.CANCELLED:
        item.add("status", "CANCELLED")
    cal.add_component(item)
    # Only the zone's rules around the event: a smaller file, and right for events after 2038 too.
    starts = _aware(event.starts_at)
    cal.add_missing_timezones(first_date=(starts - timedelta(days=366)).date(),
                              last_date=(_aware(event.ends_at) + timedelta(days=366)).date())
    return cal.to_ical()


def google_calendar_url(event: Event, url: str, org_name: str = "") -> str:
    """A link that opens Google Calendar's "new event" form filled in with this event."""

    def utc(moment) -> str:
        return _aware(moment).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{utc(event.starts_at)}/{utc(event.ends_at)}",
        "details": _details(event, url, org_name),
        "location": location(event),
        "ctz": event.time_zone,
    }
    return f"{GOOGLE_RENDER}?{urlencode(params, quote_via=quote)}"
