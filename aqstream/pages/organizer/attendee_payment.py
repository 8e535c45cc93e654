"""The payment of an attendee's order, on the organizer's attendee page: method, total, status, each payment attempt
and each refund; for those who run events: mark a bank transfer paid, refund all or part (optionally cancelling
the tickets), cancel and refund one ticket, retry a failed refund. Everything shown is formatted by
AttendeeState from services/payments/summary.py; every rule is in services/payments."""
import reflex as rx

from aqstream.components.ui import T, checkbox_field, field
from aqstream.state.organizer import AttendeeState as S

STATUS_COLORS = (("free", "gray"), ("awaiting", "amber"), ("unpaid", "gray"), ("paid", "green"),
                 ("partly_refunded", "orange"), ("refunded", "red"))
ATTEMPT_COLORS = (("succeeded", "green"), ("failed", "red"), ("pending", "amber"), ("created", "gray"))
REFUND_COLORS = (("done", "green"), ("failed", "red"), ("pending", "amber"))


def _line(label_key: str, value) -> rx.Component:
    return rx.flex(rx.text(T(label_key), color_scheme="gray", min_width="140px"), value, spacing="3", wrap="wrap",
                   align="center", width="100%")


def _badge(value, keys_prefix: str, colors) -> rx.Component:
    return rx.badge(rx.match(value, *[(k, T(f"{keys_prefix}.{k}")) for k, _ in colors], value),
                    color_scheme=rx.match(value, *colors, "gray"), size="2", high_contrast=True)


def refund_button(ticket_id, name) -> rx.Component:
    """"Cancel and refund" one ticket of the order (when it has money to give back), named by its holder (or
    its number when it has no name)."""
    label = rx.cond(name != "", name, "#" + ticket_id)
    return rx.cond(
        S.can_manage & S.refund_tickets.contains(ticket_id),
        rx.button(rx.icon("undo-2", size=14, aria_hidden="true"), T("refund.cancel_ticket"), size="1", variant="soft",
                  color_scheme="red", min_height="32px", on_click=S.open_refund(ticket_id),
                  aria_label=T("refund.cancel_ticket") + ": " + label),
        rx.fragment(),
    )


def refund_form() -> rx.Component:
    e = S.refund_errors
    whole = S.refund_ticket == ""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(rx.cond(whole, T("refund.form_title"), T("refund.form_title_ticket")), size="4", as_="h3"),
                rx.text(rx.cond(whole, T("refund.full_is").replace("{amount}", S.pay["refundable"]),
                                T("refund.ticket_full_is").replace("{amount}", S.refund_tickets[S.refund_ticket])),
                        size="2", color_scheme="gray"),
                field("refund.amount", "refund_amount", e, default_value=S.refund_default, input_mode="decimal",
                      hint_key="refund.amount_hint", max_length=20, auto_complete="off"),
                rx.cond(whole, checkbox_field(T("refund.also_cancel"), "refund_cancel", default_checked=True),
                        rx.text(T("refund.ticket_cancelled_too"), size="2")),
                field("refund.reason_label", "refund_reason", e, max_length=500),
                rx.cond(e.contains("form"), rx.callout(e["form"], color_scheme="red", role="alert", width="100%"),
                        rx.fragment()),
                rx.flex(
                    rx.button(T("refund.submit"), type="submit", color_scheme="red", min_height="44px"),
                    rx.button(T("refund.close"), type="button", variant="soft", on_click=S.close_refund,
                              min_height="44px"),
                    spacing="2", wrap="wrap",
                ),
                spacing="3", width="100%",
            ),
            on_submit=S.refund,
            no_validate=True,
            reset_on_submit=False,
            key="refund-" + S.refund_version.to_string(),
            width="100%",
        ),
        width="100%",
        id="refund-form",
    )


