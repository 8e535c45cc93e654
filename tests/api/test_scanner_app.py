"""The door scanner's files as the backend serves them (api/scanner_app.py): the shell for any list's address with
the texts of the viewer's language, the whitelisted app files with their content types (the QR decoder's
WebAssembly included), the service worker with its scope and the install manifest; nothing else on disk."""
import json
import re

import pytest

from aqstream.i18n import catalogue
from aqstream.services.accounts import accounts


def strings(html: str) -> dict:
    found = re.search(r'<script id="scanner-strings" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_shell_for_any_list_in_the_viewers_language(client):
    english = client.get("/scan/acme/5")
    assert english.status_code == 200
    assert english.headers["content-type"] == "text/html; charset=utf-8"
    assert english.headers["cache-control"] == "no-cache"
    policy = english.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy and "frame-ancestors 'none'" in policy
    assert '<html lang="en">' in english.text
    assert strings(english.text)["result.ok"] == catalogue("en")["scanner.result.ok"] == "Welcome"
    assert '<script type="module" src="/scan/app/scanner.js">' in english.text
    russian = client.get("/scan/another-org/17", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.text and strings(russian.text)["result.ok"] == "Добро пожаловать"
    # The language switch's cookie wins over the browser's language; the offline copy is the same shell.
    chosen = client.get("/scan/shell", headers={"Accept-Language": "ru"}, cookies={"aq_locale": "en"})
    assert '<html lang="en">' in chosen.text
    assert client.get("/scan/app/42").text.startswith("<!doctype html>")  # an organization called "app"


def test_the_signed_in_persons_profile_language(client, make, session):
    owner, org = make.org()
    accounts.set_locale(session, owner.id, "ru")
    token = accounts.create_session(session, owner.id, user_agent="test")
    page = client.get(f"/scan/{org.slug}/1", cookies={accounts.SESSION_COOKIE: token})
    assert '<html lang="ru">' in page.text


def test_no_script_can_end_the_texts_early(client, monkeypatch):
    from aqstream.api import scanner_app

    monkeypatch.setattr(scanner_app, "texts", lambda locale: {"title": "T", "x": "</script><script>alert(1)"})
    page = client.get("/scan/acme/5").text
    assert "</script><script>alert(1)" not in page and strings(page)["x"] == "</script><script>alert(1)"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/scan/app/scanner.js", "text/javascript; charset=utf-8"),
    ("/scan/app/offline.js", "text/javascript; charset=utf-8"),
    ("/scan/app/scanner.css", "text/css; charset=utf-8"),
    ("/scan/app/icon.svg", "image/svg+xml"),
    ("/scan/app/icon-192.png", "image/png"),
    ("/scan/app/icon-512.png", "image/png"),
    ("/scan/app/zxing/reader/index.js", "text/javascript; charset=utf-8"),
    ("/scan/app/zxing/share.js", "text/javascript; charset=utf-8"),
    ("/scan/app/zxing/reader/zxing_reader.wasm", "application/wasm"),
])
def test_the_app_files(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 100


def test_the_decoder_is_ours_not_a_cdn(client):
    """zxing-wasm's module imports ../share.js (served next to it); the page points its .wasm at our own URL."""
    module = client.get("/scan/app/zxing/reader/index.js").text
    assert 'from "../share.js"' in module
    assert client.get("/scan/app/zxing/reader/zxing_reader.wasm").content[:4] == b"\0asm"
    script = client.get("/scan/app/scanner.js").text
    assert "/scan/app/zxing/reader/zxing_reader.wasm" in script and "locateFile" in script


@pytest.mark.parametrize("path", [
    "/scan/app/../../pyproject.toml", "/scan/app/%2e%2e/%2e%2e/pyproject.toml", "/scan/app/..%2f..%2fpyproject.toml",
    "/scan/app/../../x", "/scan/app/index.html", "/scan/app/sw.js", "/scan/app/zxing/full/zxing_full.wasm",
    "/scan/app/zxing/../../../../aqstream/config.py", "/scan/app/", "/scan/app/scanner.js/",
    "/scan/Acme/5", "/scan/acme/five", "/scan/acme/0", "/scan/acme/5/extra", "/scan/-x/5",
])
def test_nothing_else_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404, path
    assert response.headers["content-type"] == "application/json"
    assert "error" in response.json()


def test_the_service_worker(client):
    response = client.get("/scan/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["service-worker-allowed"] == "/scan/"
    assert response.headers["cache-control"] == "no-cache"
    # It keeps the shell, the app and the decoder for offline use.
    for kept in ("/scan/shell", "/scan/app/scanner.js", "/scan/app/zxing/reader/zxing_reader.wasm",
                 "/scan/manifest.webmanifest"):
        assert f'"{kept}"' in response.text


def test_the_manifest(client):
    response = client.get("/scan/manifest.webmanifest", params={"start": "/scan/acme/5"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == "/scan/acme/5" and manifest["scope"] == "/scan/"
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).headers["content-type"] == icon["type"]
    # Only a list's own page may be the start: anything else starts at the scope.
    for start in ("https://evil.example/", "/scan/acme/5?x=1", "//evil.example/scan/a/1", "/o/acme"):
        assert client.get("/scan/manifest.webmanifest", params={"start": start}).json()["start_url"] == "/scan/"
    russian = client.get("/scan/manifest.webmanifest", headers={"Accept-Language": "ru"}).json()
    assert russian["name"] == catalogue("ru")["scanner.app_name"]


def test_not_in_the_api_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not any(path.startswith("/scan") for path in paths)
