"""/admin/admins: the platform's admins; another account made one by its email, a right taken away (never from the
last one). Anyone who is not a platform admin sees "not found"."""
import reflex as rx

from aqstream.components.ui import T, field, shell, when_loaded
from aqstream.pages.admin.overview import admin_nav
from aqstream.state.admin_actions import AdminsState as S


def admin_row(row: rx.Var) -> rx.Component:
    return rx.card(rx.flex(
        rx.vstack(rx.text(row["name"], weight="bold"), rx.text(row["email"], size="2", word_break="break-all"),
                  spacing="1"),
        rx.spacer(),
        rx.cond(row["me"] != "", rx.badge(T("team.you")),
                rx.button(T("admin.admins.revoke"), variant="outline", color_scheme="red", min_height="44px",
                          on_click=S.revoke(row["email"]),
                          aria_label=T("admin.admins.revoke") + ": " + row["email"])),
        align="center", spacing="3", wrap="wrap", width="100%",
    ), width="100%")


def admins_page() -> rx.Component:
    return shell(when_loaded(S.loaded, S.found, rx.vstack(
        admin_nav("admins"),
        rx.heading(T("admin.admins.title"), size="7", as_="h1"),
        rx.text(T("admin.admins.lead"), color_scheme="gray"),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status", width="100%"),
                rx.fragment()),
        rx.vstack(rx.foreach(S.rows, admin_row), spacing="2", width="100%"),
        rx.form(
            rx.vstack(
                field("admin.admins.email", "email", S.errors, type="email", hint_key="admin.admins.email_hint"),
                rx.button(T("admin.admins.grant"), type="submit", min_height="44px"),
                spacing="2", width="100%",
            ),
            on_submit=S.grant,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="4", width="100%",
    )))
