"""The attendee's own pages: My tickets, and the email confirmation."""
import reflex as rx

from aqstream.components.ui import T, loading, shell
from aqstream.state.account import MyTicketsState as S
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


def my_tickets() -> rx.Component:
    return shell(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading(T("account.title"), size="7", as_="h1"),
                rx.cond(S.verified, rx.fragment(), rx.callout(T("account.verify_hint"), icon="mail", width="100%")),
                rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                rx.cond(S.rows.length() > 0, rx.vstack(rx.foreach(S.rows, order_row), width="100%"),
                        rx.text(T("account.empty"))),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        size="2",
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
