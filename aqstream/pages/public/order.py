"""The confirmation an attendee sees after registering; its secret URL shows the tickets any time and
lets the attendee cancel the whole registration or one ticket."""
import reflex as rx

from aqstream.components.ui import T, confirm_box, shell, when_loaded
from aqstream.state.public import OrderState as S


def ticket_card(ticket: rx.Var) -> rx.Component:
    valid = ticket["status"] == "valid"
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(ticket["type"], weight="bold"),
                rx.text(ticket["name"]),
                rx.text(T("confirmation.code"), size="2", color_scheme="gray"),
                rx.code(ticket["code"], size="4", class_name="ticket-code", word_break="break-all"),
                rx.cond(valid, rx.fragment(), rx.badge(T("ticket.status.cancelled"), color_scheme="red")),
                rx.cond(
                    valid & (S.valid_count > 1),
                    rx.button(T("confirmation.cancel_ticket"), variant="soft", color_scheme="red", size="2",
                              on_click=S.ask_cancel(ticket["id"]), min_height="44px"),
                    rx.fragment(),
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.cond(valid, rx.image(src=ticket["qr"], alt=T("confirmation.qr_alt"), width="160px", height="160px"),
                    rx.fragment()),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def order_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.cond(
                    S.status == "cancelled",
                    rx.callout(T("confirmation.order_cancelled"), icon="circle_x", color_scheme="red", size="3",
                               width="100%", role="status"),
                    rx.callout(T("confirmation.title"), icon="circle_check", color_scheme="green", size="3",
                               width="100%", role="status"),
                ),
                rx.heading(S.title, size="7", as_="h1"),
                rx.text(S.when),
                rx.text(S.venue, color_scheme="gray"),
                rx.cond(S.status == "cancelled", rx.fragment(), rx.text(S.lead)),
                rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                rx.cond(S.confirming != "", confirm_box(S.cancel, S.keep), rx.fragment()),
                rx.foreach(S.tickets, ticket_card),
                rx.cond(
                    S.valid_count > 0,
                    rx.button(T("confirmation.cancel_order"), variant="outline", color_scheme="red",
                              on_click=S.ask_cancel("order"), min_height="44px"),
                    rx.fragment(),
                ),
                rx.text(T("confirmation.keep_link"), size="2", color_scheme="gray"),
                rx.link(S.org_name, href=S.event_path),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )
