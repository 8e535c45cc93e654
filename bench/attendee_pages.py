"""The organizer's attendee list at scale: `python bench/attendee_pages.py`. Prints figures; asserts nothing.

Makes a fresh PostgreSQL database with one event of TICKETS tickets (60% in orders of one, the rest in orders of
two to four, three ticket types, 5% cancelled, 30% checked in, each with its check-in entry and device), then
times `attendees.search` for page 1, page 1,000 and the last page (50 a page), for every sort and a few filters:
the median of REPEAT calls, in ms.

"page 1 / p 1000 / last" (a first visit, a jump, a reload) count the matching tickets and read the page by position
(from the nearer end since the Attendees tab); "step" columns pass the count already known (what the tab does when
only the page changes) and, for pages after the first, the last sort key of the page before (Next), if the
service takes them. --extra-indexes adds (event_id, sort key, id) indexes first, to weigh a migration."""
from __future__ import annotations

import argparse
import getpass
import inspect
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AQSTREAM_DATA_DIR", tempfile.mkdtemp(prefix="aqstream-bench-"))

import psycopg  # noqa: E402

PG_ADMIN = os.environ.get("AQSTREAM_TEST_PG_URL",
                          f"postgresql://{os.environ.get('PGUSER', getpass.getuser())}@127.0.0.1:5432/postgres")
PG_ADMIN = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")

SEED = """
insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, currency, locale,
                          access_token, request_fingerprint, created_at)
select %(org)s, %(event)s, 'Buyer ' || g, 'buyer' || g || '@example.com', 'confirmed', 0, 'EUR', 'en',
       md5('o' || g), '', now() - make_interval(secs => %(orders)s - g)
from generate_series(1, %(orders)s) g;

insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, checked_in_at,
                    created_at)
select o.id, %(event)s, (array[%(t1)s, %(t2)s, %(t3)s])[1 + (n %% 3)],
       (array['Anna','Boris','Carla','Dmitri','Eva','Fyodor','Greta','Hugo'])[1 + (n * 7 %% 8)] || ' '
         || (array['Petrova','Smith','Orlov','Green','Bruni','Ivanova','Klein'])[1 + (n * 13 %% 7)] || ' ' || n,
       case when n %% 4 = 0 then '' else 'guest' || n || '@example.org' end,
       md5('t' || n), case when n %% 20 = 0 then 'cancelled' else 'valid' end,
       case when n %% 10 < 3 then now() else null end, o.created_at
from (select n, (select min(id) from ticket_order where event_id = %(event)s)
             + (case when n <= %(orders)s then n else 1 + (n * 7919 %% %(orders)s) end) - 1 as order_id
      from generate_series(1, %(tickets)s) n) s
join ticket_order o on o.id = s.order_id
order by o.created_at, n;

insert into checkin_list (event_id, name, ticket_type_ids, question_ids, allow_reentry, created_at)
values (%(event)s, 'All tickets', '[]', '[]', false, now());

insert into checkin_entry (list_id, ticket_id, at, device, scan_id, inside)
select (select max(id) from checkin_list where event_id = %(event)s), t.id, t.checked_in_at,
       'Door ' || (1 + t.id %% 4), md5('s' || t.id), true
from ticket t where t.event_id = %(event)s and t.checked_in_at is not null;

update ticket_type set sold = (select count(*) from ticket where ticket_type_id = ticket_type.id)
where event_id = %(event)s;
update event set sold = (select count(*) from ticket where event_id = event.id) where id = %(event)s;
"""

EXTRA_INDEXES = {"bx_ticket_event_id": "event_id, id", "bx_ticket_event_name_id": "event_id, attendee_name, id",
                 "bx_ticket_event_status_id": "event_id, status, id",
                 "bx_ticket_event_type_id": "event_id, ticket_type_id, id"}

