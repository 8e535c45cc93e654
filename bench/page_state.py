"""Page state and time to content at scale, in Chromium: `make bench-state`. Prints figures; asserts nothing
about speed (it exits non-zero only if something breaks).

Builds and serves the production app (`reflex run --env prod --single-port`, as the browser tests do) on a fresh
SQLite database (as bench/page_speed.py does), and makes the data of a busy organizer:

- one organization with 308 events: upcoming, drafts, past and cancelled, archived;
- one of its events with 100,000 tickets (50,000 orders of two), written in bulk;
- the organizer holds tickets of 30 of those events ("my tickets").

Then it opens each page N times in a fresh browser context (cold: empty cache, no service worker), signed in
as the organizer, at desktop size (1280x900) over loopback, and reads for each visit:

- state: the bytes of the websocket event frames (socket.io "42..." frames: the hydrate payload and the
  on_load answers) received until the page's content shows;
- time to content: from navigation start until the page's h1 is shown in <main> with no spinner left.

The pages: the dashboard (/o/<org>), the public event page, my tickets, and the event workspace URLs in
WORKSPACE below (a URL that answers "Not found." is reported as skipped, not failed: tabs still being built)."""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, serve_app  # noqa: E402

CHROMIUM = os.environ.get("AQSTREAM_CHROMIUM", CHROMIUM)  # another Chromium than Debian's /usr/bin/chromium

EVENTS = 308
BIG_EVENT_TICKETS = 100_000
MY_TICKETS = 30
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The event workspace's tabs, relative to /o/<org>/events/<id> of the big event ("" is the workspace itself).
WORKSPACE = ["", "/attendees", "/tickets", "/emails", "/settings"]

