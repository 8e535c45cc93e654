"""Ticket-rush benchmark: `make bench`. Prints figures; asserts nothing about speed.

1. raw ceiling: the registration's guarded UPDATEs and INSERTs done directly with psycopg,
2. service layer: registration.register() called from threads, each request in its own transaction, and
   through the registration queue the app uses (requests waiting together are committed together),
3. HTTP: the production backend (`reflex run --env prod --backend-only`) under 64 concurrent API
   clients, first with one worker, then with several workers sharing state through Redis;
then the attendee list on 100,000 tickets, and analytics at the scale of issue 14 (bench/analytics.py).
Each run sells one event of TICKETS tickets on a fresh PostgreSQL database and checks afterwards that
nothing was oversold or lost."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AQSTREAM_DATA_DIR", tempfile.mkdtemp(prefix="aqstream-bench-"))

import aiohttp  # noqa: E402
import psycopg  # noqa: E402

PG_ADMIN = os.environ.get("AQSTREAM_TEST_PG_URL",
                          f"postgresql://{os.environ.get('PGUSER', getpass.getuser())}@127.0.0.1:5432/postgres")
PG_ADMIN = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class Database:
    """A fresh PostgreSQL database, migrated, with one published event of `tickets` places."""

    def __init__(self, tickets: int):
        self.name = f"aqs_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        from tests.conftest import alembic_upgrade

        alembic_upgrade(self.url)
        from sqlmodel import Session

        from aqstream.db import make_engine
        from aqstream.services.accounts import accounts
        from aqstream.services.events import events
        from aqstream.services.org import organizations
        from aqstream.services.org.permissions import Principal

        self.engine = make_engine(self.url.replace("postgresql://", "postgresql+psycopg://"))
        with Session(self.engine) as s:
            user = accounts.sign_up(s, name="Bench", email="bench@example.com", password="bench-organizer-pass")
            org = organizations.create_organization(s, Principal(user.id), name="Bench Org", slug="bench")
            ev = events.create_event(s, Principal(user.id), org.id, events.EventInput(
                title="Rush", starts_local="2035-01-01T10:00", ends_local="2035-01-01T18:00", time_zone="UTC",
                venue="Hall", capacity=tickets, ticket_types=[events.TicketTypeInput("GA", tickets, max_per_order=10)]))
            events.publish_event(s, Principal(user.id), org.id, ev.id)
            self.org_slug, self.event_slug, self.event_id = org.slug, ev.slug, ev.id
            self.type_id = events.list_ticket_types(s, ev.id)[0].id
            # A second event to warm a server up on (connections, caches) before the rush is timed.
            warm = events.create_event(s, Principal(user.id), org.id, events.EventInput(
                title="Warm-up", starts_local="2035-01-01T10:00", ends_local="2035-01-01T18:00", time_zone="UTC",
                venue="Hall", capacity=None, ticket_types=[events.TicketTypeInput("GA", 1000, max_per_order=10)]))
            events.publish_event(s, Principal(user.id), org.id, warm.id)
            self.warmup_slug, self.warmup_type_id = warm.slug, events.list_ticket_types(s, warm.id)[0].id
            self.org_id = org.id

    def audit(self, acknowledged: set[int]) -> tuple[int, int, int]:
        """(valid tickets, oversold, lost): lost counts acknowledged orders missing from the database."""
        with psycopg.connect(self.url) as conn:
            valid = conn.execute("select count(*) from ticket where event_id=%s and status='valid'",
                                 (self.event_id,)).fetchone()[0]
            quantity = conn.execute("select quantity from ticket_type where id=%s", (self.type_id,)).fetchone()[0]
            ids = {r[0] for r in conn.execute("select id from ticket_order where event_id=%s", (self.event_id,))}
        return valid, max(0, valid - quantity), len(acknowledged - ids)

    def drop(self):
        self.engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def report(label: str, sold: int, seconds: float, latencies: list[float], oversold: int, lost: int) -> float:
    rate = sold / seconds if seconds else 0.0
    print(f"{label:<34} {rate:8.0f} tickets/s   p50 {percentile(latencies, 50) * 1000:6.1f} ms   "
          f"p95 {percentile(latencies, 95) * 1000:6.1f} ms   p99 {percentile(latencies, 99) * 1000:6.1f} ms   "
          f"sold {sold}   oversold {oversold}   lost {lost}", flush=True)
    return rate


def bench_raw(tickets: int, clients: int) -> float:
    """The same statements the service runs for one order, straight through the driver, on as many
    connections as the app's pool has (AQSTREAM_DB_POOL_SIZE): more only make PostgreSQL slower."""
    clients = min(clients, int(os.environ.get("AQSTREAM_DB_POOL_SIZE", "4")))
    db = Database(tickets)
    acknowledged: set[int] = set()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker():
        with psycopg.connect(db.url) as conn:
            while not stop.is_set():
                t0 = time.perf_counter()
                with conn.transaction():
                    token = uuid.uuid4().hex
                    order_id = conn.execute(
                        "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, "
                        "total_minor, currency, locale, access_token, request_fingerprint, created_at) values "
                        "(%s,%s,'Raw','raw@example.com','confirmed',0,'EUR','en',%s,'',now()) returning id",
                        (db.org_id, db.event_id, token)).fetchone()[0]
                    conn.execute("insert into ticket (order_id, event_id, ticket_type_id, attendee_name, "
                                 "attendee_email, code, status, created_at) values (%s,%s,%s,'Raw','',%s,'valid',now())",
                                 (order_id, db.event_id, db.type_id, uuid.uuid4().hex))
                    conn.execute("insert into outbox_message (organization_id, kind, recipient, payload, status, "
                                 "attempts, next_attempt_at, last_error, created_at) values "
                                 "(%s,'email.registration_confirmation','raw@example.com','{}','pending',0,now(),'',now())",
                                 (db.org_id,))
                    conn.execute("insert into audit_entry (organization_id, actor_label, action, object_type, "
                                 "object_id, data, at) values (%s,'raw','order.create','order',%s,'{}',now())",
                                 (db.org_id, order_id))
                    # The guarded writes last, as the service does: the hot rows stay locked only briefly.
                    took = conn.execute("update ticket_type set sold = sold + 1 where id=%s and sold + 1 <= quantity",
                                        (db.type_id,)).rowcount
                    took = took and conn.execute(
                        "update event set sold = sold + 1 where id=%s and status='published' and "
                        "(capacity is null or sold + 1 <= capacity)", (db.event_id,)).rowcount
                    raise_sold_out = not took
                    if raise_sold_out:
                        stop.set()
                        raise psycopg.Rollback()
                if raise_sold_out:
                    break
                with lock:
                    acknowledged.add(order_id)
                    latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    _, oversold, lost = db.audit(acknowledged)
    db.drop()
    return report(f"raw driver ceiling ({clients} conns)", len(acknowledged), seconds, latencies, oversold, lost)


