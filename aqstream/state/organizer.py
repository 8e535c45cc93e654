"""Organizer pages: the event list of an organization, the new-event form, one event's page."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, t, tn
from aqstream.services.errors import DomainError, Forbidden, NotFound
from aqstream.services.events import event_lifecycle, events, media, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, VIEW_MAIL, Principal, access_by_slug
from aqstream.services.reports import mail_log
from aqstream.services.sales import attendees, orders
from aqstream.state.base import AppState, event_times, when_text

PER_PAGE = 50


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

    def _run(self, action, allowed) -> DomainError | None:
        """Run a service action as the signed-in user, if their role in this organization allows it.
        Returns the refusal (the service's own, or Forbidden), or None when it was done."""
        if not self._load_user() or not self._open_org(allowed):
            return Forbidden()
        try:
            with session_scope() as session:
                action(session, Principal(self._user_id))
        except DomainError as exc:
            return exc
        return None


class DashboardState(OrgState):
    events_raw: list[dict] = []
    my_orgs: list[dict[str, str]] = []
    failed_mail: int = 0  # emails that could not be sent: a warning for those who can open the mail log

    @rx.event
    def on_load(self):
        self.events_raw, self.failed_mail = [], 0
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        if not self._open_org():
            return
        with session_scope() as session:
            found = events.dashboard(session, Principal(self._user_id), self._org_id)
            if self.role in VIEW_MAIL:
                self.failed_mail = mail_log.counts(session, Principal(self._user_id), self._org_id).failed
            self.my_orgs = [{"slug": m.slug, "name": m.name}
                            for m in organizations.memberships(session, Principal(self._user_id))]
        self.events_raw = [
            {"id": r.event.id, "title": r.event.title, "status": r.event.status, "sold": r.event.sold,
             "capacity": r.event.capacity or 0, "starts_at": r.event.starts_at.isoformat(), "tz": r.event.time_zone,
             "section": r.section, "today": r.registered_today}
            for r in found
        ]

    @rx.event
    def switch_org(self, slug: str):
        if any(m["slug"] == slug for m in self.my_orgs):
            return rx.redirect(f"/o/{slug}")

    def _rows(self, section: str) -> list[dict[str, str]]:
        lang = self.lang
        out = []
        for e in self.events_raw:
            if e["section"] != section:
                continue
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
                "today": t("dashboard.today", lang, count=format_number(e["today"], lang)) if e["today"] else "",
                "href": f"/o/{self.org_slug}/events/{e['id']}",
            })
        return out

    @rx.var
    def upcoming(self) -> list[dict[str, str]]:
        return self._rows("upcoming")

    @rx.var
    def drafts(self) -> list[dict[str, str]]:
        return self._rows("draft")

    @rx.var
    def past(self) -> list[dict[str, str]]:
        return self._rows("past")

    @rx.var
    def archived(self) -> list[dict[str, str]]:
        return self._rows("archived")

    @rx.var
    def has_events(self) -> bool:
        return bool(self.events_raw)

    @rx.var
    def failed_mail_text(self) -> str:
        return tn("dashboard.failed_mail", self.failed_mail, self.lang) if self.failed_mail else ""


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
            city=form.get("city", ""),
            tags=form.get("tags", ""),
            listed=bool(form.get("listed")),
            attendees_can_edit_names=bool(form.get("attendees_can_edit_names")),
            **_email_fields(form),
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


def _email_fields(form: dict) -> dict:
    """The event form's email settings, as the events service takes them."""
    return dict(reminder_hours=form.get("reminder_hours", "24"), confirmation_text=form.get("confirmation_text", ""),
                reminder_text=form.get("reminder_text", ""), notify_email=form.get("notify_email", ""))


