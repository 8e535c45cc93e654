"""The public side of many events at once: the catalog with its search and filters, an organization's
public page, and "you may also like" recommendations.

Only what anyone may see shows here: published, listed events of active organizations that have not
ended yet (an organization's page also lists its past events). An unlisted event is reachable by its
link only, so it appears nowhere in this module's answers."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, or_
from sqlmodel import Session, select

from aqstream.models import Event, Order, Organization, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound
from aqstream.services.events import media
from aqstream.services.events.events import normalize_tags
from aqstream.services.lifecycle import ACTIVE_ORDER, EventStatus
from aqstream.services.paging import page_count
from aqstream.services.validation import Checker

MODES = ("", "online", "offline")
LANGUAGES = ("", "en", "ru")
PRICES = ("", "free", "paid")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 50
MAX_WORDS = 8  # more words than this in one search are ignored (each one is a LIKE over six columns)
ORG_UPCOMING_LIMIT = 50
ORG_PAST_PAGE_SIZE = 10
CANDIDATES = 200  # recommendations rank at most this many of the soonest upcoming catalog events
PROFILE_ORDERS = 50  # a user's profile is built from at most this many of their latest orders


@dataclass
class CatalogQuery:
    words: str = ""
    date_from: date | str | None = None  # inclusive, a day in the event's own time zone
    date_to: date | str | None = None  # inclusive
    mode: str = ""  # "" | online | offline
    city: str = ""
    language: str = ""  # "" | en | ru: the language of the event's page (Event.locale)
    price: str = ""  # "" | free | paid
    page: int | str = 1
    page_size: int | str = DEFAULT_PAGE_SIZE


@dataclass
class EventCard:
    """One event as a catalog card shows it."""

    org_slug: str
    org_name: str
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str
    city: str
    online: bool
    cover_url: str
    min_price_minor: int | None  # the cheapest ticket a visitor can see; None when there is none
    currency: str
    tags: list[str] = field(default_factory=list)
    locale: str = ""
    event_id: int = 0


@dataclass
class CatalogPage:
    rows: list[EventCard]
    total: int
    page: int
    pages: int


@dataclass
class OrgPage:
    name: str
    slug: str
    contact_email: str
    logo_url: str
    upcoming: list[EventCard]
    past: list[EventCard]
    past_total: int
    past_page: int
    past_pages: int


# --- input ---------------------------------------------------------------------------------------------

def _parse_day(checker: Checker, name: str, value: date | str | None) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        checker.fail(name, "field.date_invalid")
        return None


def clean_query(q: CatalogQuery) -> CatalogQuery:
    """The query with its values checked and normalized; ValidationError names every bad field."""
    checker = Checker()
    words = checker.text("words", q.words, max_len=200, required=False)
    date_from = _parse_day(checker, "date_from", q.date_from)
    date_to = _parse_day(checker, "date_to", q.date_to)
    if date_from and date_to and date_to < date_from:
        checker.fail("date_to", "catalog.dates_reversed")
    mode = (q.mode or "").strip().lower()
    if mode not in MODES:
        checker.fail("mode", "catalog.filter_invalid")
    city = checker.text("city", q.city, max_len=120, required=False)
    language = (q.language or "").strip().lower()
    if language not in LANGUAGES:
        checker.fail("language", "catalog.filter_invalid")
    price = (q.price or "").strip().lower()
    if price not in PRICES:
        checker.fail("price", "catalog.filter_invalid")
    page = checker.int_range("page", q.page if q.page not in (None, "") else 1, low=1, high=1_000_000) or 1
    size = q.page_size if q.page_size not in (None, "") else DEFAULT_PAGE_SIZE
    page_size = checker.int_range("page_size", size, low=1, high=MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    checker.raise_if_any()
    return CatalogQuery(words, date_from, date_to, mode, city, language, price, page, page_size)


# --- queries -------------------------------------------------------------------------------------------

def _utc(moment: datetime | None) -> datetime:
    """Aware UTC (SQLite stores UTC text and would compare another zone's wall clock as if it were UTC)."""
    if moment is None:
        return utcnow()
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _visible(now: datetime):
    """Conditions for an event anyone may find in the catalog (the statement must join Organization)."""
    return and_(Event.status == EventStatus.PUBLISHED, Event.listed.is_(True), Organization.status == "active",
                Event.ends_at >= now)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _paid():
    return exists().where(TicketType.event_id == Event.id, TicketType.hidden.is_(False), TicketType.price_minor > 0)


def _day_bounds(session: Session, now: datetime, date_from: date | None, date_to: date | None):
    """The date filter, exact for each event's own zone: calendar days begin at a different UTC moment in
    every zone, so the condition is one (zone, UTC range) pair per zone that visible events use."""
    zones = session.exec(
        select(Event.time_zone).join(Organization, Organization.id == Event.organization_id)
        .where(_visible(now)).distinct()
    ).all()
    parts = []
    for name in zones:
        try:
            zone = ZoneInfo(name)
        except (KeyError, ValueError):
            continue
        conditions = [Event.time_zone == name]
        if date_from:
            conditions.append(Event.starts_at >= _utc(datetime.combine(date_from, time(), zone)))
        if date_to:
            conditions.append(Event.starts_at < _utc(datetime.combine(date_to + timedelta(days=1), time(), zone)))
        parts.append(and_(*conditions))
    return or_(*parts) if parts else false()


def _filtered(statement, session: Session, q: CatalogQuery, now: datetime):
    statement = statement.where(_visible(now))
    for word in q.words.lower().split()[:MAX_WORDS]:
        pattern = _like(word)
        statement = statement.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            Event.title, Event.description, Event.venue, Event.city, Event.tags, Organization.name))))
    if q.date_from or q.date_to:
        statement = statement.where(_day_bounds(session, now, q.date_from, q.date_to))
    if q.mode == "online":
        statement = statement.where(Event.venue == "", Event.online_url != "")
    elif q.mode == "offline":
        statement = statement.where(Event.venue != "")
    if q.city:
        statement = statement.where(func.lower(Event.city) == q.city.lower())
    if q.language:
        statement = statement.where(Event.locale == q.language)
    if q.price == "paid":
        statement = statement.where(_paid())
    elif q.price == "free":
        statement = statement.where(~_paid())
    return statement


