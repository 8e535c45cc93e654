"""A platform admin's export of a whole organization, at scale: `make bench-admin-export` (also part of `make bench`).
Prints figures; asserts only that the archive holds every row.

A fresh PostgreSQL database (bench/rush.py's `Database`) gets one organization whose event holds 100,000 tickets
(50,000 orders of two, each with an answer), written straight into the tables by SQL; the organization is exported
through the service (services/platform/export.py) reading the whole stream into a temporary file, as a download
would. Then the organization grows to 1,000,000 tickets and is exported again in the same process. For each
export: rows per second, the ZIP's size, the time, and memory: the resident size sampled every 20 ms while
streaming (peak minus the size before), and the process's peak resident size so far (getrusage ru_maxrss). Flat
memory means the 1M export's peak is no higher than the 100k one's. Last, the organization is suspended and
deleted (one transaction) and its time printed."""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AQSTREAM_DATA_DIR", tempfile.mkdtemp(prefix="aqstream-bench-"))

import psycopg  # noqa: E402

from bench.rush import Database  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class RssSampler:
    """The process's resident size, sampled every `every` seconds on a thread while a block runs."""

    def __init__(self, every: float = 0.02):
        self.every = every
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> RssSampler:
        self.start = rss_mb()
        self.peak = self.start
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def fill(db: Database, question_id: int, first_order: int, last_order: int) -> None:
    """Orders first_order..last_order (numbers, not ids) of two tickets each, and one answer per order: SQL only."""
    with psycopg.connect(db.url) as conn:
        conn.execute(
            "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
            "currency, locale, access_token, request_fingerprint, created_at) select %s, %s, 'Buyer ' || g, "
            "'buyer' || g || '@example.com', 'confirmed', 0, 'EUR', 'en', md5('order' || g), '', now() "
            "from generate_series(%s::int, %s::int) g", (db.org_id, db.event_id, first_order, last_order))
        conn.execute(
            "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
            "created_at) select o.id, o.event_id, %s, 'Гость ' || o.id || '-' || n, 'guest' || o.id || '-' || n || "
            "'@example.com', md5(o.access_token || n), 'valid', now() from ticket_order o, generate_series(1, 2) n "
            "where o.event_id = %s and o.id > coalesce((select max(order_id) from ticket where event_id = %s), 0) "
            "order by o.id, n", (db.type_id, db.event_id, db.event_id))
        conn.execute(
            "insert into answer (order_id, ticket_id, question_id, value) select o.id, null, %s, "
            "to_json(case when o.id %% 10 = 0 then '=1+1' else 'Answer ' || o.id end) from ticket_order o "
            "where o.event_id = %s and o.id > coalesce((select max(order_id) from answer), 0)",
            (question_id, db.event_id))
        sold = conn.execute("select count(*) from ticket where event_id = %s", (db.event_id,)).fetchone()[0]
        conn.execute("update event set sold = %s, capacity = null where id = %s", (sold, db.event_id))
        conn.execute("update ticket_type set sold = %s, quantity = %s where id = %s", (sold, sold, db.type_id))
        conn.commit()
        conn.execute("analyze")


def export_once(db: Database, admin_id: int, label: str) -> dict:
    from sqlmodel import Session

    from aqstream.services.org.permissions import Principal
    from aqstream.services.platform import export

    with tempfile.TemporaryFile() as out:
        size = 0
        pieces = 0
        with RssSampler() as rss:
            started = time.perf_counter()
            with Session(db.engine) as session:
                stream = export.export_organization(session, Principal(admin_id), db.org_id)
            for piece in stream:
                out.write(piece)
                size += len(piece)
                pieces += 1
            seconds = time.perf_counter() - started
        out.seek(0)
        archive = zipfile.ZipFile(out)
        readme = archive.read("README.txt").decode()
        counts = {line.split(":")[0].strip(): int(line.split(":")[1]) for line in readme.splitlines()
                  if line.startswith("  ") and line.strip().endswith(tuple("0123456789"))}
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    rows = sum(counts.values())
    with psycopg.connect(db.url) as conn:
        tickets = conn.execute("select count(*) from ticket where event_id = %s", (db.event_id,)).fetchone()[0]
    assert counts["tickets.csv"] == tickets, (counts, tickets)
    peak_rusage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<12} {counts['tickets.csv']:>9,} tickets  {rows:>9,} rows in {seconds:6.1f} s  "
          f"{rows / seconds:8,.0f} rows/s  ZIP {size / 2**20:6.1f} MB (CSV {sum(sizes.values()) / 2**20:6.1f} MB) "
          f"in {pieces} pieces  RSS before {rss.start:5.0f} MB, peak while streaming {rss.peak:5.0f} MB "
          f"(+{rss.peak - rss.start:4.1f} MB)  ru_maxrss so far {peak_rusage:5.0f} MB", flush=True)
    return dict(seconds=seconds, rows=rows, size=size, peak=rss.peak, growth=rss.peak - rss.start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="export at each of these ticket counts (growing)")
    args = parser.parse_args()
    db = Database(10)
    try:
        from sqlmodel import Session, select

        from aqstream.models import Membership
        from aqstream.services.accounts import accounts
        from aqstream.services.events import questions
        from aqstream.services.org.permissions import Principal
        from aqstream.services.platform import admins, export, tenants

        with Session(db.engine) as s:
            admin = accounts.sign_up(s, name="Platform Admin", email="root@example.com",
                                     password="bench-admin-passphrase")
            admins.grant(s, None, admin.email)
            owner_id = s.exec(select(Membership.user_id).where(Membership.organization_id == db.org_id)).first()
            question = questions.add_question(s, Principal(owner_id), db.org_id, db.event_id,
                                              questions.QuestionInput(label="Note", kind="short_text"))
            admin_id, question_id = admin.id, question.id
        print(f"Organization export on PostgreSQL, {os.cpu_count()} CPUs; memory is the process's resident size",
              flush=True)
        orders = 0
        results = []
        for target in args.tickets:
            started = time.perf_counter()
            fill(db, question_id, orders + 1, target // 2)
            orders = target // 2
            print(f"  (filled to {target:,} tickets in {time.perf_counter() - started:.0f} s)", flush=True)
            results.append(export_once(db, admin_id, f"{target // 1000:,}k"))
        if len(results) > 1:
            first, last = results[0], results[-1]
            print(f"memory: peak while streaming {first['peak']:.0f} MB at {args.tickets[0]:,} tickets, "
                  f"{last['peak']:.0f} MB at {args.tickets[-1]:,} ({last['rows'] / first['rows']:.0f}x the rows)",
                  flush=True)
        with Session(db.engine) as s:
            tenants.suspend(s, Principal(admin_id), db.org_id, "Bench")
            started = time.perf_counter()
            gone = export.delete_organization(s, Principal(admin_id), db.org_id, db.org_slug)
            print(f"delete (one transaction): {gone.tickets:,} tickets and {gone.orders:,} orders anonymized in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
    finally:
        db.drop()


if __name__ == "__main__":
    main()
