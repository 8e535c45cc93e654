"""The attendee's account: every registration in one list, and the email confirmation link."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, t
from aqstream.services import accounts, orders
from aqstream.services.errors import DomainError
from aqstream.state.base import AppState


class MyTicketsState(AppState):
    loaded: bool = False
    verified: bool = True
    rows_raw: list[dict] = []
    confirming: str = ""
    error: str = ""

    @rx.event
    def on_load(self):
        self.confirming, self.error = "", ""
        if redirect := self._require_user():
            return redirect
        self._load()
        self.loaded = True

    def _load(self):
        with session_scope() as session:
            mine = orders.my_orders(session, self._user_id)
            self.verified = accounts.get_user(session, self._user_id).email_verified_at is not None
        self.rows_raw = [
            {"id": str(o.order_id), "token": o.access_token, "title": o.event_title, "org": o.organization,
             "status": o.status, "tickets": o.tickets, "starts": o.event_starts_at.isoformat(), "tz": o.time_zone,
             "can_cancel": o.can_cancel}
            for o in mine
        ]

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        lang = self.lang
        return [
            {"id": r["id"], "href": f"/order/{r['token']}", "title": r["title"], "org": r["org"],
             "when": format_datetime(datetime.fromisoformat(r["starts"]), r["tz"], lang),
             "status": r["status"], "status_text": t(f"order.status.{r['status']}", lang),
             "tickets": t("account.tickets_count", lang, count=r["tickets"]),
             "can_cancel": "1" if r["can_cancel"] else ""}
            for r in self.rows_raw
        ]

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