CASES = [
    ("registered, newest first", dict(sort="registered", descending=True)),
    ("name A-Z", dict(sort="name", descending=False)),
    ("email A-Z", dict(sort="email", descending=False)),
    ("ticket type", dict(sort="type", descending=False)),
    ("status", dict(sort="status", descending=False)),
    ("valid, not checked in", dict(status="valid", checked_in="no")),
    ("one ticket type", dict(ticket_type_id="TYPE")),
    ("search 'anna'", dict(search="anna")),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this")
    parser.add_argument("--extra-indexes", action="store_true",
                        help="first add (event_id, key, id) indexes for the sorts (a candidate migration)")
    args = parser.parse_args()

    name = f"aqs_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        run(url, args.tickets, args.repeat, args.extra_indexes, args.only)
    finally:
        from aqstream.db import _engine_for

        _engine_for.cache_clear()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(url: str, tickets: int, repeat: int, extra_indexes: bool = False, only: str = "") -> None:
    from sqlmodel import Session

    from aqstream.db import make_engine
    from aqstream.services.accounts import accounts
    from aqstream.services.events import events
    from aqstream.services.org import organizations
    from aqstream.services.org.permissions import Principal
    from aqstream.services.sales import attendees
    from tests.conftest import alembic_upgrade

    alembic_upgrade(url)
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as s:
        user = accounts.sign_up(s, name="Bench", email="bench@example.com", password="bench-organizer-pass")
        org = organizations.create_organization(s, Principal(user.id), name="Bench Org", slug="bench")
        ev = events.create_event(s, Principal(user.id), org.id, events.EventInput(
            title="Big", starts_local="2035-01-01T10:00", ends_local="2035-01-01T18:00", time_zone="UTC",
            venue="Hall", capacity=None,
            ticket_types=[events.TicketTypeInput(n, tickets) for n in ("Standard", "VIP", "Student")]))
        types = [t.id for t in events.list_ticket_types(s, ev.id)]
        principal, org_id, event_id = Principal(user.id), org.id, ev.id
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        values = {"org": org_id, "event": event_id, "orders": int(tickets * 0.7), "tickets": tickets,
                  "t1": types[0], "t2": types[1], "t3": types[2]}
        for statement in SEED.split(";"):
            if statement.strip():
                conn.execute(statement, {k: v for k, v in values.items() if f"%({k})s" in statement})
        if extra_indexes:
            for name, columns in EXTRA_INDEXES.items():
                conn.execute(f"create index {name} on ticket ({columns})")
        conn.execute("vacuum analyze")
        seeded = conn.execute("select count(*) from ticket where event_id = %s", (event_id,)).fetchone()[0]
    print(f"seeded {seeded} tickets in {time.perf_counter() - started:.1f} s; median of {repeat} calls, ms")

    takes_total = "total" in inspect.signature(attendees.search).parameters
    takes_key = "after" in inspect.signature(attendees.search).parameters
    print(f"{'case':<26} {'page 1':>8} {'p 1000':>8} {'last':>8}   {'step 1':>8} {'s 1000':>8} {'s last':>8}  (pages)")
    for label, extra in [c for c in CASES if only in c[0]]:
        extra = {k: (types[1] if v == "TYPE" else v) for k, v in extra.items()}
        with Session(engine) as s:
            first = attendees.search(s, principal, org_id, event_id, attendees.AttendeeQuery(**extra))
        pages = first.pages
        cells, steps = [], []
        for page in (1, min(1000, pages), pages):
            query = attendees.AttendeeQuery(page=page, per_page=50, **extra)
            cells.append(timed(engine, repeat, lambda s: attendees.search(s, principal, org_id, event_id, query)))
            if takes_total:
                keyed = {}
                if takes_key and page > 1:  # reached with Next from the page before it
                    with Session(engine) as s:
                        before = attendees.search(s, principal, org_id, event_id, attendees.AttendeeQuery(
                            page=page - 1, per_page=50, **extra), total=first.total)
                    keyed = {"after": before.last_key}
                steps.append(timed(engine, repeat, lambda s: attendees.search(s, principal, org_id, event_id, query,
                                                                              total=first.total, **keyed)))
        step_text = " ".join(f"{v:8.1f}" for v in steps) if steps else f"{'-':>8} {'-':>8} {'-':>8}"
        print(f"{label:<26} " + " ".join(f"{v:8.1f}" for v in cells) + f"   {step_text}  ({pages})", flush=True)
    engine.dispose()


def timed(engine, repeat: int, call) -> float:
    from sqlmodel import Session

    times = []
    for _ in range(repeat):
        with Session(engine) as s:
            t0 = time.perf_counter()
            call(s)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
