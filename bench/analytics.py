"""Analytics at the scale of issue 14: `make bench-analytics` (also printed by `make bench`). Prints figures;
asserts nothing about speed.

On a fresh PostgreSQL database, one event with 100,000 registered tickets over 60 days (four ticket types, some
cancelled, a third of the valid ones checked in, a few pending and expired orders that are not registrations) and
1,000,000 page views:

1. page views: the real counting path (`traffic.count`, as the public page calls it: a session per call) for
   VIEWS simulated visits (distinct visitors, referrers and utm tags, several days, repeats that must not count),
   then `event_traffic` filled by SQL with the rows a million views over 365 days and ~40 sources leave;
2. the Analytics tab's data (`event_analytics`, the indexed aggregate queries the app uses) for 30 days and for
   "all" (366 days), median of 5;
3. the alternative, measured rather than argued: daily counters kept by a domain-event handler, built here only
   (a bench-local table `bench_daily_counter`, filled from the same tickets; a read producing the same figures),
   its read time, whether its figures equal the aggregate's, and its write cost: the registration rush with and
   without the counter upsert in the registration's transaction;
4. the organization view over 200 events (`org_analytics`), once that service exists."""
from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
from rush import Database, report

TICKETS = 100_000
DAYS = 60  # registrations spread over the last DAYS days
VIEWS = 20_000  # visits through the real counting path
TRAFFIC_VIEWS = 1_000_000  # visitors in event_traffic, filled by SQL
TRAFFIC_DAYS = 365
TYPES = (("Early bird", 20_000), ("Student", 12_000), ("VIP", 8_000))  # besides the GA type Database creates

COUNTER_TABLE = """
create table if not exists bench_daily_counter (
    event_id integer not null,
    day date not null,
    ticket_type_id integer not null,  -- 0: the order-level row (orders registered, orders that lost every ticket)
    registered integer not null default 0,
    cancelled integer not null default 0,
    orders integer not null default 0,
    orders_lost integer not null default 0,
    primary key (event_id, day, ticket_type_id)
)"""


