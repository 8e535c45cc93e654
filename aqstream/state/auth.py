"""Sign-up and sign-in forms. On success the browser goes to /auth/session with a one-minute,
single-use ticket; the backend swaps it for the HttpOnly session cookie."""
from __future__ import annotations

import reflex as rx

from aqstream.db import session_scope
from aqstream.services import accounts
from aqstream.services.errors import DomainError
from aqstream.state.base import AppState, go


class AuthFormState(AppState):
    errors: dict[str, str] = {}
    busy: bool = False
    notice: str = ""

    def _next_path(self) -> str:
        return accounts.safe_next_path(self.router.url.query_parameters.get("next", "/"))

    def _client_address(self) -> str:
        # Reflex resolves X-Forwarded-For through `trusted_proxy_hops`, so behind a proxy this is the
        # visitor's address, not the proxy's.
        return self.router.session.client_ip or "unknown"

    @rx.event
    def on_load(self):
        self.errors = {}
        self.busy = False
        params = self.router.url.query_parameters
        self.notice = self.t("auth.ticket_invalid") if params.get("expired") else ""
        if self._load_user():
            return rx.redirect(self._next_path())

    def _signed_in(self, authenticate) -> rx.event.EventSpec | None:
        """Run the sign-up or sign-in, then send the browser to swap its login ticket for the cookie."""
        self.busy = True
        try:
            with session_scope() as session:
                user = authenticate(session)
                ticket = accounts.create_login_ticket(session, user.id, self._next_path())
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            self.busy = False
            return None
        self.errors = {}
        return go(f"/auth/session?ticket={ticket}")

    @rx.event
    def sign_up(self, form: dict):
        return self._signed_in(
            lambda session: accounts.sign_up(
                session,
                name=form.get("name", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
                locale=self.lang,
            )
        )

    @rx.event
    def sign_in(self, form: dict):
        return self._signed_in(
            lambda session: accounts.authenticate(
                session, email=form.get("email", ""), password=form.get("password", ""), address=self._client_address()
            )
        )
