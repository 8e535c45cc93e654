"""Check-in at the door at scale (issue 16): `make bench-checkin` (also run by `make bench`). Prints figures;
asserts nothing about speed (the issue's bar, p99 under 50 ms on loopback, is printed next to them).

On a fresh PostgreSQL database: one event of TICKETS tickets (2 % cancelled), filled by SQL, served by the
production backend (`reflex run --env prod --backend-only`, as bench/rush.py starts it); the devices talk to it
through the REST API with a bearer token, as a third-party scanner would:

1. the list downloaded for offline use (`GET /api/v1/checkin-lists/{id}/offline`): time and size, several runs;
2. four devices redeeming scans (`POST /api/v1/checkin-lists/{id}/scans`) paced at 1,000 scans a minute
   together for AQSTREAM_BENCH_CHECKIN_SECONDS (60 by default): first scans (half by the signed payload of the
   QR code, half by the typed code), repeats of tickets let in before (by any device), the same scan sent
   twice (a replayed sync), and a few bad codes (unknown, a tampered payload, a cancelled ticket);
3. the same four devices unpaced, as fast as they can: first each on its own fresh tickets (the headroom), then
   all scanning the SAME fresh tickets in the same order (every ticket reaches the four doors at nearly the same
   moment: the race guard under load);
4. a check of the database afterwards: one entry per ticket let in, one welcome per ticket, every scan kept once.

Each device is one thread with its own keep-alive HTTP connection (httpx) and its own scan ids."""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from rush import Database, percentile, start_backend  # noqa: E402

TICKETS = 10_000
DEVICES = 4
PER_MINUTE = 1_000
BAR_MS = 50
DOWNLOADS = 5
BURST_TICKETS = 1_000  # fresh tickets set aside for each unpaced burst


def fill(db: Database, tickets: int) -> None:
    """One order per ticket, by SQL (10,000 registrations through the service would only measure the rush
    again); 2 % cancelled, so the revocation list is not empty."""
    with psycopg.connect(db.url) as conn:
        conn.execute(
            "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
            "currency, locale, access_token, request_fingerprint, created_at) select %s, %s, 'Buyer ' || g, "
            "'buyer' || g || '@example.com', 'confirmed', 0, 'EUR', 'en', md5(random()::text || g), '', now() "
            "from generate_series(1, %s) g", (db.org_id, db.event_id, tickets))
        conn.execute(
            "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
            "created_at) select o.id, o.event_id, %s, (array['Anna','Boris','Vera','Gleb','Daria'])[1 + o.id %% 5]"
            " || ' ' || o.id, 'guest' || o.id || '@example.com', md5(o.access_token), case when o.id %% 50 = 0 "
            "then 'cancelled' else 'valid' end, now() from ticket_order o where o.event_id = %s",
            (db.type_id, db.event_id))
        conn.execute("update event set sold = %s where id = %s", (tickets, db.event_id))
        conn.execute("analyze")


def signed_payloads(db: Database) -> dict[int, str]:
    """Every valid ticket's QR text as attendees get it (signing.qr_payloads: the signed payload), made here
    with the same secret key the backend reads (the same data directory)."""
    from sqlmodel import Session, select

    from aqstream.models import Event, Ticket
    from aqstream.services.checkin import signing

    with Session(db.engine) as s:
        event = s.get(Event, db.event_id)
        tickets = s.exec(select(Ticket).where(Ticket.event_id == db.event_id)).all()
        return {ticket_id: text for ticket_id, text in signing.qr_payloads(s, event, tickets).items() if text}


def token(client: httpx.Client) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": "bench@example.com", "password": "bench-organizer-pass",
                                                "organization": "bench"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def bench_download(client: httpx.Client, headers: dict, list_id: int, runs: int) -> dict:
    """The list for offline use, `runs` times on one connection; the body as the device stores it."""
    times, wire, body = [], 0, b""
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/checkin-lists/{list_id}/offline", headers=headers)
        elapsed = time.perf_counter() - t0
        r.raise_for_status()
        times.append(elapsed)
        body, wire = r.content, r.num_bytes_downloaded
    bundle = json.loads(body)
    encoding = r.headers.get("content-encoding", "")
    encoding = encoding or f"not compressed; gzip would make it {len(gzip.compress(body, 5)) / 1e6:.2f} MB"
    print(f"offline download, {len(bundle['tickets']):,} tickets + {len(bundle['revoked'])} revoked, {runs} runs: "
          f"p50 {ms(statistics.median(times))}   max {ms(max(times))}   "
          f"{len(body) / 1e6:.2f} MB JSON ({wire / 1e6:.2f} MB on the wire, {encoding})", flush=True)
    return bundle


