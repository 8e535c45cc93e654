"""The door scanner (/scan/{org}/{list}) in the served production build: a real QR code through a fake camera that
plays a video of a ticket's signed payload (welcome, then already checked in); a steward's phone going offline,
deciding two scans itself, and syncing them when the network returns, with the conflict another device caused;
the results at 390 px in English and Russian and at 1280 px, looked at, with axe-core's checks."""
from __future__ import annotations

import io
import re
from datetime import timedelta, timezone
from pathlib import Path

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from aqstream.db import make_engine, session_scope
from aqstream.models import CheckinEntry, CheckinScan, Question, Ticket
from aqstream.services.accounts import accounts
from aqstream.services.checkin import lists, scans, signing
from aqstream.services.clock import utcnow
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser
PASSWORD = "a-good-long-passphrase"
GUESTS = ["Ann Lee", "Boris Petrov", "Carla Diaz", "Dmitry Orlov", "Eva Novak", "Fyodor Ivanov", "Gina Rossi"]
SIZES = ["M", "L", "S", "XL", "M", "L", "S"]


@pytest.fixture(scope="module")
def door(app_url, app_data):
    """An event with two ticket types and a T-shirt question, seven guests and a cancelled ticket; a list that shows
    the T-shirt size; the owner's session. Written through the services into the served app's database."""
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Door Owner", email="door-owner@example.com", password=PASSWORD)
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Door Club", slug="door-club",
                                                    time_zone="Europe/Moscow")
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Night show", starts_local="2031-09-01T19:00", ends_local="2031-09-01T23:00",
                time_zone="Europe/Moscow", venue="Hall",
                ticket_types=[events.TicketTypeInput("Standard", 100), events.TicketTypeInput("VIP", 20)]))
            event = events.publish_event(session, me, org.id, event.id)
            standard, vip = events.list_ticket_types(session, event.id)
            shirt = Question(event_id=event.id, label="T-shirt size", kind="short_text", scope="attendee")
            session.add(shirt)
            session.commit()
            tickets = []
            for i, (name, size) in enumerate(zip(GUESTS, SIZES)):
                kind = vip if i % 3 == 0 else standard
                bought = registration.register(
                    session, org_slug=org.slug, event_slug=event.slug, buyer_name=name,
                    buyer_email=f"guest{i}@example.com", tickets=[TR(kind.id, name, answers={str(shirt.id): size})])
                tickets.append(bought.tickets[0])
            gone = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Hugo Gone",
                                         buyer_email="hugo@example.com", ticket_type_id=standard.id)
            orders.cancel_ticket(session, me, org.id, gone.tickets[0].id)
            door = lists.create_list(session, me, org.id, event.id, lists.ListInput(
                name="Main door", question_ids=[shirt.id]))
            hall = lists.create_list(session, me, org.id, event.id, lists.ListInput(name="Hall", allow_reentry=True))
            now = utcnow().replace(tzinfo=timezone.utc)
            rules = {name: lists.create_list(session, me, org.id, event.id, data).id for name, data in [
                ("all", lists.ListInput(name="Rules")),
                ("vip", lists.ListInput(name="VIP only", ticket_type_ids=[vip.id])),
                ("later", lists.ListInput(name="Later", opens_at=now + timedelta(days=1))),
                ("over", lists.ListInput(name="Over", closes_at=now - timedelta(hours=1)))]}
            elsewhere = events.publish_event(session, me, org.id, events.create_event(session, me, org.id, events.EventInput(
                title="Another night", starts_local="2031-10-01T19:00", ends_local="2031-10-01T23:00",
                time_zone="Europe/Moscow", venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 10)])).id)
            stranger = registration.register(session, org_slug=org.slug, event_slug=elsewhere.slug,
                                             buyer_name="Ivan Stranger", buyer_email="ivan@example.com",
                                             ticket_type_id=events.list_ticket_types(session, elsewhere.id)[0].id)
            valid_until = utcnow() + timedelta(days=3650)
            signed = [signing.sign_ticket(session, session.get(Ticket, t.id), valid_until) for t in tickets]
            revoked = signing.sign_ticket(session, session.get(Ticket, gone.tickets[0].id), valid_until)
            fourth = session.get(Ticket, tickets[4].id)
            parity = {
                "plain standard": tickets[1].code,
                "signed vip": signed[0],
                "signed standard": signing.sign_ticket(session, session.get(Ticket, tickets[2].id), valid_until),
                "forged": signed[5][:-3] + ("A" if signed[5][-3] != "A" else "B") + signed[5][-2:],
                # its own date past, the event's not (a ticket emailed before the event moved later): still valid
                "dated before a move": signing.sign_ticket(session, fourth, utcnow() - timedelta(hours=1)),
                "re-issued": signing.sign(session, signing.Claims(fourth.id, event.id, fourth.ticket_type_id,
                                                                  valid_until, "OLD-CODE")),
                "revoked": revoked,
                "other event": signing.sign_ticket(session, session.get(Ticket, stranger.tickets[0].id),
                                                   valid_until),
                "other event's code": stranger.tickets[0].code,
                "unknown version": "A2" + signed[6][2:],
                "garbage": "NO-SUCH-CODE",
                "plain again": tickets[1].code,
                "signed vip again": signed[0],
            }
            world = {
                "base": app_url, "org": org.slug, "org_id": org.id, "owner": owner.id, "list": door.id,
                "url": f"{app_url}/scan/{org.slug}/{door.id}", "hall": f"{app_url}/scan/{org.slug}/{hall.id}",
                "codes": [t.code for t in tickets],
                "ids": [t.id for t in tickets], "signed": signed, "revoked": revoked, "rules": rules, "parity": parity,
                "cookie": accounts.create_session(session, owner.id, user_agent="scanner test"),
            }
        yield world  # no session of ours left open: the served app writes to this SQLite file next
    finally:
        engine.dispose()


