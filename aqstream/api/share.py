"""Serves a public event's page with its share card (OpenGraph, Twitter) and schema.org JSON-LD already in the
HTML head, so link previews and search engines, which do not run scripts, see the event."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from aqstream.db import session_scope
from aqstream.services import html_safe
from aqstream.services.events import sharing

router = APIRouter(include_in_schema=False)


def spa_file() -> Path:
    """The single-page app's fallback document, which the frontend serves for every dynamic route."""
    from reflex import constants
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir() / constants.Dirs.STATIC / "404.html"


@lru_cache(maxsize=4)
def _read(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def head_tags(share: sharing.EventShare) -> list[str]:
    """The share card and the JSON-LD, built (and escaped) by html_safe only."""
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
    tags = [html_safe.tag("meta", **{attr: name, "content": value}) for attr, name, value in meta]
    tags.append(html_safe.tag("link", rel="canonical", href=share.url))
    tags.append(html_safe.json_script(share.json_ld))
    return tags


def with_share(document: str, share: sharing.EventShare) -> str:
    return html_safe.with_head(document, f"{share.title} · {share.site_name}", head_tags(share))


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