def _cards(session: Session, rows: list[tuple[Event, Organization]]) -> list[EventCard]:
    """Cards for a page of events, with each one's lowest visible price from one query for the page."""
    ids = [event.id for event, _ in rows]
    prices: dict[int, tuple[int, str]] = {}
    if ids:
        found = session.exec(
            select(TicketType.event_id, TicketType.price_minor, TicketType.currency)
            .where(TicketType.event_id.in_(ids), TicketType.hidden.is_(False))
        ).all()
        for event_id, price, currency in found:
            if event_id not in prices or price < prices[event_id][0]:
                prices[event_id] = (price, currency)
    cards = []
    for event, org in rows:
        price, currency = prices.get(event.id, (None, org.currency))
        cards.append(EventCard(
            org_slug=org.slug, org_name=org.name, slug=event.slug, title=event.title, starts_at=event.starts_at,
            ends_at=event.ends_at, time_zone=event.time_zone, venue=event.venue, city=event.city,
            online=not event.venue and bool(event.online_url), cover_url=media.url(event.cover_path),
            min_price_minor=price, currency=currency, tags=normalize_tags(event.tags), locale=event.locale,
            event_id=event.id,
        ))
    return cards


def _base():
    return select(Event, Organization).join(Organization, Organization.id == Event.organization_id)


def search_catalog(session: Session, query: CatalogQuery | None = None, now: datetime | None = None) -> CatalogPage:
    """One page of the catalog, soonest first. Every word must match the title, description, venue, city,
    tags or organizer's name (case-insensitive, Cyrillic too). A page past the last shows the last one."""
    q = clean_query(query or CatalogQuery())
    now = _utc(now)
    count = select(func.count(Event.id)).select_from(Event).join(Organization, Organization.id == Event.organization_id)
    total = session.exec(_filtered(count, session, q, now)).one()
    pages = page_count(total, q.page_size)
    page = min(q.page, pages)
    rows = session.exec(
        _filtered(_base(), session, q, now).order_by(Event.starts_at, Event.id)
        .limit(q.page_size).offset((page - 1) * q.page_size)
    ).all()
    return CatalogPage(_cards(session, list(rows)), total, page, pages)


def known_cities(session: Session, limit: int = 100, now: datetime | None = None) -> list[str]:
    """The cities of catalog events, for the city filter: each once (whatever its case), sorted."""
    found = session.exec(
        select(Event.city).join(Organization, Organization.id == Event.organization_id)
        .where(_visible(_utc(now)), Event.city != "").distinct().order_by(Event.city).limit(limit * 2)
    ).all()
    seen: dict[str, str] = {}
    for city in found:
        seen.setdefault(city.lower(), city)
    return sorted(seen.values(), key=str.lower)[:limit]


def organization_events(session: Session, org_slug: str, now: datetime | None = None,
                        past_page: int | str = 1) -> OrgPage:
    """An organization's public page: its upcoming listed events, soonest first, and its past ones (ended
    or archived), newest first, a page at a time. Unknown and suspended organizations do not exist."""
    org = session.exec(select(Organization).where(Organization.slug == (org_slug or "").strip().lower(),
                                                  Organization.status == "active")).first()
    if org is None:
        raise NotFound()
    checker = Checker()
    past_page = checker.int_range("past_page", past_page if past_page not in (None, "") else 1,
                                  low=1, high=1_000_000) or 1
    checker.raise_if_any()
    now = _utc(now)
    mine = _base().where(Event.organization_id == org.id, Event.listed.is_(True))
    upcoming = session.exec(
        mine.where(Event.status == EventStatus.PUBLISHED, Event.ends_at >= now)
        .order_by(Event.starts_at, Event.id).limit(ORG_UPCOMING_LIMIT)
    ).all()
    past_condition = or_(Event.status == EventStatus.ARCHIVED, and_(Event.status == EventStatus.PUBLISHED, Event.ends_at < now))
    past_total = session.exec(
        select(func.count(Event.id)).where(Event.organization_id == org.id, Event.listed.is_(True), past_condition)
    ).one()
    pages = page_count(past_total, ORG_PAST_PAGE_SIZE)
    page = min(past_page, pages)
    past = session.exec(
        mine.where(past_condition).order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(ORG_PAST_PAGE_SIZE).offset((page - 1) * ORG_PAST_PAGE_SIZE)
    ).all()
    return OrgPage(org.name, org.slug, org.contact_email, media.url(org.logo_path), _cards(session, list(upcoming)),
                   _cards(session, list(past)), past_total, page, pages)


