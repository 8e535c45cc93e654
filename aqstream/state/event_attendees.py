"""The Attendees tab of an event's workspace (/o/<org>/events/<id>/attendees). Thin: the search, filters, sorting
and pages are computed by services/sales/attendees.py; cancelling by services/sales/orders.py.

The address holds what is shown (?q=&type=&status=&checked=&sort=&page=): every change of the filters or the page
is a navigation to a new address, and on_load reads it, so a reload, a shared link, back and forward all show
the same list, and the search box shows what is applied. The number of matching tickets is counted once per
filter (and again after a change made here, or a minute later); turning pages reuses it, and Next / Previous
read the neighbouring page by the sort key of the row at the edge of the page shown."""
from __future__ import annotations

import time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_money, format_number, tn
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.events import events
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal
from aqstream.services.sales import attendees, orders
from aqstream.state.workspace import EventTabState

PER_PAGE = 50
COUNT_KEPT_SECONDS = 60  # a page step reuses the count of the same filters for this long, then counts again
SORTS = ("registered", "name", "email", "type", "status")


class AttendeesTabState(EventTabState):
    # The applied query, as the address says.
    search: str = ""
    type_filter: str = ""
    status_filter: str = ""
    checked_filter: str = ""
    sort: str = "registered"
    page: int = 1
    pages: int = 1
    total: int = 0
    # What the page shows, one dict per ticket, ready to show (words are translated on the page).
    rows: list[dict[str, str]] = []
    type_options: list[dict[str, str]] = []
    filter_version: int = 0  # bumped on every load: the filter form is rebuilt showing what is applied
    error: str = ""
    notice: str = ""
    page_error: str = ""
    filter_errors: dict[str, str] = {}
    # A cancellation waiting for a yes: what, which, and the question naming the person.
    confirm_kind: str = ""  # "" | "ticket" | "order"
    confirm_id: int = 0
    confirm_text: str = ""
    adding: bool = False
    add_errors: dict[str, str] = {}
    add_version: int = 0
    _counted_for: str = ""  # the filters `_counted` was counted for
    _counted: int = -1
    _counted_at: float = 0.0
    # The page shown last, with the sort keys of its first and last rows: the next or previous page of the same
    # list is read from there by key (as fast deep in the list as at its start), not by skipping rows.
    _anchor: dict = {}
    _zone: str = "UTC"

    # --- the address -----------------------------------------------------------------------------------------

    def _filters(self) -> dict[str, str]:
        return {"q": self.search, "type": self.type_filter, "status": self.status_filter,
                "checked": self.checked_filter}

    def _href(self, page: int | None = None, **changes: str) -> str:
        params = {**self._filters(), "sort": self.sort if self.sort != "registered" else "", **changes}
        page = self.page if page is None else page
        params["page"] = str(page) if page > 1 else ""
        query = urlencode({k: v for k, v in params.items() if v})
        return f"/o/{self.org_slug}/events/{self.event_id}/attendees" + (f"?{query}" if query else "")

    def _read_address(self) -> None:
        query = self.router.url.query_parameters
        self.search = (query.get("q") or "").strip()[:200]
        self.type_filter = query.get("type") or ""
        self.status_filter = query.get("status") or ""
        self.checked_filter = query.get("checked") or ""
        self.sort = query.get("sort") or "registered"
        try:
            self.page = max(1, min(int(query.get("page") or 1), 1_000_000))
        except ValueError:
            self.page = 1

    # --- loading ---------------------------------------------------------------------------------------------

    def _query(self) -> attendees.AttendeeQuery:
        return attendees.AttendeeQuery(search=self.search, ticket_type_id=self.type_filter or None,
                                       status=self.status_filter, checked_in=self.checked_filter, sort=self.sort,
                                       descending=self.sort == "registered", page=self.page, per_page=PER_PAGE)

    def _load(self) -> None:
        event = self._open_event()
        if event is None:
            return
        self._zone = event.time_zone
        counted_for = f"{self.event_id}?{urlencode(self._filters())}"
        fresh = time.monotonic() - self._counted_at < COUNT_KEPT_SECONDS
        known = self._counted if counted_for == self._counted_for and fresh else None
        principal = Principal(self._user_id)
        listed = f"{counted_for}&sort={self.sort}"
        shown = self._anchor if known is not None and self._anchor.get("list") == listed else {}
        after = shown.get("last") if shown.get("page") == self.page - 1 else None
        before = shown.get("first") if shown.get("page") == self.page + 1 else None
        try:
            with session_scope() as session:
                types = events.list_ticket_types(session, event.id)
                found = attendees.search(session, principal, self._org_id, event.id, self._query(), total=known,
                                         after=after, before=before)
        except NotFound:
            self.found = False
            return
        except DomainError as exc:  # a filter the service refused (an edited address): say so, show everyone
            self.error = self.t(exc.message_key, **exc.params)
            self.search, self.type_filter, self.status_filter, self.checked_filter = "", "", "", ""
            self.sort, self.page = "registered", 1
            return self._load()
        if known is None or found.total != known:
            self._counted_at = time.monotonic()
        self._counted_for, self._counted = counted_for, found.total
        self._anchor = {"list": listed, "page": found.page, "first": found.first_key, "last": found.last_key}
        self.total, self.pages, self.page = found.total, found.pages, found.page
        self.type_options = [{"id": str(tt.id), "name": tt.name} for tt in types]
        zone = ZoneInfo(self._zone)
        base = f"/o/{self.org_slug}/tickets/"
        self.rows = [
            {"ticket_id": str(r.ticket_id), "order_id": str(r.order_id), "name": r.attendee_name,
             # "deleted": the buyer deleted their account (nothing personal is left); "missing": no name given
             "name_state": "" if r.attendee_name else ("missing" if r.buyer_email else "deleted"),
             "email": r.attendee_email, "buyer_email": r.buyer_email if r.buyer_email != r.attendee_email else "",
             "type": r.ticket_type, "code": r.code, "status": r.status, "checked_in": "1" if r.checked_in_at else "",
             "device": r.checked_in_device, "pay": r.payment_status,
             "total": format_money(r.order_total_minor, r.currency, self.lang) if r.currency else "",
             "registered": r.registered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "href": base + str(r.ticket_id)}
            for r in found.rows
        ]
        self.filter_version += 1

    @rx.event
    def on_load(self):
        self.error, self.notice, self.page_error, self.rows, self.found = "", "", "", [], True
        self.confirm_kind, self.confirm_id, self.confirm_text = "", 0, ""
        self.adding, self.add_errors = False, {}
        self._read_address()
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()
        if not self.found and self._door_only():  # check-in staff: the event's Check-in tab instead
            return rx.redirect(f"/o/{self.org_slug}/events/{self.event_id}/checkin")

    # --- what the page shows ---------------------------------------------------------------------------------

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.attendees")

    @rx.var
    def page_text(self) -> str:
        return tn("attendees.page_of", self.total, self.lang, page=format_number(self.page, self.lang),
                  pages=format_number(self.pages, self.lang))

    @rx.var
    def filtered(self) -> bool:
        return any(self._filters().values())

    @rx.var
    def prev_href(self) -> str:
        return self._href(max(1, self.page - 1))

    @rx.var
    def next_href(self) -> str:
        return self._href(min(self.pages, self.page + 1))

    @rx.var
    def first_href(self) -> str:
        return self._href(1)

    @rx.var
    def last_href(self) -> str:
        return self._href(self.pages)

    @rx.var
    def export_query(self) -> str:
        params = {"search": self.search, "ticket_type_id": self.type_filter, "status": self.status_filter,
                  "checked_in": self.checked_filter, "lang": self.lang}
        return urlencode({k: v for k, v in params.items() if v})

    # --- changing the list: a new address ---------------------------------------------------------------------

    @rx.event
    def apply(self, form: dict):
        """The filter form: its values become the address (page 1), which on_load then shows."""
        search = (form.get("q") or "").strip()[:200]
        sort = form.get("sort") or "registered"
        self.search, self.type_filter = search, form.get("type") or ""
        self.status_filter, self.checked_filter = form.get("status") or "", form.get("checked") or ""
        self.sort = sort if sort in SORTS else "registered"
        return rx.redirect(self._href(1))

    @rx.event
    def clear(self):
        self.search, self.type_filter, self.status_filter, self.checked_filter = "", "", "", ""
        return rx.redirect(self._href(1))

    @rx.event
    def jump(self, form: dict):
        """Go to the page number typed; anything else is answered next to the field."""
        try:
            wanted = int((form.get("go_page") or "").strip())
        except ValueError:
            wanted = 0
        if not 1 <= wanted <= self.pages:
            self.page_error = self.t("attendees.page_invalid", pages=format_number(self.pages, self.lang))
            return
        self.page_error = ""
        return rx.redirect(self._href(wanted))

    # --- acting on a ticket ----------------------------------------------------------------------------------

    def _row(self, ticket_id: str) -> dict[str, str] | None:
        return next((r for r in self.rows if r["ticket_id"] == ticket_id), None)

    def _who(self, row: dict[str, str]) -> str:
        if row["name"]:
            return row["name"]
        return self.t("attendees.no_name") if row["name_state"] == "missing" else self.t("attendees.deleted_person")

    @rx.event
    def ask_cancel(self, kind: str, ticket_id: str):
        """Ask before cancelling a ticket, or its whole order, naming the person it concerns."""
        row = self._row(ticket_id)
        if row is None or kind not in ("ticket", "order") or not self.can_manage:
            return
        buyer = row["buyer_email"] or row["email"]
        key = f"attendees.cancel_{kind}_question" + ("" if buyer else "_nobody")
        self.confirm_text = self.t(key, name=self._who(row), buyer=buyer)
        self.confirm_kind = kind
        self.confirm_id = int(row["ticket_id"] if kind == "ticket" else row["order_id"])
        self.notice, self.error = "", ""

    @rx.event
    def keep(self):
        self.confirm_kind, self.confirm_id, self.confirm_text = "", 0, ""

    @rx.event
    def confirm_open_change(self, is_open: bool):
        if not is_open:
            self.keep()

    @rx.event
    def cancel_confirmed(self):
        kind, ident = self.confirm_kind, self.confirm_id
        self.keep()
        if kind == "ticket":
            done = self._act(lambda s, p: orders.cancel_ticket(s, p, self._org_id, ident))
        elif kind == "order":
            done = self._act(lambda s, p: orders.cancel_order(s, p, self._org_id, ident))
        else:
            return
        if done:
            self.notice = self.t("attendee.cancelled_notice")

    @rx.event
    def resend(self, order_id: str):
        if order_id.isdigit() and self._act(
                lambda s, p: attendees.resend_confirmation(s, p, self._org_id, int(order_id))):
            self.notice = self.t("attendee.resent_notice")

    @rx.event
    def toggle_add(self):
        self.adding, self.add_errors = not self.adding, {}

    @rx.event
    def add_attendee(self, form: dict):
        if self._act(lambda s, p: attendees.add_attendee(
                s, p, self._org_id, self.event_id, name=form.get("add_name", ""), email=form.get("add_email", ""),
                ticket_type_id=form.get("add_type") or None, notify=bool(form.get("add_notify")), locale=self.lang),
                form_errors=True):
            self.adding, self.add_version = False, self.add_version + 1
            self.notice = self.t("attendee.added_notice")

    def _act(self, action, form_errors: bool = False) -> bool:
        """Run an organizer action; a refusal becomes a message (next to the add form's fields for that form).
        Done, the list is read again and counted again (a ticket changed)."""
        if exc := self._run(action, MANAGE_EVENTS):
            if form_errors:
                self.add_errors = {"add_" + k: v for k, v in self._errors_text(exc).items()}
            else:
                self.error = self.t(exc.message_key, **exc.params)
            return False
        self.error, self.add_errors, self._counted_for = "", {}, ""
        self._load()
        return True