class Device(threading.Thread):
    """One door: its own connection and scan ids; sends what `plan` gives it, at `interval` seconds apart
    (0: as fast as it can), and records each answer with its latency."""

    def __init__(self, n: int, base: str, headers: dict, list_id: int, plan, interval: float, start_at: float,
                 stop_at: float, on_answer=None):
        super().__init__(daemon=True)
        self.on_answer = on_answer
        self.n, self.base, self.headers, self.list_id = n, base, headers, list_id
        self.plan, self.interval, self.start_at, self.stop_at = plan, interval, start_at, stop_at
        self.results: list[tuple[str, str, dict | None, float]] = []  # (kind, scan id, answer, seconds)
        self.errors: list[str] = []
        self.late = 0  # paced sends that left after their time (the previous answer came too late)

    def run(self):
        url = f"/api/v1/checkin-lists/{self.list_id}/scans"
        with httpx.Client(base_url=self.base, timeout=30) as client:
            client.get("/healthz")  # the connection made before the clock starts
            k = 0
            while True:
                due = self.start_at + k * self.interval
                now = time.perf_counter()
                if due >= self.stop_at or (self.interval == 0 and now >= self.stop_at):
                    return
                if due > now:
                    time.sleep(due - now)
                elif self.interval and now - due > 0.005:
                    self.late += 1
                step = self.plan(self.n, k)
                k += 1
                if step is None:
                    return
                kind, body = step
                body = {**body, "device": f"Door {self.n + 1}"}
                t0 = time.perf_counter()
                try:
                    r = client.post(url, json=body, headers=self.headers)
                    elapsed = time.perf_counter() - t0
                    if r.status_code != 200:
                        self.errors.append(f"{r.status_code} {r.text[:200]}")
                        continue
                    self.results.append((kind, body["client_scan_id"], r.json(), elapsed))
                    if self.on_answer is not None:
                        self.on_answer(self.results[-1])
                except httpx.HTTPError as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")


class PacedPlan:
    """What the four doors scan at the paced rate. Each step is (kind, request body); kinds: first (a ticket
    no one scanned yet, by its signed payload or its code), repeat (a ticket already let in, by any door),
    replay (this door's previous scan sent again, same scan id), bad (unknown code, tampered payload, cancelled
    ticket)."""

    def __init__(self, codes: dict[int, str], payloads: dict[int, str], cancelled: list[str], rng: random.Random):
        self.lock = threading.Lock()
        self.fresh = [tid for tid in payloads]  # valid tickets, in a shuffled order
        rng.shuffle(self.fresh)
        self.codes, self.payloads, self.cancelled = codes, payloads, cancelled
        self.admitted: list[int] = []
        self.last: dict[int, dict] = {}
        self.rng = rng

    def reserve(self, n: int) -> list[int]:
        """Fresh tickets set aside (for the burst): the paced phase never scans them."""
        with self.lock:
            taken, self.fresh = self.fresh[-n:], self.fresh[:-n]
            return taken

    def note_admitted(self, ticket_id: int) -> None:
        with self.lock:
            self.admitted.append(ticket_id)

    def __call__(self, device: int, k: int):
        with self.lock:
            roll = self.rng.random()
            scan_id = f"d{device}-p{k}"
            if roll < 0.02 and device in self.last:
                return "replay", self.last[device]
            if roll < 0.07:
                pick = self.rng.randrange(3)
                if pick == 0:
                    code = uuid.uuid4().hex
                elif pick == 1:
                    text = self.payloads[self.rng.choice(list(self.payloads))]
                    code = text[:-2] + ("AA" if not text.endswith("AA") else "BB")
                else:
                    code = self.rng.choice(self.cancelled)
                body = {"code": code, "client_scan_id": scan_id}
                kind = "bad"
            elif self.admitted and (roll < 0.30 or not self.fresh):
                ticket_id = self.rng.choice(self.admitted)
                body = {"code": self.codes[ticket_id], "client_scan_id": scan_id}
                kind = "repeat"
            else:
                ticket_id = self.fresh.pop()
                text = self.payloads[ticket_id] if k % 2 == 0 else self.codes[ticket_id]
                body = {"code": text, "client_scan_id": scan_id}
                kind = "first"
            self.last[device] = body
            return kind, body


