"""Privacy-first visitor counting for event pages: how many people saw an event's page, started its form,
submitted it and were confirmed, per day and per source (the referring site or the link's utm_* tags).

What is kept, and what is not:
- `event_traffic` holds counts only, one row per (event, day, source, utm_source, utm_medium, utm_campaign),
  raised by an upsert: a million views of one event from one source on one day are one row.
- `visitor_seen` holds, for today only, a 16-byte keyed hash per visitor and step, so a visitor counts once a
  day at each step. The hash is HMAC(daily salt, address + user agent + event); the salt is derived from the
  secret key and the day and is never stored, so tomorrow's hashes cannot be linked to today's and, once the
  day's rows are pruned (the `traffic-prune` job), nothing links a count to a person. No address, user agent or
  cookie is stored anywhere.
- The day is the event's own calendar day (its time zone), for the salt, the dedup and the counts alike, so
  "once a day" means the same day everywhere.
- A later step (form started, submitted, confirmed) is credited to the source of the visitor's view that day
  (kept with the view's hash); without a view today, to the step's own referrer and tags, and the earlier
  steps are counted with it (a visitor who registers today visited today), so the funnel never widens.
- The funnel follows the event page. Registrations through the REST API (another site's form, an integration)
  have no page visit: they are in the tiles and charts, not in the funnel.

Bots (by user agent, and requests without one) and the event's own organizers are not counted. `count` never
raises: a failure is logged and the page goes on."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Mapping, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aqstream import config
from aqstream.db import begin_write
from aqstream.models import Event, EventTraffic, Membership, VisitorSeen

log = logging.getLogger(__name__)

STEPS = ("view", "form_started", "submitted", "confirmed")
_COLUMN = {"view": "visitors", "form_started": "form_started", "submitted": "submitted", "confirmed": "confirmed"}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")
MAX_LEN = 100
DIRECT, OTHER = "", "other"  # the labels of `sources` for no referrer and for everything past the top
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|headless|lighthouse|pingdom|phantomjs|scrapy|"
    r"curl/|wget/|python-requests|python-urllib|httpclient|go-http-client|okhttp|java/|monitor|archiver",
    re.IGNORECASE,
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def is_bot(user_agent: str | None) -> bool:
    return not (user_agent or "").strip() or bool(_BOTS.search(user_agent or ""))


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _UNPRINTABLE.sub("", value).strip().lower()[:MAX_LEN].strip()


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def source_domain(referrer: str | None) -> str:
    """The referring site's domain, lower-case without "www."; "" for none, an unreadable one or the event
    site itself (a visitor moving between its own pages came directly)."""
    host = _host(referrer or "")[:MAX_LEN] if isinstance(referrer, str) else ""
    if not host or host == _host(config.public_base_url()):
        return DIRECT
    return host


def event_day(event: Event, now: datetime) -> date:
    try:
        zone = ZoneInfo(event.time_zone)
    except (ValueError, KeyError):
        zone = timezone.utc
    return now.astimezone(zone).date()


def _daily_salt(day: date) -> bytes:
    return hmac.new(config.secret_key().encode(), f"aqstream-traffic-salt:{day.isoformat()}".encode(),
                    hashlib.sha256).digest()


def visitor_digest(day: date, client_ip: str, user_agent: str, event_id: int) -> str:
    """The visitor's hash for one event and one day: 16 bytes of HMAC-SHA256 under the day's salt, as hex."""
    message = f"{client_ip}\n{user_agent}\n{event_id}".encode()
    return hmac.new(_daily_salt(day), message, hashlib.sha256).digest()[:16].hex()


def is_member(session: Session, user_id: int | None, organization_id: int) -> bool:
    """Whether a signed-in user is a member of the event's organization (their own visits are not counted)."""
    if not user_id:
        return False
    found = session.exec(select(Membership.id).where(Membership.user_id == user_id,
                                                     Membership.organization_id == organization_id)).first()
    return found is not None


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def count(session: Session, event: Event | int, step: str, *, client_ip: str, user_agent: str,
          referrer: str | None = None, utm: Mapping[str, object] | None = None, now: datetime,
          is_organizer: bool = False, user_id: int | None = None) -> bool:
    """Count a visitor at a step of the event's funnel, once a day; True when this call added to a count.

    `event` is the event or its id; `is_organizer` (or a `user_id` who is a member of the event's organization)
    leaves the visit uncounted. Never raises into the caller: counting must not break the page."""
    try:
        if step not in _COLUMN:
            raise ValueError(f"unknown step {step!r}")
        if is_bot(user_agent):
            return False
        if isinstance(event, int):
            event = session.get(Event, event)
            if event is None:
                return False
        if is_organizer or is_member(session, user_id, event.organization_id):
            return False
        return _count(session, event, step, client_ip or "", user_agent, referrer, utm or {}, now)
    except Exception:
        log.exception("counting a %s of event %s failed", step, getattr(event, "id", event))
        try:
            session.rollback()
        except Exception:  # pragma: no cover - the connection is gone
            pass
        return False


