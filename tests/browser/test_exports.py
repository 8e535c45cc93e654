"""Attendee exports from the served production build (granian, as `reflex run --env prod --single-port` runs it):
the Excel file through the API with a token and through the organizer page's link with the session cookie, twenty
times in a row each, every one whole and readable; and the page's "Download Excel" button in Chromium."""
from __future__ import annotations

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import events, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASSWORD = "a-good-long-passphrase"
TICKETS = 150
TRIES = 20


@pytest.fixture(scope="module")
def seeded(app_url, app_data):
    """An organizer, an event of TICKETS registrations with an answer each (one of them looks like a formula) and a
    browser session, written through the services into the served app's database."""
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Export Owner", email="export-owner@example.com", password=PASSWORD)
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Export Club", slug="export-club",
                                                    time_zone="Europe/Moscow")
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Big evening", starts_local="2031-09-01T19:00", ends_local="2031-09-01T22:00",
                time_zone="Europe/Moscow", venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 1000)]))
            city = questions.add_question(session, me, org.id, event.id,
                                          questions.QuestionInput(label="Город", kind="short_text"))
            event = events.publish_event(session, me, org.id, event.id)
            entry = events.list_ticket_types(session, event.id)[0]
            for i in range(TICKETS):
                registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=entry.id,
                                      buyer_name=f"Гость {i:03d}", buyer_email=f"guest{i:03d}@example.com",
                                      answers={str(city.id): "=1+1" if i == 0 else f"Казань {i}"})
            cookie = accounts.create_session(session, owner.id, user_agent="export test")
            yield {"base": app_url, "org": org.slug, "event_id": event.id, "cookie": cookie}
    finally:
        engine.dispose()


def check_workbook(response: httpx.Response, attempt: int) -> None:
    assert response.status_code == 200, (attempt, response.status_code, response.headers, response.text[:200])
    assert response.headers["content-type"] == XLSX, (attempt, response.headers)
    assert 'filename="big-evening-attendees.xlsx"' in response.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == TICKETS + 1, (attempt, len(rows))
    assert rows[0][0] == "Name" and rows[0][-1] == "Город"
    assert rows[1][0] == "Гость 000" and rows[1][-1] == "'=1+1"  # a formula typed by an attendee stays text
    assert rows[-1][0] == f"Гость {TICKETS - 1:03d}" and rows[-1][-1] == f"Казань {TICKETS - 1}"
    assert rows[-1][5] == "Valid"  # the status in words, in the export's language


def test_excel_export_through_the_api_arrives_whole_every_time(seeded):
    with httpx.Client(base_url=seeded["base"], timeout=60) as client:
        token = client.post("/api/v1/auth/token", json={"email": "export-owner@example.com", "password": PASSWORD})
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        url = f"/api/v1/events/{seeded['event_id']}/attendees.xlsx"
        failed = []
        for attempt in range(TRIES):
            response = client.get(url, headers=auth)
            if response.status_code != 200:
                failed.append((response.status_code, response.headers.get("content-type"), response.text[:40]))
                continue
            check_workbook(response, attempt)
        assert failed == [], f"{len(failed)} of {TRIES} downloads failed: {failed[:3]}"
        as_csv = client.get(f"/api/v1/events/{seeded['event_id']}/attendees.csv", headers=auth)
        assert as_csv.status_code == 200
        assert len(list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))) == TICKETS + 1


def test_excel_export_through_the_organizer_link_arrives_whole_every_time(seeded):
    cookies = {"aq_session": seeded["cookie"]}
    with httpx.Client(base_url=seeded["base"], cookies=cookies, timeout=60) as client:
        url = f"/export/{seeded['org']}/{seeded['event_id']}.xlsx"
        failed = []
        for attempt in range(TRIES):
            response = client.get(url)
            if response.status_code != 200:
                failed.append((response.status_code, response.headers.get("content-type"), response.text[:40]))
                continue
            check_workbook(response, attempt)
        assert failed == [], f"{len(failed)} of {TRIES} downloads failed: {failed[:3]}"


def test_download_excel_button_saves_the_workbook(seeded, new_page):
    page = new_page(DESKTOP)
    page.context.add_cookies([{"name": "aq_session", "value": seeded["cookie"], "url": seeded["base"]}])
    page.goto(f"{seeded['base']}/o/{seeded['org']}/events/{seeded['event_id']}/attendees")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Excel").click()
    assert download.value.suggested_filename == "big-evening-attendees.xlsx"
    data = open(download.value.path(), "rb").read()
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == TICKETS + 1 and rows[1][0] == "Гость 000"
