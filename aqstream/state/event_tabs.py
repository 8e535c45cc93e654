"""The event workspace's tabs: Overview, Tickets and questions, Emails, Settings. Each is its own page with
its own state; `EventTabState` (state/workspace.py) holds the event's header, shared by all of them."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import format_money, format_number
from aqstream.services.errors import DomainError
from aqstream.services.events import event_emails, event_lifecycle, events, fields, media, overview, prices, questions
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal
from aqstream.state.workspace import EventTabState


def _local(value, tz: str) -> str:
    """A stored UTC time as the value of a datetime-local input in the event's zone."""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if value else ""


class EventOverviewState(EventTabState):
    """Today's numbers, the share link, publishing and the event's actions."""

    counts: dict[str, int] = {}  # registered, capacity (0: none), today, cancelled_today, cancelled
    type_counts: list[dict[str, str]] = []  # name, sold, quantity, hidden ("1" or "")
    cancelling: bool = False  # the cancel-event form is open
    cancel_errors: dict[str, str] = {}
    copied: bool = False

    def _read(self, event=None) -> None:
        if event is None and (event := self._open_event()) is None:
            return
        with session_scope() as session:
            got = overview.event_numbers(session, Principal(self._user_id), self._org_id, event.id)
        self.counts = {"registered": got.registered, "capacity": got.capacity or 0, "today": got.registered_today,
                       "cancelled_today": got.cancelled_today, "cancelled": got.cancelled}
        self.type_counts = [{"name": tt.name, "sold": str(tt.sold), "quantity": str(tt.quantity),
                             "hidden": "1" if tt.hidden else ""} for tt in got.ticket_types]

    @rx.event
    def on_load(self):
        self.counts, self.type_counts, self.cancelling, self.cancel_errors, self.copied = {}, [], False, {}, False
        redirect, event = self._enter()
        if redirect:
            return redirect
        if event is not None:
            self._read(event)

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.overview")

    @rx.var
    def numbers(self) -> dict[str, str]:
        """The counts as the visitor's language writes numbers."""
        return {k: format_number(v, self.lang) for k, v in self.counts.items()}

    def _done(self, action, notice_key: str = "") -> bool:
        if not self._act(action):
            return False
        self.notice = self.t(notice_key) if notice_key else ""
        self._read()
        return True

    @rx.event
    def copy_link(self):
        self.copied = True
        return rx.set_clipboard(self.public_url)

    @rx.event
    def publish(self):
        self._done(lambda s, p: events.publish_event(s, p, self._org_id, self.event_id), "event.published_short")

    @rx.event
    def unpublish(self):
        self._done(lambda s, p: event_lifecycle.unpublish_event(s, p, self._org_id, self.event_id),
                   "event.unpublished_notice")

    @rx.event
    def archive(self):
        self._done(lambda s, p: event_lifecycle.archive_event(s, p, self._org_id, self.event_id),
                   "event.archived_notice")

    @rx.event
    def duplicate(self):
        made = []
        title = self.t("event.copy_title", title=self.title)[:200]
        if self._act(lambda s, p: made.append(event_lifecycle.duplicate_event(s, p, self._org_id, self.event_id,
                                                                              title))):
            return rx.redirect(f"/o/{self.org_slug}/events/{made[0].id}")

    @rx.event
    def ask_cancel_event(self):
        self.cancelling, self.cancel_errors, self.notice = True, {}, ""

    @rx.event
    def keep_event(self):
        self.cancelling, self.cancel_errors = False, {}

    @rx.event
    def cancel_event(self, form: dict):
        message = form.get("cancel_message", "")
        if self._act(lambda s, p: event_lifecycle.cancel_event(s, p, self._org_id, self.event_id, message),
                     "cancel_errors", "cancel_"):
            self.cancelling = False
            self.notice = self.t("event.cancelled_notice")
            self._read()


def _ticket_type_input(form: dict, prefix: str) -> events.TicketTypeInput:
    return events.TicketTypeInput(
        name=form.get(f"{prefix}name", ""), quantity=form.get(f"{prefix}quantity", ""),
        price=form.get(f"{prefix}price", ""),  # "15.50" in the event's currency, read by the service
        description=form.get(f"{prefix}description", ""), min_per_order=form.get(f"{prefix}min_per_order") or 1,
        max_per_order=form.get(f"{prefix}max_per_order") or 10,
        sales_start_local=form.get(f"{prefix}sales_start_at") or None,
        sales_end_local=form.get(f"{prefix}sales_end_at") or None, hidden=bool(form.get(f"{prefix}hidden")))


