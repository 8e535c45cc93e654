"""The attendee's own pages: My tickets (upcoming and past), the profile, and the email confirmation."""
import reflex as rx

from aqstream.components.event_card import recommendations
from aqstream.components.ui import (
    T,
    checkbox_field,
    error_text,
    field,
    form_error,
    labelled_select,
    loading,
    shell,
)
from aqstream.state.account import MyTicketsState as S
from aqstream.state.account import ProfileState as P
from aqstream.state.account import VerifyState


def order_row(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(rx.text(row["title"], size="4", weight="bold"), href=row["href"]),
                rx.text(row["org"] + " · " + row["when"], size="2", color_scheme="gray"),
                rx.text(row["tickets"], size="2"),
                spacing="1",
                flex="1",
            ),
            rx.vstack(
                rx.badge(row["status_text"], color_scheme=rx.cond(row["status"] == "confirmed", "green", "red")),
                rx.cond(
                    row["can_cancel"] != "",
                    rx.cond(
                        S.confirming == row["id"],
                        rx.flex(
                            rx.button(T("confirmation.cancel_confirm"), color_scheme="red", size="2", on_click=S.cancel,
                                      min_height="44px"),
                            rx.button(T("confirmation.keep"), variant="soft", size="2", on_click=S.keep,
                                      min_height="44px"),
                            spacing="2",
                        ),
                        rx.button(T("account.cancel"), variant="soft", color_scheme="red", size="2",
                                  on_click=S.ask_cancel(row["id"]), min_height="44px"),
                    ),
                    rx.fragment(),
                ),
                align="end",
                spacing="2",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def pager(page: rx.Var, pages: rx.Var, text: rx.Var, go, label_key: str) -> rx.Component:
    """Previous / next for one section, shown only when it has more than one page."""
    return rx.cond(
        pages > 1,
        rx.flex(
            rx.button(rx.icon("chevron-left"), T("account.previous"), variant="soft", on_click=go(-1),
                      disabled=page <= 1, min_height="44px"),
            rx.text(text, aria_live="polite"),
            rx.button(T("account.next"), rx.icon("chevron-right"), variant="soft", on_click=go(1),
                      disabled=page >= pages, min_height="44px"),
            spacing="2",
            align="center",
            wrap="wrap",
            role="navigation",
            aria_label=T(label_key),
        ),
        rx.fragment(),
    )


def section(heading_key: str, heading_id: str, rows: rx.Var, empty: rx.Var, *pagination) -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading(T(heading_key), size="5", as_="h2", id=heading_id),
            rx.cond(rows.length() > 0, rx.vstack(rx.foreach(rows, order_row), width="100%"),
                    rx.text(empty, color_scheme="gray")),
            *pagination,
            spacing="3",
            width="100%",
        ),
        aria_labelledby=heading_id,
        style={"width": "100%"},
    )


def my_tickets() -> rx.Component:
    return shell(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.flex(
                    rx.heading(T("account.title"), size="7", as_="h1"),
                    rx.link(rx.icon("user", size=16), T("profile.title"), href="/account/profile", padding_y="10px",
                            display="inline-flex", align_items="center", gap="6px"),
                    justify="between",
                    align="center",
                    wrap="wrap",
                    spacing="3",
                    width="100%",
                ),
                rx.cond(S.verified, rx.fragment(), rx.callout(T("account.verify_hint"), icon="mail", width="100%")),
                rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                section("account.upcoming", "upcoming-heading", S.upcoming,
                        rx.cond(S.past_total > 0, T("account.upcoming_empty"), T("account.empty")),
                        pager(S.upcoming_page, S.upcoming_pages, S.upcoming_page_text, S.go_upcoming,
                              "account.upcoming_pages")),
                rx.cond(
                    S.past_total > 0,
                    section("account.past", "past-heading", S.past, T("account.empty"),
                            pager(S.past_page, S.past_pages, S.past_page_text, S.go_past, "account.past_pages")),
                    rx.fragment(),
                ),
                recommendations(S.recommended, "recommend.account_title"),
                spacing="5",
                width="100%",
            ),
            loading(),
        ),
        size="2",
    )


def profile_page() -> rx.Component:
    return shell(
        rx.cond(
            P.loaded,
            rx.vstack(
                rx.heading(T("profile.title"), size="7", as_="h1"),
                rx.link(T("account.title"), href="/account/tickets"),
                rx.form(
                    rx.vstack(
                        rx.text(T("profile.email"), ": ", P.email, size="2", color_scheme="gray"),
                        field("profile.name", "name", P.errors, default_value=P.name, auto_complete="name",
                              max_length=200),
                        rx.vstack(
                            labelled_select(
                                "f-locale", T("profile.language"),
                                rx.el.option("English", value="en", lang="en"),
                                rx.el.option("Русский", value="ru", lang="ru"),
                                name="locale", default_value=P.profile_locale, key=P.profile_locale,
                                aria_describedby="f-locale-error",
                            ),
                            error_text(P.errors, "locale", "f-locale"),
                            spacing="1",
                            width="100%",
                        ),
                        form_error(P.errors),
                        rx.cond(P.saved, rx.callout(T("profile.saved"), icon="circle_check", color_scheme="green",
                                                    role="status", width="100%"), rx.fragment()),
                        rx.button(T("profile.save"), type="submit", size="3", min_height="44px"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=P.save,
                    width="100%",
                ),
                rx.divider(),
                delete_section(),
                spacing="5",
                width="100%",
            ),
            loading(),
        ),
        size="2",
    )


def delete_section() -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading(T("profile.delete.title"), size="5", as_="h2", id="delete-heading", color_scheme="red"),
            rx.text(T("profile.delete.removed")),
            rx.text(T("profile.delete.kept"), color_scheme="gray"),
            rx.form(
                rx.vstack(
                    field("profile.delete.password", "password", P.delete_errors, type="password",
                          auto_complete="current-password"),
                    checkbox_field(T("profile.delete.confirm"), "confirm", aria_describedby="f-confirm-error"),
                    error_text(P.delete_errors, "confirm", "f-confirm"),
                    form_error(P.delete_errors),
                    rx.button(T("profile.delete.button"), type="submit", color_scheme="red", size="3",
                              min_height="44px"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=P.delete_account,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="delete-heading",
        style={"width": "100%"},
    )


def verify_email() -> rx.Component:
    return shell(
        rx.cond(
            VerifyState.loaded,
            rx.vstack(
                rx.heading(T("verify.title"), size="7", as_="h1"),
                rx.cond(
                    VerifyState.ok,
                    rx.callout(T("verify.ok"), icon="circle_check", color_scheme="green", width="100%", role="status"),
                    rx.callout(T("auth.verify_link_invalid"), icon="triangle_alert", color_scheme="red", width="100%",
                               role="alert"),
                ),
                rx.link(T("account.title"), href="/account/tickets"),
                spacing="4",
            ),
            loading(),
        ),
        size="2",
    )
