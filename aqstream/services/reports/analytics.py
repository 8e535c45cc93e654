"""An event's analytics for its organizer: the tiles (places taken, orders, capacity left, registrations today and
in the last 7 days, cancellations, revenue), and per day of a chosen period (cut in the event's time zone)
registrations by ticket type, orders, cancellations and the places held at the end of the day.

Counted by the database: the UTC instants at which each local day starts are computed here (zoneinfo, so a day
across a daylight-saving change is 23 or 25 hours long) and the rows of the period are put in their day by a
balanced CASE over those instants (a few comparisons a row), grouped in SQL; the same SQL on SQLite and
PostgreSQL. A registration is a ticket of a confirmed order or of one cancelled later; the places held by a
pending order and those of an expired one are neither registrations nor cancellations."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, distinct, func, literal_column, select
from sqlmodel import Session

from aqstream.models import Event, Order, Ticket
from aqstream.services.clock import utcnow
from aqstream.services.errors import ValidationError
from aqstream.services.events.events import get_event, list_ticket_types
from aqstream.services.lifecycle import OrderStatus, TicketStatus
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal
from aqstream.services.payments import summary
from aqstream.services.reports import traffic

RANGES = ("7d", "30d", "all", "custom")  # "all": since publication (a draft's: since it was created)
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # custom dates outside are refused as invalid

# Orders whose tickets were registrations: confirmed, or cancelled after (pending and expired ones were not).
REGISTERED_ORDER = (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class Period:  # days in the EVENT's time zone, both ends included
    start: date
    end: date


@dataclass(frozen=True)
class Tiles:
    tickets: int  # tickets holding a place now (valid, incl. checked in)
    orders: int  # confirmed orders with at least one valid ticket now
    capacity: int | None  # the event's capacity, else the sum of its ticket types' quantities
    capacity_left: int | None
    today: int  # tickets registered today (event's zone), whatever happened to them later
    last_7_days: int  # tickets registered in the last 7 days including today
    cancelled: int  # tickets cancelled, all time
    revenue: dict[str, int]  # currency -> minor units of confirmed paid orders ({} while every order is free)


@dataclass(frozen=True)
class Day:
    day: date
    orders: int  # orders placed that day (confirmed or later cancelled; not pending/expired)
    tickets: int  # tickets registered that day
    cancelled: int  # tickets cancelled that day (by cancelled_at)
    net: int  # tickets - cancelled
    by_type: dict[int, int]  # ticket type id -> tickets registered that day (zeros omitted)
    cumulative: int  # tickets holding a place at the end of that day


@dataclass(frozen=True)
class EventAnalytics:
    event_id: int
    title: str
    time_zone: str
    period: Period
    tiles: Tiles
    types: list[tuple[int, str, int]]  # (ticket type id, name, quantity), in the event's order
    days: list[Day]  # every day of the period, zero days included, oldest first
    # Over the period, from the event page's privacy-first counts (services/reports/traffic.py):
    funnel: list[traffic.FunnelStep] = field(default_factory=list)  # view, form started, submitted, confirmed
    sources: list[traffic.SourceRow] = field(default_factory=list)  # top 10 and "other"
    # At the door, whatever the period: valid tickets checked in, and arrivals per quarter hour (local start
    # of each 15 minutes with someone arriving, oldest first). Empty until someone has checked in.
    checked_in: int = 0
    arrivals: list[tuple[datetime, int]] = field(default_factory=list)
    # Money per currency, whatever the period: paid, awaiting payment, refunded (services/payments/summary.py).
    money: list[summary.Revenue] = field(default_factory=list)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _parse(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def period(event, range_key: str, start: str | None, end: str | None, today: date) -> Period:
    """The days a range covers, in the event's zone. Raises ValidationError({"range_start"|"range_end"|"range":
    message_key}) for an unknown key, a missing/unparseable custom date, end before start, or more than MAX_DAYS
    days."""
    if range_key == "7d":
        return Period(today - timedelta(days=6), today)
    if range_key == "30d":
        return Period(today - timedelta(days=29), today)
    if range_key == "all":
        created = _as_utc(event.published_at or event.created_at).astimezone(ZoneInfo(event.time_zone)).date()
        first = max(min(created, today), today - timedelta(days=MAX_DAYS - 1))  # a long-lived event: its last year
        return Period(first, today)
    if range_key != "custom":
        raise ValidationError({"range": "analytics.range_invalid"})
    first, last = _parse(start), _parse(end)
    errors = {}
    if first is None:
        errors["range_start"] = "analytics.range_invalid"
    if last is None:
        errors["range_end"] = "analytics.range_invalid"
    if not errors and last < first:
        errors["range_end"] = "analytics.range_reversed"
    elif not errors and (last - first).days + 1 > MAX_DAYS:
        errors["range_end"] = "analytics.range_too_long"
    if errors:
        raise ValidationError(errors)
    return Period(first, last)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day starts (a midnight skipped by a clock change: the instant of the change)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def _day_index(column, bounds: list[datetime]):
    """Which day of the period a timestamp falls in (0 = the first), for a timestamp already known to lie in
    [bounds[0], bounds[-1]): a balanced CASE over the days' starting instants, log2(days) comparisons."""

    def node(low: int, high: int):
        if high - low == 1:
            return literal_column(str(low))
        middle = (low + high) // 2
        return case((column < bounds[middle], node(low, middle)), else_=node(middle, high))

    return node(0, len(bounds) - 1)


