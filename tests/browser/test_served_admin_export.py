"""A platform admin's organization export and deletion as the production build serves them (granian under
`reflex run --env prod --single-port`): the ZIP streamed whole through the API and through the admin page's
cookie-signed link, the deletion's refusals and its 204, 404 to the organization's owner."""
import csv
import io
import zipfile

import httpx
import pytest

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import admins
from aqstream.services.platform import export as org_export
from aqstream.services.sales import registration
from tests.conftest import unique

pytestmark = pytest.mark.browser
PASSWORD = "a-good-long-passphrase"
ORDERS = 300


@pytest.fixture(scope="module")
def seeded(app_url, app_data):
    """An organization with ORDERS registrations and a platform admin, written into the served app's database."""
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Owner", email=f"{unique('owner')}@example.com", password=PASSWORD)
            root = accounts.sign_up(session, name="Root", email=f"{unique('root')}@example.com", password=PASSWORD)
            admins.grant(session, None, root.email)
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Served Export", slug=unique("served-export"))
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Evening", starts_local="2031-09-01T19:00", ends_local="2031-09-01T22:00", time_zone="UTC",
                venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 1000)]))
            event = events.publish_event(session, me, org.id, event.id)
            entry = events.list_ticket_types(session, event.id)[0]
            for i in range(ORDERS):
                registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=entry.id,
                                      buyer_name=f"Гость {i:03d}", buyer_email=f"served{i:03d}@example.com")
            cookie = accounts.create_session(session, root.id, user_agent="export test")
            seeded = {"base": app_url, "org": org.slug, "event": event.slug, "root": root.email,
                      "owner": owner.email, "cookie": cookie}
        yield seeded  # no session of ours left open: the served app writes to this SQLite file next
    finally:
        engine.dispose()


def token(http: httpx.Client, email: str) -> dict:
    response = http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def check_zip(content: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [*org_export.FILES, "README.txt"] and archive.testzip() is None
    orders = list(csv.reader(io.StringIO(archive.read("orders.csv").decode("utf-8-sig"))))
    assert len(orders) == ORDERS + 1 and orders[1][2] == "Гость 000"


def test_the_served_export_and_deletion(seeded):
    with httpx.Client(base_url=seeded["base"], timeout=60) as http:
        root, owner = token(http, seeded["root"]), token(http, seeded["owner"])
        url = f"/api/v1/admin/organizations/{seeded['org']}"
        got = http.get(url + "/export", headers=root)
        assert got.status_code == 200, got.text[:300]
        assert got.headers["content-type"] == "application/zip"
        assert got.headers["content-disposition"].startswith(f'attachment; filename="{seeded["org"]}-export-')
        check_zip(got.content)
        link = http.get(f"/admin-export/organizations/{seeded['org']}.zip",
                        cookies={accounts.SESSION_COOKIE: seeded["cookie"]})
        assert link.status_code == 200
        check_zip(link.content)
        http.cookies.clear()
        for response in (http.get(url + "/export", headers=owner),
                         http.request("DELETE", url, json={"confirm_slug": seeded["org"]}, headers=owner)):
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
        refused = http.request("DELETE", url, json={"confirm_slug": seeded["org"]}, headers=root)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
        assert http.post(url + "/suspend", json={"reason": "Closing"}, headers=root).status_code == 200
        mistyped = http.request("DELETE", url, json={"confirm_slug": "nope"}, headers=root)
        assert mistyped.status_code == 422 and "confirm_slug" in mistyped.json()["error"]["fields"]
        assert http.request("DELETE", url, json={"confirm_slug": seeded["org"]}, headers=root).status_code == 204
        assert http.get(f"/api/v1/public/events/{seeded['org']}/{seeded['event']}").status_code == 404
        assert http.get(url + "/export", headers=root).status_code == 404
