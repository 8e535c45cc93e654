"""The public catalog (/events) and an organization's public page (/org/<slug>); card_dict turns an EventCard
into the plain strings the shared event card shows (the event page and the account page use it too)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_money, format_number, t
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.events import catalog
from aqstream.services.events.catalog import EventCard
from aqstream.state.base import AppState

# The catalog's query parameters in the URL, and the CatalogQuery field each one fills.
URL_PARAMS = {"q": "words", "from": "date_from", "to": "date_to", "mode": "mode", "city": "city",
              "lang": "language", "price": "price"}
FORM_NAMES = {field: param for param, field in URL_PARAMS.items()}  # service error field -> the form's input


def card_dict(card: EventCard, lang: str) -> dict[str, str]:
    """An event card as strings in the visitor's language: time in the event's zone, price via Babel."""
    if card.online:
        place = t("event.online", lang)
    else:
        parts = [card.venue] if card.venue else []
        if card.city and card.city.lower() not in card.venue.lower():
            parts.append(card.city)
        place = ", ".join(parts)
    if card.min_price_minor is None:
        price = ""
    elif card.min_price_minor == 0:
        price = t("catalog.card.free", lang)
    else:
        price = t("catalog.card.from_price", lang, price=format_money(card.min_price_minor, card.currency, lang))
    return {
        "key": f"{card.org_slug}/{card.slug}",
        "href": f"/e/{card.org_slug}/{card.slug}",
        "title": card.title,
        "when": format_datetime(card.starts_at, card.time_zone, lang),
        "place": place,
        "price": price,
        "org_name": card.org_name,
        "org_href": f"/org/{card.org_slug}",
        "cover_url": card.cover_url,
        "tags": ", ".join(card.tags),
    }


def _replace_url(url: str) -> rx.event.EventSpec:
    """Show the current filters in the address bar (a shareable link) without loading the page again."""
    return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(url)})")


def _scroll_to(element_id: str) -> rx.event.EventSpec:
    return rx.call_script(f"document.getElementById({json.dumps(element_id)})?.scrollIntoView()")


class CatalogState(AppState):
    """Holds only the filters and the one page of results on screen."""

    q: str = ""
    date_from: str = ""
    date_to: str = ""
    mode: str = ""
    city: str = ""
    language: str = ""
    price: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    cities: list[str] = []
    errors: dict[str, str] = {}
    loaded: bool = False
    filters_open: bool = False  # on a phone the filters fold away behind a button
    form_version: int = 0  # bumped when the filters change from outside the form, so it shows them
    _cards: list[EventCard] = []

    def _filters(self) -> dict[str, str]:
        return {"q": self.q, "from": self.date_from, "to": self.date_to, "mode": self.mode, "city": self.city,
                "lang": self.language, "price": self.price}

    def _set_filters(self, values: dict) -> None:
        def get(name: str, limit: int) -> str:
            return str(values.get(name) or "").strip()[:limit]

        self.q, self.date_from, self.date_to = get("q", 200), get("from", 10), get("to", 10)
        self.mode, self.city, self.language, self.price = get("mode", 10), get("city", 120), get("lang", 5), \
            get("price", 5)

    def _search(self) -> None:
        query = catalog.CatalogQuery(words=self.q, date_from=self.date_from, date_to=self.date_to, mode=self.mode,
                                     city=self.city, language=self.language, price=self.price, page=self.page)
        self.errors = {}
        try:
            with session_scope() as session:
                found = catalog.search_catalog(session, query)
                self.cities = catalog.known_cities(session)
        except ValidationError as exc:
            errors = self._errors_text(exc)
            self.errors = {FORM_NAMES.get(name, name): text for name, text in errors.items()}
            self._cards, self.total, self.pages = [], 0, 1
            self.filters_open = True
            return
        self._cards, self.total, self.page, self.pages = found.rows, found.total, found.page, found.pages

    def _url(self) -> str:
        params = {k: v for k, v in self._filters().items() if v}
        if self.page > 1:
            params["page"] = str(self.page)
        return "/events" + (f"?{urlencode(params)}" if params else "")

    @rx.event
    def on_load(self):
        self._load_user()
        query = self.router.url.query_parameters
        self._set_filters(query)
        try:
            self.page = max(1, min(int(query.get("page") or 1), 1_000_000))
        except ValueError:
            self.page = 1
        self.filters_open = any(v for k, v in self._filters().items() if k != "q")
        self._search()
        self.form_version += 1
        self.loaded = True

    @rx.event
    def apply(self, form: dict):
        self._set_filters(form)
        self.page = 1
        self._search()
        return _replace_url(self._url())

    @rx.event
    def clear(self):
        self._set_filters({})
        self.page = 1
        self._search()
        self.form_version += 1
        return _replace_url(self._url())

    @rx.event
    def go_page(self, delta: int):
        self.page = max(1, min(self.page + delta, self.pages))
        self._search()
        return [_replace_url(self._url()), _scroll_to("results")]

    @rx.event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    @rx.var
    def cards(self) -> list[dict[str, str]]:
        return [card_dict(card, self.lang) for card in self._cards]

    @rx.var
    def page_text(self) -> str:
        return self.t("catalog.page_of", page=self.page, pages=self.pages)

    @rx.var
    def total_text(self) -> str:
        return self.t("catalog.found", count=format_number(self.total, self.lang))

    @rx.var
    def has_filters(self) -> bool:
        return any(self._filters().values())


class OrgPublicState(AppState):
    """An organization's public page: who they are, what is coming, what has been (a page at a time)."""

    found: bool = True
    loaded: bool = False
    slug: str = ""
    name: str = ""
    contact_email: str = ""
    logo_url: str = ""
    past_page: int = 1
    past_pages: int = 1
    past_total: int = 0
    _upcoming: list[EventCard] = []
    _past: list[EventCard] = []

    def _read(self) -> None:
        try:
            with session_scope() as session:
                found = catalog.organization_events(session, self.slug, past_page=self.past_page)
        except (NotFound, ValidationError):
            self.found = False
            return
        self.found = True
        self.name, self.contact_email, self.logo_url = found.name, found.contact_email, found.logo_url
        self._upcoming, self._past = found.upcoming, found.past
        self.past_page, self.past_pages, self.past_total = found.past_page, found.past_pages, found.past_total

    @rx.event
    def on_load(self):
        self._load_user()
        self.slug = self.router.page.params.get("org", "")
        try:
            self.past_page = max(1, min(int(self.router.url.query_parameters.get("past") or 1), 1_000_000))
        except ValueError:
            self.past_page = 1
        self._read()
        self.loaded = True

    @rx.event
    def go_past_page(self, delta: int):
        self.past_page = max(1, min(self.past_page + delta, self.past_pages))
        self._read()
        url = f"/org/{self.slug}" + (f"?past={self.past_page}" if self.past_page > 1 else "")
        return [_replace_url(url), _scroll_to("past-events")]

    @rx.var
    def upcoming(self) -> list[dict[str, str]]:
        return [card_dict(card, self.lang) for card in self._upcoming]

    @rx.var
    def past(self) -> list[dict[str, str]]:
        return [card_dict(card, self.lang) for card in self._past]

    @rx.var
    def past_page_text(self) -> str:
        return self.t("catalog.page_of", page=self.past_page, pages=self.past_pages)