@pytest.fixture
def db(app_data):
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    yield engine
    engine.dispose()


def open_scanner(context, door, device="Door 2", lang="en", url=None):
    # The language switch's cookie: the owner's profile says English, the browser may say otherwise.
    context.add_cookies([{"name": "aq_session", "value": door["cookie"], "url": door["base"]},
                         {"name": "aq_locale", "value": lang, "url": door["base"]}])
    page = context.new_page()
    page.goto(url or door["url"])
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.get_by_label(re.compile("Device name|Название устройства")).fill(device)
    page.get_by_label(re.compile("Device name|Название устройства")).press("Tab")
    return page


def type_code(page, code: str) -> None:
    field = page.get_by_label(re.compile("^(Ticket code|Код билета)$"))
    field.fill(code)
    field.press("Enter")


def y4m(payload: str, path: Path, frames: int = 8) -> Path:
    """A short 640x480 video (YUV 4:2:0, the format Chromium's fake camera plays) of the payload's QR code."""
    png = io.BytesIO()
    segno.make(payload, error="m").save(png, kind="png", scale=7, border=4)
    code = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path


def test_a_qr_code_through_the_camera(browser, door, tmp_path, request):
    video = y4m(door["signed"][0], tmp_path / "ticket.y4m")
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(viewport=PHONE)
        context.set_default_timeout(20_000)
        blocked = []
        context.on("console", lambda message: blocked.append(message.text)
                   if "Content Security Policy" in message.text else None)
        wasm = []
        context.on("request", lambda r: wasm.append(r.url) if r.url.endswith(".wasm") else None)
        page = open_scanner(context, door)
        try:
            start = page.get_by_role("button", name="Start camera")
            start.click()
            result = page.locator("#result")
            expect(page.locator("#result-head")).to_have_text("Welcome", timeout=30_000)
            expect(result).to_have_class(re.compile("result-ok"))
            expect(page.locator("#result-name")).to_have_text(GUESTS[0])
            expect(page.locator("#result-detail")).to_have_text("VIP")
            expect(page.locator("#result-answers")).to_have_text("T-shirt size: M")
            expect(page.get_by_role("status").filter(has_text="Welcome")).to_have_count(1)
            # The camera keeps seeing the code: after the pause for the same code, the same ticket again.
            expect(page.locator("#result-head")).to_have_text("Already checked in", timeout=30_000)
            expect(result).to_have_class(re.compile("result-already"))
            expect(page.locator("#result-detail")).to_have_text(re.compile(r"VIP · at \d\d:\d\d on device “Door 2”"))
            expect(page.locator("#count-inside")).to_have_text("1")
            shot(page, "scanner-camera-already-390")
            page.get_by_role("button", name="Stop camera").click()
            expect(page.locator("#video")).to_be_hidden()
            assert blocked == []  # the decoder's WebAssembly runs under the page's Content-Security-Policy
            # Chromium on Linux has no BarcodeDetector: the code was read by zxing-wasm, from our own address.
            if not page.evaluate("'BarcodeDetector' in window"):
                assert set(wasm) == {f"{door['base']}/scan/app/zxing/reader/zxing_reader.wasm"}
        except Exception:
            shot(page, f"FAILED-{request.node.name}")
            raise
        context.close()
    finally:
        camera.close()


def test_offline_scans_sync_with_a_conflict(new_page, door, db):
    page = new_page(PHONE, bypass_csp=True)
    context = page.context
    page.close()
    page = open_scanner(context, door, device="Phone 3")
    expect(page.locator("#net")).to_have_text("Online")
    expect(page.locator("#downloaded")).to_have_text(re.compile(r"List downloaded at \d\d:\d\d, 8 tickets\."))
    # The service worker has kept the app: the page is controlled before the network goes.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    context.set_offline(True)
    expect(page.locator("#net")).to_have_text("Offline")
    ann = door["codes"][1]
    type_code(page, ann)
    expect(page.locator("#result-head")).to_have_text("Welcome")
    expect(page.locator("#result-name")).to_have_text(GUESTS[1])
    expect(page.locator("#result-note")).to_have_text(re.compile("Decided on this device"))
    type_code(page, door["revoked"])  # the cancelled ticket's signed payload: refused by the revocation list
    expect(page.locator("#result-head")).to_have_text("Cancelled ticket")
    expect(page.locator("#result")).to_have_class(re.compile("result-refused"))
    expect(page.locator("#pending")).to_have_text("2 scans waiting to sync")
    # A forged payload (one character of the signature changed) is refused offline too.
    forged = door["signed"][2][:-3] + ("A" if door["signed"][2][-3] != "A" else "B") + door["signed"][2][-2:]
    type_code(page, forged)
    expect(page.locator("#result-head")).to_have_text("Invalid or forged code")
    expect(page.locator("#pending")).to_have_text("3 scans waiting to sync")
    shot(page, "scanner-offline-390")
    # Offline counts come from the downloaded list.
    expect(page.locator("#count-inside")).to_have_text(re.compile(r"^[12]$"))
    # Meanwhile another device, offline too, let the same guest in a minute earlier and synced first.
    with session_scope(db) as session:
        other = scans.redeem(session, Principal(door["owner"]), door["org_id"], door["list"], ann,
                             client_scan_id="door-1-offline", device="Door 1",
                             scanned_at=utcnow() - timedelta(minutes=1), offline_result="ok")
        assert other.result == "ok"
    context.set_offline(False)
    expect(page.locator("#net")).to_have_text("Online")
    expect(page.locator("#sync-report")).to_have_text("3 scans synced, 1 conflict")
    expect(page.locator("#conflicts li")).to_have_text(
        re.compile(rf"{GUESTS[1]} was already let in at \d\d:\d\d on Door 1\."))
    expect(page.locator("#pending")).to_have_text("Every scan is synced.")
    assert axe_violations(page) == []
    shot(page, "scanner-synced-conflict-390")
    with session_scope(db) as session:
        entries = session.exec(select(CheckinEntry).where(CheckinEntry.list_id == door["list"],
                                                          CheckinEntry.ticket_id == door["ids"][1])).all()
        assert [(e.device, e.scan_id) for e in entries] == [("Door 1", "door-1-offline")]
        mine = session.exec(select(CheckinScan).where(CheckinScan.list_id == door["list"],
                                                      CheckinScan.device == "Phone 3")).all()
        assert sorted(s.result for s in mine) == ["already", "invalid", "revoked"]
        assert [s.conflict for s in mine if s.result == "already"] == [True]
    # The page still opens with no network: the service worker's shell and the list kept on the device.
    context.set_offline(True)
    assert page.reload().from_service_worker
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#net")).to_have_text("Offline")
    type_code(page, door["codes"][1])
    expect(page.locator("#result-head")).to_have_text("Already checked in")
    context.set_offline(False)


@pytest.mark.parametrize(("lang", "texts"), [
    ("en", ("Welcome", "Already checked in", "Unknown code", "on device “Door 2”")),
    ("ru", ("Добро пожаловать", "Уже отмечен", "Неизвестный код", "на устройстве «Door 2»")),
])
def test_results_at_arms_length(new_page, door, lang, texts):
    welcome, already, unknown, where = texts
    code = door["codes"][3 if lang == "en" else 4]
    name = GUESTS[3 if lang == "en" else 4]
    page = new_page(PHONE, locale="ru-RU" if lang == "ru" else "en-US", bypass_csp=True)
    context = page.context
    page.close()
    page = open_scanner(context, door, lang=lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    type_code(page, code)
    expect(page.locator("#result-head")).to_have_text(welcome)
    expect(page.locator("#result-name")).to_have_text(name)
    assert no_horizontal_scroll(page)
    assert axe_violations(page) == []
    shot(page, f"scanner-welcome-390-{lang}")
    type_code(page, code)
    expect(page.locator("#result-head")).to_have_text(already)
    expect(page.locator("#result-detail")).to_contain_text(where)
    assert axe_violations(page) == []
    shot(page, f"scanner-already-390-{lang}")
    type_code(page, "NO-SUCH-CODE")
    expect(page.locator("#result-head")).to_have_text(unknown)
    assert axe_violations(page) == []
    shot(page, f"scanner-refused-390-{lang}")
    # Undo after a welcome: the next guest in, then taken back.
    search = page.get_by_label(re.compile("Name, email or code|Имя, email или код"))
    search.fill(GUESTS[5 if lang == "en" else 6].split()[0])
    page.locator("#found .button").first.click()
    expect(page.locator("#result-head")).to_have_text(welcome)
    page.get_by_role("button", name=re.compile("^(Undo|Отменить)$")).click()
    expect(page.locator("#result-head")).to_have_text(re.compile("Check-in undone|Отметка отменена"))


PARITY_JS = """async ([base, codes]) => {
    const { LocalList } = await import("/scan/app/offline.js");
    const bundle = await (await fetch(base + "/offline")).json();
    const local = new LocalList(bundle);
    const device = [];
    for (const code of codes) {
        const answer = await local.decide(code);
        local.apply(answer);
        device.push(answer.result);
    }
    const server = [];
    for (const [i, code] of codes.entries()) {
        const response = await fetch(base + "/scans", {method: "POST", body: JSON.stringify(
            {code, client_scan_id: "parity-" + Math.random() + "-" + i, device: "Parity"}),
            headers: {"Content-Type": "application/json", "X-AqStream-Scanner": "1"}});
        server.push((await response.json()).result);
    }
    return {device, server};
}"""


def test_the_devices_answers_are_the_servers(new_page, door):
    """The scanner's offline decisions (WebCrypto's Ed25519 in Chromium) against the server's, code by code, on
    lists for every type, for VIP only, not open yet and closed."""
    page = new_page(PHONE)
    context = page.context
    page.close()
    page = open_scanner(context, door, url=door["url"])
    names, codes = list(door["parity"]), list(door["parity"].values())
    for rule, list_id in door["rules"].items():
        got = page.evaluate(PARITY_JS, [f"/scan-api/{door['org']}/checkin-lists/{list_id}", codes])
        assert dict(zip(names, got["device"])) == dict(zip(names, got["server"])), (rule, got)
        if rule == "all":
            assert dict(zip(names, got["server"])) == {
                "plain standard": "ok", "signed vip": "ok", "signed standard": "ok", "forged": "invalid",
                "dated before a move": "ok", "re-issued": "revoked", "revoked": "revoked", "other event": "invalid",
                "other event's code": "unknown", "unknown version": "invalid", "garbage": "unknown",
                "plain again": "already", "signed vip again": "already"}
        if rule == "vip":
            assert got["server"][names.index("plain standard")] == "wrong_list"
        if rule == "later":
            assert got["server"][names.index("signed vip")] == "not_yet"
        if rule == "over":
            assert got["server"][names.index("signed vip")] == "closed"


def test_check_out_and_re_entry_and_an_offline_undo(new_page, door):
    page = new_page(PHONE, bypass_csp=True)
    context = page.context
    page.close()
    page = open_scanner(context, door, url=door["hall"])
    head = page.locator("#result-head")
    expect(page.get_by_role("radiogroup", name="Direction")).to_be_visible()
    type_code(page, door["codes"][2])
    expect(head).to_have_text("Welcome")
    page.get_by_role("radio", name="Out").check()
    type_code(page, door["codes"][2])
    expect(head).to_have_text("Checked out")
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    type_code(page, door["codes"][2])
    expect(head).to_have_text("Not checked in")
    page.get_by_role("radio", name="In").check()
    type_code(page, door["codes"][2])
    expect(head).to_have_text("Welcome")  # re-entry
    type_code(page, door["codes"][2])
    expect(head).to_have_text("Already checked in")
    # Offline, a welcome not yet synced is taken back on the device alone.
    context.set_offline(True)
    type_code(page, door["codes"][0])
    expect(head).to_have_text("Welcome")
    expect(page.locator("#pending")).to_have_text("1 scan waiting to sync")
    page.get_by_role("button", name="Undo").click()
    expect(head).to_have_text("Check-in undone")
    expect(page.locator("#pending")).to_have_text("Every scan is synced.")
    type_code(page, door["codes"][0])
    expect(head).to_have_text("Welcome")  # not inside any more on this device
    page.get_by_role("radio", name="Out").check()
    type_code(page, door["codes"][0])
    expect(head).to_have_text("Checked out")
    expect(page.locator("#pending")).to_have_text("2 scans waiting to sync")
    context.set_offline(False)
    expect(page.locator("#sync-report")).to_have_text("2 scans synced")
    expect(page.locator("#conflicts li")).to_have_count(0)
    assert axe_violations(page) == []


def test_the_scanner_on_a_desktop(new_page, door):
    page = new_page(DESKTOP, bypass_csp=True)
    context = page.context
    page.close()
    page = open_scanner(context, door)
    type_code(page, door["codes"][0])
    expect(page.locator("#result-head")).to_have_text(re.compile("Welcome|Already checked in"))
    page.get_by_label("Name, email or code").fill("a")
    expect(page.locator("#found li").first).to_be_visible()
    assert no_horizontal_scroll(page)
    assert axe_violations(page) == []
    shot(page, "scanner-1280")


def test_signed_out_and_no_access(new_page, door):
    page = new_page(PHONE)
    page.goto(door["url"])
    expect(page.get_by_role("heading", name="Sign in to scan")).to_be_visible()
    link = page.get_by_role("link", name="Sign in")
    expect(link).to_have_attribute("href", f"/signin?next=/scan/{door['org']}/{door['list']}")
    shot(page, "scanner-signed-out-390")
    # Signing in on the site's page brings the steward back to the scanner (a full page load, served by the backend).
    link.click()
    # The sign-in page's form works once its scripts have run: before that, a click would submit it natively.
    page.wait_for_url(re.compile(r"/signin/?\?next="))
    page.wait_for_load_state("load")
    page.get_by_label("Email").fill("door-owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(door["url"])
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    other = new_page(PHONE)
    other.context.add_cookies([{"name": "aq_session", "value": door["cookie"], "url": door["base"]}])
    other.goto(f"{door['base']}/scan/{door['org']}/999999")
    expect(other.get_by_role("heading", name="This list is not available")).to_be_visible()
