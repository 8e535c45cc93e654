"""A shared event link previews well: share card fields and schema.org Event data, served in the page's HTML
head before any script runs."""
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import update

from aqstream.api import share
from aqstream.api.app import create_api
from aqstream.models import Organization, TicketType
from aqstream.services.events import event_lifecycle, events, sharing
from aqstream.services.org.permissions import Principal
from tests.served_html import (
    HOSTILE_CITY,
    HOSTILE_DESCRIPTION,
    HOSTILE_ORG,
    HOSTILE_TICKET,
    HOSTILE_TITLE,
    HOSTILE_VENUE,
    Document,
)

SPA = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>AqStream</title></head><body><div id='root'></div></body></html>"


def paid_event(make, session):
    owner, org = make.org()
    data = events.EventInput(
        title="Jazz </script> night", starts_local="2031-06-01T19:00", ends_local="2031-06-01T22:00",
        time_zone="Europe/Moscow", venue="Club A", city="Moscow",
        description="# Big *night*\n\nBring **friends** & family. " + "word " * 100,
        ticket_types=[events.TicketTypeInput("Standard", 5),
                      events.TicketTypeInput("Early", 5, sales_start_local="2031-05-01T10:00")])
    event = events.create_event(session, Principal(owner.id), org.id, data)
    events.publish_event(session, Principal(owner.id), org.id, event.id)
    # Paid tickets arrive with payments; the price is set directly until then.
    session.exec(update(TicketType).where(TicketType.event_id == event.id, TicketType.name == "Standard")
                 .values(price_minor=1050))
    session.commit()
    return owner, org, event


def test_plain_text_drops_markup_and_cuts_at_a_word():
    assert sharing.plain_text("# Title\n\nSome **bold** and `code`.") == "Title Some bold and code."
    long = sharing.plain_text("alpha " * 100, limit=30)
    assert long.endswith("…") and len(long) <= 30 and "alph…" not in long


def test_share_card_and_json_ld(make, session):
    owner, org, event = paid_event(make, session)
    card = sharing.event_share(session, org.slug, event.slug, "en")
    assert card.title == "Jazz </script> night" and card.site_name == org.name
    assert card.url.endswith(f"/e/{org.slug}/{event.slug}")
    assert "Club A" in card.description and "Big night Bring friends & family." in card.description
    assert "7:00" in card.description  # the event's own zone, not UTC (16:00)
    ld = card.json_ld
    assert ld["@type"] == "Event" and ld["name"] == event.title
    assert ld["startDate"].startswith("2031-06-01T16:00:00") and ld["eventStatus"].endswith("EventScheduled")
    assert ld["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")
    assert ld["location"] == {"@type": "Place", "name": "Club A", "address": "Club A, Moscow"}
    offers = {o["name"]: o for o in ld["offers"]}
    assert offers["Standard"]["price"] == "10.50" and offers["Standard"]["availability"].endswith("InStock")
    assert offers["Early"]["price"] == "0.00" and offers["Early"]["availability"].endswith("PreOrder")


def test_cancelled_event_says_so_and_drafts_have_no_card(make, session):
    owner, org, event = paid_event(make, session)
    event_lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, message="Sorry")
    assert sharing.event_share(session, org.slug, event.slug, "en").json_ld["eventStatus"].endswith("EventCancelled")
    draft, _types = make.event(owner, org, publish=False)
    assert sharing.event_share(session, org.slug, draft.slug, "en") is None
    assert sharing.event_share(session, "no-such-org", event.slug, "en") is None


def test_event_page_html_carries_the_card(make, session, use_db, tmp_path, monkeypatch):
    owner, org, event = paid_event(make, session)
    spa = tmp_path / "404.html"
    spa.write_text(SPA)
    monkeypatch.setattr(share, "spa_file", lambda: spa)
    with TestClient(create_api()) as client:
        page = client.get(f"/e/{org.slug}/{event.slug}", headers={"Accept-Language": "ru-RU"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        body = page.text
        assert "<title>Jazz &lt;/script&gt; night · " in body and "<title>AqStream</title>" not in body
        assert 'property="og:title" content="Jazz &lt;/script&gt; night"' in body
        assert 'name="twitter:card" content="summary"' in body
        assert 'property="og:locale" content="ru_RU"' in body
        assert "<div id='root'></div>" in body  # the app itself is untouched
        ld_text = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)
        assert "</script>" not in ld_text  # the title's "</script>" cannot close the element early
        assert json.loads(ld_text)["name"] == "Jazz </script> night"

        missing = client.get(f"/e/{org.slug}/nothing-here")
        assert missing.status_code == 200 and "og:title" not in missing.text  # the app says "not found"


def test_hostile_names_stay_text_in_the_event_page_html(make, session, use_db, tmp_path, monkeypatch):
    """An organizer's "<!--<script>" once made the JSON-LD swallow the app's scripts (an empty page), and a
    backslash in a title was read by the <title> replacement as a group reference (a 500)."""
    owner, org = make.org()
    event = events.create_event(session, Principal(owner.id), org.id, events.EventInput(
        title=HOSTILE_TITLE, starts_local="2031-06-01T19:00", ends_local="2031-06-01T22:00", time_zone="Europe/Moscow",
        venue=HOSTILE_VENUE, city=HOSTILE_CITY, description=HOSTILE_DESCRIPTION,
        ticket_types=[events.TicketTypeInput(HOSTILE_TICKET, 5)]))
    events.publish_event(session, Principal(owner.id), org.id, event.id)
    session.exec(update(Organization).where(Organization.id == org.id).values(name=HOSTILE_ORG))
    session.commit()
    spa = tmp_path / "404.html"
    spa.write_text(SPA)
    monkeypatch.setattr(share, "spa_file", lambda: spa)
    card = sharing.event_share(session, org.slug, event.slug, "en")
    with TestClient(create_api()) as client:
        page = client.get(f"/e/{org.slug}/{event.slug}")
    assert page.status_code == 200
    doc = Document(page.text)
    assert doc.titles == [f"{HOSTILE_TITLE} · {HOSTILE_ORG}"]
    head = doc.head_values()
    assert head["og:title"] == head["twitter:title"] == [HOSTILE_TITLE] and head["og:site_name"] == [HOSTILE_ORG]
    assert head["description"] == head["og:description"] == head["twitter:description"] == [card.description]
    assert head["og:url"] == head["canonical"] == [card.url]
    assert doc.broken_scripts() == [] and "img" not in {tag for tag, _attrs in doc.tags}
    [ld_text] = [text for attrs, text in doc.scripts if attrs.get("type") == "application/ld+json"]
    assert not set("<>&") & set(ld_text)
    ld = json.loads(ld_text)
    assert ld == card.json_ld and ld["name"] == HOSTILE_TITLE and ld["organizer"]["name"] == HOSTILE_ORG
    assert ld["location"]["name"] == HOSTILE_VENUE and ld["offers"][0]["name"] == HOSTILE_TICKET
    assert "<div id='root'></div></body>" in page.text  # the app's own document after the head is untouched
