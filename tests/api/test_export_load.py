"""Slow attendee downloads must not freeze the site. On PostgreSQL, with the app's pool at 4 connections (as in
production) and a real HTTP server on a socket: four exports of a big event are read by clients that take a few KB
and then sleep, while a registration, the public event and the catalog must still answer within 2 s (the site
used to take 20 s). With the exports holding their connection again (the old behaviour, switched back on), the
same scenario must find the site blocked, so the check can tell the difference."""
from __future__ import annotations

import csv
import io
import socket
import threading
import time

import httpx
import psycopg
import pytest
from openpyxl import load_workbook

from aqstream.services.accounts import accounts
from aqstream.services.events import events, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import exports
from aqstream.services.sales import attendees
from tests.conftest import BACKENDS
from tests.served_api import fresh_database, serve

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="AQSTREAM_SKIP_PG=1")

TICKETS = 4000  # each with a 640-character answer: about 3 MB of CSV, far more than the sockets hold
POOL = 4
FAST = 2.0  # seconds: what "still answers" means here (the site took 20 s when it froze)
PASSWORD = "a-good-long-passphrase"


@pytest.fixture(scope="module")
def site():
    """A fresh PostgreSQL database with a big event (TICKETS tickets) and a small one, served by the API on a real
    socket with the app's own engine at pool size 4."""
    with fresh_database(pool_size=POOL) as (url, s):
        owner = accounts.sign_up(s, name="Load Owner", email="load-owner@example.com", password=PASSWORD)
        me = Principal(owner.id)
        org = organizations.create_organization(s, me, name="Load Org", slug="load-org", time_zone="UTC")
        new = dict(starts_local="2031-09-01T19:00", ends_local="2031-09-01T22:00", time_zone="UTC", venue="Hall")
        big = events.create_event(s, me, org.id, events.EventInput(
            title="Big", ticket_types=[events.TicketTypeInput("Entry", TICKETS * 2)], **new))
        note = questions.add_question(s, me, org.id, big.id, questions.QuestionInput(label="Note", kind="long_text"))
        big = events.publish_event(s, me, org.id, big.id)
        small = events.create_event(s, me, org.id, events.EventInput(
            title="Small", ticket_types=[events.TicketTypeInput("Entry", 100)], **new))
        small = events.publish_event(s, me, org.id, small.id)
        entry = events.list_ticket_types(s, big.id)[0]
        small_entry = events.list_ticket_types(s, small.id)[0]
        cookie = accounts.create_session(s, owner.id, user_agent="load test")
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            # Written straight into the tables: 4,000 registrations through the service would take most of the test.
            conn.execute(
                "insert into ticket_order (organization_id, event_id, buyer_name, buyer_email, status, total_minor, "
                "currency, locale, access_token, request_fingerprint, created_at) select %s, %s, 'Buyer ' || g, "
                "'buyer' || g || '@example.com', 'confirmed', 0, 'EUR', 'en', md5('order' || g), '', now() "
                "from generate_series(1, %s) g", (org.id, big.id, TICKETS))
            conn.execute(
                "insert into ticket (order_id, event_id, ticket_type_id, attendee_name, attendee_email, code, status, "
                "created_at) select o.id, o.event_id, %s, 'Гость ' || o.id, '', md5(o.access_token), 'valid', now() "
                "from ticket_order o where o.event_id = %s", (entry.id, big.id))
            conn.execute(  # hex noise, so that the XLSX does not compress it away
                "insert into answer (order_id, question_id, value) select o.id, %s, to_json((select "
                "string_agg(md5(o.id || '-' || g), '') from generate_series(1, 20) g)) from ticket_order o "
                "where o.event_id = %s", (note.id, big.id))
            conn.execute("update ticket_type set sold = %s where id = %s", (TICKETS, entry.id))
            conn.execute("update event set sold = %s where id = %s", (TICKETS, big.id))
            conn.execute("analyze")
        # Loopback lets the kernel buffer megabytes per connection (more than this test's whole export); a send
        # buffer set on the listening socket (connections inherit it) gives the slowness of a real client sooner.
        with serve(send_buffer=32 * 1024) as base:
            with httpx.Client(base_url=base, timeout=30) as client:
                token = client.post("/api/v1/auth/token", json={"email": "load-owner@example.com", "password": PASSWORD})
                assert token.status_code == 200, token.text
            yield {"base": base, "url": url, "token": token.json()["access_token"], "cookie": cookie, "org": org.slug,
                   "big": big, "small": small, "small_type": small_entry.id}


class SlowReader(threading.Thread):
    """A download over a raw socket with a small receive buffer: a few KB, then a pause, until told to stop."""

    def __init__(self, base: str, path: str, headers: dict[str, str]):
        super().__init__(daemon=True)
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"] + [f"{k}: {v}" for k, v in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.status = b""
        self.received = 0
        self.finished = False  # the whole body arrived
        self.started = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.settimeout(60)
        try:
            sock.connect(self.address)
            sock.sendall(self.request)
            while not self.stop.is_set():
                data = sock.recv(4096)
                if not data:
                    self.finished = True
                    return
                if not self.status:
                    self.status = data.split(b"\r\n", 1)[0]
                self.received += len(data)
                if self.received > 20_000:
                    self.started.set()
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            self.started.set()
            sock.close()