def median_ms(fn, runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


# --- the data ---------------------------------------------------------------------------------------------------


def build_tickets(db: Database, tickets: int = TICKETS) -> dict:
    """Orders of one or two tickets (every fourth order two) registered over DAYS days, a twentieth of the orders
    cancelled whole, a fifteenth of the other tickets cancelled alone, a third of the valid ones checked in today;
    plus 300 expired and 200 pending orders (held places: not registrations). Returns counts for the report."""
    orders = tickets * 4 // 5  # 4 orders in 5 of one ticket, 1 in 5 of two: 1.25 tickets an order
    with psycopg.connect(db.url) as conn:
        ga = db.type_id
        conn.execute("update event set capacity = null, published_at = now() - interval '400 days', "
                     "created_at = now() - interval '410 days' where id = %s", (db.event_id,))
        type_ids = [ga]
        for i, (name, quantity) in enumerate(TYPES, start=1):
            type_ids.append(conn.execute(
                "insert into ticket_type (event_id, name, description, price_minor, currency, quantity, sold, "
                "min_per_order, max_per_order, hidden, unlock_code, sort_order) values "
                "(%s, %s, '', 0, 'EUR', %s, 0, 1, 10, false, '', %s) returning id",
                (db.event_id, name, quantity, i)).fetchone()[0])
        conn.execute("update ticket_type set quantity = 70000 where id = %s", (ga,))
        # Registered orders: the ids give the shape (every 4th two tickets, every 20th cancelled whole).
        conn.execute(
            "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
            "currency, locale, access_token, request_fingerprint, created_at, cancelled_at) "
            "select %s, %s, 'Buyer ' || g, 'buyer' || g || '@example.com', "
            "case when g %% 20 = 0 then 'cancelled' else 'confirmed' end, 0, 'EUR', 'en', md5(random()::text || g), "
            "'', c, case when g %% 20 = 0 then least(now(), c + interval '3 days') end from ("
            "  select g, now() - ((g * 7919) %% %s) * interval '1 day' - (g %% 1440) * interval '1 minute' as c "
            "  from generate_series(1, %s) g) s",
            (db.org_id, db.event_id, DAYS, orders))
        # Types by ticket (60 % GA, 20 % early bird, 12 % student, 8 % VIP), a fifteenth of the tickets of
        # confirmed orders cancelled alone, a third of the valid ones checked in; k numbers the tickets.
        conn.execute(
            "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
            "created_at, cancelled_at, checked_in_at) "
            "select id, event_id, (array[%s, %s, %s, %s])[case when k %% 25 < 15 then 1 when k %% 25 < 20 then 2 "
            "  when k %% 25 < 23 then 3 else 4 end], 'Guest ' || k, '', md5(access_token || k), "
            "  case when status = 'cancelled' or k %% 15 = 0 then 'cancelled' else 'valid' end, created_at, "
            "  case when status = 'cancelled' then cancelled_at "
            "    when k %% 15 = 0 then least(now(), created_at + (k %% 5) * interval '1 day') end, "
            "  case when status = 'confirmed' and k %% 15 <> 0 and k %% 3 = 0 "
            "    then now() - (k %% 240) * interval '1 minute' end "
            "from (select o.*, o.id * 2 + n as k from ticket_order o "
            "  cross join lateral generate_series(0, case when o.id %% 4 = 0 then 1 else 0 end) n "
            "  where o.event_id = %s) x", (*type_ids, db.event_id))
        # Held places that never became registrations: expired (places back) and still pending.
        for status, ticket_status, n in (("expired", "cancelled", 300), ("pending", "held", 200)):
            conn.execute(
                "with o as (insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, "
                "total_minor, currency, locale, access_token, request_fingerprint, created_at, expires_at) "
                "select %s, %s, 'Held', 'held@example.com', %s, 0, 'EUR', 'en', md5(random()::text || g), '', "
                "now() - (g %% 20) * interval '1 day', now() + interval '1 hour' from generate_series(1, %s) g "
                "returning id, event_id, created_at) "
                "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, "
                "status, created_at) select o.id, o.event_id, %s, 'Held', '', md5(random()::text || o.id), %s, "
                "o.created_at from o", (db.org_id, db.event_id, status, n, ga, ticket_status))
        conn.execute("update ticket_type t set sold = (select count(*) from ticket k where k.ticket_type_id = t.id "
                     "and k.status in ('valid', 'held')) where t.event_id = %s", (db.event_id,))
        conn.execute("update event set sold = (select sum(sold) from ticket_type where event_id = %s) where id = %s",
                     (db.event_id, db.event_id))
        registered, cancelled, checked = conn.execute(
            "select count(*), count(*) filter (where k.status = 'cancelled'), count(k.checked_in_at) from ticket k "
            "join ticket_order o on o.id = k.order_id where k.event_id = %s and o.status in ('confirmed', 'cancelled')",
            (db.event_id,)).fetchone()
    return dict(registered=registered, cancelled=cancelled, checked_in=checked, orders=orders, types=type_ids)


def fill_counters(db: Database) -> int:
    """bench_daily_counter as the handlers would have kept it: per local day (the event's zone) and ticket type,
    tickets registered and cancelled; on the type-0 row, orders registered and orders that lost their last valid
    ticket (cancelled whole, or their tickets cancelled one by one)."""
    day = "(%s at time zone e.time_zone)::date"  # timestamptz: the local date in the event's zone
    with psycopg.connect(db.url) as conn:
        conn.execute(COUNTER_TABLE)
        conn.execute(
            "insert into bench_daily_counter (event_id, day, ticket_type_id, registered, cancelled) "
            "select event_id, day, ticket_type_id, sum(r), sum(c) from ("
            f"  select k.event_id, {day % 'k.created_at'} as day, k.ticket_type_id, 1 as r, 0 as c "
            "  from ticket k join ticket_order o on o.id = k.order_id join event e on e.id = k.event_id "
            "  where k.event_id = %(e)s and o.status in ('confirmed', 'cancelled') "
            "  union all "
            f"  select k.event_id, {day % 'coalesce(k.cancelled_at, o.cancelled_at)'}, k.ticket_type_id, 0, 1 "
            "  from ticket k join ticket_order o on o.id = k.order_id join event e on e.id = k.event_id "
            "  where k.event_id = %(e)s and o.status in ('confirmed', 'cancelled') and k.status = 'cancelled'"
            ") x group by event_id, day, ticket_type_id", {"e": db.event_id})
        conn.execute(
            "insert into bench_daily_counter (event_id, day, ticket_type_id, orders, orders_lost) "
            "select event_id, day, 0, sum(n), sum(l) from ("
            f"  select o.event_id, {day % 'o.created_at'} as day, 1 as n, 0 as l "
            "  from ticket_order o join event e on e.id = o.event_id "
            "  where o.event_id = %(e)s and o.status in ('confirmed', 'cancelled') "
            "  union all "
            f"  select o.event_id, {day % 'coalesce(o.cancelled_at, x.last_cancel)'}, 0, 1 "
            "  from ticket_order o join event e on e.id = o.event_id join lateral ("
            "    select max(k.cancelled_at) as last_cancel, count(*) filter (where k.status = 'valid') as valid "
            "    from ticket k where k.order_id = o.id) x on true "
            "  where o.event_id = %(e)s and o.status in ('confirmed', 'cancelled') and x.valid = 0"
            ") y group by event_id, day", {"e": db.event_id})
        conn.execute("analyze")
        return conn.execute("select count(*) from bench_daily_counter").fetchone()[0]


def bench_counting(db: Database, views: int = VIEWS) -> None:
    """The real counting path, as the public page calls it after it has shown (a session per call, the event by
    id): `views` visits over 5 days from distinct visitors, a tenth of them repeats the same day (not counted),
    a tenth signed in (one membership lookup), a mix of referrers and utm tags."""
    from sqlmodel import Session

    from aqstream.services.reports import traffic

    with psycopg.connect(db.url) as conn:
        warm_id = conn.execute("select id from event where slug = %s", (db.warmup_slug,)).fetchone()[0]
    rng = random.Random(14)
    referrers = ["", "", "", "https://www.google.com/search?q=x", "https://t.me/channel", "https://vk.com/wall",
                 "https://news.ycombinator.com/", "https://www.facebook.com/", "https://duckduckgo.com/"]
    utms = [{}, {}, {}, {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"},
            {"utm_source": "telegram", "utm_medium": "social"}, {"utm_source": "partner", "utm_campaign": "x"}]
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    start = datetime.now(timezone.utc) - timedelta(days=5)
    visits = []
    for i in range(views):
        day = i * 5 // views
        repeat = i % 10 == 9
        n = i - 1 if repeat else i  # the previous visitor again, same day
        visits.append(dict(client_ip=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", user_agent=agent,
                           referrer=rng.choice(referrers), utm=rng.choice(utms), user_id=(1000 + i) if i % 10 == 3 else None,
                           now=start + timedelta(days=day, seconds=i % 80000)))
    counted = 0
    latencies = []
    t0 = time.perf_counter()
    for visit in visits:
        t1 = time.perf_counter()
        with Session(db.engine) as s:
            counted += traffic.count(s, warm_id, "view", **visit)
        latencies.append(time.perf_counter() - t1)
    seconds = time.perf_counter() - t0
    with psycopg.connect(db.url) as conn:
        stored, rows = conn.execute("select coalesce(sum(visitors), 0), count(*) from event_traffic where event_id = %s",
                                    (warm_id,)).fetchone()
    latencies.sort()
    print(f"page views through traffic.count(): {views:,} visits in {seconds:.1f} s = {views / seconds:,.0f} views/s, "
          f"{seconds / views * 1000:.2f} ms a view (p50 {latencies[len(latencies) // 2] * 1000:.2f} ms, "
          f"p99 {latencies[int(len(latencies) * .99)] * 1000:.2f} ms), one process, one connection at a time", flush=True)
    expected = len({(v["now"].date(), v["client_ip"]) for v in visits})
    print(f"  counted {counted:,} (expected {expected:,}: repeats the same day do not count); event_traffic holds "
          f"{stored:,} visitors in {rows} rows", flush=True)


def fill_traffic(db: Database, views: int = TRAFFIC_VIEWS) -> int:
    """event_traffic as `views` views over TRAFFIC_DAYS days and 40 origins (12 referring domains, direct, 27 utm
    tag sets; each origin on 3 of 4 days, weighted) would have left it: visitors summing to `views`, then a third
    starting the form, 0.8 of those sending it, 0.95 of those confirmed. Returns the rows."""
    with psycopg.connect(db.url) as conn:
        conn.execute(
            "insert into event_traffic (event_id, day, source, utm_source, utm_medium, utm_campaign, visitors, "
            "form_started, submitted, confirmed) "
            "select %(e)s, day, source, us, um, uc, v, v / 3, v / 3 * 4 / 5, v / 3 * 4 / 5 * 95 / 100 from ("
            "  select day, source, us, um, uc, base + case when rn <= %(n)s - sum(base) over () then 1 else 0 end as v "
            "  from ("
            "    select day, source, us, um, uc, floor(%(n)s::numeric * w / sum(w) over ())::int as base, "
            "      row_number() over (order by w desc, day, source, us, um, uc) as rn "
            "    from ("
            "    select current_date - d as day, s.source, s.us, s.um, s.uc, "
            "      (s.k + 1) * (1 + (d * 37 + s.k * 11) %% 9) as w "
            "    from generate_series(0, %(days)s - 1) d cross join ("
            "      select k, case when k between 1 and 12 then 'site' || k || '.example' else '' end as source, "
            "        case when k > 12 then 'src' || (k %% 9) else '' end as us, "
            "        case when k > 12 then (array['email', 'social', 'cpc'])[1 + k %% 3] else '' end as um, "
            "        case when k > 12 then 'campaign' || k else '' end as uc "
            "      from generate_series(0, 39) k) s "
            "    where (d + s.k) %% 4 <> 0) x) y"
            ") z where v > 0",
            {"e": db.event_id, "n": views, "days": TRAFFIC_DAYS})
        conn.execute("analyze event_traffic")
        rows, total, size = conn.execute(
            "select count(*), sum(visitors), pg_total_relation_size('event_traffic') from event_traffic "
            "where event_id = %s", (db.event_id,)).fetchone()
    print(f"event_traffic for {total:,} views over {TRAFFIC_DAYS} days and 40 sources: {rows:,} rows "
          f"({size / 1e6:.1f} MB with its indexes, the counted visits' rows included)", flush=True)
    return rows


# --- the alternative: daily counters kept by a domain-event handler ---------------------------------------------


def counter_analytics(session, principal, organization_id: int, event_id: int, range_key: str = "30d",
                      start: str | None = None, end: str | None = None, now: datetime | None = None):
    """`event_analytics` with the ticket counts read from bench_daily_counter instead of aggregated from the
    tickets; everything else (the event, revenue, types, funnel, sources, arrivals) read as the app reads it."""
    from sqlalchemy import text

    from aqstream.services.clock import utcnow
    from aqstream.services.events.events import get_event, list_ticket_types
    from aqstream.services.reports import analytics as a
    from aqstream.services.reports import traffic

    event = get_event(session, principal, organization_id, event_id, a.VIEW_ATTENDEES)
    zone = ZoneInfo(event.time_zone)
    now = a._as_utc(now or utcnow())
    today = now.astimezone(zone).date()
    span = a.period(event, range_key, start, end, today)
    days = [span.start + timedelta(days=i) for i in range((span.end - span.start).days + 1)]
    week = today - timedelta(days=6)
    totals = session.execute(text(
        "select coalesce(sum(registered - cancelled), 0), coalesce(sum(orders - orders_lost), 0), "
        "coalesce(sum(registered) filter (where day = :today), 0), "
        "coalesce(sum(registered) filter (where day >= :week and day <= :today), 0), coalesce(sum(cancelled), 0), "
        "coalesce(sum(registered - cancelled) filter (where day < :start), 0) "
        "from bench_daily_counter where event_id = :e"),
        dict(e=event.id, today=today, week=week, start=span.start)).one()
    tickets_now, orders_now, today_count, week_count, cancelled_all, holding = (int(v) for v in totals)
    by_type: dict[date, dict[int, int]] = {}
    cancelled: Counter = Counter()
    orders: Counter = Counter()
    for day, type_id, registered, lost, placed in session.execute(text(
            "select day, ticket_type_id, registered, cancelled, orders from bench_daily_counter "
            "where event_id = :e and day between :start and :end"), dict(e=event.id, start=span.start, end=span.end)):
        if type_id == 0:
            orders[day] += placed
            continue
        if registered:
            by_type.setdefault(day, {})[type_id] = registered
        cancelled[day] += lost
    from sqlalchemy import func, select

    from aqstream.models import Order
    from aqstream.services.lifecycle import OrderStatus
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
    out = []
    for day in days:
        kinds = by_type.get(day, {})
        registered_n = sum(kinds.values())
        holding += registered_n - cancelled[day]
        out.append(a.Day(day, orders[day], registered_n, cancelled[day], registered_n - cancelled[day], kinds, holding))
    tiles = a.Tiles(tickets_now, orders_now, capacity, left, today_count, week_count, cancelled_all, revenue)
    checked_in, arrivals = a._arrivals(session, event.id, zone)
    return a.EventAnalytics(event.id, event.title, event.time_zone, span, tiles,
                            [(t.id, t.name, t.quantity) for t in types], out,
                            traffic.funnel(session, event.id, span.start, span.end),
                            traffic.sources(session, event.id, span.start, span.end), checked_in, arrivals)


_zones: dict[int, str] = {}


def count_registrations(session, events) -> None:
    """The handler the counters would need (bench only): `order.placed` of a registration (not a held order) adds
    its tickets to today's row of each ticket type and the order to the order-level row, one upsert for the whole
    batch, rows in key order so concurrent batches lock them in the same order."""
    from sqlalchemy import text

    rows: Counter = Counter()
    for e in events:
        p = e.payload
        if p.get("pending_until"):
            continue
        event_id = p["event_id"]
        if event_id not in _zones:
            _zones[event_id] = session.execute(text("select time_zone from event where id = :e"),
                                               {"e": event_id}).scalar_one()
        day = e.occurred_at.astimezone(ZoneInfo(_zones[event_id])).date()
        for type_id, n in p["tickets"].items():
            rows[(event_id, day, int(type_id), "registered")] += n
        rows[(event_id, day, 0, "orders")] += 1
    if not rows:
        return
    values = [dict(e=k[0], d=k[1], t=k[2], r=n if k[3] == "registered" else 0, o=n if k[3] == "orders" else 0)
              for k, n in sorted(rows.items())]
    session.execute(text(
        "insert into bench_daily_counter (event_id, day, ticket_type_id, registered, orders) "
        "values (:e, :d, :t, :r, :o) on conflict (event_id, day, ticket_type_id) do update set "
        "registered = bench_daily_counter.registered + excluded.registered, "
        "orders = bench_daily_counter.orders + excluded.orders"), values)


def rush(tickets: int, clients: int, batched: bool, counters: bool) -> float:
    """The service-layer rush of bench/rush.py (register() from `clients` threads, one transaction each or
    through the registration queue), with or without the counter handler in every registration's transaction."""
    from sqlmodel import Session

    from aqstream.services.errors import SoldOut
    from aqstream.services.notify import domain_events
    from aqstream.services.sales import registration, registration_queue

    db = Database(tickets)
    with psycopg.connect(db.url) as conn:
        conn.execute(COUNTER_TABLE)
    if counters:
        domain_events.handler("order.placed", batch=True)(count_registrations)
    acknowledged: set[int] = set()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n):
        i = 0
        while not stop.is_set():
            i += 1
            t0 = time.perf_counter()
            args = dict(org_slug=db.org_slug, event_slug=db.event_slug, ticket_type_id=db.type_id, buyer_name="Svc",
                        buyer_email=f"svc{n}-{i}@example.com", idempotency_key=f"{n}-{i}")
            try:
                if batched:
                    r = registration_queue.submit(db.engine, **args).result()
                else:
                    with Session(db.engine, expire_on_commit=False) as s:
                        r = registration.register(s, **args)
            except SoldOut:
                stop.set()
                return
            with lock:
                acknowledged.add(r.order.id)
                latencies.append(time.perf_counter() - t0)

    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(worker, range(clients)))
        seconds = time.perf_counter() - t0
    finally:
        if counters:
            domain_events.unregister("order.placed", count_registrations)
    _, oversold, lost = db.audit(acknowledged)
    with psycopg.connect(db.url) as conn:
        kept = conn.execute("select coalesce(sum(registered), 0) from bench_daily_counter where event_id = %s",
                            (db.event_id,)).fetchone()[0]
    db.drop()
    label = (f"{'batched (as the app runs)' if batched else 'one transaction each'}, "
             f"{'+ counter upsert' if counters else 'no counters'}")
    rate = report(label, len(acknowledged), seconds, latencies, oversold, lost)
    if counters and kept != len(acknowledged):
        print(f"  counters kept {kept}, not {len(acknowledged)}!", flush=True)
    return rate


