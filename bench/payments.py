"""Paid-checkout benchmark: `make bench-payments` (also part of `make bench`). Prints figures; asserts nothing
about speed.

Against the production backend (`reflex run --env prod --backend-only`, PostgreSQL, one worker) and the local fake
Stripe server of the test suite (tests/fakes/stripe_server.py, speaking Stripe's HTTP API to the real `stripe`
package), run in a process of its own so that it takes no CPU from this client's event loop:
1. the free rush of bench/rush.py on the same server, for comparison;
2. paid checkouts: `clients` buyers each registering a paid order (POST registration with payment_method=stripe:
   the answer carries the provider's payment page, the Checkout Session made in the same request), until sold
   out: checkouts per second, p50/p99, and afterwards nothing oversold or lost (every acknowledged checkout is a
   pending payment with its session at the provider, every session ours);
3. notifications: NOTIFICATIONS of those sessions paid at the fake Stripe, then their signed webhooks posted by
   `clients` senders: time and rate, and afterwards each order confirmed once (one `payment.succeeded` each)."""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aiohttp  # noqa: E402
import psycopg  # noqa: E402
import rush  # noqa: E402  (sets AQSTREAM_DATA_DIR and the import path)

ROOT = rush.ROOT
sys.path.insert(0, str(ROOT))
SECRET_KEY, WEBHOOK_SECRET = "sk_test_bench_payments", "whsec_bench_payments"
PRICE = 2500


def _serve_fake(conn) -> None:
    """The child process: the fake Stripe, answering the parent's few commands over a pipe."""
    from tests.fakes.stripe_server import StripeFake
    fake = StripeFake(SECRET_KEY, WEBHOOK_SECRET).start()
    conn.send(fake.base_url)
    while True:
        command, arg = conn.recv()
        if command == "stop":
            fake.stop()
            conn.send(None)
            return
        if command == "sessions":
            with fake.lock:
                conn.send(list(fake.sessions))
        elif command == "pay_and_sign":  # each session paid, and its signed checkout.session.completed
            signed = []
            for sid in arg:
                fake.pay(sid)
                signed.append(fake.webhook("checkout.session.completed", sid))
            conn.send(signed)


class FakeStripe:
    """The parent's handle on the fake Stripe process."""

    def __init__(self):
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve_fake, args=(child,), daemon=True)
        self.process.start()
        self.url = self.conn.recv()

    def ask(self, command: str, arg=None):
        self.conn.send((command, arg))
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.ask("stop")
        finally:
            self.process.join(timeout=10)


def paid_event(db: rush.Database, tickets: int) -> tuple[str, int, int]:
    """A second event on the bench database, sold for PRICE through Stripe: (slug, id, ticket type id)."""
    from sqlalchemy import update
    from sqlmodel import Session, select

    from aqstream.models import Event, TicketType, User
    from aqstream.services.events import events
    from aqstream.services.org.permissions import Principal
    from aqstream.services.payments import settings

    with Session(db.engine) as s:
        owner = s.exec(select(User.id)).first()
        me = Principal(owner)
        settings.update_settings(s, me, db.org_id, settings.SettingsInput(stripe_secret_key=SECRET_KEY,
                                                                          stripe_webhook_secret=WEBHOOK_SECRET))
        ev = events.create_event(s, me, db.org_id, events.EventInput(
            title="Paid rush", starts_local="2035-01-01T10:00", ends_local="2035-01-01T18:00", time_zone="UTC",
            venue="Hall", capacity=tickets, ticket_types=[events.TicketTypeInput("GA", tickets, max_per_order=10)]))
        events.publish_event(s, me, db.org_id, ev.id)
        type_id = events.list_ticket_types(s, ev.id)[0].id
        s.exec(update(Event).where(Event.id == ev.id).values(pay_stripe=True, hold_minutes=30))
        s.exec(update(TicketType).where(TicketType.id == type_id).values(price_minor=PRICE))
        s.commit()
        return ev.slug, ev.id, type_id


def start_backend(db: rush.Database, stripe: FakeStripe):
    os.environ["AQSTREAM_STRIPE_API_BASE"] = stripe.url
    try:
        return rush.start_backend(db, 1)
    finally:
        os.environ.pop("AQSTREAM_STRIPE_API_BASE", None)


async def paid_rush(base: str, org: str, slug: str, type_id: int, clients: int):
    url = f"{base}/api/v1/public/events/{org}/{slug}/registrations"
    done: list[tuple[int, str]] = []  # (order id, checkout session id)
    latencies: list[float] = []
    errors: list[str] = []
    sold_out = asyncio.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients),
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        async def buyer(n: int):
            i = 0
            while not sold_out.is_set():
                i += 1
                body = {"ticket_type_id": type_id, "name": "Payer", "email": f"pay{n}-{i}@example.com",
                        "payment_method": "stripe"}
                t0 = time.perf_counter()
                async with client.post(url, json=body, headers={"Idempotency-Key": f"p{n}-{i}"}) as r:
                    answer = await r.json()
                    if r.status == 409 and answer["error"]["code"] == "sold_out":
                        sold_out.set()
                        return
                    if r.status != 201:
                        errors.append(f"register {r.status} {str(answer)[:200]}")
                        continue
                if not answer.get("payment_url"):
                    errors.append(f"payment {answer.get('payment_error')}")
                    continue
                latencies.append(time.perf_counter() - t0)
                done.append((answer["id"], answer["payment_url"].rsplit("/", 1)[-1]))

        t0 = time.perf_counter()
        await asyncio.gather(*(buyer(n) for n in range(clients)))
        return done, latencies, time.perf_counter() - t0, errors


