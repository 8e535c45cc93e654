"""The root page state: language and the signed-in user (from the HttpOnly cookie). The page texts are not
in the state: each `T(key)` is compiled into the page's JavaScript with its English and Russian text, and
picks one by `AppState.lang` (see `translated`)."""
from __future__ import annotations

import json
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import ClassVar

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import DEFAULT_LOCALE, LOCALES, catalogue, format_range, t
from aqstream.services.accounts import accounts
from aqstream.services.accounts.accounts import SESSION_COOKIE
from aqstream.services.accounts.client_ip import resolve_client_ip
from aqstream.services.errors import DomainError, ValidationError


def event_times(event) -> dict[str, str]:
    """An event's start, end and zone as plain strings a page state can keep."""
    return {"starts": event.starts_at.isoformat(), "ends": event.ends_at.isoformat(), "tz": event.time_zone}


def when_text(times: dict[str, str], lang: str) -> str:
    """The kept times, formatted for the visitor's language in the event's zone."""
    if not times:
        return ""
    return format_range(datetime.fromisoformat(times["starts"]), datetime.fromisoformat(times["ends"]), times["tz"], lang)


def go(url: str) -> rx.event.EventSpec:
    """A full page load (not client-side routing), for backend routes such as /auth/session."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def signout_script(everywhere: bool = False) -> str:
    """A POST to the backend route, which revokes the session and clears the HttpOnly cookie; then a full
    page load of the home page. (Reflex forms always prevent the browser's own submit, so this uses fetch.)"""
    body = "everywhere=1" if everywhere else ""
    return (
        "fetch('/auth/signout', {method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: '{body}'}})"
        ".finally(() => window.location.assign('/'))"
    )


def _js_text(text: str) -> str:
    """A JavaScript string literal; non-ASCII letters stay as they are (UTF-8 is smaller than \\u escapes)."""
    return json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def translated(key) -> rx.Var:
    """The text of a catalogue key in the visitor's language, as a frontend expression: both languages' texts
    are written into the page's JavaScript and `AppState.lang` (in the state) picks one, so the state carries
    no catalogue and the language switch changes every text at once. A key missing in one language shows the
    English text, as `t()` does on the server.

    A key only known at run time (a Var) works too, but costs the whole catalogue of both languages in that
    page's JavaScript: prefer a text the state formats on the server (`self.t(...)`)."""
    lang = AppState.lang
    if isinstance(key, rx.Var):
        table = {code: catalogue(code) for code in LOCALES}
        expr = (f"(({json.dumps(table, ensure_ascii=False)})[{lang}]?.[{key}] ?? "
                f"({json.dumps(table[DEFAULT_LOCALE], ensure_ascii=False)})[{key}] ?? {key})")
        var_data = rx.vars.VarData.merge(lang._get_all_var_data(), key._get_all_var_data())
        return rx.Var(_js_expr=expr, _var_type=str, _var_data=var_data).to(str)
    texts = {code: t(key, code) for code in LOCALES}
    default = texts[DEFAULT_LOCALE]
    others = [(code, text) for code, text in texts.items() if text != default]
    if not others:
        return rx.Var.create(default)
    expr = _js_text(default)
    for code, text in others:
        expr = f"({lang} === {json.dumps(code)} ? {_js_text(text)} : {expr})"
    return rx.Var(_js_expr=expr, _var_type=str, _var_data=lang._get_all_var_data()).to(str)


class _Texts:
    """`AppState.tr[key]`, the same as `T(key)`: kept for pages that index the translations directly."""

    def __getitem__(self, key) -> rx.Var:
        return translated(key)


class AppState(rx.State):
    # The language choice is not a secret, so a script-readable cookie is fine; it is remembered a year.
    locale: str = rx.Cookie("", name="aq_locale", max_age=365 * 24 * 3600, same_site="lax")
    user_name: str = ""
    signed_in: bool = False
    platform_admin: bool = False  # shows the header's link to the platform's mail log
    # A page's own language (an event's public page may set one), for visitors who have not chosen theirs.
    page_locale: str = ""
    page_locale_path: str = ""
    _user_id: int = 0

    @rx.var
    def lang(self) -> str:
        if self.locale in LOCALES:
            return self.locale
        if self.page_locale in LOCALES and self.page_locale_path == self.router.url.path:
            return self.page_locale
        accept = (self.router.headers.accept_language or "").lower()
        return "ru" if accept.startswith("ru") else "en"

    tr: ClassVar[_Texts] = _Texts()

    def t(self, key: str, **params) -> str:
        return t(key, self.lang, **params)

    def _session_token(self) -> str | None:
        raw = self.router.headers.cookie or ""
        try:
            jar = SimpleCookie(raw)
        except CookieError:
            return None
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel else None

    def _load_user(self) -> int:
        """Resolve the session cookie to a user on every call: a revoked session ends at once."""
        with session_scope() as session:
            user = accounts.user_for_session(session, self._session_token())
        if user is None:
            self._user_id, self.signed_in, self.user_name, self.platform_admin = 0, False, "", False
            return 0
        self._user_id, self.signed_in, self.user_name = user.id, True, user.name
        self.platform_admin = bool(user.is_platform_admin)
        # A signed-in person's profile language wins over what this browser remembered: it is the choice
        # they made in the profile (or with the switch, which saves it there too).
        if user.locale in LOCALES and self.locale != user.locale:
            self.locale = user.locale
        return user.id

    @rx.event
    def on_load_visitor(self):
        """For pages with nothing of their own to load (the not-found page): the header knows who is here."""
        self._load_user()

    def _require_user(self):
        """The signed-in user's id, or an event that sends the browser to the sign-in page."""
        if self._load_user():
            return None
        path = self.router.url.path or "/"
        return rx.redirect(f"/signin?next={path}")

    def _client_address(self) -> str:
        """The client's address for the sign-in and reset limits, as the API takes it: the websocket's peer
        (which Reflex keeps as the `asgi-scope-client` header, whatever its own `trusted_proxy_hops` says), or
        behind a trusted proxy the client it names in X-Forwarded-For (see services/accounts/client_ip.py)."""
        headers = self.router.headers.raw_headers
        peer = headers.get("asgi-scope-client") or self.router.session.client_ip
        return resolve_client_ip(peer, headers.get("x-forwarded-for"))

    def _errors_text(self, exc: DomainError) -> dict[str, str]:
        if isinstance(exc, ValidationError):
            return {field: self.t(key, **exc.params) for field, key in exc.errors.items()}
        return {exc.field or "form": self.t(exc.message_key, **exc.params)}

    @rx.event
    def load_user(self):
        self._load_user()

    @rx.event
    def set_language(self, lang: str):
        if lang not in LOCALES:
            return
        if self._load_user():
            with session_scope() as session:
                accounts.set_locale(session, self._user_id, lang)
        self.locale = lang
