"""A published event's page with its registration form, phone first: choose tickets, then details."""
import reflex as rx

from aqstream.components.event_card import recommendations
from aqstream.components.questions import question_input
from aqstream.components.ui import SELECT_STYLE, T, error_text, field, form_error, markdown_text, shell, var_field, when_loaded
from aqstream.state.public import PublicEventState as S

_SELECT = {**SELECT_STYLE, "width": "auto", "min_width": "72px"}  # a narrow count beside the ticket's name


def ticket_row(tt: rx.Var) -> rx.Component:
    type_id = tt["id"].to(str)
    select_id = "qty-" + type_id
    return rx.flex(
        rx.vstack(
            rx.el.label(tt["name"].to(str), html_for=select_id, style={"font_weight": "600"}),
            rx.cond(tt["description"].to(str) != "", rx.text(tt["description"].to(str), size="2"), rx.fragment()),
            rx.text(rx.text.strong(tt["price"].to(str)), " · " + tt["availability"].to(str), size="2",
                    color_scheme="gray", class_name="ticket-availability"),
            spacing="1",
            flex="1",
        ),
        rx.el.select(
            rx.foreach(tt["choices"].to(list[str]), lambda n: rx.el.option(n, value=n)),
            id=select_id,
            value=tt["chosen"].to(str),
            on_change=lambda value: S.set_quantity(type_id, value),
            disabled=tt["disabled"].to(bool),
            aria_label=tt["label"].to(str),
            style=_SELECT,
        ),
        spacing="3",
        align="center",
        width="100%",
        style={"padding": "12px", "border": "1px solid var(--gray-a6)", "border_radius": "8px"},
    )


