"""Public event page speed in Chromium: `make bench-page` (also part of `make bench`). Prints figures; asserts
nothing about speed (it exits non-zero only if something breaks).

Builds and serves the production app (`reflex run --env prod --single-port`, as the browser tests do) on a fresh
SQLite database, creates one organization with a published event (cover image, Markdown description, two ticket
types, a question), then opens /e/<org>/<event> N times at phone size (390x844) and at desktop size (1280x900),
each time in a fresh browser context (cold: empty cache, no service worker), over loopback with no network
throttling. Each visit waits until the registration form is shown and reads:

- LCP: the last `largest-contentful-paint` entry (buffered PerformanceObserver) and its element; FCP,
  DOMContentLoaded and load from the Navigation and Paint timing entries;
- JavaScript downloaded: every response Chromium classes as a script (CDP Network events): bytes on the
  wire (encodedDataLength, headers included), decoded bytes, and the number of files;
- the Reflex state the page needs: the bytes of the websocket event frames received before the form shows;
- whether any script is Plotly's (by its address or its text): the public page must load none of it.

Then it signs in as the event's organizer and opens the event's Analytics tab (/o/<org>/events/<id>/analytics,
three Plotly charts of a dozen registrations, a fourth of arrivals) N times at each size, each time cold: a
throwaway context signs in through the sign-in form, and a fresh context with only its session cookie opens the
tab. It reads the JavaScript downloaded, the share that is Plotly's (the chunks whose address or text is
Plotly's: the plotly.js basic bundle and the React wrapper), and the time to the first chart: from navigation
start until the first Plotly chart has a data trace in its SVG (performance.now() in a MutationObserver).

Target: LCP <= 1.5 s on loopback at phone size."""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, serve_app  # noqa: E402

TARGET_LCP_MS = 1500
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 3},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
DESCRIPTION = """An evening of **short talks** about Python and Rust in production, then pizza.

## Programme

1. *Why we rewrote the parser* — 20 minutes
2. *Async Python at 10k requests a second* — 20 minutes
3. Lightning talks: sign up at the door

Bring a laptop if you want to try the examples. Details: [the meetup notes](https://example.org/notes).
"""

