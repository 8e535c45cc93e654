"""Sign-up, sign-in and forgotten-password pages."""
import reflex as rx

from aqstream.components.ui import T, field, form_error, freshly, loading, shell
from aqstream.state.auth import AuthFormState, ForgotState, ResetState


def sign_up() -> rx.Component:
    return shell(
        rx.heading(T("auth.signup.title"), size="7", as_="h1"),
        rx.form(
            rx.vstack(
                form_error(AuthFormState.errors),
                field("field.name", "name", AuthFormState.errors, auto_complete="name", max_length=200),
                field("field.email", "email", AuthFormState.errors, type="email", auto_complete="email"),
                field(
                    "field.password", "password", AuthFormState.errors, type="password",
                    hint_key="auth.password_hint", auto_complete="new-password",
                ),
                rx.button(T("auth.signup.button"), type="submit", size="3", loading=AuthFormState.busy, min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=AuthFormState.sign_up,
            no_validate=True,
            width="100%",
        ),
        rx.hstack(rx.text(T("auth.signup.have_account")), rx.link(T("nav.signin"), href="/signin"), wrap="wrap"),
        size="1",
    )


def sign_in() -> rx.Component:
    return shell(
        rx.heading(T("auth.signin.title"), size="7", as_="h1"),
        rx.cond(AuthFormState.notice != "", rx.callout(AuthFormState.notice, width="100%"), rx.fragment()),
        rx.form(
            rx.vstack(
                form_error(AuthFormState.errors),
                field("field.email", "email", AuthFormState.errors, type="email", auto_complete="email"),
                field("field.password", "password", AuthFormState.errors, type="password", auto_complete="current-password"),
                rx.button(T("auth.signin.button"), type="submit", size="3", loading=AuthFormState.busy, min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=AuthFormState.sign_in,
            no_validate=True,
            width="100%",
        ),
        rx.link(T("auth.signin.forgot"), href="/forgot", padding_y="10px"),
        rx.hstack(rx.text(T("auth.signin.no_account")), rx.link(T("nav.signup"), href="/signup"), wrap="wrap"),
        size="1",
    )


def forgot_password() -> rx.Component:
    ask = rx.vstack(
        rx.text(T("auth.forgot.lead")),
        rx.form(
            rx.vstack(
                form_error(ForgotState.errors),
                field("field.email", "email", ForgotState.errors, type="email", auto_complete="email"),
                rx.button(T("auth.forgot.button"), type="submit", size="3", loading=ForgotState.busy, min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=ForgotState.ask,
            no_validate=True,
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
    sent = rx.vstack(
        rx.heading(T("auth.forgot.sent_title"), size="5", as_="h2"),
        rx.callout(ForgotState.sent_text, icon="mail", role="status", width="100%"),
        rx.text(T("auth.forgot.spam")),
        rx.button(T("auth.forgot.again"), on_click=ForgotState.again, variant="soft", size="3", min_height="44px"),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.heading(T("auth.forgot.title"), size="7", as_="h1"),
        rx.cond(ForgotState.sent, sent, ask),
        rx.link(T("auth.forgot.back"), href="/signin", padding_y="10px"),
        size="1",
    )


def reset_password() -> rx.Component:
    form = rx.vstack(
        rx.heading(T("auth.reset.title"), size="7", as_="h1"),
        rx.text(ResetState.lead, overflow_wrap="anywhere"),
        rx.form(
            rx.vstack(
                form_error(ResetState.errors),
                field("auth.reset.password", "password", ResetState.errors, type="password",
                      hint_key="auth.password_hint", auto_complete="new-password"),
                field("auth.reset.password_repeat", "password_repeat", ResetState.errors, type="password",
                      auto_complete="new-password"),
                rx.button(T("auth.reset.button"), type="submit", size="3", loading=ResetState.busy, min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=ResetState.save,
            no_validate=True,
            width="100%",
        ),
        spacing="5",
        width="100%",
    )
    unusable = rx.vstack(
        rx.heading(T("auth.forgot.title"), size="7", as_="h1"),
        rx.callout(ResetState.link_error, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
        rx.link(rx.button(T("auth.reset.ask_again"), size="3", min_height="44px"), href="/forgot"),
        spacing="5",
        width="100%",
    )
    return shell(
        # A second link opened in the same tab waits for its own check, not the first link's answer.
        rx.cond(freshly(ResetState.loaded), rx.cond(ResetState.link_error != "", unusable, form), loading()),
        size="1",
    )
