"""The confirmation an attendee sees after registering; its secret URL shows the tickets any time and
lets the attendee correct names, add the event to a calendar, and cancel the whole registration or one ticket.
A paid order awaiting payment shows the amount, until when its places are held and how to pay (a bank transfer's
details), and turns to the tickets by itself once the money has come; a paid order is cancelled only as the
event's refund policy allows, saying what comes back."""
import reflex as rx

from aqstream.components.ui import T, confirm_box, field, shell, when_loaded
from aqstream.state.public import OrderState as S

ACTION_LINK_STYLE = {"display": "inline-flex", "align_items": "center", "gap": "8px", "min_height": "44px",
                     "padding": "0 14px", "border_radius": "var(--radius-3)", "border": "1px solid var(--accent-a7)",
                     "color": "var(--accent-11)", "text_decoration": "none", "font_weight": "500"}


def name_form(ticket: rx.Var) -> rx.Component:
    """Correcting the name on one ticket, in place: a labelled field, its error below it, Save and Cancel."""
    return rx.form(
        rx.vstack(
            field("order.edit_name.label", "attendee_name", S.name_errors, default_value=ticket["name"],
                  auto_focus=True, max_length=200, auto_complete="name"),
            rx.flex(
                rx.button(T("order.edit_name.save"), type="submit", min_height="44px"),
                rx.button(T("order.edit_name.cancel"), type="button", variant="soft", on_click=S.stop_editing,
                          min_height="44px"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_name,
        width="100%",
    )


def ticket_name(ticket: rx.Var) -> rx.Component:
    return rx.cond(
        S.editing == ticket["id"],
        name_form(ticket),
        rx.flex(
            rx.text(ticket["name"], class_name="ticket-name"),
            rx.cond(
                ticket["editable"] != "",
                rx.button(rx.icon("pencil", size=16), T("order.edit_name.button"), variant="ghost", size="2",
                          on_click=S.edit_name(ticket["id"]), min_height="44px"),
                rx.fragment(),
            ),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
    )


def add_to_calendar() -> rx.Component:
    return rx.vstack(
        rx.heading(T("order.calendar.title"), size="4", as_="h2", id="calendar-heading"),
        rx.flex(
            # A document request, not client-side routing: the backend answers with the file.
            rx.el.a(rx.icon("calendar-plus", size=18), T("order.calendar.ics"), href=S.ics_url, download="",
                    reload_document=True, style=ACTION_LINK_STYLE),
            rx.el.a(rx.icon("external-link", size=18), T("order.calendar.google"), href=S.google_url,
                    target="_blank", rel="noopener noreferrer", style=ACTION_LINK_STYLE),
            spacing="2",
            wrap="wrap",
        ),
        role="group",
        aria_labelledby="calendar-heading",
        spacing="2",
        width="100%",
    )


def ticket_card(ticket: rx.Var) -> rx.Component:
    valid = ticket["status"] == "valid"
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(ticket["type"], weight="bold"),
                ticket_name(ticket),
                rx.text(T("confirmation.code"), size="2", color_scheme="gray"),
                rx.code(ticket["code"], size="4", class_name="ticket-code", word_break="break-all"),
                rx.cond(valid, rx.fragment(), rx.badge(T("ticket.status.cancelled"), color_scheme="red")),
                rx.cond(
                    valid & (S.valid_count > 1) & (S.texts["paid"] == ""),
                    rx.button(T("confirmation.cancel_ticket"), variant="soft", color_scheme="red", size="2",
                              on_click=S.ask_cancel(ticket["id"]), min_height="44px"),
                    rx.fragment(),
                ),
                rx.cond(
                    valid & (S.valid_count > 1) & (S.texts["cancel"] != ""),
                    rx.button(S.texts["t" + ticket["id"].to(str)], variant="soft", color_scheme="red",
                              size="2", on_click=S.ask_cancel(ticket["id"]), min_height="44px"),
                    rx.fragment(),
                ),
                spacing="1",
                flex="1 1 220px",  # on a phone the QR code (200 px, a signed payload's dense code) goes below
                min_width="0",
            ),
            rx.cond(valid, rx.image(src=ticket["qr"], alt=T("confirmation.qr_alt"), width="200px", height="200px"),
                    rx.fragment()),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def awaiting_payment() -> rx.Component:
    """A paid order whose money has not come: how much, until when, and how to pay; the page asks by itself."""
    return rx.vstack(
        rx.callout(T("order.awaiting_payment"), icon="clock", color_scheme="amber", size="3", width="100%",
                   role="status", id="order-awaiting"),
        rx.heading(S.title, size="7", as_="h1"),
        rx.text(S.when),
        rx.cond(S.texts["unavailable"] != "", rx.callout(S.texts["unavailable"], icon="triangle_alert", color_scheme="red",
                                                     role="alert", width="100%", id="payment-unavailable"),
                rx.fragment()),
        rx.card(
            rx.vstack(
                rx.flex(rx.text(T("order.amount"), color_scheme="gray"),
                        rx.text(S.texts["amount"], weight="bold", size="5", id="order-amount"),
                        justify="between", align="center", width="100%", wrap="wrap", gap="2"),
                rx.text(S.texts["hold"], id="order-hold"),
                rx.cond(
                    S.texts["method"] == "bank",
                    rx.vstack(
                        rx.heading(T("order.bank.title"), size="4", as_="h2"),
                        rx.cond(
                            S.texts["reference"] != "",
                            rx.vstack(
                                rx.text(T("order.bank.reference"), size="2", color_scheme="gray"),
                                rx.code(S.texts["reference"], size="5", id="bank-reference", word_break="break-all"),
                                rx.text(T("order.bank.reference_hint"), size="2"),
                                spacing="1",
                                width="100%",
                            ),
                            rx.fragment(),
                        ),
                        rx.text(T("order.bank.instructions"), size="2", color_scheme="gray"),
                        rx.box(rx.text(S.texts["instructions"], white_space="pre-line", id="bank-instructions"),
                               padding="12px", border_left="4px solid var(--accent-9)",
                               background="var(--accent-a2)", width="100%"),
                        rx.text(T("order.bank.after"), size="2"),
                        spacing="2",
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    (S.texts["method"] != "bank") | (S.texts["reference"] == ""),
                    rx.button(rx.icon("credit-card", size=18), T("order.pay_now"), size="4", width="100%",
                              min_height="48px", loading=S.paying, on_click=S.pay, id="pay-now"),
                    rx.fragment(),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        rx.text(T("order.checking"), size="2", color_scheme="gray"),
        rx.box(on_mount=S.watch, on_unmount=S.stop_watching),
        spacing="4",
        width="100%",
    )


def reservation_expired() -> rx.Component:
    return rx.vstack(
        rx.callout(T("order.expired.title"), icon="timer_off", color_scheme="red", size="3", width="100%",
                   role="status", id="order-expired"),
        rx.heading(S.title, size="7", as_="h1"),
        rx.text(S.when),
        rx.text(T("order.expired.text")),
        rx.link(rx.button(T("order.expired.again"), size="4", min_height="48px", width="100%"), href=S.event_path,
                width="100%", id="start-again"),
        spacing="4",
        width="100%",
    )


def money_lines() -> rx.Component:
    return rx.cond(
        S.texts["money"] != "",
        rx.text(S.texts["money"], weight="medium", white_space="pre-line", id="order-money"),
        rx.fragment(),
    )


def order_cancel_button() -> rx.Component:
    """Free orders: cancel at any time before the event; paid ones only while the refund policy allows."""
    return rx.cond(
        S.valid_count > 0,
        rx.cond(
            (S.texts["paid"] != ""),
            rx.cond(
                S.texts["cancel"] != "",
                rx.vstack(
                    rx.text(S.texts["terms"], size="2", color_scheme="gray", id="refund-terms"),
                    rx.button(S.texts["cancel"], variant="outline", color_scheme="red",
                              on_click=S.ask_cancel("order"), min_height="44px", id="cancel-paid"),
                    spacing="2",
                ),
                rx.fragment(),
            ),
            rx.button(T("confirmation.cancel_order"), variant="outline", color_scheme="red",
                      on_click=S.ask_cancel("order"), min_height="44px"),
        ),
        rx.fragment(),
    )


def registered() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.status == "cancelled",
            rx.callout(T("confirmation.order_cancelled"), icon="circle_x", color_scheme="red", size="3",
                       width="100%", role="status"),
            rx.callout(T("confirmation.title"), icon="circle_check", color_scheme="green", size="3",
                       width="100%", role="status", id="order-confirmed"),
        ),
        rx.cond((S.texts["paid"] != "") & (S.status == "confirmed"),
                rx.badge(rx.icon("circle_check", size=16), T("order.paid"), color_scheme="green", size="3",
                         id="order-paid"),
                rx.fragment()),
        rx.heading(S.title, size="7", as_="h1"),
        rx.text(S.when),
        rx.text(S.venue, color_scheme="gray"),
        rx.cond(S.status == "cancelled", rx.fragment(), rx.text(S.lead)),
        money_lines(),
        rx.cond(S.texts["notice"] != "", rx.callout(S.texts["notice"], icon="info", role="status", width="100%"),
                rx.fragment()),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
        rx.cond(S.confirming != "",
                rx.vstack(rx.cond(S.texts["confirm"] != "", rx.text(S.texts["confirm"], weight="bold"),
                                  rx.fragment()),
                          confirm_box(S.cancel, S.keep), width="100%"),
                rx.fragment()),
        rx.foreach(S.tickets, ticket_card),
        rx.cond(S.valid_count > 0, add_to_calendar(), rx.fragment()),
        order_cancel_button(),
        spacing="4",
        width="100%",
    )


def order_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.match(
                    S.texts["phase"],
                    ("pending", awaiting_payment()),
                    ("expired", reservation_expired()),
                    registered(),
                ),
                rx.text(T("confirmation.keep_link"), size="2", color_scheme="gray"),
                rx.link(S.org_name, href=S.event_path),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )
