"""/api/v1/admin/organizations/{slug}/export and DELETE /api/v1/admin/organizations/{slug}, and the admin page's
cookie-signed download link: platform admins only (404 to everyone else, owners included), the refusals in the
JSON error shape, a busy server's 503 with Retry-After."""
import csv
import io
import re
import zipfile

from aqstream.services.accounts import accounts
from aqstream.services.errors import ExportsBusy
from aqstream.services.platform import admins
from aqstream.services.platform import export as org_export
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def setup(make, session):
    root = make.user("Platform Admin")
    admins.grant(session, None, root.email)
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    buyer = f"{unique('buyer')}@example.com"
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="=cmd|'/C calc'!A0",
                          buyer_email=buyer, tickets=[TR(tt.id, "Ann")])
    return root, owner, org, event, buyer


def delete(client, slug, body, auth):
    return client.request("DELETE", f"/api/v1/admin/organizations/{slug}", json=body, headers=auth)


def orders_csv(content: bytes) -> list[list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [*org_export.FILES, "README.txt"]
    return list(csv.reader(io.StringIO(archive.read("orders.csv").decode("utf-8-sig"))))


def test_export_then_delete_through_the_api(client, login, make, session):
    root, owner, org, event, buyer = setup(make, session)
    auth = login(root)
    got = client.get(f"/api/v1/admin/organizations/{org.slug}/export", headers=auth)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert re.fullmatch(rf'attachment; filename="{org.slug}-export-\d{{8}}-\d{{4}}\.zip"',
                        got.headers["content-disposition"])
    assert got.headers["cache-control"] == "no-store"
    rows = orders_csv(got.content)
    assert [(r[2], r[3]) for r in rows[1:]] == [("'=cmd|'/C calc'!A0", buyer)]  # the formula quoted

    # The admin page's link, signed in by the browser's cookie.
    cookie = accounts.create_session(session, root.id)
    link = client.get(f"/admin-export/organizations/{org.slug}.zip", cookies={accounts.SESSION_COOKIE: cookie})
    assert link.status_code == 200 and orders_csv(link.content)[1][3] == buyer
    client.cookies.clear()

    refused = delete(client, org.slug, {"confirm_slug": org.slug}, auth)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict" and "suspend" in refused.json()["error"]["message"]
    assert client.post(f"/api/v1/admin/organizations/{org.slug}/suspend", json={"reason": "Closing"},
                       headers=auth).status_code == 200
    mistyped = delete(client, org.slug, {"confirm_slug": org.slug.upper()}, auth)
    assert mistyped.status_code == 422 and set(mistyped.json()["error"]["fields"]) == {"confirm_slug"}
    assert delete(client, org.slug, {}, auth).status_code == 422
    assert delete(client, org.slug, {"confirm_slug": org.slug, "extra": 1}, auth).status_code == 422
    done = delete(client, org.slug, {"confirm_slug": org.slug}, auth)
    assert done.status_code == 204 and done.content == b""

    for response in (client.get(f"/api/v1/admin/organizations/{org.slug}/export", headers=auth),
                     delete(client, org.slug, {"confirm_slug": org.slug}, auth),
                     client.post(f"/api/v1/admin/organizations/{org.slug}/reactivate", headers=auth),
                     client.get(f"/api/v1/public/events/{org.slug}/{event.slug}")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_every_export_route_is_a_404_to_anyone_else(client, login, make, session):
    root, owner, org, event, buyer = setup(make, session)
    client.post(f"/api/v1/admin/organizations/{org.slug}/suspend", json={"reason": "x"}, headers=login(root))
    stranger = make.user()
    for user in (owner, stranger):  # the organization's own owner included
        for auth in (login(user), login(user, organization=org.slug) if user is owner else login(user)):
            for response in (client.get(f"/api/v1/admin/organizations/{org.slug}/export", headers=auth),
                             client.get("/api/v1/admin/organizations/no-such-org/export", headers=auth),
                             delete(client, org.slug, {"confirm_slug": org.slug}, auth),
                             delete(client, org.slug, {"bogus": 1}, auth)):  # a bad body says nothing either
                assert response.status_code == 404, response.text
                assert response.json()["error"]["code"] == "not_found"
        cookie = accounts.create_session(session, user.id)
        link = client.get(f"/admin-export/organizations/{org.slug}.zip", cookies={accounts.SESSION_COOKIE: cookie})
        assert link.status_code == 404
        client.cookies.clear()
    assert client.get(f"/api/v1/admin/organizations/{org.slug}/export").status_code == 401
    assert delete(client, org.slug, {"confirm_slug": org.slug}, {}).status_code == 401
    assert client.get(f"/admin-export/organizations/{org.slug}.zip").status_code == 401
    session.refresh(org)
    assert org.status == "suspended"


def test_a_busy_server_answers_503_with_retry_after(client, login, make, session, monkeypatch):
    root, owner, org, event, buyer = setup(make, session)

    def busy():
        raise ExportsBusy(seconds=30)

    monkeypatch.setattr(org_export, "take_slot", busy)
    response = client.get(f"/api/v1/admin/organizations/{org.slug}/export", headers=login(root))
    assert response.status_code == 503 and response.headers["retry-after"] == "30"
    assert response.json()["error"]["code"] == "exports_busy"


def test_the_export_streams_from_a_real_server(use_db, login, make, session):
    """Over a socket, from uvicorn: the archive comes in chunks (no Content-Length: it is written as it is sent),
    and the whole of it opens."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from aqstream.api.app import create_api

    root, owner, org, event, buyer = setup(make, session)
    auth = login(root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_api(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        pieces = []
        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/v1/admin/organizations/{org.slug}/export",
                          headers=auth, timeout=30) as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers
            assert response.headers["transfer-encoding"] == "chunked"
            pieces = list(response.iter_raw())
        assert len(pieces) > 1
        assert orders_csv(b"".join(pieces))[1][3] == buyer
        owner_try = httpx.get(f"http://127.0.0.1:{port}/api/v1/admin/organizations/{org.slug}/export",
                              headers=login(owner), timeout=30)
        assert owner_try.status_code == 404 and owner_try.json()["error"]["code"] == "not_found"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
