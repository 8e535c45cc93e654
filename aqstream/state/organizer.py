"""Organizer pages: the event list of an organization, the new-event form, one event's page."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, t
from aqstream.services import events, orders, questions
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
            registration_opens_local=form.get("registration_opens_at") or None,
            registration_closes_local=form.get("registration_closes_at") or None,
            one_registration_per_email=bool(form.get("one_registration_per_email")),
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
    questions: list[dict[str, str]] = []
    event_raw: dict[str, str] = {}
    attendees_raw: list[dict[str, str]] = []
    error: str = ""
    notice: str = ""
    tt_errors: dict[str, str] = {}
    q_errors: dict[str, str] = {}
    q_kind: str = "short_text"
    confirming: str = ""  # "t:<ticket id>" or "o:<order id>" while a cancellation waits for a yes
    form_version: int = 0  # bumped after a successful add, so the add forms start empty again

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
                asked = questions.active_questions(session, event.id)
                answers = questions.answers_by_order(session, sorted({p.order_id for p in people}))
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
            {"name": tt.name, "sold": str(tt.sold), "quantity": str(tt.quantity), "hidden": "1" if tt.hidden else "",
             "link": f"{self.public_url}?code={tt.unlock_code}" if tt.hidden and self.can_manage else ""}
            for tt in types
        ]
        self.questions = [
            {"id": str(q.id), "label": q.label, "kind": q.kind, "scope": q.scope, "required": "1" if q.required else "",
             "options": ", ".join(q.options)}
            for q in asked
        ]
        self.attendees_raw = []
        for p in people:
            given = [
                (question.label, questions.format_value(question, answer.value, "✓", "✗"))
                for answer, question in answers.get(p.order_id, [])
                if answer.ticket_id in (None, p.ticket_id)
            ]
            self.attendees_raw.append({
                "ticket_id": str(p.ticket_id),
                "order_id": str(p.order_id),
                "name": p.attendee_name,
                "email": p.attendee_email,
                "ticket_type": p.ticket_type,
                "code": p.code,
                "status": p.status,
                "answers": "; ".join(f"{label}: {value}" for label, value in given if value),
                "registered_at": p.registered_at.isoformat(),
            })

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
            {**a, "registered_at": format_datetime(datetime.fromisoformat(a["registered_at"]), tz, self.lang),
             "status_text": t(f"ticket.status.{a['status']}", self.lang)}
            for a in self.attendees_raw
        ]

    @rx.var
    def question_rows(self) -> list[dict[str, str]]:
        return [
            {**q, "kind_text": t(f"question.kind.{q['kind']}", self.lang),
             "scope_text": t(f"question.scope.{q['scope']}", self.lang)}
            for q in self.questions
        ]

    @rx.event
    def on_load(self):
        self.error, self.notice, self.attendees_raw, self.ticket_types, self.found, self.event_raw = "", "", [], [], True, {}
        self.tt_errors, self.q_errors, self.confirming = {}, {}, ""
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    def _act(self, action, form_errors: str = "", prefix: str = "") -> bool:
        """Run an organizer action through the services. Errors become a message on the page or, for an
        add form (`form_errors` names its errors var), messages next to that form's fields."""
        if not self._load_user() or not self._open_org(MANAGE_EVENTS):
            self.error = self.t("error.forbidden")
            return False
        try:
            with session_scope() as session:
                action(session, Principal(self._user_id))
        except DomainError as exc:
            if form_errors:
                setattr(self, form_errors, {prefix + k: v for k, v in self._errors_text(exc).items()})
            else:
                self.error = self.t(exc.message_key, **exc.params)
            return False
        self.error = ""
        if form_errors:
            setattr(self, form_errors, {})
            self.form_version += 1  # the add forms are rebuilt empty...
            self.q_kind = "short_text"  # ...with their first choices selected again
        self._load()
        return True

    @rx.event
    def publish(self):
        self._act(lambda s, p: events.publish_event(s, p, self._org_id, self.event_id))

    @rx.event
    def set_q_kind(self, kind: str):
        self.q_kind = kind

    @rx.event
    def add_ticket_type(self, form: dict):
        data = events.TicketTypeInput(
            name=form.get("tt_name", ""),
            quantity=form.get("tt_quantity", ""),
            description=form.get("tt_description", ""),
            min_per_order=form.get("tt_min_per_order") or 1,
            max_per_order=form.get("tt_max_per_order") or 10,
            sales_start_local=form.get("tt_sales_start_at") or None,
            sales_end_local=form.get("tt_sales_end_at") or None,
            hidden=bool(form.get("tt_hidden")),
        )
        self._act(lambda s, p: events.add_ticket_type(s, p, self._org_id, self.event_id, data), "tt_errors", "tt_")

    @rx.event
    def add_question(self, form: dict):
        data = questions.QuestionInput(
            label=form.get("q_label", ""),
            kind=form.get("q_kind", "short_text"),
            required=bool(form.get("q_required")),
            scope=form.get("q_scope", "order"),
            options=(form.get("q_options") or "").splitlines(),
        )
        self._act(lambda s, p: questions.add_question(s, p, self._org_id, self.event_id, data), "q_errors", "q_")

    @rx.event
    def remove_question(self, question_id: str):
        self._act(lambda s, p: questions.remove_question(s, p, self._org_id, self.event_id, int(question_id)))

    @rx.event
    def ask_cancel(self, what: str):
        self.confirming, self.notice = what, ""

    @rx.event
    def keep(self):
        self.confirming = ""

    @rx.event
    def cancel_confirmed(self):
        what, self.confirming = self.confirming, ""
        kind, _, ident = what.partition(":")
        if not ident.isdigit():
            return
        if kind == "t":
            done = self._act(lambda s, p: orders.cancel_ticket(s, p, self._org_id, int(ident)))
        else:
            done = self._act(lambda s, p: orders.cancel_order(s, p, self._org_id, int(ident)))
        if done:
            self.notice = self.t("attendee.cancelled_notice")


def time_zone_choices() -> list[str]:
    from aqstream.services.validation import valid_time_zones

    return sorted(z for z in valid_time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]