# --- recommendations -----------------------------------------------------------------------------------
#
# Simple and explainable on purpose: each candidate gets points for what it shares with a profile, and the
# highest scores win (ties: the sooner event first).
#   same organizer          3 points
#   each shared topic tag   2 points
#   each shared title word  1 point (words of at least 3 letters, minus common English and Russian words;
#                           no stemming, so "джаз" and "джаза" are different words)
# Candidates are the CANDIDATES soonest upcoming catalog events, so the cost does not grow with the
# number of events on the platform; an event further ahead than those is never recommended.

STOP_WORDS = frozenset("""
the and for with from into about your our you are was were will this that these those its his her their
what when where who how why all any not but can has have had new day night live free online event events
meetup workshop conference evening morning
и в во на с со к ко о об от до по за из у для при без про над под как что это эти тот та то все всё
или но не ни же ли бы уже ещё еще так там тут где когда кто чем наш ваш мой твой его её их день
вечер утро встреча мероприятие онлайн бесплатно
""".split())
_WORD = re.compile(r"\w+", re.UNICODE)


def title_words(title: str) -> set[str]:
    """The words of a title that say something: lower-case, three letters or more, not a stop word."""
    return {w for w in _WORD.findall((title or "").lower()) if len(w) >= 3 and not w.isdigit() and w not in STOP_WORDS}


@dataclass
class _Profile:
    orgs: Counter
    tags: Counter
    words: Counter


def _score(profile: _Profile, event: Event) -> int:
    score = 3 if profile.orgs[event.organization_id] else 0
    score += 2 * sum(1 for tag in normalize_tags(event.tags) if profile.tags[tag])
    score += sum(1 for word in title_words(event.title) if profile.words[word])
    return score


def _candidates(session: Session, now: datetime, exclude: set[int]) -> list[tuple[Event, Organization]]:
    rows = session.exec(_base().where(_visible(now)).order_by(Event.starts_at, Event.id).limit(CANDIDATES)).all()
    return [(e, o) for e, o in rows if e.id not in exclude]


def _rank(session: Session, profile: _Profile, candidates, limit: int, fill: bool) -> list[EventCard]:
    scored = [(_score(profile, e), i, (e, o)) for i, (e, o) in enumerate(candidates)]
    best = [row for score, _, row in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0][:limit]
    if fill and len(best) < limit:
        chosen = {e.id for e, _ in best}
        best += [row for row in candidates if row[0].id not in chosen][: limit - len(best)]
    return _cards(session, best)


def _profile(found: list[Event]) -> _Profile:
    profile = _Profile(Counter(), Counter(), Counter())
    for event in found:
        profile.orgs[event.organization_id] += 1
        profile.tags.update(normalize_tags(event.tags))
        profile.words.update(title_words(event.title))
    return profile


def recommend_for_event(session: Session, event_id: int, limit: int = 3, now: datetime | None = None) -> list[EventCard]:
    """Other upcoming catalog events like this one (same organizer, shared tags, shared title words), best
    first. Only events that share something are offered; an unknown event gets none."""
    event = session.get(Event, event_id)
    if event is None or limit <= 0:
        return []
    now = _utc(now)
    return _rank(session, _profile([event]), _candidates(session, now, {event.id}), limit, fill=False)


def recommend_for_user(session: Session, user_id: int, limit: int = 4, now: datetime | None = None) -> list[EventCard]:
    """Upcoming catalog events for a person, from the events they registered for (their latest confirmed or
    pending orders, for events past or to come): the same organizers, those events' tags and title words. Events
    they already hold an active order for are left out. Free places are filled with the soonest catalog
    events, so someone without any history sees what is coming up next."""
    if limit <= 0:
        return []
    now = _utc(now)
    history = session.exec(
        select(Event).join(Order, Order.event_id == Event.id)
        .where(Order.user_id == user_id, Order.status.in_(ACTIVE_ORDER))
        .order_by(Order.id.desc()).limit(PROFILE_ORDERS)
    ).all()
    candidates = _candidates(session, now, set())
    ids = [event.id for event, _ in candidates]
    active = set(session.exec(
        select(Order.event_id).where(Order.user_id == user_id, Order.status.in_(ACTIVE_ORDER), Order.event_id.in_(ids))
    ).all()) if ids else set()
    candidates = [(e, o) for e, o in candidates if e.id not in active]
    return _rank(session, _profile(list(history)), candidates, limit, fill=True)
