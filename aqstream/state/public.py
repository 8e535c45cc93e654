"""Public pages: an event's page with its registration form, and the order confirmation."""
from __future__ import annotations

import asyncio
import logging
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

import reflex as rx
import segno
from babel.dates import format_time

from aqstream import config
from aqstream.db import get_engine, session_scope
from aqstream.i18n import format_datetime, format_money, format_number, format_range, local_time, t
from aqstream.services import clock
from aqstream.services.accounts import accounts
from aqstream.services.checkin import signing
from aqstream.services.errors import DomainError, NotFound, PaymentUnavailable
from aqstream.services.events import calendar, catalog, event_lifecycle, media, questions
from aqstream.services.events.catalog import EventCard
from aqstream.services.events.events import get_public_event, places_left
from aqstream.services.lifecycle import OrderStatus, PaymentStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, providers, refunds
from aqstream.services.payments import settings as payment_settings
from aqstream.services.reports import traffic
from aqstream.services.sales import orders, registration, registration_queue
from aqstream.services.sales.registration import TicketRequest
from aqstream.services.validation import valid_time_zones
from aqstream.state.base import AppState, event_times, when_text
from aqstream.state.catalog import card_dict

log = logging.getLogger(__name__)

# Service error fields -> the form's input names (tickets.3.attendee_name -> att.3.name, ...)
_FIELD_MAP = [
    (re.compile(r"^tickets\.(\d+)\.attendee_name$"), r"att.\1.name"),
    (re.compile(r"^tickets\.(\d+)\.attendee_email$"), r"att.\1.email"),
    (re.compile(r"^tickets\.(\d+)\.answers\.(\w+)$"), r"att.\1.q.\2"),
    (re.compile(r"^tickets\.(\d+)\.ticket_type_id$"), "tickets"),
    (re.compile(r"^answers\.(\w+)$"), r"q.\1"),
]


def form_field_name(service_field: str) -> str:
    for pattern, replacement in _FIELD_MAP:
        if pattern.match(service_field):
            return pattern.sub(replacement, service_field)
    return service_field


