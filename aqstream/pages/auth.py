"""Sign-up and sign-in pages."""
import reflex as rx

from aqstream.components.ui import T, field, form_error, shell
from aqstream.state.auth import AuthFormState


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
        rx.hstack(rx.text(T("auth.signin.no_account")), rx.link(T("nav.signup"), href="/signup"), wrap="wrap"),
        size="1",
    )