def _question_input(form: dict, prefix: str) -> questions.QuestionInput:
    return questions.QuestionInput(
        label=form.get(f"{prefix}label", ""), kind=form.get(f"{prefix}kind", "short_text"),
        required=bool(form.get(f"{prefix}required")), scope=form.get(f"{prefix}scope", "order"),
        options=(form.get(f"{prefix}options") or "").splitlines())


class EventTicketsState(EventTabState):
    """Ticket types and registration questions. Every form is closed until asked for."""

    ticket_types: list[dict[str, str]] = []
    questions: list[dict[str, str]] = []  # id, label, kind, scope, required ("1" or ""), options (one per line)
    adding_tt: bool = False
    editing_tt: str = ""  # the id of the ticket type whose form is open
    adding_q: bool = False
    editing_q: str = ""  # the id of the question whose form is open
    kind: str = "short_text"  # the open question form's answer type: choices are asked for the choice kinds
    errors: dict[str, str] = {}  # the open form's
    form_version: int = 0  # bumped when a form opens: it starts from the values just read

    def _read(self, event=None) -> None:
        if event is None and (event := self._open_event()) is None:
            return
        with session_scope() as session:
            types = events.list_ticket_types(session, event.id)
            asked = questions.active_questions(session, event.id)
        tz = event.time_zone
        self.ticket_types = [
            {"id": str(tt.id), "name": tt.name, "sold": str(tt.sold), "quantity": str(tt.quantity),
             "hidden": "1" if tt.hidden else "", "description": tt.description, "min": str(tt.min_per_order),
             "max": str(tt.max_per_order), "start": _local(tt.sales_start_at, tz), "end": _local(tt.sales_end_at, tz),
             "price": prices.format_price(tt.price_minor, tt.currency),
             "price_text": format_money(tt.price_minor, tt.currency, self.lang) if tt.price_minor else "",
             "link": f"{self.public_url}?code={tt.unlock_code}" if tt.hidden and self.can_manage else ""}
            for tt in types
        ]
        self.questions = [
            {"id": str(q.id), "label": q.label, "kind": q.kind, "scope": q.scope, "required": "1" if q.required else "",
             "options": "\n".join(q.options)}
            for q in asked
        ]

    def _close(self) -> None:
        self.adding_tt, self.editing_tt, self.adding_q, self.editing_q, self.errors = False, "", False, "", {}

    @rx.event
    def on_load(self):
        self.ticket_types, self.questions = [], []
        self._close()
        redirect, event = self._enter()
        if redirect:
            return redirect
        if event is not None:
            self._read(event)

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.tickets")

    def _open(self, **which) -> None:
        self._close()
        self.notice, self.error = "", ""
        for name, value in which.items():
            setattr(self, name, value)
        self.form_version += 1

    @rx.event
    def add_tt(self):
        self._open(adding_tt=True)

    @rx.event
    def edit_tt(self, ticket_type_id: str):
        self._open(editing_tt=ticket_type_id)

    @rx.event
    def add_q(self):
        self._open(adding_q=True, kind="short_text")

    @rx.event
    def edit_q(self, question_id: str):
        kind = next((q["kind"] for q in self.questions if q["id"] == question_id), "")
        if kind:
            self._open(editing_q=question_id, kind=kind)

    @rx.event
    def close(self):
        self._close()

    @rx.event
    def set_kind(self, kind: str):
        self.kind = kind

    def _saved(self, action, prefix: str, notice_key: str) -> None:
        if self._act(action, "errors", prefix):
            self._close()
            self.notice = self.t(notice_key)
            self._read()

    @rx.event
    def save_new_tt(self, form: dict):
        data = _ticket_type_input(form, "tt_")
        self._saved(lambda s, p: events.add_ticket_type(s, p, self._org_id, self.event_id, data),
                    "tt_", "ticket_type.added_notice")

    @rx.event
    def save_tt(self, form: dict):
        if not self.editing_tt.isdigit():
            return
        type_id, data = int(self.editing_tt), _ticket_type_input(form, "tt_")
        self._saved(lambda s, p: events.update_ticket_type(s, p, self._org_id, self.event_id, type_id, data),
                    "tt_", "ticket_type.saved_notice")

    @rx.event
    def save_new_q(self, form: dict):
        data = _question_input(form, "q_")
        self._saved(lambda s, p: questions.add_question(s, p, self._org_id, self.event_id, data),
                    "q_", "question.added_notice")

    @rx.event
    def save_q(self, form: dict):
        if not self.editing_q.isdigit():
            return
        question_id, data = int(self.editing_q), _question_input(form, "q_")
        self._saved(lambda s, p: questions.update_question(s, p, self._org_id, self.event_id, question_id, data),
                    "q_", "question.saved_notice")

    @rx.event
    def remove_q(self, question_id: str):
        if question_id.isdigit() and self._act(
                lambda s, p: questions.remove_question(s, p, self._org_id, self.event_id, int(question_id))):
            self._close()
            self.notice = self.t("question.removed_notice")
            self._read()