def run_devices(base: str, headers: dict, list_id: int, plan, interval: float, seconds: float,
                on_answer=None) -> tuple[list[Device], float]:
    start = time.perf_counter() + 0.5
    devices = [Device(n, base, headers, list_id, plan, interval, start + n * interval / DEVICES, start + seconds,
                      on_answer) for n in range(DEVICES)]
    for device in devices:
        device.start()
    for device in devices:
        device.join()
    return devices, time.perf_counter() - start


def summary(label: str, devices: list[Device], seconds: float) -> list[float]:
    latencies = [r[3] for d in devices for r in d.results]
    errors = [e for d in devices for e in d.errors]
    count = len(latencies)
    print(f"{label}: {count:,} scans in {seconds:.1f} s ({count / seconds:.1f}/s, {count / seconds * 60:,.0f}/min)   "
          f"p50 {ms(percentile(latencies, 50))}   p95 {ms(percentile(latencies, 95))}   "
          f"p99 {ms(percentile(latencies, 99))}   max {ms(max(latencies) if latencies else float('nan'))}   "
          f"errors {len(errors)}", flush=True)
    if errors:
        print(f"  e.g. {errors[0]}", flush=True)
    late = sum(d.late for d in devices)
    if late:
        print(f"  ({late} paced scans left more than 5 ms after their time)", flush=True)
    return latencies


def verify(db: Database, list_id: int, devices: list[Device]) -> bool:
    """The database against what the devices were told: one entry per ticket let in, one welcome per ticket,
    each scan id kept once."""
    welcomes = Counter()
    results = Counter()
    scan_ids = set()
    for device in devices:
        for kind, scan_id, answer, _ in device.results:
            results[(kind, answer["result"])] += 1
            scan_ids.add(scan_id)
            if answer["result"] == "ok" and not answer["replayed"]:
                welcomes[answer["ticket_id"]] += 1
    with psycopg.connect(db.url) as conn:
        entries = Counter(r[0] for r in conn.execute("select ticket_id from checkin_entry where list_id = %s",
                                                     (list_id,)))
        ok_scans = Counter(r[0] for r in conn.execute(
            "select ticket_id from checkin_scan where list_id = %s and result = 'ok'", (list_id,)))
        stored = conn.execute("select count(*), count(distinct client_scan_id) from checkin_scan where list_id = %s",
                              (list_id,)).fetchone()
        first = conn.execute("select count(*) from ticket where event_id = %s and checked_in_at is not null",
                             (db.event_id,)).fetchone()[0]
    twice = [t for t, n in welcomes.items() if n > 1]
    checks = {
        "one entry per ticket let in": set(entries) == set(welcomes) and max(entries.values(), default=1) == 1,
        "no ticket welcomed twice (answers)": not twice,
        "one 'ok' scan stored per entry": ok_scans == entries,
        "every scan id stored once": stored[0] == stored[1] == len(scan_ids),
        "tickets marked checked in = entries": first == len(entries),
    }
    print(f"answers by kind: {', '.join(f'{k}/{r} {n}' for (k, r), n in sorted(results.items()))}", flush=True)
    print(f"verified: {len(entries):,} tickets let in, {sum(welcomes.values()):,} welcomes, {stored[0]:,} scans "
          f"stored; " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items()), flush=True)
    return all(checks.values())


