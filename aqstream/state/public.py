"""Public pages: an event's page with its registration form, and the order confirmation."""
from __future__ import annotations

import uuid

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_number, t
from aqstream.services import registration
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.events import get_public_event, places_left
from aqstream.state.base import AppState, event_times, when_text


class PublicEventState(AppState):
    found: bool = True
    loaded: bool = False
    org_slug: str = ""
    event_slug: str = ""
    org_name: str = ""
    title: str = ""
    description: str = ""
    venue: str = ""
    online_url: str = ""
    event_raw: dict[str, str] = {}
    closed_key: str = ""
    types_raw: list[dict] = []
    errors: dict[str, str] = {}
    busy: bool = False
    # One key per page view: a double click or a retry of the same submission makes one order.
    form_key: str = ""

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.found, self.loaded = {}, False, True, True
        self.form_key = uuid.uuid4().hex
        self._load_user()
        params = self.router.page.params
        self.org_slug, self.event_slug = params.get("org", ""), params.get("event", "")
        try:
            with session_scope() as session:
                org, event, types = get_public_event(session, self.org_slug, self.event_slug)
        except NotFound:
            self.found = False
            return
        self.org_name, self.title, self.description = org.name, event.title, event.description
        self.venue, self.online_url = event.venue, event.online_url
        self.event_raw = event_times(event)
        self.closed_key = registration.registration_closed_reason(event) or ""
        self._set_types(event, types)

    def _set_types(self, event, types) -> None:
        self.types_raw = [
            {"id": tt.id, "name": tt.name, "description": tt.description, "left": places_left(event, tt)}
            for tt in types
        ]

    @rx.var
    def when(self) -> str:
        return when_text(self.event_raw, self.lang)

    @rx.var
    def closed_text(self) -> str:
        return t(self.closed_key, self.lang) if self.closed_key else ""

    @rx.var
    def ticket_types(self) -> list[dict[str, str]]:
        lang = self.lang
        return [
            {
                "id": str(tt["id"]),
                "name": tt["name"],
                "description": tt["description"],
                "availability": t("public.left", lang, count=format_number(tt["left"], lang))
                if tt["left"] > 0
                else t("public.sold_out_badge", lang),
                "sold_out": "1" if tt["left"] <= 0 else "",
            }
            for tt in self.types_raw
        ]

    @rx.var
    def single_type_id(self) -> str:
        available = [tt for tt in self.types_raw if tt["left"] > 0]
        return str(available[0]["id"]) if len(available) == 1 else ""

    @rx.event
    def register(self, form: dict):
        if self.busy:
            return
        self.busy = True
        yield
        user_id = self._load_user() or None
        try:
            with session_scope() as session:
                result = registration.register(
                    session,
                    org_slug=self.org_slug,
                    event_slug=self.event_slug,
                    ticket_type_id=form.get("ticket_type_id", ""),
                    buyer_name=form.get("name", ""),
                    buyer_email=form.get("email", ""),
                    user_id=user_id,
                    idempotency_key=f"web-{self.form_key}",
                    locale=self.lang,
                )
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            self.busy = False
            if exc.code == "sold_out":
                self._refresh_counts()
            return
        self.errors = {}
        self.busy = False
        yield rx.redirect(f"/order/{result.order.access_token}")

    def _refresh_counts(self) -> None:
        """After a refusal, show what is left; the visitor's typed input and form key stay."""
        try:
            with session_scope() as session:
                _org, event, types = get_public_event(session, self.org_slug, self.event_slug)
        except NotFound:
            return
        self._set_types(event, types)


class OrderState(AppState):
    found: bool = True
    loaded: bool = False
    title: str = ""
    org_name: str = ""
    event_path: str = ""
    buyer_email: str = ""
    venue: str = ""
    event_raw: dict[str, str] = {}
    tickets: list[dict[str, str]] = []

    @rx.event
    def on_load(self):
        self.found, self.tickets, self.loaded = True, [], True
        self._load_user()
        token = self.router.page.params.get("token", "")
        try:
            with session_scope() as session:
                view = registration.get_order_by_token(session, token)
        except NotFound:
            self.found = False
            return
        self.title, self.org_name = view.event.title, view.organization.name
        self.event_path = f"/e/{view.organization.slug}/{view.event.slug}"
        self.buyer_email = view.order.buyer_email
        self.venue = view.event.venue or view.event.online_url
        self.event_raw = event_times(view.event)
        self.tickets = [
            {"code": ticket.code, "name": ticket.attendee_name, "type": type_name, "status": ticket.status}
            for ticket, type_name in view.tickets
        ]

    @rx.var
    def when(self) -> str:
        return when_text(self.event_raw, self.lang)

    @rx.var
    def lead(self) -> str:
        return t("confirmation.lead", self.lang, email=self.buyer_email)