def _per_day(session: Session, statement, column, bounds: list[datetime], *extra) -> list[tuple]:
    """(day index, *extra, count) of the statement's rows whose `column` lies in the period. Bucketed in a
    subquery, so PostgreSQL groups by the column of that subquery rather than by a repeated expression."""
    rows = statement.add_columns(_day_index(column, bounds).label("d"), *extra).where(
        column >= bounds[0], column < bounds[-1]).subquery()
    keys = [rows.c.d, *[rows.c[e.key] for e in extra]]
    return list(session.execute(select(*keys, func.count()).group_by(*keys)).all())


def event_analytics(session: Session, principal: Principal, organization_id: int, event_id: int,
                    range_key: str = "30d", start: str | None = None, end: str | None = None,
                    now: datetime | None = None) -> EventAnalytics:
    """The event's analytics over a period. VIEW_ATTENDEES roles only; NotFound for another tenant's event."""
    event: Event = get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
    zone = ZoneInfo(event.time_zone)
    now = _as_utc(now or utcnow())
    today = now.astimezone(zone).date()
    span = period(event, range_key, start, end, today)
    days = [span.start + timedelta(days=i) for i in range((span.end - span.start).days + 1)]
    bounds = [_midnight(d, zone) for d in days] + [_midnight(span.end + timedelta(days=1), zone)]
    today_start, tomorrow = _midnight(today, zone), _midnight(today + timedelta(days=1), zone)
    week_start = _midnight(today - timedelta(days=6), zone)

    registered = Order.status.in_(REGISTERED_ORDER)
    cancelled = and_(registered, Ticket.status == TicketStatus.CANCELLED)
    cancelled_at = func.coalesce(Ticket.cancelled_at, Order.cancelled_at)
    valid = Ticket.status == TicketStatus.VALID
    joined = select().select_from(Ticket).join(Order, Order.id == Ticket.order_id).where(Ticket.event_id == event.id)

    def counted(condition):
        return func.count(case((condition, 1)))

    (tickets_now, orders_now, today_count, week_count, cancelled_all, before, cancelled_before) = session.execute(
        joined.add_columns(
            counted(valid),
            func.count(distinct(case((and_(valid, Order.status == OrderStatus.CONFIRMED), Ticket.order_id)))),
            counted(and_(registered, Ticket.created_at >= today_start, Ticket.created_at < tomorrow)),
            counted(and_(registered, Ticket.created_at >= week_start, Ticket.created_at < tomorrow)),
            counted(cancelled),
            counted(and_(registered, Ticket.created_at < bounds[0])),
            counted(and_(cancelled, cancelled_at < bounds[0])),
        )).one()

    by_type: list[dict[int, int]] = [{} for _ in days]
    for index, type_id, n in _per_day(session, joined.where(registered), Ticket.created_at, bounds,
                                      Ticket.ticket_type_id):
        by_type[index][type_id] = n
    cancelled_by_day = dict(_per_day(session, joined.where(cancelled), cancelled_at, bounds))
    orders_by_day = dict(_per_day(
        session, select().select_from(Order).where(Order.event_id == event.id, registered), Order.created_at, bounds))

    revenue = {currency: int(total) for currency, total in session.execute(
        select(Order.currency, func.sum(Order.total_minor))
        .where(Order.event_id == event.id, Order.status == OrderStatus.CONFIRMED, Order.total_minor > 0)
        .group_by(Order.currency)).all()}

    types = list_ticket_types(session, event.id)
    if event.capacity is not None:
        capacity, left = event.capacity, max(0, event.capacity - event.sold)
    elif types:
        capacity, left = sum(t.quantity for t in types), sum(max(0, t.quantity - t.sold) for t in types)
    else:
        capacity = left = None

    out: list[Day] = []
    holding = (before or 0) - (cancelled_before or 0)
    for index, day in enumerate(days):
        registered_n = sum(by_type[index].values())
        cancelled_n = cancelled_by_day.get(index, 0)
        holding += registered_n - cancelled_n
        out.append(Day(day, orders_by_day.get(index, 0), registered_n, cancelled_n, registered_n - cancelled_n,
                       by_type[index], holding))
    tiles = Tiles(tickets_now or 0, orders_now or 0, capacity, left, today_count or 0, week_count or 0,
                  cancelled_all or 0, revenue)
    checked_in, arrivals = _arrivals(session, event.id, zone)
    return EventAnalytics(event.id, event.title, event.time_zone, span, tiles,
                          [(t.id, t.name, t.quantity) for t in types], out,
                          traffic.funnel(session, event.id, span.start, span.end),
                          traffic.sources(session, event.id, span.start, span.end), checked_in, arrivals,
                          summary.revenue(session, event.organization_id, event.id))