def _count(session: Session, event: Event, step: str, client_ip: str, user_agent: str, referrer: str | None,
           utm: Mapping[str, object], now: datetime) -> bool:
    day = event_day(event, now)
    digest = visitor_digest(day, client_ip, user_agent, event.id)
    origin = {"source": source_domain(referrer), **{key: _clean(utm.get(key)) for key in UTM_KEYS}}
    begin_write(session)
    if step != "view":  # credited to where the visitor came from when they saw the page today
        view = session.exec(select(VisitorSeen).where(
            VisitorSeen.day == day, VisitorSeen.event_id == event.id, VisitorSeen.step == "view",
            VisitorSeen.digest == digest)).first()
        if view is not None:
            origin = {"source": view.source, **{key: getattr(view, key) for key in UTM_KEYS}}
    # A later step implies the earlier ones that day (whoever sends the form today is on the page today, say
    # after a view just before midnight): each step's count never exceeds the one before, per source and day,
    # so no rate or conversion is above 100%.
    added = []
    for each in STEPS[:STEPS.index(step) + 1]:
        seen = _insert(session, VisitorSeen.__table__).values(
            day=day, event_id=event.id, step=each, digest=digest, **origin).on_conflict_do_nothing().returning(
            VisitorSeen.__table__.c.digest)
        if session.execute(seen).first() is not None:
            added.append(_COLUMN[each])
    if _COLUMN[step] not in added:  # seen at this step today already
        session.rollback()
        return False
    table = EventTraffic.__table__
    counts = {name: int(name in added) for name in _COLUMN.values()}
    upsert = _insert(session, table).values(event_id=event.id, day=day, **origin, **counts).on_conflict_do_update(
        index_elements=["event_id", "day", "source", *UTM_KEYS],
        set_={column: table.c[column] + 1 for column in added},
    )
    session.execute(upsert)
    session.commit()
    return True


class FunnelStep(NamedTuple):
    step: str
    count: int
    rate: float | None  # this step's count over the previous step's; None for the first step or after a zero


def funnel(session: Session, event_id: int, start_day: date, end_day: date) -> list[FunnelStep]:
    """The event's funnel over the days from `start_day` to `end_day` (both included, the event's days).
    The caller has checked that the reader may see the event's reports."""
    columns = [getattr(EventTraffic, _COLUMN[step]) for step in STEPS]
    row = session.exec(select(*[func.coalesce(func.sum(c), 0) for c in columns]).where(
        EventTraffic.event_id == event_id, EventTraffic.day >= start_day, EventTraffic.day <= end_day)).one()
    steps, previous = [], None
    for step, value in zip(STEPS, row):
        value = int(value)
        steps.append(FunnelStep(step, value, None if not previous else value / previous))
        previous = value
    return steps


@dataclass(frozen=True)
class SourceRow:
    label: str  # a domain, "utm_source / utm_medium / utm_campaign" (the tags given), DIRECT ("") or OTHER
    visitors: int
    confirmed: int
    conversion: float | None  # confirmed / visitors; None without visitors


def _label(source: str, utm_source: str, utm_medium: str, utm_campaign: str) -> str:
    if utm_source or utm_medium or utm_campaign:
        return " / ".join(part for part in (utm_source, utm_medium, utm_campaign) if part)
    return source


def _row(label: str, visitors: int, confirmed: int) -> SourceRow:
    return SourceRow(label, visitors, confirmed, confirmed / visitors if visitors else None)


def sources(session: Session, event_id: int, start_day: date, end_day: date, top: int = 10) -> list[SourceRow]:
    """Where the event's visitors came from, most visitors first: the link's utm tags when it had them, else the
    referring domain, else direct; the first `top`, then everything else as one OTHER row."""
    grouped = session.exec(
        select(EventTraffic.source, EventTraffic.utm_source, EventTraffic.utm_medium, EventTraffic.utm_campaign,
               func.sum(EventTraffic.visitors), func.sum(EventTraffic.confirmed))
        .where(EventTraffic.event_id == event_id, EventTraffic.day >= start_day, EventTraffic.day <= end_day)
        .group_by(EventTraffic.source, EventTraffic.utm_source, EventTraffic.utm_medium, EventTraffic.utm_campaign)
    ).all()
    totals: dict[str, list[int]] = {}
    for source, utm_source, utm_medium, utm_campaign, visitors, confirmed in grouped:
        entry = totals.setdefault(_label(source, utm_source, utm_medium, utm_campaign), [0, 0])
        entry[0] += int(visitors or 0)
        entry[1] += int(confirmed or 0)
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    rows = [_row(label, visitors, confirmed) for label, (visitors, confirmed) in ranked[:top]]
    rest = ranked[top:]
    if rest:
        rows.append(_row(OTHER, sum(v for _, (v, _c) in rest), sum(c for _, (_v, c) in rest)))
    return rows


def prune_seen(session: Session, now: datetime) -> int:
    """Forget the visitor hashes of days before yesterday (UTC; no event's today is earlier than that)."""
    cutoff = now.astimezone(timezone.utc).date() - timedelta(days=1)
    begin_write(session)
    removed = session.execute(delete(VisitorSeen).where(VisitorSeen.day < cutoff)).rowcount
    session.commit()
    return removed or 0