# Collects LCP entries from the very start of the page, and marks when the websocket opens, when the first and
# the last state frames (socket.io event frames, "42...") before the form arrive, and when the registration
# form's heading appears.
INIT_SCRIPT = """
window.__lcp = [];
window.__marks = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__lcp.push(e);
}).observe({type: 'largest-contentful-paint', buffered: true});
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.__marks.ws_created ??= performance.now();
    this.addEventListener('open', () => { window.__marks.ws_open ??= performance.now(); });
    this.addEventListener('message', (m) => {
      if (typeof m.data !== 'string' || !m.data.startsWith('42') || window.__marks.form) return;
      window.__marks.first_state ??= performance.now();
      window.__marks.last_state = performance.now();
    });
  }
};
new MutationObserver((_, observer) => {
  if ([...document.querySelectorAll('h2')].some(h => h.textContent.trim() === 'Register')) {
    window.__marks.form = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
new MutationObserver((_, observer) => {
  if (!window.__marks.chart_svg && document.querySelector('.js-plotly-plot .main-svg'))
    window.__marks.chart_svg = performance.now();
  if (document.querySelector('.js-plotly-plot .main-svg .trace')) {
    window.__marks.chart = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

READ_TIMINGS = """
async () => {
  // Two animation frames: a paint that was just made gets its LCP entry.
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const describe = (el) => {
    if (!el) return '(removed)';
    let s = el.tagName.toLowerCase();
    if (el.tagName === 'IMG') return s + ' ' + (el.currentSrc || el.src).replace(location.origin, '');
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ');
    return s + (text ? ' "' + text.slice(0, 40) + (text.length > 40 ? '…' : '') + '"' : '');
  };
  const lcp = window.__lcp;
  const last = lcp.length ? lcp[lcp.length - 1] : null;
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const scripts = performance.getEntriesByType('resource').filter(e => /\\.m?js(\\?|$)/.test(e.name));
  return {
    lcp: last ? last.startTime : null,
    lcp_element: last ? describe(last.element) : null,
    lcp_candidates: lcp.map(e => [Math.round(e.startTime), describe(e.element)]),
    fcp: fcp ? fcp.startTime : null,
    dcl: nav.domContentLoadedEventEnd,
    ws_created: window.__marks.ws_created, ws_open: window.__marks.ws_open,
    first_state: window.__marks.first_state, last_state: window.__marks.last_state, form_visible: window.__marks.form,
    chart_svg: window.__marks.chart_svg, chart: window.__marks.chart,
    load: nav.loadEventEnd,
    perf_js_transfer: scripts.reduce((a, e) => a + e.transferSize, 0),
    perf_js_decoded: scripts.reduce((a, e) => a + e.decodedBodySize, 0),
    perf_js_count: scripts.length,
    script_files: scripts.map(e => [e.name.replace(location.origin, ''), Math.round(e.startTime),
                                    Math.round(e.responseEnd), e.transferSize, e.decodedBodySize]),
  };
}
"""


def cover_png() -> bytes:
    """A 1600x900 cover with gradients and shapes (a flat colour would compress to nothing)."""
    from PIL import Image, ImageDraw

    w, h = 1600, 900
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (40 + x * 150 // w, 60 + y * 120 // h, 160 + ((x ^ y) & 63))
    draw = ImageDraw.Draw(img)
    for i in range(12):
        draw.ellipse((i * 130, 200 + (i % 3) * 120, i * 130 + 260, 460 + (i % 3) * 120),
                     outline=(255, 220 - i * 10, 90), width=6)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


ORGANIZER_EMAIL = "page@example.com"
ORGANIZER_PASSWORD = "bench-page-passphrase"


def seed() -> tuple[str, str, int, int]:
    """One organization and one published event, through the services, with a dozen registrations (four of
    them checked in) for the Analytics tab's charts. Returns (org slug, event slug, event id, cover bytes).
    AQSTREAM_DATA_DIR must already point at the served app's data directory."""
    from sqlmodel import select

    from aqstream.db import session_scope
    from aqstream.models.tables import Ticket, TicketType
    from aqstream.services import clock
    from aqstream.services.accounts import accounts
    from aqstream.services.events import event_lifecycle, events, questions
    from aqstream.services.org import organizations
    from aqstream.services.org.permissions import Principal
    from aqstream.services.sales import registration

    cover = cover_png()
    with session_scope() as s:
        user = accounts.sign_up(s, name="Bench Organizer", email=ORGANIZER_EMAIL, password=ORGANIZER_PASSWORD)
        me = Principal(user.id)
        org = organizations.create_organization(s, me, name="Moscow Devs", slug="moscow-devs",
                                                time_zone="Europe/Moscow")
        ev = events.create_event(s, me, org.id, events.EventInput(
            title="Rust & Python evening", description=DESCRIPTION, venue="Moscow, Tverskaya 1",
            starts_local="2035-06-01T18:00", ends_local="2035-06-01T21:00", time_zone="Europe/Moscow",
            capacity=120, city="Moscow", tags="python, rust",
            ticket_types=[events.TicketTypeInput("General admission", 100, description="Talks and pizza"),
                          events.TicketTypeInput("Student", 20, description="Bring your student card")]))
        question = questions.add_question(s, me, org.id, ev.id, questions.QuestionInput(
            label="Which talk interests you most?", kind="single_choice", required=True,
            options=["Parser", "Async", "Lightning talks"]))
        event_lifecycle.set_cover(s, me, org.id, ev.id, cover)
        events.publish_event(s, me, org.id, ev.id)
        org_slug, event_id, event_slug, question_id = org.slug, ev.id, ev.slug, question.id
    with session_scope() as s:
        types = s.exec(select(TicketType.id).where(TicketType.event_id == event_id).order_by(TicketType.id)).all()
        for i in range(12):
            registration.register(s, org_slug=org_slug, event_slug=event_slug, buyer_name=f"Guest {i + 1}",
                                  buyer_email=f"guest{i + 1}@example.com", ticket_type_id=types[1 if i % 3 == 2 else 0],
                                  answers={str(question_id): ("Parser", "Async", "Lightning talks")[i % 3]},
                                  notify=False)
    # No check-in service yet (the scanner's issue adds it): mark four arrivals as the browser test does.
    with session_scope() as s:
        for ticket in s.exec(select(Ticket).where(Ticket.event_id == event_id).limit(4)).all():
            ticket.checked_in_at = clock.utcnow()
            s.add(ticket)
        s.commit()
    return org_slug, event_slug, event_id, len(cover)