def bench_service(tickets: int, clients: int, batched: bool) -> float:
    """register() from `clients` threads: each in its own transaction, or through the registration queue
    the app uses (one writer thread committing the waiting requests together)."""
    from sqlmodel import Session

    from aqstream.services.errors import SoldOut
    from aqstream.services.sales import registration, registration_queue

    db = Database(tickets)
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

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    seconds = time.perf_counter() - t0
    _, oversold, lost = db.audit(acknowledged)
    db.drop()
    label = "service, batched (as the app runs)" if batched else "service, one transaction each"
    rate = report(label, len(acknowledged), seconds, latencies, oversold, lost)
    if batched:
        batches = registration_queue.queue_for(db.engine).batches
        print(f"  ({batches} transactions, {len(acknowledged) / max(batches, 1):.1f} orders each on average)")
    return rate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_backend(db: Database, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db.url, "AQSTREAM_PORT": str(port), "REFLEX_USE_SYSTEM_BUN": "1",
           "AQSTREAM_BACKEND_ONLY": "1",
           "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'tools' / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    if workers > 1:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
        env["GRANIAN_WORKERS"] = str(workers)
    else:
        env.pop("REDIS_URL", None)
    log = open(Path(tempfile.gettempdir()) / f"aqstream-bench-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"backend exited: see {log.name}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"backend did not start: see {log.name}")


async def http_rush(base: str, db: Database, clients: int, warmup: bool = False):
    """`clients` buyers, each sending its next request as soon as the last is answered, until sold out.
    aiohttp rather than httpx: the load generator shares the machine's two cores with the server."""
    slug, type_id = (db.warmup_slug, db.warmup_type_id) if warmup else (db.event_slug, db.type_id)
    url = f"{base}/api/v1/public/events/{db.org_slug}/{slug}/registrations"
    acknowledged: set[int] = set()
    latencies: list[float] = []
    errors: list[str] = []
    sold_out = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:
        async def buyer(n: int):
            i = 0
            while not sold_out.is_set():
                i += 1
                body = {"ticket_type_id": type_id, "name": "Http", "email": f"http{n}-{i}@example.com"}
                t0 = time.perf_counter()
                async with client.post(url, json=body, headers={"Idempotency-Key": f"{n}-{i}"}) as r:
                    answer = await r.json()
                    elapsed = time.perf_counter() - t0
                    if r.status == 201:
                        acknowledged.add(answer["id"])
                        latencies.append(elapsed)
                    elif r.status == 409 and answer["error"]["code"] == "sold_out":
                        sold_out.set()
                    else:
                        errors.append(f"{r.status} {str(answer)[:200]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(buyer(n) for n in range(clients)))
        return acknowledged, latencies, time.perf_counter() - t0, errors


def bench_http(tickets: int, clients: int, workers: int) -> float:
    db = Database(tickets)
    proc, base = start_backend(db, workers)
    try:
        asyncio.run(http_rush(base, db, clients, warmup=True))
        acknowledged, latencies, seconds, errors = asyncio.run(http_rush(base, db, clients))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    _, oversold, lost = db.audit(acknowledged)
    db.drop()
    label = f"HTTP API, {workers} worker{'s' if workers > 1 else ''}"
    if errors:
        print(f"  ({len(errors)} requests failed with other errors, e.g. {errors[0]})")
    return report(label, len(acknowledged), seconds, latencies, oversold, lost)


def bench_attendee_list(tickets: int = 100_000) -> None:
    """The organizer's attendee list on one event of `tickets` tickets: each query as the page runs it
    (count and one page of 50), median of 5 runs."""
    from sqlmodel import Session

    from aqstream.services.org.permissions import Principal
    from aqstream.services.sales import attendees

    db = Database(tickets)
    with psycopg.connect(db.url) as conn:
        owner = conn.execute("select id from user_account limit 1").fetchone()[0]
        # Orders and tickets written straight into the tables: 100,000 registrations through the service
        # would only measure the rush again.
        conn.execute(
            "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
            "currency, locale, access_token, request_fingerprint, created_at) select %s, %s, 'Buyer ' || g, "
            "'buyer' || g || '@example.com', 'confirmed', 0, 'EUR', 'en', md5(random()::text || g), '', now() "
            "from generate_series(1, %s) g", (db.org_id, db.event_id, tickets))
        conn.execute(
            "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
            "created_at, checked_in_at) select o.id, o.event_id, %s, (array['Anna','Boris','Vera','Gleb','Daria'])"
            "[1 + o.id %% 5] || ' ' || o.id, '', md5(o.access_token), case when o.id %% 10 = 0 then 'cancelled' "
            "else 'valid' end, now(), case when o.id %% 3 = 0 then now() end from ticket_order o where o.event_id = %s",
            (db.type_id, db.event_id))
        conn.execute("analyze")
    cases = [
        ("first page, newest first", attendees.AttendeeQuery()),
        ("sorted by name, page 1,000", attendees.AttendeeQuery(sort="name", descending=False, page=1000)),
        ("search 'vera 77' (substring)", attendees.AttendeeQuery(search="vera 77")),
        ("filter: valid, checked in", attendees.AttendeeQuery(status="valid", checked_in="yes")),
        ("search by ticket code", None),
    ]
    with Session(db.engine) as s:
        code = s.exec(text_sql("select code from ticket where event_id = :e limit 1"), params={"e": db.event_id}).one()[0]
        cases[-1] = (cases[-1][0], attendees.AttendeeQuery(search=code))
        print(f"attendee list, {tickets:,} tickets in one event (count + one page of 50, median of 5):", flush=True)
        for label, query in cases:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                page = attendees.search(s, Principal(owner), db.org_id, db.event_id, query)
                times.append(time.perf_counter() - t0)
            print(f"  {label:<34} {sorted(times)[2] * 1000:7.1f} ms   ({page.total:,} matching)", flush=True)
    db.drop()


def text_sql(sql: str):
    from sqlalchemy import text

    return text(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(f"ticket rush: {args.tickets} tickets, {args.clients} concurrent clients, PostgreSQL, "
          f"{os.cpu_count()} cores", flush=True)
    raw = bench_raw(args.tickets, args.clients)
    bench_service(args.tickets, args.clients, batched=False)
    service = bench_service(args.tickets, args.clients, batched=True)
    one = bench_http(args.tickets, args.clients, 1)
    many = bench_http(args.tickets, args.clients, args.workers)
    bench_attendee_list()
    print(f"service layer / raw ceiling: {service / raw:.0%}   HTTP ({args.workers} workers) / raw: {many / raw:.0%}   "
          f"HTTP 1 worker / raw: {one / raw:.0%}", flush=True)
    # Analytics at the scale (100,000 tickets, a million page views; counters measured against the
    # aggregate queries): bench/analytics.py, also `make bench-analytics` alone.
    import analytics as analytics_bench

    analytics_bench.run()


if __name__ == "__main__":
    main()