async def notifications(base: str, org: str, signed: list[tuple[bytes, str]], clients: int):
    url = f"{base}/api/v1/payments/stripe/{org}/webhook"
    todo = list(signed)
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients),
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        async def sender():
            while todo:
                body, signature = todo.pop()
                t0 = time.perf_counter()
                async with client.post(url, data=body, headers={"Stripe-Signature": signature,
                                                                "Content-Type": "application/json"}) as r:
                    answer = await r.json()
                    if r.status != 200 or answer.get("payments") != 1:
                        errors.append(f"{r.status} {str(answer)[:200]}")
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(clients)))
        return latencies, time.perf_counter() - t0, errors


def audit(db: rush.Database, event_id: int, type_id: int, done, stripe: FakeStripe) -> dict[str, int]:
    with psycopg.connect(db.url) as conn:
        holding = conn.execute("select count(*) from ticket where event_id=%s and status in ('held','valid')",
                               (event_id,)).fetchone()[0]
        quantity, sold = conn.execute("select quantity, sold from ticket_type where id=%s", (type_id,)).fetchone()
        pays = dict(conn.execute("select id, provider_payment_id from payment where event_id=%s and status in "
                                 "('pending','succeeded')", (event_id,)).fetchall())
        orders = {r[0] for r in conn.execute("select id from ticket_order where event_id=%s", (event_id,))}
        succeeded = conn.execute("select count(*) from domain_event where name='payment.succeeded' and "
                                 "(payload->>'event_id')::int=%s", (event_id,)).fetchone()[0]
        confirmed = conn.execute("select count(*) from ticket_order where event_id=%s and status='confirmed'",
                                 (event_id,)).fetchone()[0]
    sessions = set(stripe.ask("sessions"))
    ours = set(pays.values())
    lost = sum(1 for order_id, sid in done if order_id not in orders or sid not in ours or sid not in sessions)
    return {"holding": holding, "oversold": max(0, holding - quantity) + (sold != holding), "lost": lost,
            "stray_sessions": len(sessions - ours), "sessions": len(sessions), "succeeded": succeeded,
            "confirmed": confirmed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--notifications", type=int, default=1000)
    args = parser.parse_args()
    print(f"paid checkouts: {args.tickets} places, {args.clients} concurrent clients, PostgreSQL, production backend "
          f"(1 worker), fake Stripe over HTTP, {os.cpu_count()} cores", flush=True)
    stripe = FakeStripe()
    db = rush.Database(args.tickets)
    slug, event_id, type_id = paid_event(db, args.tickets)
    proc, base = start_backend(db, stripe)
    try:
        asyncio.run(rush.http_rush(base, db, args.clients, warmup=True))
        acknowledged, latencies, seconds, errors = asyncio.run(rush.http_rush(base, db, args.clients))
        _, oversold, lost = db.audit(acknowledged)
        free = rush.report("free rush (same server)", len(acknowledged), seconds, latencies, oversold, lost)
        done, latencies, seconds, errors = asyncio.run(paid_rush(base, db.org_slug, slug, type_id, args.clients))
        found = audit(db, event_id, type_id, done, stripe)
        paid = rush.report("paid checkouts (registration + Checkout Session)", len(done), seconds, latencies,
                           found["oversold"], found["lost"])
        print(f"  paid / free: {paid / free:.0%}; {found['sessions']} checkout sessions at the provider, "
              f"{found['stray_sessions']} not ours; {len(errors)} other errors{', e.g. ' + errors[0] if errors else ''}",
              flush=True)
        sids = [sid for _, sid in done][: args.notifications]
        signed = stripe.ask("pay_and_sign", sids)
        latencies, seconds, errors = asyncio.run(notifications(base, db.org_slug, signed, args.clients))
        found = audit(db, event_id, type_id, done, stripe)
        print(f"{len(sids)} signed webhooks, {args.clients} senders: {seconds:.2f} s, {len(sids) / seconds:.0f}/s, "
              f"p50 {rush.percentile(latencies, 50) * 1000:.1f} ms, p99 {rush.percentile(latencies, 99) * 1000:.1f} ms; "
              f"orders confirmed {found['confirmed']}, payment.succeeded {found['succeeded']}, "
              f"oversold {found['oversold']}, lost {found['lost']}, errors {len(errors)}"
              f"{', e.g. ' + errors[0] if errors else ''}", flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except Exception:
            os.killpg(proc.pid, signal.SIGKILL)
        stripe.stop()
        db.drop()


if __name__ == "__main__":
    main()