def _answers_from_form(form: dict, prefix: str, asked: list[dict]) -> dict[str, object]:
    """Turn the form's inputs for the given questions back into answers keyed by question id."""
    answers: dict[str, object] = {}
    for q in asked:
        key = f"{prefix}q.{q['id']}"
        if q["kind"] == "multiple_choice":
            answers[q["id"]] = [opt for i, opt in enumerate(q["options"]) if form.get(f"{key}.opt.{i}")]
        elif q["kind"] == "checkbox":
            answers[q["id"]] = bool(form.get(key))
        else:
            answers[q["id"]] = form.get(key, "")
    return answers


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
    _event_raw: dict[str, str] = {}
    closed_key: str = ""
    unlock_code: str = ""
    _types_raw: list[dict] = []
    _questions_raw: list[dict] = []
    quantities: dict[str, int] = {}
    errors: dict[str, str] = {}
    busy: bool = False
    preview: bool = False  # an organizer looking at a draft
    cover_url: str = ""
    city: str = ""
    user_email: str = ""
    viewer_tz: str = ""  # the browser's own zone, to show the time there too when it differs
    _recommended: list[EventCard] = []  # "you may also like": a few cards, formatted per language below
    # One key per page view: a double click or a retry of the same submission makes one order.
    form_key: str = ""
    # Attendee 1 starts with the buyer's name and email, visibly in its fields, until the visitor changes them
    # there: {"name": ..., "email": ...}; `first_own` names the fields the visitor has typed in themselves.
    first_attendee: dict[str, str] = {"name": "", "email": ""}
    first_own: list[str] = []
    # Visitor counting (services/reports/traffic.py): the event counted, the link's utm tags and the page's
    # referrer, and whether this page view's form start was counted.
    _traffic_event: int = 0
    _traffic_utm: dict[str, str] = {}
    _traffic_referrer: str = ""
    _form_counted: bool = False
    # Payments (services/payments): the methods the event offers now and the one chosen for a paid order.
    _methods: list[str] = []
    _payment_method: str = ""

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.found, self.loaded = {}, False, True, True
        self.form_key = uuid.uuid4().hex
        self._load_user()
        params = self.router.page.params
        self.org_slug, self.event_slug = params.get("org", ""), params.get("event", "")
        self.unlock_code = (self.router.url.query_parameters.get("code") or "")[:64]
        self.preview, self._traffic_event, self._form_counted = False, 0, False
        try:
            with session_scope() as session:
                org, event, types = self._find(session)
                asked = questions.active_questions(session, event.id)
                self._recommended = catalog.recommend_for_event(session, event.id, limit=3)
                self._methods = list(payment_settings.offered(session, event))
        except NotFound:
            self.found = False
            return
        self.cover_url = media.url(event.cover_path)
        self.org_name, self.title, self.description = org.name, event.title, event.description
        self.venue, self.online_url, self.city = event.venue, event.online_url, event.city
        # Only touched when it changes: a change re-computes every text the state formats in the language.
        wanted = (event.locale, self.router.url.path) if event.locale else ("", "")
        if (self.page_locale, self.page_locale_path) != wanted:
            self.page_locale, self.page_locale_path = wanted
        self.user_email = self._user_email()
        self.first_attendee, self.first_own = {"name": self.user_name, "email": self.user_email}, []
        self._event_raw = event_times(event)
        self.closed_key = registration.registration_closed_reason(event, org) or ""
        self._set_questions(asked)
        self._set_types(event, types)
        buyable = [tt for tt in self._types_raw if tt["left"] > 0 and not tt["reason"]]
        # With one kind of ticket, one ticket is already chosen: the visitor only types name and email.
        self.quantities = {str(buyable[0]["id"]): buyable[0]["min"]} if len(buyable) == 1 else {}
        self._payment_method = self._methods[0] if self._methods else ""
        query = self.router.url.query_parameters
        self._traffic_event = 0 if self.preview else event.id
        self._traffic_utm = {key: str(query.get(key) or "")[:200] for key in traffic.UTM_KEYS}
        # The view is counted after the page is shown, with the referrer only the browser knows.
        return [rx.call_script("Intl.DateTimeFormat().resolvedOptions().timeZone",
                               callback=PublicEventState.set_viewer_tz),
                rx.call_script("document.referrer", callback=PublicEventState.count_view)]

    def _count(self, step: str) -> None:
        """Count this visitor at a step of the event's funnel; whatever happens, the page goes on."""
        if not self._traffic_event:
            return
        try:
            with session_scope() as session:
                traffic.count(session, self._traffic_event, step, client_ip=self._client_address(),
                              user_agent=self.router.headers.user_agent, referrer=self._traffic_referrer,
                              utm=self._traffic_utm, now=clock.utcnow(), user_id=self._user_id or None)
        except Exception:
            log.exception("counting a %s failed", step)

    @rx.event
    def count_view(self, referrer: str = ""):
        self._traffic_referrer = referrer[:2000] if isinstance(referrer, str) else ""
        self._count("view")

    @rx.event
    def form_started(self):
        """The visitor's first step into the registration form, counted once a page view."""
        if not self._form_counted:
            self._form_counted = True
            self._count("form_started")

    def _user_email(self) -> str:
        if not self._user_id:
            return ""
        with session_scope() as session:
            return accounts.get_user(session, self._user_id).email

    @rx.event
    def set_viewer_tz(self, zone: str):
        self.viewer_tz = zone if isinstance(zone, str) and zone in valid_time_zones() else ""

    @rx.var
    def viewer_when(self) -> str:
        """The event's time in the visitor's zone, when that zone's clock differs from the event's."""
        times = self._event_raw
        if not times or not self.viewer_tz or self.viewer_tz == times["tz"]:
            return ""
        starts = datetime.fromisoformat(times["starts"])
        if local_time(starts, self.viewer_tz).utcoffset() == local_time(starts, times["tz"]).utcoffset():
            return ""
        text = format_range(starts, datetime.fromisoformat(times["ends"]), self.viewer_tz, self.lang)
        return t("public.your_time", self.lang, when=text)

    @rx.var
    def recommended(self) -> list[dict[str, str]]:
        return [card_dict(card, self.lang) for card in self._recommended]

    @rx.var
    def map_url(self) -> str:
        if not self.venue:
            return ""
        place = ", ".join(part for part in (self.venue, self.city) if part)
        return "https://www.openstreetmap.org/search?query=" + quote(place)

    def _find(self, session):
        """The event as the public sees it; a draft only for its organizers, asking for a preview."""
        try:
            return get_public_event(session, self.org_slug, self.event_slug, include_hidden=True)
        except NotFound:
            if not (self.router.url.query_parameters.get("preview") and self._user_id):
                raise
        event_lifecycle.preview_event(session, Principal(self._user_id), self.org_slug, self.event_slug)
        self.preview = True
        return get_public_event(session, self.org_slug, self.event_slug, include_hidden=True, include_drafts=True)

    def _set_types(self, event, types) -> None:
        self._types_raw = [
            {"id": tt.id, "name": tt.name, "description": tt.description, "left": places_left(event, tt),
             "min": tt.min_per_order, "max": tt.max_per_order, "hidden": tt.hidden,
             "reason": registration.sales_state(tt, methods=self._methods) or "", "price": tt.price_minor,
             "currency": tt.currency,
             "opens": tt.sales_start_at.isoformat() if tt.sales_start_at else "", "tz": event.time_zone}
            for tt in registration.offered_types(types, self.unlock_code)
        ]

    @rx.var
    def when(self) -> str:
        return when_text(self._event_raw, self.lang)

    @rx.var
    def closed_text(self) -> str:
        return t(self.closed_key, self.lang) if self.closed_key else ""

    @rx.var
    def ticket_types(self) -> list[dict]:
        lang = self.lang
        out = []
        for tt in self._types_raw:
            can_buy = tt["left"] > 0 and not tt["reason"]
            most = min(tt["max"], tt["left"])
            choices = ["0"] + [str(n) for n in range(tt["min"], most + 1)] if can_buy and most >= tt["min"] else ["0"]
            if tt["reason"] == "registration.sales_not_started" and tt["opens"]:
                opens = format_datetime(datetime.fromisoformat(tt["opens"]), tt["tz"], lang)
                availability = t("public.sales_open_on", lang, when=opens)
            elif tt["reason"]:
                availability = t(tt["reason"], lang)
            elif tt["left"] > 0:
                availability = t("public.left", lang, count=format_number(tt["left"], lang))
            else:
                availability = t("public.sold_out_badge", lang)
            out.append({
                "id": str(tt["id"]),
                "name": tt["name"],
                "description": tt["description"],
                "availability": availability,
                "price": format_money(tt["price"], tt["currency"], lang) if tt["price"] else t("event.ticket_type.free", lang),
                "choices": choices,
                "chosen": str(self.quantities.get(str(tt["id"]), 0)),
                "label": t("public.how_many", lang, name=tt["name"]),
                "disabled": not (can_buy and len(choices) > 1),
            })
        return out

    def _total(self) -> tuple[int, str]:
        """What the chosen tickets cost, in minor units, and their currency."""
        total, currency = 0, ""
        for tt in self._types_raw:
            n = self.quantities.get(str(tt["id"]), 0)
            if n and tt["price"]:
                total += tt["price"] * n
                currency = currency or tt["currency"]
        return total, currency

    def _paid_chosen(self) -> bool:
        """Whether the chosen tickets cost money: then a payment method is asked."""
        return self._total()[0] > 0

    @rx.var
    def total_text(self) -> str:
        total, currency = self._total()
        return t("public.total", self.lang, amount=format_money(total, currency, self.lang)) if total else ""

    @rx.var
    def payment_options(self) -> list[dict[str, str]]:
        return [{"value": m, "label": t(f"payment.method.{m}", self.lang), "checked": "1" if m == self._payment_method else ""}
                for m in self._methods]

    @rx.event
    def choose_method(self, value: str):
        if value in self._methods:
            self._payment_method = value
            self.errors = {k: v for k, v in self.errors.items() if k != "payment_method"}

    @rx.var
    def hidden_unlocked(self) -> bool:
        return any(tt["hidden"] for tt in self._types_raw)

    @rx.var
    def slots(self) -> list[dict[str, str]]:
        """One block per chosen ticket, in the order the ticket types are listed."""
        names = {str(tt["id"]): tt["name"] for tt in self._types_raw}
        out = []
        for tt in self._types_raw:
            for _ in range(self.quantities.get(str(tt["id"]), 0)):
                n = len(out)
                out.append({"index": str(n), "type_id": str(tt["id"]),
                            "title": t("public.attendee_n", self.lang, n=n + 1, type=names[str(tt["id"])])})
        return out

    @rx.var
    def order_questions(self) -> list[dict]:
        return [q for q in self._questions_raw if q["scope"] == "order"]

    @rx.var
    def attendee_questions(self) -> list[dict]:
        return [q for q in self._questions_raw if q["scope"] == "attendee"]

    @rx.event
    def set_quantity(self, type_id: str, value: str):
        try:
            count = max(0, min(int(value), 100))
        except (TypeError, ValueError):
            count = 0
        self.quantities = {**self.quantities, type_id: count}
        self.errors = {k: v for k, v in self.errors.items() if k != "tickets"}

    @rx.event
    def buyer_typed(self, part: str, value: str):
        """The buyer's name or email as typed: attendee 1 shows it too, unless its own field was changed."""
        if part in ("name", "email") and isinstance(value, str) and part not in self.first_own:
            self.first_attendee = {**self.first_attendee, part: value.strip()[:254]}

    @rx.event
    def first_typed(self, index: str, part: str, value: str):
        """Attendee 1's own field was left: once it differs from the buyer's, it is the visitor's and stays."""
        if index == "0" and part in ("name", "email") and isinstance(value, str) and part not in self.first_own \
                and value.strip() != self.first_attendee.get(part, ""):
            self.first_own = [*self.first_own, part]

    @rx.var
    def attendee_blocks(self) -> bool:
        """Whether each ticket gets its own block (name, email, questions): with one ticket and no questions for
        each attendee, the buyer's details are the attendee's."""
        return len(self.slots) > 1 or any(q["scope"] == "attendee" for q in self._questions_raw)

    @rx.event
    async def register(self, form: dict):
        if self.busy:
            return
        self.busy = True
        yield
        user_id = self._load_user() or None
        attendee_qs = [q for q in self._questions_raw if q["scope"] == "attendee"]
        order_qs = [q for q in self._questions_raw if q["scope"] == "order"]
        tickets = [
            TicketRequest(
                ticket_type_id=slot["type_id"],
                attendee_name=form.get(f"att.{slot['index']}.name", ""),
                attendee_email=form.get(f"att.{slot['index']}.email", ""),
                answers=_answers_from_form(form, f"att.{slot['index']}.", attendee_qs),
            )
            for slot in self.slots
        ]
        if len(tickets) == 1 and not self.attendee_blocks:  # no block shown: the one ticket is the buyer's
            tickets[0].attendee_name, tickets[0].attendee_email = form.get("name", ""), form.get("email", "")
        try:
            result = await asyncio.wrap_future(registration_queue.submit(
                get_engine(),
                org_slug=self.org_slug,
                event_slug=self.event_slug,
                buyer_name=form.get("name", ""),
                buyer_email=form.get("email", ""),
                tickets=tickets,
                answers=_answers_from_form(form, "", order_qs),
                unlock_code=self.unlock_code,
                user_id=user_id,
                idempotency_key=f"web-{self.form_key}",
                locale=self.lang,
                payment_method=(str(form.get("payment_method") or self._payment_method)[:20] or None)
                if self._paid_chosen() else None,
            ))
        except DomainError as exc:
            self.errors = {form_field_name(k): v for k, v in self._errors_text(exc).items()}
            self.busy = False
            yield  # the visitor sees the refusal; then it is counted
            await asyncio.to_thread(self._count, "submitted")
            if exc.code == "sold_out":
                self._refresh_counts()
            elif exc.code == "validation_error":
                self._refresh_questions()  # the organizer may have changed the questions meanwhile
            return
        except Exception:  # the database did not answer: say so and let the visitor try again
            log.exception("registration failed")
            self.errors = {"form": self.t("error.unavailable")}
            self.busy = False
            return
        order = result.order
        target = f"/order/{order.access_token}"
        if order.status == OrderStatus.PENDING and order.total_minor > 0:
            target = await asyncio.to_thread(start_payment, order.access_token)
        self.errors = {}
        self.busy = False
        yield rx.redirect(target)
        await asyncio.to_thread(self._count, "submitted")  # after the answer: counting never delays it
        if result.order.status == OrderStatus.CONFIRMED:
            await asyncio.to_thread(self._count, "confirmed")

    def _refresh_questions(self) -> None:
        try:
            with session_scope() as session:
                _org, event, _types = get_public_event(session, self.org_slug, self.event_slug)
                asked = questions.active_questions(session, event.id)
        except NotFound:
            return
        self._set_questions(asked)

    def _set_questions(self, asked) -> None:
        self._questions_raw = [
            {"id": str(q.id), "label": q.label, "kind": q.kind, "options": list(q.options), "required": q.required,
             "scope": q.scope, "help": q.help_text}
            for q in asked
        ]

    def _refresh_counts(self) -> None:
        """After a refusal, show what is left; the visitor's typed input and form key stay."""
        try:
            with session_scope() as session:
                _org, event, types = get_public_event(session, self.org_slug, self.event_slug, include_hidden=True)
                self._methods = list(payment_settings.offered(session, event))
        except NotFound:
            return
        self._set_types(event, types)
        left = {str(tt["id"]): tt["left"] for tt in self._types_raw}
        self.quantities = {k: v for k, v in self.quantities.items() if left.get(k, 0) >= v}