class EventEmailsState(EventTabState):
    """The event's emails, saved on their own."""

    values: dict[str, str] = {}  # reminder_hours, confirmation_text, reminder_text, notify_email
    errors: dict[str, str] = {}
    form_version: int = 0  # bumped on every read: the form is rebuilt with the values just read

    def _show(self, event) -> None:
        shown = fields.form_strings(event)
        self.values = {k: shown[k] for k in fields.EMAIL_FIELDS}
        self.form_version += 1

    @rx.event
    def on_load(self):
        self.values, self.errors = {}, {}
        redirect, event = self._enter(MANAGE_EVENTS)
        if redirect:
            return redirect
        if event is not None:
            self._show(event)

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.emails")

    @rx.var
    def editable(self) -> bool:
        return self.status in ("draft", "published")

    @rx.event
    def save(self, form: dict):
        data = event_emails.EmailSettingsInput(
            reminder_hours=form.get("reminder_hours", "24"), confirmation_text=form.get("confirmation_text", ""),
            reminder_text=form.get("reminder_text", ""), notify_email=form.get("notify_email", ""))
        saved = []
        if self._act(lambda s, p: saved.append(event_emails.update_email_settings(s, p, self._org_id, self.event_id,
                                                                                  data)), "errors"):
            self._show(saved[0])
            self.notice = self.t("event.emails_saved")
        else:
            self.notice = ""
            if "form" in self.errors:  # not about one field: say it above the form
                self.error = self.errors.pop("form")


class EventSettingsState(EventTabState):
    """The event editor: its own fields, its description previewed as Markdown, its cover image."""

    values: dict[str, str] = {}
    description: str = ""
    flags: dict[str, bool] = {}  # one_per_email, listed, names_editable
    pay_methods: list[str] = []  # the organization's connected payment methods
    cover_url: str = ""
    errors: dict[str, str] = {}
    busy: bool = False
    form_version: int = 0  # bumped on every read: the form is rebuilt with the values just read

    def _show(self, event) -> None:
        self.values = fields.form_strings(event)  # every declared field, as the form shows it
        self.flags = {"one_per_email": event.one_registration_per_email, "listed": event.listed,
                      "names_editable": event.attendees_can_edit_names}
        self.description = event.description
        self.cover_url = media.url(event.cover_path)
        self.form_version += 1

    @rx.event
    def on_load(self):
        self.values, self.errors, self.busy, self.flags = {}, {}, False, {}
        redirect, event = self._enter(MANAGE_EVENTS)
        if redirect:
            return redirect
        if event is not None:
            self._show(event)
            self.pay_methods = self._connected_methods()
            if self.router.url.query_parameters.get("cover"):  # just made with "Save and add a cover image"
                self.notice = self.t("settings.cover_next")

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.settings")

    @rx.var
    def editable(self) -> bool:
        return self.status in ("draft", "published")

    @rx.event
    def set_description(self, text: str):
        self.description = text[:20000]

    @rx.event
    def save(self, form: dict):
        data = events.input_from_form(form)  # the email settings are the Emails tab's: kept (keep_emails)
        self.busy = True
        saved = []
        ok = self._act(lambda s, p: saved.append(event_lifecycle.update_event(s, p, self._org_id, self.event_id, data,
                                                                              keep_emails=True)), "errors")
        self.busy = False
        if not ok:
            self.notice = ""
            return
        event = self._open_event(MANAGE_EVENTS)  # the header shows the new title, time and place
        if event is not None:
            self._show(event)
        self.notice = self.t("event.changes_saved")

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
