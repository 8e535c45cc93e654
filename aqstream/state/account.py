"""The attendee's account: registrations (upcoming and past), the profile, and the email confirmation link."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, t, tn
from aqstream.services.accounts import accounts
from aqstream.services.errors import DomainError
from aqstream.services.events import catalog
from aqstream.services.events.catalog import EventCard
from aqstream.services.sales import orders
from aqstream.state.base import AppState, signout_script
from aqstream.state.catalog import card_dict


def _order_row(o: orders.MyOrder) -> dict:
    return {"id": str(o.order_id), "token": o.access_token, "title": o.event_title, "org": o.organization,
            "status": o.status, "tickets": o.tickets, "starts": o.event_starts_at.isoformat(), "tz": o.time_zone,
            "can_cancel": o.can_cancel}


class MyTicketsState(AppState):
    _recommended: list[EventCard] = []  # "events you may like", formatted per language below

    @rx.var
    def recommended(self) -> list[dict[str, str]]:
        return [card_dict(card, self.lang) for card in self._recommended]

    """Two paginated lists: upcoming registrations (soonest first) and past ones (newest first)."""

    loaded: bool = False
    verified: bool = True
    _upcoming_raw: list[dict] = []
    _past_raw: list[dict] = []
    upcoming_page: int = 1
    upcoming_pages: int = 1
    past_page: int = 1
    past_pages: int = 1
    past_total: int = 0
    confirming: str = ""
    error: str = ""

    @rx.event
    def on_load(self):
        self.confirming, self.error = "", ""
        self.upcoming_page, self.past_page = 1, 1
        if redirect := self._require_user():
            return redirect
        self._load()
        self.loaded = True

    def _load(self):
        with session_scope() as session:
            upcoming = orders.my_orders_page(session, self._user_id, past=False, page=self.upcoming_page)
            past = orders.my_orders_page(session, self._user_id, past=True, page=self.past_page)
            self._recommended = catalog.recommend_for_user(session, self._user_id, limit=4)
            self.verified = accounts.get_user(session, self._user_id).email_verified_at is not None
        self._upcoming_raw = [_order_row(o) for o in upcoming.rows]
        self.upcoming_page, self.upcoming_pages = upcoming.page, upcoming.pages
        self._past_raw = [_order_row(o) for o in past.rows]
        self.past_page, self.past_pages, self.past_total = past.page, past.pages, past.total

    def _rows(self, raw: list[dict]) -> list[dict[str, str]]:
        lang = self.lang
        return [
            {"id": r["id"], "href": f"/order/{r['token']}", "title": r["title"], "org": r["org"],
             "when": format_datetime(datetime.fromisoformat(r["starts"]), r["tz"], lang),
             "status": r["status"], "status_text": t(f"order.status.{r['status']}", lang),
             "tickets": tn("account.tickets_count", r["tickets"], lang),
             "can_cancel": "1" if r["can_cancel"] else ""}
            for r in raw
        ]

    @rx.var
    def upcoming(self) -> list[dict[str, str]]:
        return self._rows(self._upcoming_raw)

    @rx.var
    def past(self) -> list[dict[str, str]]:
        return self._rows(self._past_raw)

    @rx.var
    def upcoming_page_text(self) -> str:
        return t("account.page_of", self.lang, page=self.upcoming_page, pages=self.upcoming_pages)

    @rx.var
    def past_page_text(self) -> str:
        return t("account.page_of", self.lang, page=self.past_page, pages=self.past_pages)

    @rx.event
    def go_upcoming(self, delta: int):
        if not self._load_user():
            return
        self.upcoming_page = max(1, self.upcoming_page + delta)
        self._load()

    @rx.event
    def go_past(self, delta: int):
        if not self._load_user():
            return
        self.past_page = max(1, self.past_page + delta)
        self._load()

    @rx.event
    def ask_cancel(self, order_id: str):
        self.confirming = order_id

    @rx.event
    def keep(self):
        self.confirming = ""

    @rx.event
    def cancel(self):
        order_id, self.confirming = self.confirming, ""
        if not self._load_user() or not order_id.isdigit():
            return
        try:
            with session_scope() as session:
                orders.cancel_my_order(session, self._user_id, int(order_id))
        except DomainError as exc:
            self.error = self.t(exc.message_key)
        self._load()


class ProfileState(AppState):
    """The person's name and language, and deleting the account."""

    loaded: bool = False
    name: str = ""
    email: str = ""
    profile_locale: str = "en"
    errors: dict[str, str] = {}
    saved: bool = False
    delete_errors: dict[str, str] = {}

    @rx.event
    def on_load(self):
        self.errors, self.delete_errors, self.saved = {}, {}, False
        if redirect := self._require_user():
            return redirect
        with session_scope() as session:
            user = accounts.get_user(session, self._user_id)
        self.name, self.email, self.profile_locale = user.name, user.email, user.locale
        self.loaded = True

    @rx.event
    def save(self, form: dict):
        if redirect := self._require_user():
            return redirect
        try:
            with session_scope() as session:
                user = accounts.update_profile(session, self._user_id, name=form.get("name", ""),
                                               locale=form.get("locale", ""))
        except DomainError as exc:
            self.errors, self.saved = self._errors_text(exc), False
            return
        self.name, self.profile_locale, self.user_name = user.name, user.locale, user.name
        self.locale = user.locale  # the page switches language at once
        self.errors, self.saved = {}, True

    @rx.event
    def delete_account(self, form: dict):
        if redirect := self._require_user():
            return redirect
        if not form.get("confirm"):
            self.delete_errors = {"confirm": self.t("profile.delete.confirm_required")}
            return
        try:
            with session_scope() as session:
                accounts.delete_account(session, self._user_id, form.get("password", ""))
        except DomainError as exc:
            self.delete_errors = self._errors_text(exc)
            return
        self.delete_errors, self.signed_in, self._user_id, self.user_name = {}, False, 0, ""
        return rx.call_script(signout_script())


class VerifyState(AppState):
    loaded: bool = False
    ok: bool = False

    @rx.event
    def on_load(self):
        token = self.router.page.params.get("token", "")
        try:
            with session_scope() as session:
                accounts.verify_email(session, token)
            self.ok = True
        except DomainError:
            self.ok = False
        self._load_user()
        self.loaded = True