def attendee_block(slot: rx.Var) -> rx.Component:
    prefix = "att." + slot["index"] + "."
    first = slot["index"] == "0"

    def prefilled(part: str) -> dict:
        """Attendee 1's field starts with the buyer's value, shown in it (not a placeholder); `copy_buyer` keeps
        it following the buyer's field until the visitor types something else in it."""
        return {"default_value": rx.cond(first, S.first_attendee[part], ""),
                "custom_attrs": {"data-copied": rx.cond(first, S.first_attendee[part], "")},
                "on_blur": lambda value: S.first_typed(slot["index"], part, value)}

    return rx.card(
        rx.vstack(
            rx.heading(slot["title"], size="3", as_="h3"),
            rx.text(rx.cond(first, T("public.attendee_first_hint"), T("public.attendee_other_hint")), size="2",
                    color_scheme="gray"),
            var_field(T("public.attendee_name"), prefix + "name", S.errors, auto_complete="off", max_length=200,
                      **prefilled("name")),
            var_field(T("public.attendee_email"), prefix + "email", S.errors, type="email", max_length=254,
                      **prefilled("email")),
            rx.foreach(S.attendee_questions, lambda q: question_input(q, prefix, S.errors)),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="attendee-block",
    )


def copy_buyer(part: str):
    """Leaving the buyer's name or email field: attendee 1's shows it too, in the browser at once (no rebuild of
    a field someone may be typing in), unless the visitor has typed something else there."""
    target = f"f-att-0-{part}"
    script = ("(() => { const from = document.getElementById('f-" + part + "'), to = document.getElementById('"
              + target + "'); if (!from || !to) return; if (to.value === '' || to.value === (to.dataset.copied ?? '')) "
              "{ to.value = from.value.trim(); to.dataset.copied = to.value; } })()")
    return lambda value: [S.buyer_typed(part, value), rx.call_script(script)]


_CHOICE = {"display": "flex", "align_items": "center", "gap": "10px", "min_height": "48px", "padding": "0 12px",
           "border": "1px solid var(--gray-a6)", "border_radius": "8px", "cursor": "pointer", "width": "100%"}


def method_choice(option: rx.Var) -> rx.Component:
    value = option["value"].to(str)
    return rx.el.label(
        # Uncontrolled: the choice shows at once on a slow phone; the form sends it, the state follows it.
        rx.el.input(type="radio", name="payment_method", value=value, default_checked=option["checked"] == "1",
                    on_change=S.choose_method, style={"width": "20px", "height": "20px", "margin": 0}),
        rx.text(option["label"].to(str)),
        style=_CHOICE,
        class_name="payment-choice",
    )


def payment_methods() -> rx.Component:
    """How to pay, asked only when the chosen tickets cost money: the event's methods, one radio each."""
    return rx.el.fieldset(
        rx.el.legend(T("public.payment_method"), style={"font_weight": "600", "margin_bottom": "8px"}),
        rx.vstack(rx.foreach(S.payment_options, method_choice), spacing="2", width="100%", role="radiogroup"),
        error_text(S.errors, "payment_method", "f-payment_method"),
        rx.text(T("public.pay_note"), size="2", color_scheme="gray"),
        style={"border": "none", "padding": 0, "margin": 0, "width": "100%"},
        id="payment-methods",
    )


def registration_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(T("public.register.title"), size="5", as_="h2"),
            rx.cond(S.hidden_unlocked, rx.callout(T("public.hidden_unlocked"), icon="key_round", width="100%"),
                    rx.fragment()),
            form_error(S.errors),
            rx.el.fieldset(
                rx.el.legend(T("public.choose_tickets"), style={"font_weight": "600", "margin_bottom": "8px"}),
                rx.vstack(rx.foreach(S.ticket_types, ticket_row), spacing="2", width="100%"),
                error_text(S.errors, "tickets", "f-tickets"),
                style={"border": "none", "padding": 0, "margin": 0, "width": "100%"},
            ),
            rx.cond(S.total_text != "", rx.text(S.total_text, weight="bold", size="4", id="order-total",
                                                role="status"), rx.fragment()),
            rx.cond(
                S.slots.length() > 0,
                rx.vstack(
                    rx.heading(T("public.your_details"), size="4", as_="h3"),
                    field("field.name", "name", S.errors, auto_complete="name", max_length=200, default_value=S.user_name,
                          on_blur=copy_buyer("name"), on_focus=S.form_started),
                    field("field.email", "email", S.errors, type="email", auto_complete="email", input_mode="email",
                          default_value=S.user_email, key=S.user_email, on_blur=copy_buyer("email"),
                          on_focus=S.form_started),
                    rx.cond(
                        S.attendee_blocks,
                        rx.foreach(S.slots, attendee_block),
                        rx.fragment(),
                    ),
                    rx.foreach(S.order_questions, lambda q: question_input(q, "", S.errors)),
                    rx.cond((S.total_text != ""), payment_methods(), rx.fragment()),
                    rx.button(rx.cond((S.total_text != ""), T("public.register.pay_button"), T("public.register.button")),
                              type="submit", size="4", width="100%", loading=S.busy, min_height="48px"),
                    spacing="4",
                    width="100%",
                ),
                rx.text(T("public.choose_first"), color_scheme="gray"),
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=S.register,
        no_validate=True,
        reset_on_submit=False,
        width="100%",
    )


def event_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.cond(S.preview, rx.callout(T("event.preview_banner"), icon="eye", color_scheme="amber", width="100%",
                                              role="status"), rx.fragment()),
                rx.cond(S.cover_url != "", rx.image(src=S.cover_url, alt="", width="100%", max_height="280px",
                                                    object_fit="cover", border_radius="12px"), rx.fragment()),
                rx.link(S.org_name, href="/org/" + S.org_slug, color_scheme="gray", class_name="event-organizer"),
                rx.heading(S.title, size="8", as_="h1"),
                rx.vstack(
                    rx.hstack(
                        rx.icon("calendar", aria_hidden="true", flex_shrink="0"),
                        rx.vstack(
                            rx.text(S.when),
                            rx.cond(S.viewer_when != "", rx.text(S.viewer_when, size="2", color_scheme="gray",
                                                                 class_name="viewer-time"), rx.fragment()),
                            spacing="0",
                        ),
                        align="start",
                    ),
                    rx.hstack(
                        rx.icon("map-pin", aria_hidden="true", flex_shrink="0"),
                        rx.cond(
                            S.venue != "",
                            rx.vstack(
                                rx.text(S.venue, rx.cond(S.city != "", ", " + S.city, "")),
                                rx.link(T("public.map_link"), href=S.map_url, is_external=True, size="2",
                                        padding_y="10px"),
                                spacing="0",
                            ),
                            rx.text(T("event.online")),
                        ),
                        align="start",
                    ),
                    spacing="2",
                ),
                rx.cond(S.description != "", rx.box(markdown_text(S.description), width="100%"), rx.fragment()),
                rx.cond(
                    S.closed_text != "",
                    rx.callout(S.closed_text, icon="info", color_scheme="amber", width="100%", role="status"),
                    rx.card(registration_form(), width="100%"),
                ),
                recommendations(S.recommended, "recommend.title"),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )
