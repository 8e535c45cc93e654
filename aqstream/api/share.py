"""Serves a public event's page with its share card (OpenGraph, Twitter) and schema.org JSON-LD already in the
HTML head, so link previews and search engines, which do not run scripts, see the event."""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from aqstream.db import session_scope
from aqstream.services import sharing

router = APIRouter(include_in_schema=False)
_TITLE = re.compile(r"<title>.*?</title>", re.S)


def spa_file() -> Path:
    """The single-page app's fallback document, which the frontend serves for every dynamic route."""
    from reflex import constants
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir() / constants.Dirs.STATIC / "404.html"


@lru_cache(maxsize=4)
def _read(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def head_tags(share: sharing.EventShare) -> str:
    esc = lambda value: html.escape(value, quote=True)  # noqa: E731
    meta = [
        ("property", "og:type", "event"), ("property", "og:title", share.title),
        ("property", "og:description", share.description), ("property", "og:url", share.url),
        ("property", "og:site_name", share.site_name), ("property", "og:locale", share.locale),
        ("name", "description", share.description),
        ("name", "twitter:card", "summary_large_image" if share.image_url else "summary"),
        ("name", "twitter:title", share.title), ("name", "twitter:description", share.description),
    ]
    if share.image_url:
        meta += [("property", "og:image", share.image_url), ("name", "twitter:image", share.image_url)]
    tags = [f'<meta {attr}="{name}" content="{esc(value)}">' for attr, name, value in meta]
    tags.append(f'<link rel="canonical" href="{esc(share.url)}">')
    # "</" cannot end the script element early once escaped.
    ld = json.dumps(share.json_ld, ensure_ascii=False).replace("</", "<\\/")
    tags.append(f'<script type="application/ld+json">{ld}</script>')
    return "".join(tags)


def with_share(document: str, share: sharing.EventShare) -> str:
    title = f"<title>{html.escape(share.title)} · {html.escape(share.site_name)}</title>"
    document, found = _TITLE.subn(title, document, count=1)
    extra = head_tags(share) if found else title + head_tags(share)
    return document.replace("</head>", extra + "</head>", 1)


@router.get("/e/{org_slug}/{event_slug}")
def event_page(org_slug: str, event_slug: str, request: Request) -> Response:
    path = spa_file()
    if not path.exists():  # development mode: the frontend dev server serves pages
        return Response(status_code=404)
    document = _read(path, path.stat().st_mtime)
    lang = "ru" if (request.headers.get("accept-language") or "").lower().startswith("ru") else "en"
    with session_scope() as session:
        share = sharing.event_share(session, org_slug, event_slug, lang)
    if share is None:  # the app itself says "not found" (or shows an organizer's draft preview)
        return HTMLResponse(document, status_code=200)
    return HTMLResponse(with_share(document, share), headers={"Cache-Control": "no-cache"})
