"""Sign-up, sign-in and forgotten-password forms. On success the browser goes to /auth/session with a
one-minute, single-use ticket; the backend swaps it for the HttpOnly session cookie."""
from __future__ import annotations

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import tn
from aqstream.services.accounts import accounts, password_reset
from aqstream.services.errors import DomainError
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.state.base import AppState, go


class AuthFormState(AppState):
    errors: dict[str, str] = {}
    busy: bool = False
    notice: str = ""

    def _next_path(self) -> str:
        return accounts.safe_next_path(self.router.url.query_parameters.get("next", "/"))

    @rx.event
    def on_load(self):
        self.errors = {}
        self.busy = False
        params = self.router.url.query_parameters
        self.notice = self.t("auth.ticket_invalid") if params.get("expired") else ""
        if self._load_user():
            return rx.redirect(self._next_path())

    def _signed_in(self, authenticate) -> rx.event.EventSpec | None:
        """Run the sign-up or sign-in, then send the browser to swap its login ticket for the cookie. With no
        page asked for, an organizer lands on the events of the organization they used last."""
        self.busy = True
        try:
            with session_scope() as session:
                user = authenticate(session)
                landing = organizations.landing_path(session, Principal(user.id), self._next_path())
                ticket = accounts.create_login_ticket(session, user.id, landing)
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


class ForgotState(AppState):
    """Asks for a reset link. The answer is the same whether or not the address has an account."""

    errors: dict[str, str] = {}
    busy: bool = False
    sent: bool = False

    @rx.var
    def sent_text(self) -> str:
        hours = int(password_reset.RESET_LIFETIME.total_seconds() // 3600)
        return tn("auth.forgot.sent", hours, self.lang)

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.sent = {}, False, False

    @rx.event
    def ask(self, form: dict):
        self.busy = True
        try:
            with session_scope() as session:
                password_reset.request_password_reset(
                    session, form.get("email", ""), address=self._client_address(), locale=self.lang
                )
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            self.busy = False
            return
        self.errors, self.busy, self.sent = {}, False, True

    @rx.event
    def again(self):
        self.sent = False


class ResetState(AppState):
    """Sets a new password from an emailed link, then signs the person in."""

    errors: dict[str, str] = {}
    busy: bool = False
    loaded: bool = False
    link_error: str = ""  # why the link cannot be used; shown instead of the form
    account_email: str = ""

    @rx.var
    def lead(self) -> str:
        return self.t("auth.reset.lead", email=self.account_email)

    def _token(self) -> str:
        return self.router.page.params.get("token", "")

    @rx.event
    def on_load(self):
        self.errors, self.busy, self.link_error, self.account_email = {}, False, "", ""
        try:
            with session_scope() as session:
                link = password_reset.check_reset_link(session, self._token())
            self.account_email = link.email
        except DomainError as exc:
            self.link_error = self._errors_text(exc).get("token") or self.t(exc.message_key)
        self._load_user()
        self.loaded = True

    @rx.event
    def save(self, form: dict):
        self.busy = True
        try:
            with session_scope() as session:
                user = password_reset.reset_password(
                    session, self._token(), form.get("password", ""), form.get("password_repeat", "")
                )
                ticket = accounts.create_login_ticket(session, user.id, "/?password_changed=1")
        except DomainError as exc:
            errors = self._errors_text(exc)
            if "token" in errors:
                self.link_error = errors.pop("token")  # used or expired meanwhile: the form goes
            self.errors, self.busy = errors, False
            return None
        self.errors = {}
        return go(f"/auth/session?ticket={ticket}")