def is_plotly(url: str, text: str | None) -> bool:
    """Plotly's code: the plotly.js bundle, or the React wrapper that draws it (react-plotly.js). A chunk that
    only names another one (the route manifest lists every page's chunks) is not."""
    if "plotly" in url.rsplit("/", 1)[-1].lower():
        return True
    return text is not None and ("js-plotly-plot" in text or "Plotly.newPlot" in text or "plotly_afterplot" in text)


def sign_in_state(browser, base: str) -> dict:
    """Sign in as the organizer through the sign-in form in a throwaway context; returns its storage state (the
    HttpOnly session cookie), so the measured context starts signed in with an empty cache."""
    ctx = browser.new_context(service_workers="block", **VIEWPORTS["desktop"])
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.goto(f"{base}/signin")
    page.get_by_label("Email").fill(ORGANIZER_EMAIL)
    page.get_by_label("Password").fill(ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out", exact=True).wait_for(state="visible")
    state = ctx.storage_state()
    ctx.close()
    return state


def visit(browser, url: str, options: dict, analytics: bool = False, storage_state: dict | None = None) -> dict:
    """One cold visit in a fresh context; returns the page's timings and what it downloaded. The public page is
    ready when its registration form shows; the Analytics tab when its first chart has drawn a trace."""
    ctx = browser.new_context(service_workers="block", storage_state=storage_state, **options)
    ctx.set_default_timeout(30_000)
    ctx.add_init_script(INIT_SCRIPT)
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    responses: dict[str, dict] = {}
    frames: list[int] = []
    form_shown = [False]

    def on_response(ev):
        r = ev["response"]
        headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
        responses[ev["requestId"]] = {"url": r["url"], "type": ev["type"], "mime": r.get("mimeType", ""),
                                      "encoding": headers.get("content-encoding", "none"),
                                      "encoded": 0, "decoded": 0, "done": False}

    def on_data(ev):
        if ev["requestId"] in responses:
            responses[ev["requestId"]]["decoded"] += ev["dataLength"]

    def on_finished(ev):
        if ev["requestId"] in responses:
            responses[ev["requestId"]]["encoded"] = ev["encodedDataLength"]
            responses[ev["requestId"]]["done"] = True

    def on_ws(ws):
        def on_frame(payload):
            # socket.io event frames start with "42"; the rest are the engine's pings and handshakes.
            data = payload if isinstance(payload, (bytes, str)) else str(payload)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            if text.startswith("42") and not form_shown[0]:
                frames.append(len(text.encode()))
        ws.on("framereceived", on_frame)

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.loadingFinished", on_finished)
    page.on("websocket", on_ws)
    page.goto(url, wait_until="commit")
    if analytics:
        page.locator(".js-plotly-plot .main-svg .trace").first.wait_for(state="attached")
    else:
        form = page.get_by_role("heading", name="Register", exact=True)
        form.wait_for(state="visible")
    form_shown[0] = True
    # The cover may still be decoding: wait for every image to finish, and for the load event.
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    result = page.evaluate(READ_TIMINGS)
    page.wait_for_timeout(200)  # late loadingFinished events
    scripts = [dict(r, id=k) for k, r in responses.items() if r["type"] == "Script" or "javascript" in r["mime"]]
    for r in scripts:
        try:
            body = cdp.send("Network.getResponseBody", {"requestId": r["id"]})
            text = body["body"] if not body.get("base64Encoded") else base64.b64decode(body["body"]).decode(
                "utf-8", "replace")
        except Exception:  # noqa: BLE001 - a body Chromium no longer holds: judged by its address alone
            text = None
        r["plotly"] = is_plotly(r["url"], text)
        r["mentions"] = None if text is None else text.lower().count("plotly") + ("plotly" in r["url"].lower())
        # Plotly's default chart template (its colourway starts with #636efa): data, not code, but Plotly's too.
        r["templates"] = 0 if text is None else text.lower().count("colorway:[`#636efa`")
    plotly = [r for r in scripts if r["plotly"]]
    result.update(
        js_transfer=sum(r["encoded"] for r in scripts),
        js_decoded=sum(r["decoded"] for r in scripts),
        js_count=len(scripts),
        js_unfinished=sum(not r["done"] for r in scripts),
        plotly_transfer=sum(r["encoded"] for r in plotly),
        plotly_decoded=sum(r["decoded"] for r in plotly),
        plotly_count=len(plotly),
        plotly_files=[r["url"].split("/")[-1] for r in plotly],
        plotly_mentions=[(r["url"].split("/")[-1], r["mentions"]) for r in scripts if r["mentions"]],
        plotly_templates=[(r["url"].split("/")[-1], r["templates"]) for r in scripts if r["templates"]],
        unread_bodies=sum(r["mentions"] is None for r in scripts),
        cdp_scripts=[(r["url"].split("/")[-1], r["encoded"], r["decoded"], r["plotly"], r["mentions"])
                     for r in scripts],
        all_transfer=sum(r["encoded"] for r in responses.values()),
        state_bytes=sum(frames),
        state_frames=len(frames),
        encodings=sorted({r["encoding"] for r in scripts}),
    )
    timed = [f for f in result["script_files"] if f[0].split("/")[-1] in result["plotly_files"]]
    result.update(plotly_start=min((f[1] for f in timed), default=None), plotly_end=max((f[2] for f in timed),
                                                                                      default=None))
    ctx.close()
    if not analytics and result["lcp"] is None:
        raise RuntimeError(f"no largest-contentful-paint entry at {url}")
    if analytics and result["chart"] is None:
        raise RuntimeError(f"no chart time at {url}: {result}")
    if not result["js_count"] or not result["js_transfer"] or not result["js_decoded"]:
        raise RuntimeError(f"no script bytes counted at {url}: {result}")
    return result


def summarize(name: str, runs: list[dict]) -> list[str]:
    def row(label: str, key: str, unit: str, scale: float = 1.0, fmt: str = "{:,.0f}") -> str:
        values = [r[key] / scale for r in runs]
        return f"| {name} | {label} | {fmt.format(statistics.median(values))} {unit} | {fmt.format(max(values))} {unit} |"

    return [
        row("LCP", "lcp", "ms"),
        row("FCP", "fcp", "ms"),
        row("DOMContentLoaded", "dcl", "ms"),
        row("load", "load", "ms"),
        row("websocket opened", "ws_open", "ms"),
        row("first state frame received", "first_state", "ms"),
        row("last state frame before the form", "last_state", "ms"),
        row("registration form in the DOM", "form_visible", "ms"),
        row("JS transferred", "js_transfer", "KB", 1024, "{:,.1f}"),
        row("JS decoded", "js_decoded", "KB", 1024, "{:,.1f}"),
        row("script files", "js_count", ""),
        row("all bytes transferred", "all_transfer", "KB", 1024, "{:,.1f}"),
        row("state over websocket until the form (bytes)", "state_bytes", "KB", 1024, "{:,.1f}"),
        row("state over websocket until the form (frames)", "state_frames", ""),
    ]


def summarize_analytics(name: str, runs: list[dict]) -> list[str]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def worst(key: str) -> float:
        return max(r[key] for r in runs)

    share_t = med("plotly_transfer") / med("js_transfer")
    share_d = med("plotly_decoded") / med("js_decoded")
    return [
        f"| {name} | time to first chart | {med('chart'):,.0f} ms | {worst('chart'):,.0f} ms |",
        f"| {name} | Plotly's chunk requested | {med('plotly_start'):,.0f} ms | {worst('plotly_start'):,.0f} ms |",
        f"| {name} | Plotly's chunk received | {med('plotly_end'):,.0f} ms | {worst('plotly_end'):,.0f} ms |",
        f"| {name} | FCP | {med('fcp'):,.0f} ms | {worst('fcp'):,.0f} ms |",
        f"| {name} | load | {med('load'):,.0f} ms | {worst('load'):,.0f} ms |",
        f"| {name} | JS transferred | {med('js_transfer') / 1024:,.1f} KB | {worst('js_transfer') / 1024:,.1f} KB |",
        f"| {name} | JS decoded | {med('js_decoded') / 1024:,.1f} KB | {worst('js_decoded') / 1024:,.1f} KB |",
        f"| {name} | script files | {med('js_count'):,.0f} | {worst('js_count'):,.0f} |",
        f"| {name} | Plotly transferred | {med('plotly_transfer') / 1024:,.1f} KB ({share_t:.0%}) | "
        f"{worst('plotly_transfer') / 1024:,.1f} KB |",
        f"| {name} | Plotly decoded | {med('plotly_decoded') / 1024:,.1f} KB ({share_d:.0%}) | "
        f"{worst('plotly_decoded') / 1024:,.1f} KB |",
        f"| {name} | Plotly script files | {med('plotly_count'):,.0f} | {worst('plotly_count'):,.0f} |",
    ]


def print_scripts(title: str, run: dict) -> None:
    print()
    print(f"{title} (file, KB transferred, KB decoded, Plotly's, times the text says 'plotly'):")
    for path, transfer, decoded, plotly, mentions in run["cdp_scripts"]:
        print(f"  {path:60} {transfer / 1024:>8.1f} {decoded / 1024:>8.1f} {'plotly' if plotly else '-':>7} "
              f"{'?' if mentions is None else mentions:>6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold visits per viewport (default 5)")
    parser.add_argument("--scripts", action="store_true", help="also list the script files of one visit")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="aqstream-page-bench-")
    os.environ["AQSTREAM_DATA_DIR"] = data
    os.environ.pop("AQSTREAM_MEDIA_DIR", None)
    os.environ.pop("DATABASE_URL", None)
    from playwright.sync_api import sync_playwright

    print("page speed: building and starting the production app (a few minutes on the first build) ...", flush=True)
    with serve_app(data, ROOT / "test-artifacts" / "page-bench-app.log") as base:
        org_slug, event_slug, event_id, cover_size = seed()
        url = f"{base}/e/{org_slug}/{event_slug}"
        analytics_url = f"{base}/o/{org_slug}/events/{event_id}/analytics"
        print(f"page speed: {url} (cover PNG {cover_size / 1024:,.0f} KB, Markdown description, "
              "two ticket types, one question)", flush=True)
        results: dict[str, list[dict]] = {}
        analytics: dict[str, list[dict]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                visit(browser, url, VIEWPORTS["desktop"])  # warm the server (imports, first queries); not counted
                for name, options in VIEWPORTS.items():
                    results[name] = [visit(browser, url, options) for _ in range(args.runs)]
                print(f"page speed: {analytics_url} (signed in as the organizer; 12 registrations, 4 checked in)",
                      flush=True)
                visit(browser, analytics_url, VIEWPORTS["desktop"], True, sign_in_state(browser, base))  # warm
                for name, options in VIEWPORTS.items():
                    analytics[name] = [visit(browser, analytics_url, options, True, sign_in_state(browser, base))
                                       for _ in range(args.runs)]
            finally:
                browser.close()

    print()
    print(f"Public event page, Chromium {CHROMIUM}, loopback, no network or CPU throttling, "
          f"{args.runs} cold visits per viewport (fresh context each: empty cache, no service worker).")
    print("phone = 390x844, mobile, touch, DPR 3; desktop = 1280x900, DPR 1. Times from navigation start.")
    load1, load5, _ = os.getloadavg()
    print(f"Machine: {os.cpu_count()} CPUs, load average {load1:.1f} (1 min) / {load5:.1f} (5 min) at the end: times "
          "grow with other work on the machine; the byte counts do not.")
    print()
    print("| viewport | metric | median | worst |")
    print("|---|---|---:|---:|")
    for name, runs in results.items():
        for line in summarize(name, runs):
            print(line)
    print()
    for name, runs in results.items():
        elements = sorted({r["lcp_element"] for r in runs})
        print(f"{name}: LCP element: {'; '.join(elements)}")
        print(f"{name}: LCP candidates of the first run (ms, element): {runs[0]['lcp_candidates']}")
        check = runs[0]
        print(f"{name}: cross-check from Resource Timing (.js entries): {check['perf_js_count']} files, "
              f"{check['perf_js_transfer'] / 1024:,.1f} KB transferred, {check['perf_js_decoded'] / 1024:,.1f} KB "
              f"decoded; script Content-Encoding: {', '.join(check['encodings'])}")
    phone_lcp = statistics.median(r["lcp"] for r in results["phone"])
    verdict = "met" if phone_lcp <= TARGET_LCP_MS else "NOT met"
    print()
    print(f"Target: LCP <= {TARGET_LCP_MS / 1000:.1f} s on loopback at phone size: median {phone_lcp:,.0f} ms, "
          f"{verdict}.")
    public_runs = [r for runs in results.values() for r in runs]
    public_plotly = max(r["plotly_transfer"] + r["plotly_decoded"] for r in public_runs)
    mentions = sorted({m for r in public_runs for m in r["plotly_mentions"]})
    unread = max(r["unread_bodies"] for r in public_runs)
    print(f"public page plotly bytes: {public_plotly} (Plotly script files: "
          f"{max(r['plotly_count'] for r in public_runs)}; scripts whose address or text says 'plotly' at all: "
          f"{', '.join(f'{f} ({n}x)' for f, n in mentions) or 'none'}; script bodies not readable: {unread})")
    templates = sorted({m for r in public_runs for m in r["plotly_templates"]})
    print(f"public page: copies of Plotly's default chart template in its scripts: "
          f"{', '.join(f'{f} ({n}x)' for f, n in templates) or 'none'}")
    if public_plotly:
        print("public page: Plotly is loaded here, it must not be")

    print()
    print(f"Analytics tab (signed in as the organizer, {args.runs} cold visits per viewport, same machine and "
          "browser; times from navigation start; 'time to first chart': the first Plotly chart has a data trace "
          "in its SVG).")
    print()
    print("| viewport | metric | median | worst |")
    print("|---|---|---:|---:|")
    for name, runs in analytics.items():
        for line in summarize_analytics(name, runs):
            print(line)
    print()
    for name, runs in analytics.items():
        files = sorted({f for r in runs for f in r["plotly_files"]})
        print(f"{name}: Plotly's chunks: {', '.join(files)}")
    if args.scripts:
        print()
        print("Script files of the first phone visit (path, start ms, end ms, KB transferred, KB decoded):")
        for path, start, end, transfer, decoded in sorted(results["phone"][0]["script_files"], key=lambda f: f[1]):
            print(f"  {path:70} {start:>6} {end:>6} {transfer / 1024:>8.1f} {decoded / 1024:>8.1f}")
        print_scripts("Public page, first phone visit, every script", results["phone"][0])
        print_scripts("Analytics tab, first phone visit, every script", analytics["phone"][0])
    if args.json:
        args.json.write_text(json.dumps({"public": results, "analytics": analytics}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
