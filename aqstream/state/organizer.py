"""Organizer pages: the event list of an organization, the new-event form, one event's page."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_money, format_number, t, tn
from aqstream.services.checkin import scans
from aqstream.services.errors import DomainError, Forbidden, NotFound, OrganizationSuspended, ValidationError
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import (
    MANAGE_EVENTS,
    SUPPORT,
    SUSPENDED,
    VIEW_ATTENDEES,
    VIEW_CHECKIN,
    VIEW_MAIL,
    Need,
    Principal,
    access_by_slug,
    sees,
)
from aqstream.services.payments import amounts, payments, refunds
from aqstream.services.payments import settings as payment_settings
from aqstream.services.platform import tenants
from aqstream.services.reports import mail_log
from aqstream.services.sales import attendees, orders
from aqstream.state.base import AppState


class OrgState(AppState):
    """Shared by the organizer pages: which organization the URL names, and the caller's role in it."""

    org_slug: str = ""
    org_name: str = ""
    role: str = ""
    found: bool = True
    loaded: bool = False  # False until on_load has answered: the page shows a spinner, not stale data
    org_time_zone: str = "UTC"
    org_suspended: bool = False  # the members' banner: read only while the platform's admins suspend it
    suspension_reason: str = ""
    _org_id: int = 0
    _org_currency: str = "EUR"
    _support_seen: tuple = ()  # (path, monotonic time) of the support view's last audited visit

    def _open_org(self, allowed=VIEW_ATTENDEES) -> bool:
        self.org_slug = self.router.page.params.get("org", "")
        try:
            with session_scope() as session:
                try:
                    got = access_by_slug(session, Principal(self._user_id), self.org_slug, allowed)
                except OrganizationSuspended:
                    # While suspended, the pages that change things still open for the roles that could use
                    # them, to read: their actions are refused by the services (with the banner saying why).
                    got = access_by_slug(session, Principal(self._user_id), self.org_slug,
                                         Need(allowed, writes=False))
                if got.role == SUPPORT:
                    self._audit_support_visit(session, got.organization.id)
        except DomainError:
            self.found, self.org_name, self.role, self._org_id = False, "", "", 0
            return False
        self.found, self.org_name, self.role, self._org_id = True, got.organization.name, got.role, got.organization.id
        self.org_time_zone = got.organization.time_zone
        self._org_currency = got.organization.currency
        self.org_suspended = got.organization.status == SUSPENDED
        self.suspension_reason = got.organization.suspension_reason if self.org_suspended else ""
        return True

    def _audit_support_visit(self, session, organization_id: int) -> None:
        """A platform admin's read-only look at the organization: each page they open is audited once (the
        page's own actions and live refreshes within a few minutes are the same visit)."""
        import time

        path = self.router.url.path
        now = time.monotonic()
        if self._support_seen and self._support_seen[0] == path and now - self._support_seen[1] < 300:
            return
        tenants.record_support_visit(session, Principal(self._user_id), organization_id, path)
        self._support_seen = (path, now)

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

    def _connected_methods(self) -> list[str]:
        """The payment methods the organization has connected (what an event's form may offer), for those
        who edit events; [] when the caller may not know."""
        try:
            with session_scope() as session:
                return list(payment_settings.connected_methods(session, Principal(self._user_id), self._org_id))
        except DomainError:
            return []


