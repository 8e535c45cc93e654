"""Platform admins' changes from their pages: an organization suspended with a reason, reactivated, its limits
(the controls on /admin/organizations/<slug>), and the platform admins granted and revoked (/admin/admins).
Thin: the rules are in services/platform/."""
from __future__ import annotations

from datetime import datetime

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.org.permissions import SUSPENDED, Principal, is_platform_admin
from aqstream.services.platform import admins, tenants
from aqstream.state.base import AppState


class TenantActionsState(AppState):
    """The suspend / reactivate / limits controls of one organization's admin page."""

    tenant_found: bool = False
    tenant_slug: str = ""
    tenant_name: str = ""
    tenant_suspended: bool = False
    tenant_reason: str = ""
    limit_events: str = ""
    limit_tickets: str = ""
    action_errors: dict[str, str] = {}
    action_notice: str = ""
    _suspended_at: str = ""

    def _read(self) -> bool:
        slug = self.router.page.params.get("slug", "")
        try:
            with session_scope() as session:
                org = tenants.by_slug(session, Principal(self._user_id), slug)
        except NotFound:
            self.tenant_found = False
            return False
        self.tenant_found, self.tenant_slug, self.tenant_name = True, org.slug, org.name
        self.tenant_suspended, self.tenant_reason = org.status == SUSPENDED, org.suspension_reason
        self._suspended_at = org.suspended_at.isoformat() if org.suspended_at else ""
        self.limit_events = "" if org.max_published_events is None else str(org.max_published_events)
        self.limit_tickets = "" if org.max_tickets_per_event is None else str(org.max_tickets_per_event)
        return True

    @rx.event
    def on_load(self):
        self.action_errors, self.action_notice = {}, ""
        if not self._load_user():
            self.tenant_found = False
            return
        self._read()

    def _do(self, action, notice_key: str):
        """Run the change; then the page's facts (status, limits, audit) are read again."""
        if not self._load_user():
            return None
        try:
            with session_scope() as session:
                org = tenants.by_slug(session, Principal(self._user_id), self.tenant_slug)
                action(session, Principal(self._user_id), org.id)
        except DomainError as exc:
            self.action_errors = self._errors_text(exc)
            self.action_notice = ""
            return None
        self.action_errors, self.action_notice = {}, self.t(notice_key)
        self._read()
        from aqstream.state.admin import AdminOrgState

        return AdminOrgState.on_load

    @rx.event
    def suspend(self, form: dict):
        return self._do(lambda s, p, org_id: tenants.suspend(s, p, org_id, str(form.get("reason", ""))[:2000]),
                 "admin.suspended_notice")

    @rx.event
    def reactivate(self):
        return self._do(tenants.reactivate, "admin.reactivated_notice")

    @rx.event
    def save_limits(self, form: dict):
        return self._do(lambda s, p, org_id: tenants.set_limits(
            s, p, org_id, max_published_events=str(form.get("max_published_events", ""))[:12],
            max_tickets_per_event=str(form.get("max_tickets_per_event", ""))[:12]), "admin.limits_notice")

    @rx.event
    def delete(self, form: dict):
        """Delete the (suspended) organization once its slug is typed; then back to the list."""
        from aqstream.services.platform import export

        if not self._load_user():
            return None
        try:
            with session_scope() as session:
                org = tenants.by_slug(session, Principal(self._user_id), self.tenant_slug)
                export.delete_organization(session, Principal(self._user_id), org.id,
                                           str(form.get("confirm_slug", ""))[:100])
        except DomainError as exc:
            self.action_errors, self.action_notice = self._errors_text(exc), ""
            return None
        self.action_errors, self.tenant_found = {}, False
        return rx.redirect("/admin/organizations")

    @rx.var
    def suspended_since(self) -> str:
        return format_datetime(datetime.fromisoformat(self._suspended_at), "UTC", self.lang) if self._suspended_at else ""


class AdminsState(AppState):
    """/admin/admins: who runs the platform; grant by email, revoke (never the last)."""

    loaded: bool = False
    found: bool = False
    rows: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    notice: str = ""

    def _list(self) -> None:
        with session_scope() as session:
            self.rows = [{"email": a.email, "name": a.name, "me": "1" if a.user_id == self._user_id else ""}
                         for a in admins.list_admins(session, Principal(self._user_id))]

    def _allowed(self) -> bool:
        if not self._load_user():
            return False
        with session_scope() as session:
            return is_platform_admin(session, Principal(self._user_id))

    @rx.event
    def on_load(self):
        self.errors, self.notice, self.rows = {}, "", []
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self.found = self._allowed()
        if self.found:
            self._list()

    def _change(self, change, email: str, notice_key: str) -> None:
        if not self._allowed():
            self.found = False
            return
        try:
            with session_scope() as session:
                user = change(session, Principal(self._user_id), email)
        except DomainError as exc:
            self.errors, self.notice = self._errors_text(exc), ""
            if "form" in self.errors:
                self.errors = {"email": self.errors["form"]}
            return
        self.errors, self.notice = {}, self.t(notice_key, email=user.email)
        self._list()

    @rx.event
    def grant(self, form: dict):
        self._change(admins.grant, str(form.get("email", ""))[:254], "admin.admins.granted")

    @rx.event
    def revoke(self, email: str):
        self._change(admins.revoke, str(email)[:254], "admin.admins.revoked")
