"""What a shared link to an event shows before any script runs: OpenGraph and Twitter card fields and the
schema.org Event (JSON-LD) that search engines read."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from aqstream import config
from aqstream.i18n import format_range, minor_to_decimal, t
from aqstream.services.errors import NotFound
from aqstream.services.events import media
from aqstream.services.events.calendar import event_page_url, plain_description
from aqstream.services.events.events import get_public_event, places_left
from aqstream.services.lifecycle import EventStatus
from aqstream.services.sales import registration

SUMMARY_CHARS = 300


def plain_text(markdown: str, limit: int = SUMMARY_CHARS) -> str:
    """The description's words on one line (calendar.plain_description drops the markup), cut at a word."""
    text = " ".join(plain_description(markdown, limit=len(markdown or "") + 1).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


@dataclass
class EventShare:
    url: str
    title: str
    description: str
    image_url: str
    site_name: str
    locale: str
    json_ld: dict
    found: bool = True


def event_share(session: Session, org_slug: str, event_slug: str, lang: str) -> EventShare | None:
    """The share card and structured data of a public event, or None when there is no such public event."""
    try:
        org, event, types = get_public_event(session, org_slug, event_slug)
    except NotFound:
        return None
    base = config.public_base_url()
    url = event_page_url(org, event)
    lang = event.locale or lang
    when = format_range(event.starts_at, event.ends_at, event.time_zone, lang)
    place = event.venue or t("event.online", lang)
    summary = plain_text(event.description)
    description = f"{when} · {place}" + (f". {summary}" if summary else "")
    image = f"{base}{media.url(event.cover_path)}" if event.cover_path else ""
    return EventShare(url=url, title=event.title, description=description[:500], image_url=image,
                      site_name=org.name, locale="ru_RU" if lang == "ru" else "en_US",
                      json_ld=_json_ld(event, org, types, url, image, summary))


def _json_ld(event, org, types, url: str, image: str, summary: str) -> dict:
    online = bool(event.online_url) and not event.venue
    mode = ("https://schema.org/OnlineEventAttendanceMode" if online else
            "https://schema.org/MixedEventAttendanceMode" if event.online_url else
            "https://schema.org/OfflineEventAttendanceMode")
    status = {EventStatus.CANCELLED: "https://schema.org/EventCancelled"}.get(event.status, "https://schema.org/EventScheduled")
    location: list[dict] = []
    if event.venue:
        address = ", ".join(part for part in (event.venue, event.city) if part)
        location.append({"@type": "Place", "name": event.venue, "address": address})
    if event.online_url:
        location.append({"@type": "VirtualLocation", "url": event.online_url})
    offers = []
    for tt in types:
        left = places_left(event, tt)
        reason = registration.sales_state(tt)
        availability = ("https://schema.org/SoldOut" if left <= 0 else
                        "https://schema.org/PreOrder" if reason == "registration.sales_not_started" else
                        "https://schema.org/Discontinued" if reason else "https://schema.org/InStock")
        offer = {"@type": "Offer", "name": tt.name, "price": str(minor_to_decimal(tt.price_minor, tt.currency)),
                 "priceCurrency": tt.currency, "availability": availability, "url": url}
        if tt.sales_start_at:
            offer["validFrom"] = tt.sales_start_at.isoformat()
        offers.append(offer)
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": event.starts_at.isoformat(),
        "endDate": event.ends_at.isoformat(),
        "eventStatus": status,
        "eventAttendanceMode": mode,
        "url": url,
        "organizer": {"@type": "Organization", "name": org.name,
                      "url": f"{config.public_base_url()}/org/{org.slug}"},
    }
    if summary:
        data["description"] = summary
    if image:
        data["image"] = [image]
    if location:
        data["location"] = location[0] if len(location) == 1 else location
    if offers:
        data["offers"] = offers
    if event.locale:
        data["inLanguage"] = event.locale
    return data