# --- the organization view --------------------------------------------------------------------------------------


def bench_org(db: Database, events: int = 200) -> None:
    """HOOK for the organization view (issue 14: 200 events in under 500 ms): the big event plus events - 1 others
    of a few hundred tickets and some traffic each, then org_analytics() timed, median of 5. Skipped until
    aqstream/services/reports/org_analytics.py exists."""
    try:
        from aqstream.services.reports import org_analytics
    except ImportError:
        print(f"organization view over {events} events: skipped (services/reports/org_analytics.py not there yet)",
              flush=True)
        return
    from sqlmodel import Session

    from aqstream.services.org.permissions import Principal

    with psycopg.connect(db.url) as conn:
        owner = conn.execute("select id from user_account limit 1").fetchone()[0]
        others = events - 2  # besides the big event and the warm-up event Database made
        # Copies of the big event (every column as it is, but its name, dates and counters).
        columns = [c for (c,) in conn.execute("select column_name from information_schema.columns where "
                                               "table_name = 'event' and column_name <> 'id' order by ordinal_position")]
        changed = {"slug": "'org-' || g", "title": "'Event ' || g", "capacity": "null", "sold": "0",
                   "starts_at": "starts_at - g * interval '2 days'", "ends_at": "ends_at - g * interval '2 days'",
                   "published_at": "now() - (g %% 300) * interval '1 day'"}
        conn.execute(
            f"insert into event ({', '.join(columns)}) select {', '.join(changed.get(c, c) for c in columns)} "
            "from event cross join generate_series(1, %s) g where event.id = %s", (others, db.event_id))
        conn.execute(
            "insert into ticket_type (event_id, name, description, price_minor, currency, quantity, sold, "
            "min_per_order, max_per_order, hidden, unlock_code, sort_order) select id, 'GA', '', 0, 'EUR', 1000, 0, "
            "1, 10, false, '', 0 from event where slug like 'org-%'")
        conn.execute(
            "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
            "currency, locale, access_token, request_fingerprint, created_at, cancelled_at) "
            "select e.organization_id, e.id, 'B', 'b@example.com', case when g % 20 = 0 then 'cancelled' "
            "else 'confirmed' end, 0, 'EUR', 'en', md5(random()::text || e.id || '-' || g), '', "
            "now() - ((g * 31 + e.id) % 90) * interval '1 day', "
            "case when g % 20 = 0 then now() - interval '1 day' end "
            "from event e cross join generate_series(1, 200 + e.id % 300) g where e.slug like 'org-%'")
        conn.execute(
            "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
            "created_at, cancelled_at) select o.id, o.event_id, t.id, 'G', '', md5(o.access_token), "
            "case when o.status = 'cancelled' then 'cancelled' else 'valid' end, o.created_at, o.cancelled_at "
            "from ticket_order o join event e on e.id = o.event_id join ticket_type t on t.event_id = e.id "
            "where e.slug like 'org-%'")
        conn.execute(
            "insert into event_traffic (event_id, day, source, utm_source, utm_medium, utm_campaign, visitors, "
            "form_started, submitted, confirmed) select e.id, current_date - d, s, '', '', '', 20 + d % 30, 8, 6, 5 "
            "from event e cross join generate_series(0, 89) d cross join unnest(array['', 'site1.example', "
            "'site2.example']) s where e.slug like 'org-%'")
        conn.execute("analyze")
        n = conn.execute("select count(*) from event where organization_id = %s", (db.org_id,)).fetchone()[0]
    print(f"organization view, {n} events (one of {TICKETS:,} tickets, the others 200-500 orders), median of 5 "
          f"(target < 500 ms):", flush=True)
    with Session(db.engine) as s:
        for weeks in (12, 52):
            ms, result = median_ms(lambda: org_analytics.org_analytics(s, Principal(owner), db.org_id, weeks))
            print(f"  {weeks} weeks: {ms:.0f} ms ({len(result.events)} event rows, "
                  f"{sum(w.tickets for w in result.weeks):,} tickets registered in the weeks shown)", flush=True)


