"""Exports as a production server sends them. granian offers ASGI's `http.response.pathsend`, and opens a file
named that way only after the app has returned; a temporary file deleted by then was a 404. This calls the app as
granian does, so no file handed over that way can be lost again. And when every export slot is taken, a clear 503
in the API's error shape."""
from __future__ import annotations

import io
import threading
from pathlib import Path

import anyio
from openpyxl import load_workbook

from aqstream.api.app import create_api
from aqstream.services.reports import exports
from tests.api.test_events_api import setup_event


def get_like_granian(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One GET through the ASGI app, served the way granian 2.8 serves it (ASGI 2.3, pathsend offered, a file read
    after the app has returned)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "extensions": {"http.response.pathsend": {}},
    }
    sent: list[dict] = []

    requested = []

    async def receive():
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()  # the client stays until the response is complete

    async def send(message):
        sent.append(message)

    anyio.run(create_api(), scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    found = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b""
    for message in sent:
        if message["type"] == "http.response.body":
            body += message.get("body", b"")
        elif message["type"] == "http.response.pathsend":
            file = Path(message["path"])
            if not file.exists():  # what granian answers then
                return 404, {}, b"Not found"
            body += file.read_bytes()
    return start["status"], found, body


def test_xlsx_export_arrives_whole_from_a_server_that_sends_files_after_the_app_returns(client, login, make, session):
    owner, org, event, _ = setup_event(make, session, n=5)
    auth = login(owner)
    status, headers, body = get_like_granian(f"/api/v1/events/{event.id}/attendees.xlsx", auth)
    assert status == 200 and headers["content-type"].startswith("application/vnd.openxmlformats"), (status, body)
    rows = list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 6 and rows[1][0] == "Person 0"
    status, headers, body = get_like_granian(f"/api/v1/events/{event.id}/attendees.csv", auth)
    assert status == 200 and body.decode("utf-8-sig").count("\n") == 6


def test_when_every_export_slot_is_taken_the_next_one_is_told_to_come_back(client, login, make, session, monkeypatch):
    owner, org, event, _ = setup_event(make, session)
    auth = login(owner)
    monkeypatch.setattr(exports, "_slots", threading.BoundedSemaphore(1))
    monkeypatch.setattr(exports, "EXPORT_WAIT_SECONDS", 0.1)
    running = exports.take_slot()
    try:
        for url in (f"/api/v1/events/{event.id}/attendees.xlsx", f"/api/v1/events/{event.id}/attendees.csv"):
            busy = client.get(url, headers={**auth, "Accept-Language": "ru"})
            assert busy.status_code == 503 and busy.json()["error"]["code"] == "exports_busy", busy.text
            assert "Повторите через 30 с" in busy.json()["error"]["message"] and busy.headers["Retry-After"] == "30"
        # Someone else's event is still not found, not "busy": access is checked first.
        intruder, _ = make.org()
        assert client.get(f"/api/v1/events/{event.id}/attendees.csv", headers=login(intruder)).status_code == 404
    finally:
        running.release()
    done = client.get(f"/api/v1/events/{event.id}/attendees.csv", headers=auth)
    assert done.status_code == 200 and done.content.decode("utf-8-sig").count("\n") == 4
    assert client.get(f"/api/v1/events/{event.id}/attendees.xlsx", headers=auth).status_code == 200