def start_payment(access_token: str, method: str | None = None) -> str:
    """Start paying a pending order: the provider's page to send the browser to, or the order's own page (a bank
    transfer shows its instructions there; a provider that does not answer is said there, `?unavailable=1`)."""
    page = f"/order/{access_token}"
    try:
        with session_scope() as session:
            checkout = payments.start(session, access_token, method, config.public_base_url())
    except PaymentUnavailable:
        return page + "?unavailable=1"
    except DomainError:
        return page  # expired meanwhile, or nothing to pay: the order page says what it is
    return checkout.redirect_url or page


def hold_end_text(expires: datetime | None, zone: str, lang: str, now: datetime | None = None) -> str:
    """When a pending order's hold ends: its time of day when within a day, else date and time (the event's zone)."""
    if expires is None:
        return ""
    now = now or clock.utcnow()
    if expires - now < timedelta(hours=20):
        return format_time(local_time(expires, zone), "short", locale=lang)
    return format_datetime(expires, zone, lang)


def qr_data_uri(text: str) -> str:
    """A ticket's QR text (signing.qr_payloads: its signed payload) as a QR image (SVG) to show at the door."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


POLL_SECONDS = 3  # how often an order page awaiting payment asks again
WATCH_FOR = 2 * 3600  # and for how long at most (the page can be reloaded)


class OrderState(AppState):
    found: bool = True
    loaded: bool = False
    title: str = ""
    org_name: str = ""
    event_path: str = ""
    buyer_email: str = ""
    venue: str = ""
    status: str = ""
    # What the page shows: pending (awaiting payment), expired (a hold that ran out, even before the expiry job
    # came by), confirmed, cancelled.
    _phase: str = ""
    _event_raw: dict[str, str] = {}
    tickets: list[dict[str, str]] = []
    confirming: str = ""  # "order", a ticket id, or "" while no cancellation is being asked
    error: str = ""
    editing: str = ""  # the id of the ticket whose name is being corrected
    name_errors: dict[str, str] = {}
    ics_url: str = ""
    google_url: str = ""
    _token: str = ""
    # Payments: the order's price and how it is paid; a bank transfer's reference and the organization's
    # instructions; what was paid and given back; the event's refund policy for the attendee's own cancel.
    _paid_order: bool = False
    _method: str = ""
    _reference: str = ""
    _instructions: str = ""
    _unavailable: bool = False  # the provider did not answer when asked to start the payment
    paying: bool = False
    _watching: bool = False
    _notice: str = ""
    _total: int = 0
    _currency: str = ""
    _expires: str = ""
    _money: dict[str, int] = {}
    _refund_percent: int = -1  # -1: the attendee cannot cancel a paid order here now
    _refund_until: str = ""
    _refund_each: dict[str, int] = {}  # what the attendee's own cancel gives back, per valid ticket
    _refund_all: int = 0

    @rx.event
    def on_load(self):
        self.found, self.tickets, self.loaded, self.confirming, self.error = True, [], True, "", ""
        self.editing, self.name_errors, self._notice, self.paying = "", {}, "", False
        self._load_user()
        self._token = self.router.page.params.get("token", "")
        query = self.router.url.query_parameters
        self._unavailable = bool(query.get("unavailable"))
        self._load()
        if query.get("paid") and self.found and self.status == OrderStatus.PENDING:
            return OrderState.check_now  # back from the provider's page: ask it at once, not at the next tick

    def _load(self):
        try:
            with session_scope() as session:
                view = registration.get_order_by_token(session, self._token)
                payloads = signing.qr_payloads(session, view.event, [ticket for ticket, _ in view.tickets])
                self._show(view, payloads)  # inside the session: signing may have reloaded what it read
                self._show_payment(session, view)
        except NotFound:
            self.found = False

    def _show(self, view, payloads: dict[int, str]):
        self.title, self.org_name = view.event.title, view.organization.name
        self.event_path = f"/e/{view.organization.slug}/{view.event.slug}"
        self.buyer_email, self.status = view.order.buyer_email, view.order.status
        self.venue = view.event.venue or view.event.online_url
        self._event_raw = event_times(view.event)
        self.tickets = [
            {"id": str(ticket.id), "code": ticket.code, "name": ticket.attendee_name, "type": type_name,
             "status": ticket.status, "qr": qr_data_uri(payloads[ticket.id]) if payloads[ticket.id] else "",
             "editable": "1" if orders.attendee_can_rename(view.event, ticket.status) else ""}
            for ticket, type_name in view.tickets
        ]
        page_url = calendar.event_page_url(view.organization, view.event)
        self.ics_url = f"/api/v1/public/orders/{self._token}/calendar.ics"
        self.google_url = calendar.google_calendar_url(view.event, page_url, view.organization.name)

    def _show_payment(self, session, view):
        order, event = view.order, view.event
        # The page speaks the order's language to a visitor who has not chosen one (the buyer, from a link).
        wanted = (order.locale, self.router.url.path) if order.locale else ("", "")
        if (self.page_locale, self.page_locale_path) != wanted:
            self.page_locale, self.page_locale_path = wanted
        expires = clock.as_utc(order.expires_at)
        self._phase = order.status
        if order.status == OrderStatus.PENDING and expires is not None and expires <= clock.utcnow():
            self._phase = OrderStatus.EXPIRED  # its places go back with the next expiry run; it cannot be paid
        self._paid_order, self._method = order.total_minor > 0, order.payment_method or ""
        self._total, self._currency = order.total_minor, order.currency
        self._expires = expires.isoformat() if expires else ""
        money = payments.order_money(session, order.id)
        self._money = {"paid": money.paid_minor, "refunded": money.refunded_minor, "refunding": money.refunding_minor}
        # A transfer's reference once it was started (its instructions email sent): a first attempt only written by
        # the registration shows "Pay now", which starts it.
        bank = [p for p in payments.order_payments(session, order.id)
                if p.provider == providers.BANK and p.status in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)]
        self._reference = bank[-1].reference if bank else ""
        self._instructions = (payment_settings.bank_instructions(session, order.organization_id)
                             if self._method == providers.BANK and order.status == OrderStatus.PENDING else "")
        percent = refunds.attendee_refund_terms(event) if self._paid_order else None
        self._refund_percent = -1 if percent is None else percent
        self._refund_until = event.refund_until.isoformat() if percent is not None and event.refund_until else ""
        quote = refunds.attendee_quote(session, order.id, percent) if percent is not None else None
        self._refund_each = {str(k): v for k, v in quote.per_ticket.items()} if quote else {}
        self._refund_all = quote.whole if quote else 0

    @rx.var
    def when(self) -> str:
        return when_text(self._event_raw, self.lang)

    @rx.var
    def lead(self) -> str:
        return t("confirmation.lead", self.lang, email=self.buyer_email)

    @rx.var
    def valid_count(self) -> int:
        return sum(1 for ticket in self.tickets if ticket["status"] == "valid")

    def _hold_end(self) -> str:
        if not self._expires or not self._event_raw:
            return ""
        return hold_end_text(datetime.fromisoformat(self._expires), self._event_raw["tz"], self.lang)

    def _format(self, amount: int) -> str:
        return format_money(amount, self._currency or "EUR", self.lang)

    def _amount_text(self) -> str:
        return self._format(self._total) if self._total else ""

    def _hold_text(self) -> str:
        end = self._hold_end()
        return t("order.held_until", self.lang, until=end) if end else ""

    def _unavailable_text(self) -> str:
        return t("order.payment_unavailable", self.lang, until=self._hold_end()) if self._unavailable else ""

    def _money_lines(self) -> str:
        """What the order paid and got back (or is getting back), for a confirmed or cancelled paid order."""
        keys = (("paid", "order.paid_amount"), ("refunded", "order.refunded_amount"),
                ("refunding", "order.refunding_amount"))
        return "\n".join(t(key, self.lang, amount=self._format(self._money[name])) for name, key in keys
                         if self._money.get(name))

    def _can_refund(self) -> bool:
        """A paid order's own cancel: only while the event's refund policy allows it."""
        return self._paid_order and self._refund_percent >= 0


    def _refund_terms_text(self) -> str:
        if not self._can_refund() or not self._refund_until or not self._event_raw:
            return ""
        until = format_datetime(datetime.fromisoformat(self._refund_until), self._event_raw["tz"], self.lang)
        return t("order.refund_terms", self.lang, until=until, percent=self._refund_percent)

    def _cancel_paid_label(self) -> str:
        if not self._can_refund():
            return ""
        return t("order.cancel_paid", self.lang, amount=self._format(self._refund_all))

    @rx.var
    def texts(self) -> dict[str, str]:
        """What the page shows of the order's payment, in one var (the page's starting state stays small): its
        phase, method, a bank transfer's reference and details, the texts, and each valid ticket's refund label
        (`t<ticket id>`)."""
        if not self._phase:
            return {}
        out = {"phase": self._phase, "paid": "1" if self._paid_order else "", "method": self._method,
               "reference": self._reference, "instructions": self._instructions, "notice": self._notice,
               "amount": self._amount_text(), "hold": self._hold_text(), "unavailable": self._unavailable_text(),
               "terms": self._refund_terms_text(), "cancel": self._cancel_paid_label(),
               "confirm": self._confirm_refund_text(), "money": self._money_lines()}
        if self._can_refund():
            out.update({"t" + ticket["id"]: t("order.cancel_paid_ticket", self.lang,
                                              amount=self._format(self._refund_each.get(ticket["id"], 0)))
                        for ticket in self.tickets if ticket["status"] == "valid"})
        return out

    def _confirm_refund_text(self) -> str:
        if not self._paid_order or not self.confirming:
            return ""
        amount = self._refund_all if self.confirming == "order" else self._refund_each.get(self.confirming, 0)
        return t("order.cancel_paid_question", self.lang, amount=self._format(amount))

    # --- paying ----------------------------------------------------------------------------------------------

    def _ask_provider(self) -> None:
        """The order's open payments fetched from their provider and settled (never what the browser says)."""
        try:
            with session_scope() as session:
                payments.refresh(session, self._token)
        except DomainError:
            pass
        except Exception:  # the page keeps showing what it has; the next tick asks again
            log.exception("refreshing an order's payment failed")

    @rx.event
    async def check_now(self):
        await asyncio.to_thread(self._ask_provider)
        self._load()

    @rx.event
    def stop_watching(self):
        self._watching = False

    @rx.event(background=True)
    async def watch(self):
        """While an order awaiting payment is open: its payment asked for again every POLL_SECONDS, so the page
        turns to the tickets by itself once the money has come (or to the expired message)."""
        async with self:
            if self._watching:
                return  # one loop per open page
            self._watching = True
            token = self._token
        started = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - started < WATCH_FOR:
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                if not self._watching or self._token != token or self._phase != OrderStatus.PENDING:
                    self._watching = False
                    return
            await asyncio.to_thread(self._ask_provider)
            async with self:
                if self._token != token:
                    return
                self._load()
        async with self:
            self._watching = False

    @rx.event
    async def pay(self):
        """Pay now: a new (or the still open) payment with the order's method; the provider's page opens."""
        if self.paying:
            return
        self.paying, self.error = True, ""
        yield
        target = await asyncio.to_thread(start_payment, self._token)
        self.paying = False
        if target.startswith("/order/"):
            self._unavailable = target.endswith("?unavailable=1")
            self._load()
            return
        yield rx.redirect(target)

    # --- cancelling ------------------------------------------------------------------------------------------

    @rx.event
    def ask_cancel(self, what: str):
        self.confirming, self.error, self._notice = what, "", ""

    @rx.event
    def keep(self):
        self.confirming = ""

    @rx.event
    def cancel(self):
        what, self.confirming = self.confirming, ""
        try:
            ticket_id = None if what == "order" else int(what)
            with session_scope() as session:
                if self._paid_order:  # as the event's refund policy allows, with its refund
                    result = refunds.attendee_cancel(session, self._token, ticket_id)
                    if result.amount_minor:
                        self._notice = t("order.cancelled_refund", self.lang,
                                                 amount=self._format(result.amount_minor))
                else:
                    orders.cancel_by_token(session, self._token, ticket_id)
        except (DomainError, ValueError) as exc:
            self.error = self.t(exc.message_key) if isinstance(exc, DomainError) else self.t("error.generic")
        self._load()

    @rx.event
    def edit_name(self, ticket_id: str):
        self.editing, self.name_errors, self.confirming, self.error = ticket_id, {}, "", ""

    @rx.event
    def stop_editing(self):
        self.editing, self.name_errors = "", {}

    @rx.event
    def save_name(self, form: dict):
        ticket_id = self.editing
        if not ticket_id.isdigit():
            return
        try:
            with session_scope() as session:
                orders.rename_ticket(session, ticket_id=int(ticket_id), attendee_name=form.get("attendee_name", ""),
                                     access_token=self._token)
        except DomainError as exc:
            errors = self._errors_text(exc)
            self.name_errors = {"attendee_name": next(iter(errors.values()))}
            if exc.code != "validation_error":
                self._load()  # the switch went off, the ticket was cancelled or the event began: show it
            return
        self.editing, self.name_errors = "", {}
        self._load()
