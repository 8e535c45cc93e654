"""The confirmation an attendee sees after registering; its secret URL shows the tickets any time."""
import reflex as rx

from aqstream.components.ui import T, shell, when_loaded
from aqstream.state.public import OrderState as S


def ticket_card(ticket: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(ticket["type"], weight="bold"),
            rx.text(ticket["name"]),
            rx.text(T("confirmation.code"), size="2", color_scheme="gray"),
            rx.code(ticket["code"], size="5", class_name="ticket-code", word_break="break-all"),
            spacing="1",
        ),
        width="100%",
    )


def order_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.callout(T("confirmation.title"), icon="circle_check", color_scheme="green", size="3", width="100%",
                           role="status"),
                rx.heading(S.title, size="7", as_="h1"),
                rx.text(S.when),
                rx.text(S.venue, color_scheme="gray"),
                rx.text(S.lead),
                rx.foreach(S.tickets, ticket_card),
                rx.text(T("confirmation.keep_link"), size="2", color_scheme="gray"),
                rx.link(S.org_name, href=S.event_path),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )
