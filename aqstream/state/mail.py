"""Page state of the mail log: an organization's (/o/<org>/mail) and the whole platform's (/admin/mail).
Thin: who may see what, the filters, the rendering and "send again" are in services/reports/mail_log.py."""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, t, tn
from aqstream.services.errors import DomainError
from aqstream.services.org.permissions import VIEW_MAIL, Principal, is_platform_admin
from aqstream.services.reports import mail_log
from aqstream.state.organizer import OrgState

FILTERS = (mail_log.ALL, mail_log.WAITING, mail_log.SENT, mail_log.FAILED)


def status_text(status: str, lang: str) -> str:
    """A status in words; one this version does not know (a later "skipped") is shown as it is stored."""
    key = f"mail.status.{status}"
    text = t(key, lang)
    return status if text == key else text


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _when(iso: str, zone: str, lang: str) -> str:
    return format_datetime(datetime.fromisoformat(iso), zone, lang) if iso else ""


class MailLogState(OrgState):
    """One state for both pages: `platform` says which, and then the organization is None for the service."""

    platform: bool = False
    smtp_configured: bool = True
    status: str = mail_log.ALL
    page: int = 1
    pages: int = 1
    total: int = 0
    counts: dict[str, int] = {}
    _rows_raw: list[dict[str, str]] = []
    error: str = ""
    notice: str = ""
    preview_open: bool = False
    _preview_raw: dict[str, str] = {}
    preview_files: list[dict[str, str]] = []

    def _scope(self) -> int | None:
        return None if self.platform else self._org_id

    def _zone(self) -> str:
        return "UTC" if self.platform else (self.org_time_zone or "UTC")

    def _path(self) -> str:
        base = "/admin/mail" if self.platform else f"/o/{self.org_slug}/mail"
        params = {k: v for k, v in (("status", self.status if self.status != mail_log.ALL else ""),
                                    ("page", str(self.page) if self.page > 1 else "")) if v}
        return base + (f"?{urlencode(params)}" if params else "")

    def _allowed(self) -> bool:
        """Whether the signed-in person may see this log (checked again by the service on every call)."""
        if self.platform:
            with session_scope() as session:
                self.found = is_platform_admin(session, Principal(self._user_id))
            return self.found
        return self._open_org(VIEW_MAIL)

    def _load(self) -> None:
        try:
            with session_scope() as session:
                found = mail_log.list_messages(session, Principal(self._user_id), self._scope(), status=self.status,
                                               page=self.page, lang=self.lang)
                if found.page > found.pages:  # the last page emptied (a message was sent again): show the new last
                    found = mail_log.list_messages(session, Principal(self._user_id), self._scope(),
                                                   status=self.status, page=found.pages, lang=self.lang)
        except DomainError as exc:
            self.found = False if exc.code in ("not_found", "forbidden") else self.found
            self.error = self.t(exc.message_key)
            self._rows_raw = []
            return
        self.page, self.pages, self.total = found.page, found.pages, found.total
        c = found.counts
        self.counts = {"all": c.all, "waiting": c.waiting, "sent": c.sent, "failed": c.failed}
        self._rows_raw = [
            {"id": str(r.id), "created": _iso(r.created_at), "org": r.organization_name, "org_slug": r.organization_slug,
             "recipient": r.recipient, "kind": r.kind_label, "subject": r.subject, "render_error": r.render_error,
             "status": r.status, "attempts": str(r.attempts), "last_error": r.last_error, "sent": _iso(r.sent_at),
             "next": _iso(r.next_attempt_at)}
            for r in found.rows
        ]

    def _start(self, platform: bool):
        self.platform = platform
        self._rows_raw, self.counts, self.error, self.notice = [], {}, "", ""
        self.preview_open, self._preview_raw, self.preview_files = False, {}, []
        query = self.router.url.query_parameters
        wanted = (query.get("status") or mail_log.ALL).lower()
        self.status = wanted if wanted in FILTERS else mail_log.ALL
        try:
            self.page = max(1, min(int(query.get("page") or 1), 100_000))
        except ValueError:
            self.page = 1
        if redirect := self._require_user():
            return redirect
        self.smtp_configured = mail_log.smtp_configured()
        self.loaded = True
        if self._allowed():
            self._load()

    @rx.event
    def on_load(self):
        return self._start(False)

    @rx.event
    def on_load_platform(self):
        self.org_slug, self.org_name, self._org_id = "", "", 0
        return self._start(True)

    def _again(self) -> bool:
        """Before acting: still signed in and still allowed (a role may have changed since the page loaded)."""
        return bool(self._load_user()) and self._allowed()

    def _replace_url(self):
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(self._path())})")

    @rx.event
    def show(self, status: str):
        if status not in FILTERS or not self._again():
            return
        self.status, self.page, self.notice, self.error = status, 1, "", ""
        self._load()
        return self._replace_url()

    @rx.event
    def go_page(self, delta: int):
        if not self._again():
            return
        self.page = min(max(1, self.page + delta), self.pages)
        self._load()
        return [self._replace_url(), rx.call_script("document.getElementById('mail-list')?.scrollIntoView()")]

    @rx.event
    def send_again(self, message_id: str):
        self.notice, self.error = "", ""
        if not message_id.isdigit() or not self._again():
            return
        try:
            with session_scope() as session:
                row = mail_log.send_again(session, Principal(self._user_id), self._scope(), int(message_id),
                                          lang=self.lang)
        except DomainError as exc:
            self.error = self.t(exc.message_key)
        else:
            self.notice = self.t("mail.sent_again", recipient=row.recipient)
        self._load()

    @rx.event
    def view(self, message_id: str):
        if not message_id.isdigit() or not self._again():
            return
        try:
            with session_scope() as session:
                shown = mail_log.preview(session, Principal(self._user_id), self._scope(), int(message_id),
                                         lang=self.lang)
        except DomainError as exc:
            self.error = self.t(exc.message_key)
            return
        r = shown.row
        self._preview_raw = {
            "id": str(r.id), "subject": shown.subject, "recipients": ", ".join(shown.recipients), "kind": r.kind_label,
            "status": r.status, "created": _iso(r.created_at), "org": r.organization_name, "text": shown.text,
            "html": shown.html_for_display, "error": shown.error,
        }
        self.preview_files = [{"name": p.name, "type": p.content_type, "size": str(p.size)} for p in shown.attachments]
        self.preview_open = True

    @rx.event
    def close_preview(self):
        self.preview_open, self._preview_raw, self.preview_files = False, {}, []

    @rx.event
    def preview_open_change(self, is_open: bool):
        if not is_open:
            self.preview_open, self._preview_raw, self.preview_files = False, {}, []

    # What the page shows ----------------------------------------------------------------------------------

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        lang, zone = self.lang, self._zone()
        out = []
        for r in self._rows_raw:
            attempts = int(r["attempts"] or 0)
            details = []
            if r["status"] == "sent" and r["sent"]:
                details.append(t("mail.sent_at", lang, when=_when(r["sent"], zone, lang)))
            elif r["next"] and attempts and self.smtp_configured:  # a retry is due (nothing is sent without SMTP)
                details.append(t("mail.next_attempt", lang, when=_when(r["next"], zone, lang)))
            if attempts:
                details.append(tn("mail.attempts", attempts, lang))
            out.append({
                **r,
                "when": _when(r["created"], zone, lang),
                "status_text": status_text(r["status"], lang),
                "failed": "1" if r["status"] == "failed" else "",
                # Why it was not sent: the error of a failed one, the reason a skipped one lost its point.
                "reason": r["last_error"] if r["status"] in ("failed", "skipped") else "",
                "reason_label": t("mail.skipped_reason" if r["status"] == "skipped" else "mail.last_error", lang),
                "subject_text": r["subject"] or t("mail.no_subject", lang),
                "details": " · ".join(details),
                "org_text": r["org"] or t("mail.platform_mail", lang),
                "view_label": t("mail.view_label", lang, subject=r["subject"] or r["kind"], recipient=r["recipient"]),
                "again_label": t("mail.send_again_label", lang, recipient=r["recipient"]),
            })
        return out

    @rx.var
    def filter_buttons(self) -> list[dict[str, str]]:
        lang = self.lang
        return [{"value": f, "text": t(f"mail.filter.{f}", lang),
                 "count": format_number(self.counts.get(f, 0), lang), "current": "1" if f == self.status else ""}
                for f in FILTERS]

    @rx.var
    def page_text(self) -> str:
        return t("mail.page_of", self.lang, page=self.page, pages=self.pages,
                 total=tn("mail.messages_count", self.total, self.lang))

    @rx.var
    def empty_text(self) -> str:
        return t("mail.empty" if self.status == mail_log.ALL else "mail.empty_filtered", self.lang)

    @rx.var
    def preview(self) -> dict[str, str]:
        p = self._preview_raw
        if not p:
            return {}
        return {**p, "when": _when(p["created"], self._zone(), self.lang), "status_text": status_text(p["status"], self.lang)}

    @rx.var
    def preview_attachments(self) -> list[dict[str, str]]:
        lang = self.lang
        return [{**f, "size_text": t("mail.size_kb", lang, size=format_number(max(1, round(int(f["size"]) / 1024)), lang))}
                for f in self.preview_files]