def start_slow_exports(site, formats=("csv", "xlsx")) -> list[SlowReader]:
    """Four downloads of the big event's list, through the API and through the organizer page's link: CSV and
    XLSX, or only the given formats."""
    event_id = site["big"].id
    api = {"Authorization": f"Bearer {site['token']}"}
    browser = {"Cookie": f"aq_session={site['cookie']}"}
    chosen = [formats[i % len(formats)] for i in range(2)]
    readers = [SlowReader(site["base"], f"/api/v1/events/{event_id}/attendees.{fmt}", api) for fmt in chosen]
    readers += [SlowReader(site["base"], f"/export/{site['org']}/{event_id}.{fmt}", browser) for fmt in chosen]
    for reader in readers:
        reader.start()
    deadline = time.time() + 15
    for reader in readers:
        reader.started.wait(max(0.0, deadline - time.time()))
    time.sleep(1.5)  # the sockets' buffers fill up: from here each export waits for its client
    return readers


def stop(readers: list[SlowReader]) -> None:
    for reader in readers:
        reader.stop.set()
    for reader in readers:
        reader.join(timeout=30)


def timed(call) -> tuple[float, object]:
    t0 = time.perf_counter()
    try:
        result = call()
    except httpx.TimeoutException as exc:
        result = exc
    return time.perf_counter() - t0, result


def others_meanwhile(site, timeout: float, n: int) -> dict[str, tuple[float, object]]:
    """What other users do while the exports run: open the public event, register, browse the catalog."""
    with httpx.Client(base_url=site["base"], timeout=timeout) as client:
        return {
            "public event": timed(lambda: client.get(f"/api/v1/public/events/{site['org']}/{site['big'].slug}")),
            "registration": timed(lambda: client.post(
                f"/api/v1/public/events/{site['org']}/{site['small'].slug}/registrations",
                json={"name": f"Visitor {n}", "email": f"visitor{n}@example.com", "ticket_type_id": site["small_type"]})),
            "catalog": timed(lambda: client.get("/api/v1/public/catalog")),
        }


def idle_in_transaction(site) -> int:
    """The app's connections that sit in an open transaction for more than a second."""
    with psycopg.connect(site["url"].replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        return conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() "
            "and state = 'idle in transaction' and now() - state_change > interval '1 second'").fetchone()[0]


def test_four_slow_exports_leave_the_site_responsive(site, monkeypatch):
    readers = start_slow_exports(site)
    try:
        answers = others_meanwhile(site, timeout=30, n=1)
        held = idle_in_transaction(site)
        print({what: round(seconds, 3) for what, (seconds, _) in answers.items()}, "idle in transaction:", held)
        state = [(r.status, r.received, r.finished) for r in readers]
        for what, (seconds, response) in answers.items():
            assert isinstance(response, httpx.Response), f"{what}: {response!r}; exports: {state}"
            assert response.status_code in (200, 201), (what, response.status_code, response.text[:200])
            assert seconds < FAST, f"{what} took {seconds:.1f} s while four exports were downloading: {state}"
        assert held == 0, f"{held} connections idle in transaction during the downloads"
        assert [r.status for r in readers] == [b"HTTP/1.1 200 OK"] * 4, f"every export is under way: {state}"
        assert not any(r.finished for r in readers), f"an export ended early: the test did not hold it open: {state}"

        # A fifth export finds every slot taken: it waits briefly, then is told to come back (503, JSON).
        monkeypatch.setattr(exports, "EXPORT_WAIT_SECONDS", 0.5)
        with httpx.Client(base_url=site["base"], timeout=30) as client:
            auth = {"Authorization": f"Bearer {site['token']}"}
            busy = client.get(f"/api/v1/events/{site['big'].id}/attendees.csv", headers=auth)
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "exports_busy", busy.text
        assert int(busy.headers["Retry-After"]) > 0
    finally:
        stop(readers)

    # The clients went away: their slots are free again, and a whole export still has every row.
    monkeypatch.setattr(exports, "EXPORT_WAIT_SECONDS", 10)
    with httpx.Client(base_url=site["base"], timeout=60, headers={"Authorization": f"Bearer {site['token']}"}) as client:
        as_csv = client.get(f"/api/v1/events/{site['big'].id}/attendees.csv")
        assert as_csv.status_code == 200, as_csv.text[:200]
        rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert len(rows) == TICKETS + 1 and rows[1][0].startswith("Гость ") and len(rows[-1][-1]) == 640
        as_xlsx = client.get(f"/api/v1/events/{site['big'].id}/attendees.xlsx")
        assert as_xlsx.status_code == 200, as_xlsx.text[:200]
        sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).active
        assert sum(1 for _ in sheet.iter_rows(values_only=True)) == TICKETS + 1


def test_with_exports_holding_their_connection_the_same_check_finds_the_site_blocked(site, monkeypatch):
    monkeypatch.setattr(attendees, "EXPORT_CHUNK_SESSIONS", False)
    # CSV: an XLSX is built (its rows all read) before its first byte, so even the old reading let its
    # connection go before the slow client; the CSV kept it to the last byte.
    readers = start_slow_exports(site, formats=("csv",))
    try:
        answers = others_meanwhile(site, timeout=FAST + 1, n=2)
        held = idle_in_transaction(site)
        print({what: round(seconds, 3) for what, (seconds, _) in answers.items()}, "idle in transaction:", held)
    finally:
        stop(readers)
    slow = [what for what, (seconds, response) in answers.items()
            if seconds >= FAST or not isinstance(response, httpx.Response)]
    assert slow == list(answers), f"expected every request to wait for a connection: {answers}"
    assert held == POOL, f"expected the {POOL} exports idle in transaction, found {held}"
    # Once the clients are gone, their exports end and the site answers again.
    with httpx.Client(base_url=site["base"], timeout=60) as client:
        assert client.get("/api/v1/public/catalog").status_code == 200
