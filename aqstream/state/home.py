"""Home: a welcome for visitors, the list of organizations for a signed-in user."""
from __future__ import annotations

import reflex as rx

from aqstream.db import session_scope
from aqstream.services.errors import DomainError
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.state.base import AppState


class HomeState(AppState):
    orgs: list[dict[str, str]] = []
    loaded: bool = False
    password_changed: bool = False  # arrived here from setting a new password with an emailed link

    @rx.event
    def on_load(self):
        self.orgs, self.loaded = [], True
        self.password_changed = bool(self.router.url.query_parameters.get("password_changed"))
        if not self._load_user():
            return
        with session_scope() as session:
            rows = organizations.memberships(session, Principal(self._user_id))
        self.orgs = [{"slug": m.slug, "name": m.name, "role": m.role} for m in rows]


class CreateOrgState(AppState):
    errors: dict[str, str] = {}
    busy: bool = False

    @rx.event
    def on_load(self):
        self.errors = {}
        self.busy = False
        return self._require_user()

    @rx.event
    def create(self, form: dict):
        if not self._load_user():
            return self._require_user()
        self.busy = True
        try:
            with session_scope() as session:
                org = organizations.create_organization(
                    session,
                    Principal(self._user_id),
                    name=form.get("name", ""),
                    slug=form.get("slug", ""),
                    time_zone=form.get("time_zone", "UTC"),
                    default_locale=self.lang,
                )
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            self.busy = False
            return
        self.busy = False
        return rx.redirect(f"/o/{org.slug}")