def change_stamp(session: Session, organization_id: int, event_id: int) -> tuple[int, ...] | None:
    """A cheap mark of what the live tab shows: the places taken, the tickets cancelled and held by pending orders,
    and the tickets checked in (index-only counts). A registration, a cancellation, an expiry, a pending order's
    confirmation or a check-in changes it, so the tab reads the whole analytics again only when it changed.
    None for an event that is not the organization's. The caller has checked that its principal may see it."""
    sold = session.execute(select(Event.sold).where(Event.id == event_id,
                                                    Event.organization_id == organization_id)).scalar()
    if sold is None:
        return None
    counts = dict(session.execute(
        select(Ticket.status, func.count()).where(
            Ticket.event_id == event_id, Ticket.status.in_((TicketStatus.CANCELLED, TicketStatus.HELD)))
        .group_by(Ticket.status)).all())
    arrived = session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.event_id == event_id, Ticket.checked_in_at.is_not(None))).scalar()
    return (int(sold), int(counts.get(TicketStatus.CANCELLED, 0)), int(counts.get(TicketStatus.HELD, 0)),
            int(arrived or 0))


ARRIVAL_MINUTES = 15
_QUARTER = ARRIVAL_MINUTES * 60  # seconds


def _quarter_of(session: Session, column):
    """The UTC quarter hour a timestamp lies in, as seconds since the epoch // 900, computed by the database
    (PostgreSQL: timestamptz; SQLite: UTC text)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", column) / _QUARTER)
    return cast(func.strftime("%s", column), Integer) / _QUARTER  # integer division


def _whole_quarters(start: datetime, zone: ZoneInfo) -> datetime | None:
    """The local start of a UTC quarter hour, if the whole quarter hour is one local quarter hour: the zone's offset
    is a whole number of quarter hours there and does not change inside it (every real zone's offsets, and their
    changes at quarter-hour instants, since the early 20th century). None otherwise."""
    local = start.astimezone(zone)
    last = (start + timedelta(seconds=_QUARTER - 1)).astimezone(zone)
    offset = local.utcoffset()
    if offset != last.utcoffset() or offset.total_seconds() % _QUARTER:
        return None
    return local


def _arrivals(session: Session, event_id: int, zone: ZoneInfo) -> tuple[int, list[tuple[datetime, int]]]:
    """Valid tickets checked in, and how many arrived in each quarter hour (in the event's zone).

    Grouped by the database per UTC quarter hour, each then named by its local start: the same quarter hours as
    the local clock's wherever the offset is a whole number of quarter hours (all real zones today, daylight
    saving included). A UTC quarter hour where that does not hold (an old local mean time) has its check-ins
    read one by one."""
    arrived = and_(Ticket.event_id == event_id, Ticket.status == TicketStatus.VALID, Ticket.checked_in_at.is_not(None))
    quarters = select(_quarter_of(session, Ticket.checked_in_at).label("q")).where(arrived).subquery()
    slots: dict[datetime, int] = {}
    odd: list[datetime] = []
    seen = 0
    for quarter, n in session.execute(select(quarters.c.q, func.count()).group_by(quarters.c.q)).all():
        start = datetime.fromtimestamp(int(quarter) * _QUARTER, timezone.utc)
        seen += n
        local = _whole_quarters(start, zone)
        if local is None:
            odd.append(start)
        else:
            slots[local] = slots.get(local, 0) + n
    for start in odd:
        for (at,) in session.execute(select(Ticket.checked_in_at).where(
                arrived, Ticket.checked_in_at >= start, Ticket.checked_in_at < start + timedelta(seconds=_QUARTER))):
            local = _as_utc(at).astimezone(zone)
            slot = local.replace(minute=local.minute - local.minute % ARRIVAL_MINUTES, second=0, microsecond=0)
            slots[slot] = slots.get(slot, 0) + 1
    return seen, sorted(slots.items())