def _page_number(raw) -> int:
    """A page number from the URL: anything that is not a positive number is the first page."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else 1


class DashboardState(OrgState):
    """The organization's events: the first few of each section, or one section page by page (`?section=past&
    page=2`). The state holds only what the page shows, formatted in the visitor's language; the events it
    was formatted from stay on the server (`_shown`) to format them again when the language changes."""

    my_orgs: list[dict[str, str]] = []
    failed_mail: int = 0  # emails that could not be sent: a warning for those who can open the mail log
    section: str = ""  # "" for the overview of every section
    page: int = 1
    pages: int = 1
    _shown: list[dict] = []
    _counts: dict[str, int] = {}

    @rx.event
    def on_load(self):
        self._shown, self._counts, self.failed_mail = [], {}, 0
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        if not self._open_org(VIEW_CHECKIN):
            return
        if not sees(self.role, VIEW_ATTENDEES):  # check-in staff: the events, each leading to its door
            self._door()
            return
        params = self.router.url.query_parameters
        with session_scope() as session:
            found = events.dashboard(session, Principal(self._user_id), self._org_id,
                                     section=str(params.get("section", "") or ""),
                                     page=_page_number(params.get("page")))
            if sees(self.role, VIEW_MAIL):
                self.failed_mail = mail_log.counts(session, Principal(self._user_id), self._org_id).failed
            self.my_orgs = [{"slug": m.slug, "name": m.name}
                            for m in organizations.memberships(session, Principal(self._user_id))]
        self.section, self.page, self.pages, self._counts = found.section, found.page, found.pages, found.counts
        self._shown = [
            {"id": r.event.id, "title": r.event.title, "status": r.event.status, "sold": r.event.sold,
             "capacity": r.event.capacity or 0, "starts_at": r.event.starts_at.isoformat(), "tz": r.event.time_zone,
             "section": r.section, "today": r.registered_today}
            for r in found.rows
        ]
        with session_scope() as session:  # sign-in lands on this organization next time
            organizations.remember_last(session, Principal(self._user_id), self._org_id)

    def _door(self) -> None:
        """Check-in staff's dashboard: the events they may run the door of, title and date, nothing else."""
        with session_scope() as session:
            self._shown = [{"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat(), "tz": e.time_zone,
                            "section": "door"}
                           for e in events.door_events(session, Principal(self._user_id), self._org_id)]
            self.my_orgs = [{"slug": m.slug, "name": m.name}
                            for m in organizations.memberships(session, Principal(self._user_id))]
            organizations.remember_last(session, Principal(self._user_id), self._org_id)
        self.section, self.page, self.pages, self._counts = "", 1, 1, {}

    @rx.var
    def door(self) -> list[dict[str, str]]:
        """The check-in staff's events: title, when, and the link to the event's Check-in tab."""
        return [{"title": e["title"], "when": format_datetime(datetime.fromisoformat(e["starts_at"]), e["tz"], self.lang),
                 "href": f"/o/{self.org_slug}/events/{e['id']}/checkin"}
                for e in self._shown if e["section"] == "door"]

    @rx.event
    def switch_org(self, slug: str):
        if any(m["slug"] == slug for m in self.my_orgs):
            return rx.redirect(f"/o/{slug}")

    def _rows(self, section: str) -> list[dict[str, str]]:
        lang = self.lang
        out = []
        for e in self._shown:
            if e["section"] != section:
                continue
            sold = format_number(e["sold"], lang)
            numbers = (
                t("dashboard.registered", lang, sold=sold, capacity=format_number(e["capacity"], lang))
                if e["capacity"]
                else t("dashboard.registered_no_cap", lang, sold=sold)
            )
            out.append({
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
        return any(self._counts.values())

    @rx.var
    def more(self) -> dict[str, str]:
        """Each section's link to all its events, when the overview shows only the first few ("" if none)."""
        lang = self.lang
        if self.section:
            return {}
        return {name: t(f"dashboard.see_all_{name}", lang, count=format_number(count, lang))
                for name, count in self._counts.items() if count > events.DASHBOARD_PREVIEW}

    @rx.var
    def counts(self) -> dict[str, str]:
        """Each section's number of events, as the headings show it."""
        return {name: format_number(count, self.lang) for name, count in self._counts.items()}

    @rx.var
    def page_text(self) -> str:
        return t("catalog.page_of", self.lang, page=format_number(self.page, self.lang),
                 pages=format_number(self.pages, self.lang))

    @rx.var
    def failed_mail_text(self) -> str:
        return tn("dashboard.failed_mail", self.failed_mail, self.lang) if self.failed_mail else ""


class EventFormState(OrgState):
    errors: dict[str, str] = {}
    pay_methods: list[str] = []  # the organization's connected payment methods
    org_currency: str = ""  # what an event's currency left empty means
    busy: bool = False
    tt_rows: list[int] = [0]
    description: str = ""  # kept when the field is left, for the Markdown preview
    then_cover: bool = False  # "Save and add a cover image": land on the event's settings at its cover
    _next_row: int = 1

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.tt_rows, self._next_row = {}, False, [0], 1
        self.description, self.then_cover = "", False
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        if self._open_org(MANAGE_EVENTS):
            self.pay_methods = self._connected_methods()
            self.org_currency = self._org_currency

    @rx.event
    def set_description(self, text: str):
        self.description = text[:20000]

    @rx.event
    def set_then_cover(self, value: bool):
        self.then_cover = value

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
        data = events.input_from_form(form, ticket_types=[
            events.TicketTypeInput(form.get(f"tt.{r}.name", ""), form.get(f"tt.{r}.quantity", ""),
                                   price=form.get(f"tt.{r}.price", "")) for r in rows
        ])
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
        if self.then_cover:  # the cover is stored with the event, so it is chosen once the event exists
            return rx.redirect(f"/o/{self.org_slug}/events/{event.id}/settings?cover=1")
        return rx.redirect(f"/o/{self.org_slug}/events/{event.id}")


class AttendeeState(OrgState):
    """One attendee: the ticket, the order's buyer and other tickets, the answers and what happened."""

    ticket: dict[str, str] = {}
    answers: list[dict[str, str]] = []
    others: list[dict[str, str]] = []
    history_raw: list[dict[str, str]] = []
    checkins_raw: list[dict[str, str]] = []  # list, at (ISO), device, inside ("1" or "")
    can_manage: bool = False
    error: str = ""
    notice: str = ""
    # The order's payment (services/payments/summary.py), formatted here in the reader's language.
    payment_raw: dict = {}
    # The refund form: open for the whole order ("") or one ticket (its id), the amount shown first, its errors.
    refund_open: bool = False
    refund_ticket: str = ""
    refund_default: str = ""
    refund_errors: dict[str, str] = {}
    refund_version: int = 0

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
        self.checkins_raw = [{"list_id": str(c.list_id), "list": c.list_name, "at": c.at.isoformat(),
                              "device": c.device, "inside": "1" if c.inside else ""} for c in seen.checkins]
        self._show_payment(seen.payment)

    def _show_payment(self, p) -> None:
        """The order's payment as plain values (minor units, codes, ISO times); the vars below format them in the
        reader's language, so switching it shows the money and the words anew."""
        if p is None:
            self.payment_raw = {}
            return
        self.payment_raw = {
            "method": p.method, "total": p.total_minor, "currency": p.currency, "status": p.status,
            "paid": p.paid_minor, "refunded": p.refunded_minor, "refundable": p.refundable_minor,
            "can_mark_paid": p.can_mark_paid, "can_refund": p.can_refund,
            "tickets": {str(k): v for k, v in p.ticket_refunds.items() if v > 0},
            "payments": [{"id": x.id, "attempt": x.attempt, "provider": x.provider, "status": x.status,
                          "amount": x.amount_minor, "currency": x.currency, "reference": x.reference,
                          "at": (x.paid_at or x.created_at).isoformat()} for x in p.payments],
            "refunds": [{"id": r.id, "amount": r.amount_minor, "currency": r.currency, "status": r.status,
                         "reason": r.reason, "at": (r.done_at or r.created_at).isoformat()} for r in p.refunds],
        }

    def _money(self, amount: int, currency: str | None = None) -> str:
        return format_money(amount, currency or self.payment_raw.get("currency", "EUR"), self.lang)

    def _when(self, iso: str) -> str:
        return format_datetime(datetime.fromisoformat(iso), self.ticket.get("tz", "UTC"), self.lang)

    @rx.var
    def pay(self) -> dict[str, str]:
        p = self.payment_raw
        if not p:
            return {}
        return {"method": t(f"payment_method.{p['method']}", self.lang) if p["method"] else "",
                "total": self._money(p["total"]), "status": p["status"],
                "paid": self._money(p["paid"]) if p["paid"] else "",
                "refunded": self._money(p["refunded"]) if p["refunded"] else "",
                "refundable": self._money(p["refundable"]), "can_mark_paid": "1" if p["can_mark_paid"] else "",
                "can_refund": "1" if p["can_refund"] else ""}

    @rx.var
    def pay_lines(self) -> list[dict[str, str]]:
        """Each payment attempt: "Attempt 1 · Bank transfer · €50", its status, when, a transfer's reference."""
        return [{"id": str(x["id"]), "label": t("payment.attempt", self.lang, n=x["attempt"]),
                 "method": t(f"payment_method.{x['provider']}", self.lang),
                 "amount": self._money(x["amount"], x["currency"]), "status": x["status"],
                 "reference": x["reference"], "at": self._when(x["at"])}
                for x in self.payment_raw.get("payments", [])]

    @rx.var
    def refund_lines(self) -> list[dict[str, str]]:
        return [{"id": str(r["id"]), "amount": self._money(r["amount"], r["currency"]), "status": r["status"],
                 "reason": t(f"refund.reason.{r['reason']}", self.lang), "at": self._when(r["at"])}
                for r in self.payment_raw.get("refunds", [])]

    @rx.var
    def refund_tickets(self) -> dict[str, str]:
        """The order's valid tickets with money to give back -> that amount, formatted."""
        return {k: self._money(v) for k, v in self.payment_raw.get("tickets", {}).items()}

    # --- payments: mark a transfer paid, refund, retry a refund (MANAGE_EVENTS) -----------------------------------

    @rx.event
    def open_refund(self, ticket_id: str = ""):
        """The refund form, for the whole order or one of its tickets, showing what it would give back in full."""
        raw = self.payment_raw
        if not self.can_manage or not raw:
            return
        amount = raw["tickets"].get(ticket_id) if ticket_id else raw["refundable"]
        if amount is None:
            return
        self.refund_open, self.refund_ticket, self.refund_errors = True, ticket_id, {}
        self.refund_default = amounts.plain(amount, raw["currency"]) if amount > 0 else ""
        self.refund_version += 1
        self.notice, self.error = "", ""

    @rx.event
    def close_refund(self):
        self.refund_open, self.refund_errors = False, {}

    @rx.event
    def refund(self, form: dict):
        raw = self.payment_raw
        if not raw or not self.can_manage:
            return
        currency = raw["currency"]
        try:
            amount = amounts.parse_amount(form.get("refund_amount", ""), currency, field="refund_amount")
        except ValidationError as exc:
            self.refund_errors = self._errors_text(exc)
            return
        order_id = int(self.ticket.get("order_id", "0"))
        ticket_id = int(self.refund_ticket) if self.refund_ticket.isdigit() else None
        cancel = ticket_id is not None or bool(form.get("refund_cancel"))
        reason = str(form.get("refund_reason") or "")[:2000]
        done = {}

        def act(session, principal):
            done["result"] = refunds.cancel_with_refund(session, principal, self._org_id, order_id, ticket_id=ticket_id,
                                                        amount_minor=amount, reason=reason, cancel=cancel)
        if exc := self._run(act, MANAGE_EVENTS):
            if isinstance(exc, ValidationError):
                params = {k: format_money(v, currency, self.lang) if k == "max" else v for k, v in exc.params.items()}
                self.refund_errors = {"refund_amount": self.t(key, **params) for key in exc.errors.values()}
            else:
                self.refund_errors = {"form": self.t(exc.message_key, **exc.params)}
            return
        result = done["result"]
        self.refund_open, self.refund_errors = False, {}
        if result.refund_id is None:
            self.notice = self.t("attendee.cancelled_notice")
        else:
            self.notice = self.t(f"refund.notice.{result.status or 'pending'}",
                                 amount=format_money(result.amount_minor, currency, self.lang))
        self.error = ""
        self._read()

    @rx.event
    def mark_paid(self):
        order_id = int(self.ticket.get("order_id", "0"))
        outcome = {}

        def act(session, principal):
            outcome["value"] = payments.mark_paid(session, principal, self._org_id, order_id)
        if exc := self._run(act, MANAGE_EVENTS):
            self.error, self.notice = self.t(exc.message_key, **exc.params), ""
            return
        self.error, self.notice = "", self.t(f"payment.marked.{outcome['value']}")
        self._read()

    @rx.event
    def retry_refund(self, refund_id: str):
        if not refund_id.isdigit():
            return
        status = {}

        def act(session, principal):
            status["value"] = refunds.retry(session, principal, self._org_id, int(refund_id))
        if exc := self._run(act, MANAGE_EVENTS):
            self.error, self.notice = self.t(exc.message_key, **exc.params), ""
            return
        self.error, self.notice = "", self.t(f"refund.retried.{status['value'] or 'pending'}")
        self._read()

    @rx.var
    def history(self) -> list[dict[str, str]]:
        tz = self.ticket.get("tz", "UTC")
        # "who · when"; an entry whose actor deleted their account has no name left to show
        return [{"action": t(f"history.{h['action']}", self.lang),
                 "meta": " · ".join(part for part in (h["actor"], format_datetime(datetime.fromisoformat(h["at"]), tz,
                                                                                  self.lang)) if part)}
                for h in self.history_raw]

    @rx.var
    def checkins(self) -> list[str]:
        """Where and when the ticket was let in: "Main door: Sat, Dec 12, 2026, 7:02 PM, on Door 2"."""
        tz = self.ticket.get("tz", "UTC")
        return [t("attendee.checkin_line" + ("" if c["inside"] else "_left"), self.lang, list=c["list"],
                  at=format_datetime(datetime.fromisoformat(c["at"]), tz, self.lang), device=c["device"] or "—")
                for c in self.checkins_raw]

    @rx.event
    def undo_checkin(self):
        """Take the ticket's check-ins back, on every list that let it in (those who run events only)."""
        ticket_id = int(self.ticket.get("id", "0"))
        list_ids = [int(c["list_id"]) for c in self.checkins_raw]
        if not list_ids or not self.can_manage:
            return

        def act(session, principal):
            for list_id in list_ids:
                scans.undo(session, principal, self._org_id, list_id, ticket_id)
        self._do(act, "attendee.checkin_undone")

    @rx.var
    def status_text(self) -> str:
        status = self.ticket.get("status", "")
        return t(f"ticket.status.{status}", self.lang) if status else ""

    @rx.event
    def on_load(self):
        self.ticket, self.answers, self.others, self.history_raw, self.error, self.notice = {}, [], [], [], "", ""
        self.checkins_raw = []
        self.refund_open, self.refund_errors, self.refund_ticket, self.payment_raw = False, {}, "", {}
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
