"""Organizer pages: the event list of an organization, the new-event form, one event's page."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, t
from aqstream.services import events
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, Principal, access_by_slug
from aqstream.state.base import AppState, event_times, when_text


class OrgState(AppState):
    """Shared by the organizer pages: which organization the URL names, and the caller's role in it."""

    org_slug: str = ""
    org_name: str = ""
    role: str = ""
    found: bool = True
    loaded: bool = False  # False until on_load has answered: the page shows a spinner, not stale data
    org_time_zone: str = "UTC"
    _org_id: int = 0

    def _open_org(self, allowed=VIEW_ATTENDEES) -> bool:
        self.org_slug = self.router.page.params.get("org", "")
        try:
            with session_scope() as session:
                got = access_by_slug(session, Principal(self._user_id), self.org_slug, allowed)
        except DomainError:
            self.found, self.org_name, self.role, self._org_id = False, "", "", 0
            return False
        self.found, self.org_name, self.role, self._org_id = True, got.organization.name, got.role, got.organization.id
        self.org_time_zone = got.organization.time_zone
        return True


class DashboardState(OrgState):
    events_raw: list[dict] = []

    @rx.event
    def on_load(self):
        self.events_raw = []
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        if not self._open_org():
            return
        with session_scope() as session:
            found = events.list_events(session, Principal(self._user_id), self._org_id)
        self.events_raw = [
            {"id": e.id, "title": e.title, "status": e.status, "sold": e.sold, "capacity": e.capacity or 0,
             "starts_at": e.starts_at.isoformat(), "tz": e.time_zone}
            for e in found
        ]

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        lang = self.lang
        out = []
        for e in self.events_raw:
            sold = format_number(e["sold"], lang)
            numbers = (
                t("dashboard.registered", lang, sold=sold, capacity=format_number(e["capacity"], lang))
                if e["capacity"]
                else t("dashboard.registered_no_cap", lang, sold=sold)
            )
            out.append({
                "id": str(e["id"]),
                "title": e["title"],
                "status": e["status"],
                "status_text": t(f"event.status.{e['status']}", lang),
                "when": format_datetime(datetime.fromisoformat(e["starts_at"]), e["tz"], lang),
                "numbers": numbers,
                "href": f"/o/{self.org_slug}/events/{e['id']}",
            })
        return out


class EventFormState(OrgState):
    errors: dict[str, str] = {}
    busy: bool = False
    tt_rows: list[int] = [0]
    _next_row: int = 1

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.tt_rows, self._next_row = {}, False, [0], 1
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._open_org(MANAGE_EVENTS)

    @rx.event
    def add_ticket_type(self):
        self.tt_rows = [*self.tt_rows, self._next_row]
        self._next_row += 1

    @rx.event
    def remove_ticket_type(self, row: int):
        if len(self.tt_rows) > 1:
            self.tt_rows = [r for r in self.tt_rows if r != row]

    @rx.event
    def save(self, form: dict):
        if redirect := self._require_user():
            return redirect
        if not self._open_org(MANAGE_EVENTS):
            return
        self.busy = True
        rows = list(self.tt_rows)
        data = events.EventInput(
            title=form.get("title", ""),
            description=form.get("description", ""),
            venue=form.get("venue", ""),
            online_url=form.get("online_url", ""),
            starts_local=form.get("starts_at", ""),
            ends_local=form.get("ends_at", ""),
            time_zone=form.get("time_zone", ""),
            capacity=form.get("capacity") or None,
            ticket_types=[
                events.TicketTypeInput(form.get(f"tt.{r}.name", ""), form.get(f"tt.{r}.quantity", "")) for r in rows
            ],
        )
        try:
            with session_scope() as session:
                event = events.create_event(session, Principal(self._user_id), self._org_id, data)
        except DomainError as exc:
            errors = self._errors_text(exc)
            # The service numbers ticket types by position; the form names them by row.
            for key in list(errors):
                if key.startswith("ticket_types."):
                    _, index, part = key.split(".", 2)
                    errors[f"tt.{rows[int(index)]}.{part}"] = errors.pop(key)
            self.errors = errors
            self.busy = False
            return
        self.busy = False
        return rx.redirect(f"/o/{self.org_slug}/events/{event.id}")


class EventManageState(OrgState):
    event_id: int = 0
    title: str = ""
    status: str = ""
    where: str = ""
    public_url: str = ""
    public_path: str = ""
    can_manage: bool = False
    ticket_types: list[dict[str, str]] = []
    event_raw: dict[str, str] = {}
    attendees_raw: list[dict[str, str]] = []
    error: str = ""

    def _load(self):
        if not self._open_org(VIEW_ATTENDEES):
            return
        try:
            self.event_id = int(self.router.page.params.get("event_id", "0"))
        except ValueError:
            self.found = False
            return
        principal = Principal(self._user_id)
        try:
            with session_scope() as session:
                event = events.get_event(session, principal, self._org_id, self.event_id)
                types = events.list_ticket_types(session, event.id)
                people = events.list_attendees(session, principal, self._org_id, event.id)
        except NotFound:
            self.found = False
            return
        self.event_raw = event_times(event)
        self.title, self.status = event.title, event.status
        self.where = event.venue or event.online_url
        self.can_manage = self.role in MANAGE_EVENTS
        self.public_path = f"/e/{self.org_slug}/{event.slug}"
        self.public_url = config.public_base_url() + self.public_path
        self.ticket_types = [
            {"name": tt.name, "sold": str(tt.sold), "quantity": str(tt.quantity)} for tt in types
        ]
        self.attendees_raw = [
            {
                "name": p.attendee_name,
                "email": p.attendee_email,
                "ticket_type": p.ticket_type,
                "code": p.code,
                "registered_at": p.registered_at.isoformat(),
            }
            for p in people
        ]

    @rx.var
    def when(self) -> str:
        return when_text(self.event_raw, self.lang)

    @rx.var
    def status_text(self) -> str:
        return t(f"event.status.{self.status}", self.lang) if self.status else ""

    @rx.var
    def attendees(self) -> list[dict[str, str]]:
        tz = self.event_raw.get("tz", "UTC")
        return [
            {**a, "registered_at": format_datetime(datetime.fromisoformat(a["registered_at"]), tz, self.lang)}
            for a in self.attendees_raw
        ]

    @rx.event
    def on_load(self):
        self.error, self.attendees_raw, self.ticket_types, self.found, self.event_raw = "", [], [], True, {}
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    @rx.event
    def publish(self):
        if redirect := self._require_user():
            return redirect
        if not self._open_org(MANAGE_EVENTS):
            return
        try:
            with session_scope() as session:
                events.publish_event(session, Principal(self._user_id), self._org_id, self.event_id)
        except DomainError as exc:
            self.error = self.t(exc.message_key)
            return
        self._load()


def time_zone_choices() -> list[str]:
    from aqstream.services.validation import valid_time_zones

    return sorted(z for z in valid_time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]