def run(tickets: int = TICKETS, seconds: float | None = None, burst_seconds: float = 10, workers: int = 1) -> bool:
    seconds = seconds if seconds is not None else float(os.environ.get("AQSTREAM_BENCH_CHECKIN_SECONDS", "60"))
    print(f"check-in at the door: {tickets:,} tickets, {DEVICES} devices, PostgreSQL, {os.cpu_count()} cores, "
          f"{workers} backend worker{'s' if workers > 1 else ''}, load average {os.getloadavg()[0]:.1f} "
          f"(target: p99 < {BAR_MS} ms)", flush=True)
    db = Database(tickets)
    proc = None
    try:
        fill(db, tickets)
        payloads = signed_payloads(db)
        with psycopg.connect(db.url) as conn:
            rows = conn.execute("select id, code, status from ticket where event_id = %s", (db.event_id,)).fetchall()
        codes = {tid: code for tid, code, _ in rows}
        cancelled = [code for _, code, status in rows if status == "cancelled"]
        proc, base = start_backend(db, workers)
        with httpx.Client(base_url=base, timeout=60) as client:
            headers = token(client)
            r = client.get(f"/api/v1/events/{db.event_id}/checkin-lists", headers=headers)
            r.raise_for_status()
            list_id = r.json()[0]["id"]
            bench_download(client, headers, list_id, 1)  # warm-up, not counted
            bench_download(client, headers, list_id, DOWNLOADS)

        rng = random.Random(16)
        plan = PacedPlan(codes, payloads, cancelled, rng)
        own_ids = plan.reserve(BURST_TICKETS)
        burst_ids = plan.reserve(BURST_TICKETS)

        def on_answer(item):  # a ticket let in becomes a candidate for repeats at once
            kind, _scan_id, answer, _ = item
            if answer["result"] == "ok" and kind == "first":
                plan.note_admitted(answer["ticket_id"])

        interval = 60.0 / (PER_MINUTE / DEVICES)
        paced, took = run_devices(base, headers, list_id, plan, interval, seconds, on_answer)
        latencies = summary(f"paced, {PER_MINUTE:,}/min by {DEVICES} devices", paced, took)
        print(f"  p99 {'under' if percentile(latencies, 99) * 1000 < BAR_MS else 'OVER'} the {BAR_MS} ms target",
              flush=True)

        def own_plan(device: int, k: int):
            index = k * DEVICES + device
            if index >= len(own_ids):
                return None
            ticket_id = own_ids[index]  # each device its own tickets
            text = payloads[ticket_id] if k % 2 == 0 else codes[ticket_id]
            return "own", {"code": text, "client_scan_id": f"d{device}-o{k}"}

        own, took_own = run_devices(base, headers, list_id, own_plan, 0, burst_seconds)
        summary(f"unpaced, {DEVICES} devices, each its own tickets", own, took_own)

        def burst_plan(device: int, k: int):
            if k >= len(burst_ids):
                return None
            ticket_id = burst_ids[k]  # every device the same ticket at about the same moment
            text = payloads[ticket_id] if device % 2 == 0 else codes[ticket_id]
            return "burst", {"code": text, "client_scan_id": f"d{device}-b{k}"}

        burst, took_burst = run_devices(base, headers, list_id, burst_plan, 0, burst_seconds)
        summary(f"unpaced, {DEVICES} devices on the same tickets", burst, took_burst)
        per_ticket = Counter(a["ticket_id"] for d in burst for _k, _s, a, _t in d.results if a["result"] == "ok")
        reached = {a["ticket_id"] for d in burst for _k, _s, a, _t in d.results}
        print(f"  {len(reached):,} tickets scanned by all doors at once: {len(per_ticket):,} welcomed, "
              f"{sum(1 for n in per_ticket.values() if n > 1)} welcomed more than once", flush=True)
        good = verify(db, list_id, paced + own + burst)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)
        return good
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--seconds", type=float, default=None,
                        help="the paced phase's length (default: AQSTREAM_BENCH_CHECKIN_SECONDS or 60)")
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1, help="backend workers (more than 1 needs Redis)")
    args = parser.parse_args()
    ok = run(args.tickets, args.seconds, args.burst_seconds, args.workers)
    if not ok:
        raise SystemExit("check-in bench: the database does not match the answers (see above)")


if __name__ == "__main__":
    main()