def _local(value, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if value else ""


class EventEditState(OrgState):
    """The event editor: the event's own fields, its description previewed as Markdown, its cover image."""

    event_id: int = 0
    values: dict[str, str] = {}
    description: str = ""
    one_per_email: bool = False
    listed: bool = True
    names_editable: bool = True
    cover_url: str = ""
    errors: dict[str, str] = {}
    busy: bool = False
    saved: bool = False
    form_version: int = 0  # bumped on every read: the form is rebuilt with the values just read

    def _read(self) -> bool:
        if not self._open_org(MANAGE_EVENTS):
            return False
        try:
            self.event_id = int(self.router.page.params.get("event_id", "0"))
            with session_scope() as session:
                event = events.get_event(session, Principal(self._user_id), self._org_id, self.event_id, MANAGE_EVENTS)
        except (ValueError, NotFound):
            self.found = False
            return False
        tz = event.time_zone
        self.values = {
            "title": event.title, "venue": event.venue, "online_url": event.online_url,
            "starts_at": _local(event.starts_at, tz), "ends_at": _local(event.ends_at, tz), "time_zone": tz,
            "capacity": str(event.capacity or ""), "registration_opens_at": _local(event.registration_opens_at, tz),
            "registration_closes_at": _local(event.registration_closes_at, tz), "locale": event.locale,
            "status": event.status, "city": event.city, "tags": event.tags,
            "reminder_hours": str(event.reminder_hours), "confirmation_text": event.confirmation_text,
            "reminder_text": event.reminder_text, "notify_email": event.notify_email,
        }
        self.listed = event.listed
        self.names_editable = event.attendees_can_edit_names
        self.description = event.description
        self.one_per_email = event.one_registration_per_email
        self.cover_url = media.url(event.cover_path)
        self.form_version += 1
        return True

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.saved, self.values = {}, False, False, {}
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._read()

    @rx.event
    def set_description(self, text: str):
        self.description = text[:20000]

    @rx.event
    def save(self, form: dict):
        if redirect := self._require_user():
            return redirect
        if not self._open_org(MANAGE_EVENTS):
            return
        data = events.EventInput(
            title=form.get("title", ""), description=form.get("description", ""), venue=form.get("venue", ""),
            online_url=form.get("online_url", ""), starts_local=form.get("starts_at", ""),
            ends_local=form.get("ends_at", ""), time_zone=form.get("time_zone", ""),
            capacity=form.get("capacity") or None,
            registration_opens_local=form.get("registration_opens_at") or None,
            registration_closes_local=form.get("registration_closes_at") or None,
            one_registration_per_email=bool(form.get("one_registration_per_email")), locale=form.get("locale", ""),
            city=form.get("city", ""), tags=form.get("tags", ""), listed=bool(form.get("listed")),
            attendees_can_edit_names=bool(form.get("attendees_can_edit_names")), **_email_fields(form))
        self.busy = True
        try:
            with session_scope() as session:
                event_lifecycle.update_event(session, Principal(self._user_id), self._org_id, self.event_id, data)
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            self.busy = False
            return
        self.busy = False
        return rx.redirect(f"/o/{self.org_slug}/events/{self.event_id}")

    async def _cover(self, data: bytes | None):
        if not self._load_user() or not self._open_org(MANAGE_EVENTS):
            return
        try:
            with session_scope() as session:
                event = event_lifecycle.set_cover(session, Principal(self._user_id), self._org_id, self.event_id, data)
        except DomainError as exc:
            self.errors = {**self.errors, **self._errors_text(exc)}
            return
        self.errors = {k: v for k, v in self.errors.items() if k != "cover"}
        self.cover_url = media.url(event.cover_path)

    @rx.event
    async def upload_cover(self, files: list[rx.UploadFile]):
        if files:
            await self._cover(await files[0].read(config.max_upload_bytes() + 1))

    @rx.event
    async def remove_cover(self):
        await self._cover(None)


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
    # The attendee list's search, filters, sorting and page: the database does the work, the page holds one page.
    a_search: str = ""
    a_type: str = ""
    a_status: str = ""
    a_checked: str = ""
    a_sort: str = "registered"
    a_page: int = 1
    a_total: int = 0
    a_pages: int = 1
    type_options: list[dict[str, str]] = []
    add_errors: dict[str, str] = {}
    editing_tt: str = ""  # the id of the ticket type whose edit form is open
    edit_tt_errors: dict[str, str] = {}
    filter_errors: dict[str, str] = {}
    cancelling_event: bool = False
    cancel_errors: dict[str, str] = {}

    def _query(self) -> attendees.AttendeeQuery:
        return attendees.AttendeeQuery(search=self.a_search, ticket_type_id=self.a_type or None, status=self.a_status,
                                       checked_in=self.a_checked, sort=self.a_sort,
                                       descending=self.a_sort == "registered", page=self.a_page, per_page=PER_PAGE)

    @rx.var
    def export_query(self) -> str:
        params = {"search": self.a_search, "ticket_type_id": self.a_type, "status": self.a_status,
                  "checked_in": self.a_checked, "lang": self.lang}
        return urlencode({k: v for k, v in params.items() if v})

    @rx.var
    def page_text(self) -> str:
        return tn("attendees.page_of", self.a_total, self.lang, page=self.a_page, pages=self.a_pages)

    @rx.event
    def filter_attendees(self, form: dict):
        self.a_search = (form.get("a_search") or "").strip()[:200]
        self.a_type = form.get("a_type") or ""
        self.a_status = form.get("a_status") or ""
        self.a_checked = form.get("a_checked") or ""
        self.a_sort = form.get("a_sort") or "registered"
        self.a_page = 1
        self.error = ""
        if self._load_user():
            self._load()

    @rx.event
    def go_page(self, delta: int):
        self.a_page = max(1, min(self.a_pages, self.a_page + delta))
        if self._load_user():
            self._load()

    @rx.event
    def edit_tt(self, ticket_type_id: str):
        self.editing_tt, self.edit_tt_errors = ticket_type_id, {}

    @rx.event
    def stop_edit_tt(self):
        self.editing_tt, self.edit_tt_errors = "", {}

    @rx.event
    def save_tt(self, form: dict):
        if not self.editing_tt.isdigit():
            return
        type_id = int(self.editing_tt)
        data = events.TicketTypeInput(
            name=form.get("et_name", ""), quantity=form.get("et_quantity", ""),
            description=form.get("et_description", ""), min_per_order=form.get("et_min_per_order") or 1,
            max_per_order=form.get("et_max_per_order") or 10, sales_start_local=form.get("et_sales_start_at") or None,
            sales_end_local=form.get("et_sales_end_at") or None, hidden=bool(form.get("et_hidden")))
        if self._act(lambda s, p: events.update_ticket_type(s, p, self._org_id, self.event_id, type_id, data),
                     "edit_tt_errors", "et_"):
            self.editing_tt = ""
            self.notice = self.t("ticket_type.saved_notice")

    @rx.event
    def unpublish(self):
        self._act(lambda s, p: event_lifecycle.unpublish_event(s, p, self._org_id, self.event_id))

    @rx.event
    def archive(self):
        if self._act(lambda s, p: event_lifecycle.archive_event(s, p, self._org_id, self.event_id)):
            self.notice = self.t("event.archived_notice")

    @rx.event
    def duplicate(self):
        made = []
        title = self.t("event.copy_title", title=self.title)[:200]
        if self._act(lambda s, p: made.append(event_lifecycle.duplicate_event(s, p, self._org_id, self.event_id,
                                                                              title))):
            return rx.redirect(f"/o/{self.org_slug}/events/{made[0].id}")

    @rx.event
    def ask_cancel_event(self):
        self.cancelling_event, self.cancel_errors = True, {}

    @rx.event
    def keep_event(self):
        self.cancelling_event, self.cancel_errors = False, {}

    @rx.event
    def cancel_event(self, form: dict):
        message = form.get("cancel_message", "")
        if self._act(lambda s, p: event_lifecycle.cancel_event(s, p, self._org_id, self.event_id, message),
                     "cancel_errors", "cancel_"):
            self.cancelling_event = False
            self.notice = self.t("event.cancelled_notice")

    @rx.event
    def add_attendee(self, form: dict):
        if self._act(lambda s, p: attendees.add_attendee(
                s, p, self._org_id, self.event_id, name=form.get("add_name", ""), email=form.get("add_email", ""),
                ticket_type_id=form.get("add_type") or None, notify=bool(form.get("add_notify")), locale=self.lang),
                "add_errors", "add_"):
            self.notice = self.t("attendee.added_notice")

    @rx.event
    def resend(self, order_id: str):
        if order_id.isdigit() and self._act(
                lambda s, p: attendees.resend_confirmation(s, p, self._org_id, int(order_id))):
            self.notice = self.t("attendee.resent_notice")

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
                found = attendees.search(session, principal, self._org_id, event.id, self._query())
                people = found.rows
                asked = questions.active_questions(session, event.id)
                answers = questions.answers_by_order(session, sorted({p.order_id for p in people}))
        except NotFound:
            self.found = False
            return
        except DomainError as exc:  # a filter the service refused: show everyone again, and say why
            self.error = self.t(exc.message_key, **exc.params)
            self.a_search, self.a_type, self.a_status, self.a_checked, self.a_sort, self.a_page = "", "", "", "", "registered", 1
            return self._load()
        self.a_total, self.a_pages, self.a_page = found.total, found.pages, found.page
        self.event_raw = event_times(event)
        self.title, self.status = event.title, event.status
        self.where = event.venue or event.online_url
        self.can_manage = self.role in MANAGE_EVENTS
        self.public_path = f"/e/{self.org_slug}/{event.slug}"
        self.public_url = config.public_base_url() + self.public_path
        self.type_options = [{"id": str(tt.id), "name": tt.name} for tt in types]
        self.ticket_types = [
            {"id": str(tt.id), "name": tt.name, "sold": str(tt.sold), "quantity": str(tt.quantity),
             "hidden": "1" if tt.hidden else "", "description": tt.description, "min": str(tt.min_per_order),
             "max": str(tt.max_per_order), "start": _local(tt.sales_start_at, event.time_zone),
             "end": _local(tt.sales_end_at, event.time_zone),
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
                "checked_in": "1" if p.checked_in_at else "",
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
        self.add_errors, self.cancel_errors, self.cancelling_event = {}, {}, False
        self.a_search, self.a_type, self.a_status, self.a_checked, self.a_sort, self.a_page = "", "", "", "", "registered", 1
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    def _act(self, action, form_errors: str = "", prefix: str = "") -> bool:
        """Run an organizer action through the services. Errors become a message on the page or, for an
        add form (`form_errors` names its errors var), messages next to that form's fields."""
        if exc := self._run(action, MANAGE_EVENTS):
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




class AttendeeState(OrgState):
    """One attendee: the ticket, the order's buyer and other tickets, the answers and what happened."""

    ticket: dict[str, str] = {}
    answers: list[dict[str, str]] = []
    others: list[dict[str, str]] = []
    history_raw: list[dict[str, str]] = []
    can_manage: bool = False
    error: str = ""
    notice: str = ""

    def _read(self) -> None:
        if not self._open_org(VIEW_ATTENDEES):
            return
        try:
            ticket_id = int(self.router.page.params.get("ticket_id", "0"))
            with session_scope() as session:
                seen = attendees.detail(session, Principal(self._user_id), self._org_id, ticket_id)
        except (ValueError, NotFound):
            self.found = False
            return
        r = seen.row
        self.can_manage = self.role in MANAGE_EVENTS
        buyer = f"{seen.order.buyer_name} <{seen.order.buyer_email}>" if seen.order.buyer_email else ""  # "": deleted
        self.ticket = {"id": str(r.ticket_id), "order_id": str(r.order_id), "name": r.attendee_name,
                       "email": r.attendee_email, "buyer": buyer,
                       "type": r.ticket_type, "code": r.code, "status": r.status,
                       "checked_in": r.checked_in_at.isoformat() if r.checked_in_at else "",
                       "event": seen.event_title,
                       "event_href": f"/o/{self.org_slug}/events/{seen.order.event_id}/attendees",
                       "tz": seen.event_time_zone}
        self.answers = [{"label": label, "value": str(value)} for label, value in seen.answers]
        self.others = [{"id": str(o.ticket_id), "name": o.attendee_name, "status": o.status,
                        "href": f"/o/{self.org_slug}/tickets/{o.ticket_id}"} for o in seen.others]
        self.history_raw = [{"at": h.at.isoformat(), "action": h.action, "actor": h.actor} for h in seen.history]

    @rx.var
    def history(self) -> list[dict[str, str]]:
        tz = self.ticket.get("tz", "UTC")
        # "who · when"; an entry whose actor deleted their account has no name left to show
        return [{"action": t(f"history.{h['action']}", self.lang),
                 "meta": " · ".join(part for part in (h["actor"], format_datetime(datetime.fromisoformat(h["at"]), tz,
                                                                                  self.lang)) if part)}
                for h in self.history_raw]

    @rx.var
    def status_text(self) -> str:
        status = self.ticket.get("status", "")
        return t(f"ticket.status.{status}", self.lang) if status else ""

    @rx.event
    def on_load(self):
        self.ticket, self.answers, self.others, self.history_raw, self.error, self.notice = {}, [], [], [], "", ""
        self.found = True
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._read()

    def _do(self, action, notice_key: str) -> None:
        if exc := self._run(action, MANAGE_EVENTS):
            self.error = self.t(exc.message_key, **exc.params)
            return
        self.error, self.notice = "", self.t(notice_key)
        self._read()

    @rx.event
    def cancel_ticket(self):
        ticket_id = int(self.ticket.get("id", "0"))
        self._do(lambda s, p: orders.cancel_ticket(s, p, self._org_id, ticket_id), "attendee.cancelled_notice")

    @rx.event
    def resend(self):
        order_id = int(self.ticket.get("order_id", "0"))
        self._do(lambda s, p: attendees.resend_confirmation(s, p, self._org_id, order_id), "attendee.resent_notice")