# Marks when state frames arrive and when the page's content shows: an h1 in <main> and no spinner in it.
INIT_SCRIPT = """
window.__marks = {frames: 0, bytes: 0};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (m) => {
      if (typeof m.data !== 'string' || !m.data.startsWith('42') || window.__marks.content) return;
      window.__marks.frames += 1;
      window.__marks.bytes += new TextEncoder().encode(m.data).length;
      window.__marks.last_state = performance.now();
    });
  }
};
const shown = () => {
  const main = document.querySelector('main');
  return main && main.querySelector('h1') && !main.querySelector('[aria-busy="true"]');
};
new MutationObserver((_, observer) => {
  if (shown()) {
    window.__marks.content = performance.now();
    window.__marks.h1 = document.querySelector('main h1').textContent.trim();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def seed() -> dict:
    """The busy organizer's data. AQSTREAM_DATA_DIR must already point at the app's database."""
    from sqlalchemy import insert, text, update

    from aqstream.db import session_scope
    from aqstream.models.tables import Event, Order, Ticket, TicketType
    from aqstream.services.accounts import accounts
    from aqstream.services.events import events
    from aqstream.services.org import organizations
    from aqstream.services.org.permissions import Principal

    started = time.monotonic()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with session_scope() as s:
        user = accounts.sign_up(s, name="Busy Organizer", email="busy@example.com", password="bench-state-passphrase")
        me = Principal(user.id)
        org = organizations.create_organization(s, me, name="Busy Devs", slug="busy-devs", time_zone="Europe/Moscow")
        ids = []
        for i in range(EVENTS):
            ev = events.create_event(s, me, org.id, events.EventInput(
                title=f"Meetup #{i + 1}: Python, Rust and the web at scale", venue="Moscow, Tverskaya 1",
                description="Talks, then pizza.", starts_local="2035-06-01T18:00", ends_local="2035-06-01T21:00",
                time_zone="Europe/Moscow", capacity=None if i == 0 else 200, city="Moscow",
                ticket_types=[events.TicketTypeInput("General admission", 60_000 if i == 0 else 150),
                              events.TicketTypeInput("Student", 60_000 if i == 0 else 50)]))
            ids.append(ev.id)
        token = accounts.create_session(s, user.id, "bench")
        # Statuses and dates written directly (a bench's data, not a user's path): 60 upcoming, 40 drafts,
        # 180 past or cancelled, 28 archived. Event 0 is upcoming and holds the 100,000 tickets.
        plan = ([("published", 7 + d) for d in range(60)] + [("draft", 30 + d) for d in range(40)]
                + [("published" if d % 9 else "cancelled", -3 - d) for d in range(180)]
                + [("archived", -400 - d) for d in range(28)])
        for event_id, (status, days) in zip(ids, plan):
            starts = now + timedelta(days=days)
            s.exec(update(Event).where(Event.id == event_id).values(
                status=status, starts_at=starts, ends_at=starts + timedelta(hours=3),
                published_at=None if status == "draft" else now - timedelta(days=500)))
        s.commit()
        big = ids[0]
        types = [tt.id for tt in events.list_ticket_types(s, big)]
        mine = ids[1:MY_TICKETS + 1]
        my_types = {e: events.list_ticket_types(s, e)[0].id for e in mine}
        slug = s.get(Event, big).slug
        org_id, user_id = org.id, user.id
    with session_scope() as s:
        engine = s.get_bind()
    with engine.begin() as conn:
        orders, tickets, n = [], [], 0
        for o in range(BIG_EVENT_TICKETS // 2):
            created = now - timedelta(minutes=o)
            orders.append({"organization_id": org_id, "event_id": big, "buyer_name": f"Buyer {o}",
                           "buyer_email": f"buyer{o}@example.com", "status": "confirmed", "total_minor": 0,
                           "currency": "EUR", "locale": "en", "access_token": secrets.token_hex(16),
                           "request_fingerprint": "", "created_at": created})
        conn.execute(insert(Order), orders)
        first = conn.execute(text("SELECT min(id) FROM ticket_order WHERE event_id = :e"), {"e": big}).scalar()
        for o in range(BIG_EVENT_TICKETS // 2):
            for k in range(2):
                n += 1
                tickets.append({"order_id": first + o, "event_id": big, "ticket_type_id": types[k],
                                "attendee_name": f"Attendee {n}", "attendee_email": f"attendee{n}@example.com",
                                "code": f"B{n:09d}", "status": "valid", "created_at": now - timedelta(minutes=o)})
            if len(tickets) >= 20_000:
                conn.execute(insert(Ticket), tickets)
                tickets = []
        if tickets:
            conn.execute(insert(Ticket), tickets)
        for k in range(2):
            conn.execute(update(TicketType).where(TicketType.id == types[k]).values(sold=BIG_EVENT_TICKETS // 2))
        conn.execute(update(Event).where(Event.id == big).values(sold=BIG_EVENT_TICKETS))
        # The organizer's own tickets, one order each.
        for e in mine:
            conn.execute(insert(Order), [{"organization_id": org_id, "event_id": e, "user_id": user_id,
                                          "buyer_name": "Busy Organizer", "buyer_email": "busy@example.com",
                                          "status": "confirmed", "total_minor": 0, "currency": "EUR", "locale": "en",
                                          "access_token": secrets.token_hex(16), "request_fingerprint": "",
                                          "created_at": now}])
            order_id = conn.execute(text("SELECT max(id) FROM ticket_order")).scalar()
            conn.execute(insert(Ticket), [{"order_id": order_id, "event_id": e, "ticket_type_id": my_types[e],
                                           "attendee_name": "Busy Organizer", "attendee_email": "busy@example.com",
                                           "code": f"M{e:09d}", "status": "valid", "created_at": now}])
            conn.execute(update(TicketType).where(TicketType.id == my_types[e]).values(sold=TicketType.sold + 1))
            conn.execute(update(Event).where(Event.id == e).values(sold=Event.sold + 1))
    print(f"page state: seeded {EVENTS} events, {BIG_EVENT_TICKETS:,} tickets in one, {MY_TICKETS} of my own, "
          f"in {time.monotonic() - started:,.0f} s", flush=True)
    return {"org": "busy-devs", "event_id": big, "event_slug": slug, "token": token}


def visit(browser, base: str, path: str, token: str, lang: str) -> dict:
    """One cold visit in a fresh context, signed in; returns state bytes, frames and time to content."""
    ctx = browser.new_context(service_workers="block", locale="ru-RU" if lang == "ru" else "en-US",
                              extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9" if lang == "ru" else "en-US"},
                              **DESKTOP)
    ctx.add_cookies([{"name": "aq_session", "value": token, "url": base}])
    ctx.set_default_timeout(60_000)
    ctx.add_init_script(INIT_SCRIPT)
    page = ctx.new_page()
    try:
        page.goto(base + path, wait_until="commit")
        page.wait_for_function("window.__marks && window.__marks.content !== undefined")
        marks = page.evaluate("window.__marks")
        title = page.title()
    finally:
        ctx.close()
    return {"bytes": marks["bytes"], "frames": marks["frames"], "content": marks["content"], "h1": marks["h1"],
            "title": title}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold visits per page (default 3)")
    parser.add_argument("--lang", choices=("en", "ru"), default="en", help="the browser's language (default en)")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="aqstream-state-bench-")
    os.environ["AQSTREAM_DATA_DIR"] = data
    os.environ.pop("AQSTREAM_MEDIA_DIR", None)
    os.environ.pop("DATABASE_URL", None)
    from playwright.sync_api import sync_playwright

    print("page state: building and starting the production app (a few minutes on the first build) ...", flush=True)
    with serve_app(data, ROOT / "test-artifacts" / "state-bench-app.log") as base:
        world = seed()
        workspace = f"/o/{world['org']}/events/{world['event_id']}"
        pages = [("dashboard", f"/o/{world['org']}"),
                 ("public event page", f"/e/{world['org']}/{world['event_slug']}"),
                 ("my tickets", "/account/tickets")]
        pages += [(f"workspace {tab or '(overview)'}", workspace + tab) for tab in WORKSPACE]
        results: dict[str, list[dict]] = {}
        skipped = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name, path in pages:
                    first = visit(browser, base, path, world["token"], args.lang)  # warm; not counted
                    if first["h1"] in ("Not found.", "Не найдено."):
                        skipped.append((name, path))
                        continue
                    results[name] = [visit(browser, base, path, world["token"], args.lang) for _ in range(args.runs)]
            finally:
                browser.close()

    print()
    print(f"Signed-in organizer, {EVENTS} events, one with {BIG_EVENT_TICKETS:,} tickets; Chromium, loopback, 1280x900, "
          f"browser language {args.lang}, {args.runs} cold visits per page after one warm-up.")
    load1, load5, _ = os.getloadavg()
    print(f"Machine: {os.cpu_count()} CPUs, load average {load1:.1f} / {load5:.1f}: times grow with other work on the "
          "machine; the byte counts do not.")
    print()
    print("| page | state until content (KB) | frames | time to content, median (ms) | worst (ms) | title |")
    print("|---|---:|---:|---:|---:|---|")
    for name, runs in results.items():
        print(f"| {name} | {statistics.median(r['bytes'] for r in runs) / 1024:,.1f} | "
              f"{statistics.median(r['frames'] for r in runs):.0f} | "
              f"{statistics.median(r['content'] for r in runs):,.0f} | {max(r['content'] for r in runs):,.0f} | "
              f"{runs[-1]['title']} |")
    for name, path in skipped:
        print(f"| {name} | skipped: {path} answers not found | | | | |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
