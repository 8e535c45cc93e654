"""Paid-checkout benchmark: `make bench-payments` (also part of `make bench`). Prints figures; asserts nothing
about speed.

Against the production backend (`reflex run --env prod --backend-only`, PostgreSQL, one worker) and a local fake
Stripe server (FakeStripe below, an HTTP server in this process):
1. the free rush of bench/rush.py on the same server, for comparison;
2. paid checkouts: `clients` buyers each registering a paid order (POST registration with payment_method=stripe)
   and starting its payment (POST /public/orders/{token}/payments, which asks the fake Stripe for a checkout),
   until sold out: checkouts per second, p50/p99 of the pair, and afterwards nothing oversold or lost (every
   acknowledged checkout is a pending payment with a session at the provider, every session ours);
3. notifications: NOTIFICATIONS of those sessions paid at the fake Stripe, then their signed webhooks posted by
   `clients` senders: time and rate, and afterwards each order confirmed once (one `payment.succeeded` each).

The backend asks for Stripe through aqstream/services/payments/stripe_provider.py; while main has none, the folder
bench/stripe_standin (on the backend's PYTHONPATH) supplies a stand-in that talks to FakeStripe over HTTP."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aiohttp  # noqa: E402
import psycopg  # noqa: E402
import rush  # noqa: E402  (sets AQSTREAM_DATA_DIR and the import path)

ROOT = rush.ROOT
SECRET_KEY, WEBHOOK_SECRET = "sk_test_bench_payments", "whsec_bench_payments"
PRICE = 2500


class FakeStripe:
    """Checkout Sessions, retrieve and refunds, in memory, over HTTP: enough of Stripe for the benchmark."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.refunds: list[tuple[str, int]] = []
        self.ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                    return self._answer(401, {"error": {"type": "authentication_error"}})
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake.lock:
                    if self.path == "/v1/checkout/sessions":
                        sid = fake.by_key.get(body["idempotency_key"])
                        if sid is None:
                            sid = fake.by_key[body["idempotency_key"]] = f"cs_test_{next(fake.ids)}"
                            fake.sessions[sid] = {"id": sid, "url": f"https://checkout.fake/{sid}", "status": "open",
                                                  "payment_status": "unpaid", "amount_total": body["amount_total"],
                                                  "currency": body["currency"], "metadata": body["metadata"]}
                        return self._answer(200, fake.sessions[sid])
                    if self.path == "/v1/refunds":
                        fake.refunds.append((body["session"], body["amount"]))
                        return self._answer(200, {"id": f"re_{len(fake.refunds)}"})
                return self._answer(404, {})

            def do_GET(self):
                with fake.lock:
                    found = fake.sessions.get(self.path.rsplit("/", 1)[-1])
                return self._answer(200, found) if found else self._answer(404, {})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pay(self, sid: str) -> None:
        with self.lock:
            self.sessions[sid].update(status="complete", payment_status="paid")

    def webhook(self, sid: str) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed",
                           "data": {"object": {"id": sid}}}).encode()
        t = str(int(time.time()))
        v1 = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"Stripe-Signature": f"t={t},v1={v1}", "Content-Type": "application/json"}


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
    os.environ["AQSTREAM_BENCH_STRIPE_URL"] = stripe.url
    os.environ["AQSTREAM_STRIPE_API_BASE"] = stripe.url  # for the real provider, once it exists
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench" / "stripe_standin"),
                                                             os.environ.get("PYTHONPATH", "")]))
    try:
        return rush.start_backend(db, 1)
    finally:
        for name in ("AQSTREAM_BENCH_STRIPE_URL", "PYTHONPATH"):
            os.environ.pop(name, None)


async def paid_rush(base: str, org: str, slug: str, type_id: int, clients: int):
    url = f"{base}/api/v1/public/events/{org}/{slug}/registrations"
    done: list[tuple[int, str, int]] = []  # (order id, token, payment id)
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
                token = answer["confirmation_url"].rsplit("/", 1)[-1]
                async with client.post(f"{base}/api/v1/public/orders/{token}/payments", json={}) as r:
                    paid = await r.json()
                    if r.status != 200:
                        errors.append(f"payment {r.status} {str(paid)[:200]}")
                        continue
                latencies.append(time.perf_counter() - t0)
                done.append((answer["id"], token, paid["payment_id"]))

        t0 = time.perf_counter()
        await asyncio.gather(*(buyer(n) for n in range(clients)))
        return done, latencies, time.perf_counter() - t0, errors


async def notifications(base: str, org: str, stripe: FakeStripe, sids: list[str], clients: int):
    url = f"{base}/api/v1/payments/stripe/{org}/webhook"
    todo = list(sids)
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients),
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        async def sender():
            while todo:
                body, headers = stripe.webhook(todo.pop())
                t0 = time.perf_counter()
                async with client.post(url, data=body, headers=headers) as r:
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
    with stripe.lock:
        sessions = set(stripe.sessions)
    lost = sum(1 for order_id, _, payment_id in done if order_id not in orders or pays.get(payment_id) not in sessions)
    return {"holding": holding, "oversold": max(0, holding - quantity) + (sold != holding), "lost": lost,
            "stray_sessions": len(sessions - set(pays.values())), "succeeded": succeeded, "confirmed": confirmed}


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
        paid = rush.report("paid checkouts (register + start)", len(done), seconds, latencies, found["oversold"],
                           found["lost"])
        print(f"  paid / free: {paid / free:.0%}; {len(stripe.sessions)} checkout sessions at the provider, "
              f"{found['stray_sessions']} not ours; {len(errors)} other errors{', e.g. ' + errors[0] if errors else ''}",
              flush=True)
        sids = [stripe_id for stripe_id in list(stripe.sessions)[: args.notifications]]
        for sid in sids:
            stripe.pay(sid)
        latencies, seconds, errors = asyncio.run(notifications(base, db.org_slug, stripe, sids, args.clients))
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
        stripe.server.shutdown()
        db.drop()


if __name__ == "__main__":
    main()
