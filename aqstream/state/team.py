"""Page states of the team, the organization's settings, the audit log and the invitation link.
Thin: every rule is in services/org/team.py, services/org/organizations.py and services/reports/audit.py."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import format_datetime, t
from aqstream.services.accounts import accounts
from aqstream.services.errors import DomainError, ValidationError
from aqstream.services.events import media
from aqstream.services.org import organizations, team
from aqstream.services.org.permissions import MANAGE_SETTINGS, MANAGE_TEAM, OWNER, ROLES, VIEW_AUDIT, Principal
from aqstream.services.reports import audit
from aqstream.state.base import AppState
from aqstream.state.organizer import OrgState

AUDIT_PER_PAGE = 50
# The audit log's action filter: what each choice keeps (actions starting with it).
AUDIT_ACTIONS = ("team.", "organization.", "event.", "ticket_type.", "question.", "order.", "ticket.")


def role_text(role: str, lang: str) -> str:
    return t(f"team.role.{role}", lang) if role in ROLES else role


class TeamState(OrgState):
    _members_raw: list[dict[str, str]] = []
    _invitations_raw: list[dict[str, str]] = []
    invite_errors: dict[str, str] = {}
    error: str = ""
    notice: str = ""
    invite_link: str = ""  # the newest invitation's link, shown once (only its hash is stored)
    confirming: str = ""  # the user id whose removal waits for a yes
    form_version: int = 0

    def _load(self) -> None:
        if not self._open_org(MANAGE_TEAM):
            return
        principal = Principal(self._user_id)
        with session_scope() as session:
            members = team.list_members(session, principal, self._org_id)
            invitations = team.list_invitations(session, principal, self._org_id)
        self._members_raw = [
            {"user_id": str(m.user_id), "name": m.name, "email": m.email, "role": m.role,
             "joined": m.joined_at.isoformat()}
            for m in members
        ]
        self._invitations_raw = [
            {"id": str(i.id), "email": i.email, "role": i.role, "invited_by": i.invited_by,
             "expires": i.expires_at.isoformat()}
            for i in invitations
        ]

    @rx.event
    def on_load(self):
        self._members_raw, self._invitations_raw, self.invite_errors = [], [], {}
        self.error, self.notice, self.invite_link, self.confirming = "", "", "", ""
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    @rx.var
    def role_options(self) -> list[dict[str, str]]:
        """The roles this person may give: an admin cannot make an owner."""
        return [{"value": r, "text": role_text(r, self.lang)} for r in team.role_choices(self.role)]

    @rx.var
    def members(self) -> list[dict[str, str]]:
        lang, me = self.lang, str(self._user_id)
        rows = []
        for m in self._members_raw:
            # An admin sees owners but cannot change or remove them; anyone may leave.
            editable = self.role == OWNER or m["role"] != OWNER
            rows.append({
                **m,
                "role_text": role_text(m["role"], lang),
                "joined": format_datetime(datetime.fromisoformat(m["joined"]), self.org_time_zone, lang),
                "me": "1" if m["user_id"] == me else "",
                "can_edit": "1" if editable else "",
                "remove_text": t("team.leave", lang) if m["user_id"] == me else t("team.remove", lang),
            })
        return rows

    @rx.var
    def invitations(self) -> list[dict[str, str]]:
        lang = self.lang
        return [
            {**i, "role_text": role_text(i["role"], lang),
             "expires": format_datetime(datetime.fromisoformat(i["expires"]), self.org_time_zone, lang),
             "can_revoke": "1" if self.role == OWNER or i["role"] != OWNER else ""}
            for i in self._invitations_raw
        ]

    @rx.var
    def confirm_text(self) -> str:
        if self.confirming == str(self._user_id):
            return t("team.leave_question", self.lang, org=self.org_name)
        name = next((m["name"] for m in self._members_raw if m["user_id"] == self.confirming), "")
        return t("team.remove_question", self.lang, name=name)

    @rx.var
    def confirm_button(self) -> str:
        return t("team.leave_confirm" if self.confirming == str(self._user_id) else "team.remove_confirm", self.lang)

    def _act(self, action) -> bool:
        """Run a team change through the services; a refusal becomes a message on the page."""
        if exc := self._run(action, MANAGE_TEAM):
            self.error = self.t(exc.message_key, **exc.params)
            self._load()  # a refused role change shows the member's real role again
            return False
        self.error = ""
        self._load()
        return True

    @rx.event
    def change_role(self, user_id: str, role: str):
        self.notice = ""
        if user_id.isdigit() and self._act(lambda s, p: team.change_role(s, p, self._org_id, int(user_id), role)):
            if not self.found:  # they gave themselves a role without the team page
                return rx.redirect(f"/o/{self.org_slug}")
            self.notice = self.t("team.role_changed")

    @rx.event
    def ask_remove(self, user_id: str):
        self.confirming, self.notice, self.error = user_id, "", ""

    @rx.event
    def keep(self):
        self.confirming = ""

    @rx.event
    def remove_confirmed(self):
        user_id, self.confirming = self.confirming, ""
        if not user_id.isdigit():
            return
        leaving = int(user_id) == self._user_id
        if self._act(lambda s, p: team.remove_member(s, p, self._org_id, int(user_id))):
            if leaving:
                return rx.redirect("/")
            self.notice = self.t("team.removed")

    @rx.event
    def invite(self, form: dict):
        self.notice, self.error, self.invite_link = "", "", ""
        if not self._load_user() or not self._open_org(MANAGE_TEAM):
            self.error = self.t("error.forbidden")
            return
        try:
            with session_scope() as session:
                issued = team.invite(session, Principal(self._user_id), self._org_id,
                                     email=form.get("invite_email", ""), role=form.get("invite_role", ""))
        except DomainError as exc:
            self.invite_errors = {f"invite_{name}": text for name, text in self._errors_text(exc).items()}
            return
        self.invite_errors = {}
        self.invite_link = issued.accept_url
        self.notice = self.t("team.invited", email=issued.invitation.email)
        self.form_version += 1
        self._load()

    @rx.event
    def revoke(self, invitation_id: str):
        self.notice, self.invite_link = "", ""
        if invitation_id.isdigit() and self._act(
            lambda s, p: team.revoke_invitation(s, p, self._org_id, int(invitation_id))
        ):
            self.notice = self.t("team.revoked")


class SettingsState(OrgState):
    values: dict[str, str] = {}
    logo_url: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    form_version: int = 0  # bumped after loading, so the form shows the saved values

    def _load(self) -> None:
        if not self._open_org(MANAGE_SETTINGS):
            return
        with session_scope() as session:
            org = organizations.get_settings(session, Principal(self._user_id), self._org_id)
        self.values = {"name": org.name, "slug": org.slug, "default_locale": org.default_locale,
                       "currency": org.currency, "time_zone": org.time_zone, "contact_email": org.contact_email}
        self.logo_url = media.url(org.logo_path)
        self.form_version += 1

    @rx.event
    def on_load(self):
        self.errors, self.notice, self.busy, self.values, self.logo_url = {}, "", False, {}, ""
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    @rx.var
    def public_prefix(self) -> str:
        return f"{config.public_base_url()}/e/"

    def _save(self, **changes) -> bool:
        if not self._load_user() or not self._open_org(MANAGE_SETTINGS):
            self.errors = {"form": self.t("error.forbidden")}
            return False
        try:
            with session_scope() as session:
                org = organizations.update_settings(session, Principal(self._user_id), self._org_id,
                                                    **{**self.values, **changes})
                slug = org.slug
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            return False
        self.errors = {}
        self._load()
        self.org_slug = slug
        return True

    @rx.event
    def save(self, form: dict):
        self.notice = ""
        self.busy = True
        fields = ("name", "slug", "default_locale", "currency", "time_zone", "contact_email")
        old_slug = self.values.get("slug", "")
        saved = self._save(**{name: form.get(name, "") for name in fields})
        self.busy = False
        if saved:
            self.notice = self.t("org.settings.saved")
            if self.org_slug != old_slug:
                return rx.redirect(f"/o/{self.org_slug}/settings")

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        self.notice = ""
        if not files:
            self.errors = {"logo": self.t("media.empty")}
            return
        # Read one byte more than allowed: the service then says "too large" without reading a huge file.
        data = await files[0].read(config.max_upload_bytes() + 1)
        if self._save(logo=data):
            self.notice = self.t("org.settings.logo_saved")
            return rx.clear_selected_files("logo")

    @rx.event
    def logo_rejected(self, rejected: list[dict]):
        self.errors = {"logo": self.t("media.not_an_image")}

    @rx.event
    def remove_logo(self):
        self.notice = ""
        if self._save(remove_logo=True):
            self.notice = self.t("org.settings.logo_removed")


class AuditState(OrgState):
    _entries_raw: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    filters: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_version: int = 0  # bumped when the filters are cleared, so the form is rebuilt empty

    def _range(self) -> tuple[datetime | None, datetime | None]:
        """The chosen days, from the first one's midnight to the end of the last, in the organization's zone."""
        zone = ZoneInfo(self.org_time_zone or "UTC")
        bounds: list[datetime | None] = []
        bad: dict[str, str] = {}
        for name, extra in (("date_from", 0), ("date_to", 1)):
            text = (self.filters.get(name) or "").strip()
            day = None
            if text:
                try:
                    day = date.fromisoformat(text) + timedelta(days=extra)
                except (ValueError, OverflowError):
                    bad[name] = "audit.date_invalid"
            bounds.append(datetime.combine(day, time.min, tzinfo=zone) if day else None)
        if bad:
            raise ValidationError(bad)
        return bounds[0], bounds[1]

    def _load(self) -> None:
        if not self._open_org(VIEW_AUDIT):
            return
        try:
            since, until = self._range()
            with session_scope() as session:
                result = audit.list_entries(
                    session, Principal(self._user_id), self._org_id, action_prefix=self.filters.get("action"),
                    actor=self.filters.get("actor"), since=since, until=until, page=self.page,
                    per_page=AUDIT_PER_PAGE,
                )
        except DomainError as exc:
            errors = self._errors_text(exc)
            if "until" in errors:
                errors["date_to"] = errors.pop("until")
            self.errors, self._entries_raw, self.total, self.pages = errors, [], 0, 1
            return
        self.errors = {}
        self.total, self.pages = result.total, result.pages
        self._entries_raw = [
            {"id": str(e.id), "at": e.at.isoformat(), "action": e.action, "actor": e.actor,
             "actor_email": e.actor_email, "object": f"{e.object_type} #{e.object_id}" if e.object_id else e.object_type,
             "details": ", ".join(f"{k}: {v}" for k, v in sorted(e.data.items()))[:300]}
            for e in result.entries
        ]

    @rx.event
    def on_load(self):
        self._entries_raw, self.total, self.page, self.pages, self.filters, self.errors = [], 0, 1, 1, {}, {}
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    @rx.var
    def action_options(self) -> list[dict[str, str]]:
        return [{"value": prefix, "text": t(f"audit.filter.{prefix.rstrip('.')}", self.lang)} for prefix in AUDIT_ACTIONS]

    @rx.var
    def entries(self) -> list[dict[str, str]]:
        lang = self.lang
        rows = []
        for e in self._entries_raw:
            key = f"audit.action.{e['action']}"
            text = t(key, lang)
            rows.append({
                **e,
                "when": format_datetime(datetime.fromisoformat(e["at"]), self.org_time_zone, lang),
                "action_text": e["action"] if text == key else text,
                "actor_text": e["actor"] or t("audit.actor_system", lang),
            })
        return rows

    @rx.var
    def page_text(self) -> str:
        return t("audit.page_of", self.lang, page=self.page, pages=self.pages, total=self.total)

    @rx.event
    def apply_filters(self, form: dict):
        self.filters = {name: (form.get(name) or "").strip()[:254]
                        for name in ("action", "actor", "date_from", "date_to")}
        self.page = 1
        if self._load_user():
            self._load()

    @rx.event
    def clear_filters(self):
        self.filters, self.page = {}, 1
        self.form_version += 1
        if self._load_user():
            self._load()

    @rx.event
    def go_page(self, delta: int):
        self.page = min(max(1, self.page + delta), self.pages)
        if self._load_user():
            self._load()


class InviteState(AppState):
    """The invitation link's page: what it offers, and joining with it."""

    loaded: bool = False
    valid: bool = False
    problem: str = ""  # why the link cannot be used
    org_name: str = ""
    invited_email: str = ""
    invited_role: str = ""
    my_email: str = ""
    error: str = ""
    busy: bool = False
    here: str = ""  # this page's path, for coming back after signing in or up

    def _token(self) -> str:
        return self.router.page.params.get("token", "")

    @rx.event
    def on_load(self):
        self.loaded, self.valid, self.problem, self.error, self.busy, self.my_email = False, False, "", "", False, ""
        self.here = f"/invite/{self._token()}"
        try:
            with session_scope() as session:
                preview = team.invitation_preview(session, self._token())
        except DomainError as exc:
            self.problem = self.t(exc.message_key)
        else:
            self.valid = True
            self.org_name, self.invited_email, self.invited_role = (preview.organization_name, preview.email,
                                                                    preview.role)
        if self._load_user():
            with session_scope() as session:
                self.my_email = accounts.get_user(session, self._user_id).email
        self.loaded = True

    @rx.var
    def role_text(self) -> str:
        return role_text(self.invited_role, self.lang) if self.invited_role else ""

    @rx.var
    def title(self) -> str:
        return t("invite.title", self.lang, org=self.org_name)

    @rx.var
    def lead(self) -> str:
        return t("invite.lead", self.lang, org=self.org_name, role=self.role_text, email=self.invited_email)

    @rx.var
    def signed_out_text(self) -> str:
        return t("invite.signed_out", self.lang, email=self.invited_email)

    @rx.var
    def wrong_email_text(self) -> str:
        return t("invite.wrong_email", self.lang, email=self.invited_email, mine=self.my_email)

    @rx.var
    def email_matches(self) -> bool:
        return bool(self.my_email) and self.my_email.casefold() == self.invited_email.casefold()

    @rx.event
    def accept(self):
        if redirect := self._require_user():
            return redirect
        self.busy = True
        try:
            with session_scope() as session:
                joined = team.accept_invitation(session, Principal(self._user_id), self._token())
        except DomainError as exc:
            self.error = self.t(exc.message_key, **exc.params)
            self.busy = False
            return
        self.busy = False
        return rx.redirect(f"/o/{joined.organization_slug}")
