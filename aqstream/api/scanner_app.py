"""The door scanner a steward opens on a phone (issue 16): a small static web app, not a Reflex page, because a
Reflex page needs the backend's websocket for every action and the scanner must keep letting people in when the
venue's network fails. It is installable (web app manifest, service worker with scope /scan/) and talks to the
cookie-signed-in REST routes under /scan-api/{org}/... (aqstream/api/checkin.py).

Routes (none in the OpenAPI document):
- /scan/{org_slug}/{list_id}: the HTML shell, the same for every list (the script reads the list from the address),
  with the scanner's texts in the viewer's language written into it;
- /scan/shell: the same shell, which the service worker keeps for offline starts;
- /scan/app/<file>: the script, styles, icons and the QR decoder (zxing-wasm from tools/node_modules), whitelisted;
- /scan/sw.js and /scan/manifest.webmanifest."""
from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from aqstream.api.errors import error_response
from aqstream.db import session_scope
from aqstream.i18n import LOCALES, catalogue
from aqstream.services.accounts import accounts

router = APIRouter(include_in_schema=False)

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "aqstream" / "scanner"
ZXING = ROOT / "tools" / "node_modules" / "zxing-wasm" / "dist"
LOCALE_COOKIE = "aq_locale"

JS, CSS, SVG, PNG = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "image/svg+xml", "image/png"
# Every file the app may be served, by its address under /scan/app/: nothing else on disk is reachable.
FILES: dict[str, tuple[Path, str]] = {
    "scanner.js": (APP_DIR / "scanner.js", JS),
    "offline.js": (APP_DIR / "offline.js", JS),
    "scanner.css": (APP_DIR / "scanner.css", CSS),
    "icon.svg": (APP_DIR / "icon.svg", SVG),
    "icon-192.png": (APP_DIR / "icon-192.png", PNG),
    "icon-512.png": (APP_DIR / "icon-512.png", PNG),
    # zxing-wasm's "reader" build: its ES module imports ../share.js, and its .wasm is located by our override.
    "zxing/reader/index.js": (ZXING / "es" / "reader" / "index.js", JS),
    "zxing/share.js": (ZXING / "es" / "share.js", JS),
    "zxing/reader/zxing_reader.wasm": (ZXING / "reader" / "zxing_reader.wasm", "application/wasm"),
}
# The app's files change with a release, so browsers ask again each time (a 304 when unchanged); the service
# worker keeps its own copies for offline use.
REVALIDATE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# The page runs only its own files: its scripts, the decoder's WebAssembly, the camera's stream; no other site is
# asked for anything and no one may frame it. (The texts are a JSON data block, which is not run.)
POLICY = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; "
          "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
LIST_ID = re.compile(r"^[1-9][0-9]{0,9}$")


def viewer_locale(request: Request) -> str:
    """The language the rest of the site shows this visitor: the language switch's cookie (the Reflex pages keep it
    equal to the signed-in person's profile), else the profile's language, else the browser's Accept-Language."""
    chosen = request.cookies.get(LOCALE_COOKIE, "")
    if chosen in LOCALES:
        return chosen
    token = request.cookies.get(accounts.SESSION_COOKIE)
    if token:
        with session_scope() as session:
            user = accounts.user_for_session(session, token)
            if user is not None and user.locale in LOCALES:
                return user.locale
    return "ru" if request.headers.get("accept-language", "").lower().startswith("ru") else "en"


def texts(locale: str) -> dict[str, str]:
    """The scanner's texts (catalogue keys scanner.*) in one language, the English text where one is missing."""
    english = catalogue("en")
    own = catalogue(locale)
    return {key[len("scanner."):]: own.get(key) or text for key, text in english.items() if key.startswith("scanner.")}


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element: no "</" or "<!--" can end it early."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace("\u2028", "\\u2028") \
        .replace("\u2029", "\\u2029")


def shell(request: Request) -> HTMLResponse:
    locale = viewer_locale(request)
    html = (APP_DIR / "index.html").read_text(encoding="utf-8")
    strings = texts(locale)
    html = (html.replace("{{lang}}", locale)
                .replace("{{title}}", strings["title"])
                .replace("{{strings}}", _script_json(strings)))
    return HTMLResponse(html, headers={**REVALIDATE, "Vary": "Cookie, Accept-Language",
                                       "Referrer-Policy": "same-origin", "Content-Security-Policy": POLICY})


def not_found(request: Request) -> JSONResponse:
    return error_response(request, 404, "not_found", "error.not_found")


def app_file(request: Request, name: str) -> Response:
    found = FILES.get(name)
    if found is None or not found[0].is_file():
        return not_found(request)
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers=REVALIDATE)


@router.get("/scan/sw.js")
def service_worker() -> Response:
    # Served from /scan/, so its scope is /scan/: every list's page, none of the rest of the site.
    return FileResponse(APP_DIR / "sw.js", media_type=JS, headers={**REVALIDATE, "Service-Worker-Allowed": "/scan/"})


@router.get("/scan/manifest.webmanifest")
def manifest(request: Request, start: str = "") -> Response:
    """The install manifest; `start` is the list's page (/scan/<org>/<list>), so the installed app opens there."""
    strings = texts(viewer_locale(request))
    parts = start.split("/")
    start_url = start if (len(parts) == 4 and parts[:2] == ["", "scan"] and SLUG.match(parts[2])
                          and LIST_ID.match(parts[3])) else "/scan/"
    body = {
        "name": strings["app_name"],
        "short_name": strings["short_name"],
        "description": strings["app_description"],
        "start_url": start_url,
        "scope": "/scan/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#3e63dd",
        "icons": [
            {"src": "/scan/app/icon-192.png", "sizes": "192x192", "type": PNG, "purpose": "any maskable"},
            {"src": "/scan/app/icon-512.png", "sizes": "512x512", "type": PNG, "purpose": "any maskable"},
            {"src": "/scan/app/icon.svg", "sizes": "any", "type": SVG},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json",
                    headers={**REVALIDATE, "Vary": "Cookie, Accept-Language"})


@router.get("/scan/shell")
def shell_for_offline(request: Request) -> HTMLResponse:
    return shell(request)


@router.get("/scan/app/{name:path}")
def app_files(request: Request, name: str) -> Response:
    # An organization whose slug is "app" still has its lists' pages: /scan/app/<list id>.
    if LIST_ID.match(name):
        return shell(request)
    return app_file(request, name)


@router.get("/scan/{org_slug}/{list_id}")
def list_page(request: Request, org_slug: str, list_id: str) -> Response:
    if not SLUG.match(org_slug) or not LIST_ID.match(list_id):
        return not_found(request)
    return shell(request)