# --- main -------------------------------------------------------------------------------------------------------


def run(views: int = VIEWS, rush_tickets: int = 3000, clients: int = 64) -> None:
    from sqlmodel import Session

    from aqstream.services.org.permissions import Principal
    from aqstream.services.reports import analytics

    t_start = time.perf_counter()
    db = Database(TICKETS)
    try:
        t0 = time.perf_counter()
        shape = build_tickets(db)
        print(f"analytics at scale: {shape['registered']:,} registered tickets ({shape['orders']:,} orders) over {DAYS} "
              f"days, 4 ticket types, {shape['cancelled']:,} cancelled, {shape['checked_in']:,} checked in, "
              f"500 held or expired orders besides (built in {time.perf_counter() - t0:.0f} s)", flush=True)
        bench_counting(db, views)
        fill_traffic(db)
        t0 = time.perf_counter()
        rows = fill_counters(db)
        fill_s = time.perf_counter() - t0
        with psycopg.connect(db.url) as conn:
            owner = conn.execute("select id from user_account limit 1").fetchone()[0]
        principal = Principal(owner)
        print(f"counters (bench only): {rows} rows in bench_daily_counter for the same tickets, rebuilt from them "
              f"in {fill_s:.2f} s", flush=True)
        print("the Analytics tab's data, median of 5 (target < 300 ms):", flush=True)
        with Session(db.engine) as s:
            same = True
            for key, label in (("7d", "7 days"), ("30d", "30 days"), ("all", "all: 366 days")):
                agg_ms, agg = median_ms(lambda: analytics.event_analytics(s, principal, db.org_id, db.event_id, key))
                cnt_ms, cnt = median_ms(lambda: counter_analytics(s, principal, db.org_id, db.event_id, key))
                equal = agg.days == cnt.days and agg.tiles == cnt.tiles and agg.funnel == cnt.funnel
                same = same and equal
                print(f"  {label:<15} aggregate queries {agg_ms:6.0f} ms   counters {cnt_ms:6.0f} ms   "
                      f"({agg.tiles.tickets:,} holding a place, {sum(d.tickets for d in agg.days):,} registered and "
                      f"{agg.funnel[0].count:,} visitors in the period; same figures: {'yes' if equal else 'NO'})",
                      flush=True)
                if not equal:
                    diff = [(x, y) for x, y in zip(agg.days, cnt.days) if x != y][:2]
                    print(f"    tiles {agg.tiles} vs {cnt.tiles}; first differing days {diff}", flush=True)
            # What the tab's parts cost, to see where the time goes (30 days).
            from sqlalchemy import text

            from aqstream.services.reports import traffic
            today = date.today()
            part_ms, _ = median_ms(lambda: (traffic.funnel(s, db.event_id, today - timedelta(days=365), today),
                                            traffic.sources(s, db.event_id, today - timedelta(days=365), today)))
            door_ms, door = median_ms(lambda: analytics._arrivals(s, db.event_id, ZoneInfo("UTC")))
            # The app groups the check-ins per UTC quarter hour in the database and names them in the event's zone;
            # the bare grouping query beside it shows what is left of the cost in Python.
            grouped_ms, grouped = median_ms(lambda: s.execute(text(
                "select floor(extract(epoch from checked_in_at) / 900) as q, count(*) from ticket "
                "where event_id = :e and status = 'valid' and checked_in_at is not null group by q"),
                {"e": db.event_id}).all())
            print(f"  of which: funnel + sources over 366 days {part_ms:.0f} ms, arrivals at the door "
                  f"({shape['checked_in']:,} check-ins, as the app reads them) {door_ms:.0f} ms (the bare grouping "
                  f"query: {grouped_ms:.0f} ms, {len(grouped)} quarter hours as {len(door[1])}); "
                  f"aggregate == counters everywhere: {'yes' if same else 'NO'}", flush=True)
        bench_org(db)
    finally:
        db.drop()
    print(f"write cost of the counters: the registration rush, {rush_tickets:,} tickets, {clients} threads, "
          f"with and without the counter upsert in each registration's transaction:", flush=True)
    rates = {}
    for batched in (False, True):
        for counters in (False, True):
            rates[batched, counters] = rush(rush_tickets, clients, batched, counters)
    for batched in (False, True):
        print(f"  {'batched' if batched else 'one transaction each'}: counters keep "
              f"{rates[batched, True] / rates[batched, False]:.0%} of the rate", flush=True)
    print(f"(analytics bench: {time.perf_counter() - t_start:.0f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=VIEWS, help="visits through traffic.count()")
    parser.add_argument("--rush-tickets", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    run(args.views, args.rush_tickets, args.clients)


if __name__ == "__main__":
    main()