def payment_section() -> rx.Component:
    p = S.pay
    tk = S.ticket
    return rx.cond(
        p.contains("status"),
        rx.vstack(
            rx.heading(T("attendee.payment"), size="5", as_="h2"),
            rx.card(
                rx.vstack(
                    rx.cond(p["method"] != "", _line("payment.method", rx.text(p["method"])), rx.fragment()),
                    _line("payment.total", rx.text(p["total"], weight="medium")),
                    _line("payment.status_label", _badge(p["status"], "payment_status", STATUS_COLORS)),
                    rx.cond(p["paid"] != "", _line("payment.paid", rx.text(p["paid"])), rx.fragment()),
                    rx.cond(p["refunded"] != "", _line("payment.refunded", rx.text(p["refunded"])), rx.fragment()),
                    rx.cond(
                        S.can_manage,
                        rx.flex(
                            rx.cond(p["can_mark_paid"] != "",
                                    rx.button(rx.icon("badge-check", size=16, aria_hidden="true"), T("payment.mark_paid"),
                                              on_click=S.mark_paid, min_height="44px", color_scheme="green"),
                                    rx.fragment()),
                            rx.cond(p["can_refund"] != "",
                                    rx.button(rx.icon("undo-2", size=16, aria_hidden="true"), T("refund.open"),
                                              on_click=S.open_refund(""), min_height="44px", variant="soft",
                                              color_scheme="red"),
                                    rx.fragment()),
                            rx.cond(S.refund_tickets.contains(tk["id"]),
                                    rx.button(T("refund.cancel_ticket"), on_click=S.open_refund(tk["id"]),
                                              min_height="44px", variant="soft", color_scheme="red"),
                                    rx.fragment()),
                            spacing="2", wrap="wrap",
                        ),
                        rx.fragment(),
                    ),
                    rx.cond(S.refund_open, refund_form(), rx.fragment()),
                    rx.cond(S.pay_lines.length() > 0, rx.vstack(
                        rx.heading(T("payment.attempts"), size="3", as_="h3"),
                        rx.el.ul(rx.foreach(S.pay_lines, lambda x: rx.el.li(rx.flex(
                            rx.text(x["label"] + " · " + x["method"] + " · ", rx.text.strong(x["amount"]), size="2"),
                            _badge(x["status"], "payment.attempt_status", ATTEMPT_COLORS),
                            rx.text(x["at"], size="1", color_scheme="gray"),
                            rx.cond(x["reference"] != "", rx.code(x["reference"], size="1"), rx.fragment()),
                            spacing="2", wrap="wrap", align="center"))),
                            style={"padding_left": "0", "list_style": "none", "display": "flex",
                                   "flex_direction": "column", "gap": "6px", "margin": "0"},
                            id="payment-attempts"),
                        spacing="2", width="100%"), rx.fragment()),
                    rx.cond(S.refund_lines.length() > 0, rx.vstack(
                        rx.heading(T("payment.refunds"), size="3", as_="h3"),
                        rx.el.ul(rx.foreach(S.refund_lines, lambda r: rx.el.li(rx.flex(
                            rx.text.strong(r["amount"], size="2"),
                            _badge(r["status"], "refund.status", REFUND_COLORS),
                            rx.text(r["reason"] + " · " + r["at"], size="1", color_scheme="gray"),
                            rx.cond(S.can_manage & (r["status"] == "failed"),
                                    rx.button(T("refund.retry"), size="1", variant="soft", min_height="32px",
                                              on_click=S.retry_refund(r["id"]),
                                              aria_label=T("refund.retry") + ": " + r["amount"]),
                                    rx.fragment()),
                            spacing="2", wrap="wrap", align="center"), class_name="refund-line")),
                            style={"padding_left": "0", "list_style": "none", "display": "flex",
                                   "flex_direction": "column", "gap": "6px", "margin": "0"},
                            id="payment-refunds"),
                        spacing="2", width="100%"), rx.fragment()),
                    spacing="3", width="100%",
                ),
                width="100%",
                id="attendee-payment",
            ),
            spacing="2", width="100%",
        ),
        rx.fragment(),
    )
