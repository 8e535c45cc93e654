"""The event forms' parts, shared by the new-event form and the workspace tabs: ticket type fields, the
email settings, the description with its Markdown preview, the cover image chooser, and labelled selects."""
import reflex as rx

from aqstream.components.event_fields import event_field
from aqstream.components.ui import T, checkbox_field, error_text, field, labelled_select, markdown_text
from aqstream.services.events import fields


def select_field(name: str, label_key: str, options: list[tuple[str, str]], **props) -> rx.Component:
    return labelled_select(f"f-{name}", T(label_key), *[rx.el.option(T(text_key), value=value)
                                                         for value, text_key in options], name=name, **props)


REMINDER_CHOICES = (0, 1, 3, 6, 12, 24, 48, 72, 168)


def long_text(name: str, label_key: str, hint_key: str, errors: rx.Var, value: rx.Var | str) -> rx.Component:
    field_id = f"f-{name}"
    return rx.vstack(
        rx.el.label(T(label_key), html_for=field_id, style={"font_weight": "500"}),
        rx.text(T(hint_key), id=field_id + "-hint", size="2", color_scheme="gray"),
        rx.text_area(id=field_id, name=name, rows="3", width="100%", max_length=2000, default_value=value,
                     aria_describedby=f"{field_id}-hint {field_id}-error",
                     aria_invalid=rx.cond(errors.contains(name), "true", "false")),
        error_text(errors, name, field_id),
        spacing="1",
        width="100%",
    )


def email_settings(errors: rx.Var, values: rx.Var | None = None) -> rx.Component:
    """The event's emails: when the reminder goes, the organizer's own words in the confirmation and the
    reminder, and who hears of each new registration."""
    def value(key: str, default: str = ""):
        return values[key] if values is not None else default

    return rx.vstack(
        rx.heading(T("event.emails"), size="5", as_="h2"),
        choice("reminder_hours", "event.reminder_hours",
                [rx.el.option(T(f"event.reminder.h{h}"), value=str(h)) for h in REMINDER_CHOICES],
                value("reminder_hours", "24")),
        error_text(errors, "reminder_hours", "f-reminder_hours"),
        long_text("confirmation_text", "event.confirmation_text", "event.confirmation_text_hint", errors,
                   value("confirmation_text")),
        long_text("reminder_text", "event.reminder_text", "event.reminder_text_hint", errors, value("reminder_text")),
        field("event.notify_email", "notify_email", errors, type="email", hint_key="event.notify_email_hint",
              max_length=1300, auto_complete="email", multiple=True, default_value=value("notify_email")),
        spacing="3",
        width="100%",
    )


def ticket_type_fields(prefix: str, e: rx.Var, tt=None) -> list[rx.Component]:
    """A ticket type's inputs, empty for the add form or filled with `tt` for the edit form."""
    def value(key: str, empty: str | None = None):
        return tt[key] if tt is not None else empty

    return [
        rx.flex(
            rx.box(field("event.ticket_type.name", f"{prefix}name", e, max_length=120, default_value=value("name")),
                   flex="2 1 220px"),
            rx.box(field("event.ticket_type.quantity", f"{prefix}quantity", e, type="number", min=1, input_mode="numeric",
                         default_value=value("quantity")), flex="1 1 120px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        field("event.ticket_type.price", f"{prefix}price", e, hint_key="event.ticket_type.price_hint",
              input_mode="decimal", max_length=20, auto_complete="off", default_value=value("price", "")),
        field("ticket_type.description", f"{prefix}description", e, max_length=2000, default_value=value("description")),
        rx.flex(
            rx.box(field("ticket_type.min", f"{prefix}min_per_order", e, type="number", min=1, max=100,
                         default_value=value("min", "1")), flex="1 1 140px"),
            rx.box(field("ticket_type.max", f"{prefix}max_per_order", e, type="number", min=1, max=100,
                         default_value=value("max", "10")), flex="1 1 140px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        rx.flex(
            rx.box(field("ticket_type.sales_start", f"{prefix}sales_start_at", e, type="datetime-local",
                         default_value=value("start")), flex="1 1 220px"),
            rx.box(field("ticket_type.sales_end", f"{prefix}sales_end_at", e, type="datetime-local",
                         default_value=value("end")), flex="1 1 220px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        checkbox_field(T("ticket_type.hidden"), f"{prefix}hidden",
                       **({"default_checked": tt["hidden"] != ""} if tt is not None else {})),
    ]


KINDS = [("short_text", "question.kind.short_text"), ("long_text", "question.kind.long_text"),
         ("single_choice", "question.kind.single_choice"), ("multiple_choice", "question.kind.multiple_choice"),
         ("checkbox", "question.kind.checkbox")]
SCOPES = [("order", "question.scope.order"), ("attendee", "question.scope.attendee")]


def choice(name: str, label_key: str, options, value: rx.Var | str) -> rx.Component:
    """A select showing `value`, rebuilt when the state changes it."""
    return labelled_select(f"f-{name}", T(label_key), *options, name=name, default_value=value, key=value)


LOCALES = [("", "event.locale_visitor"), ("en", "event.locale_en"), ("ru", "event.locale_ru")]


def description_with_preview(state, errors: rx.Var, rows: str = "8") -> rx.Component:
    """The description (Markdown) and, once there is some, how attendees will see it. `state` holds
    `description` and `set_description` (called when the field is left)."""
    return rx.vstack(
        rx.vstack(
            rx.el.label(T("event.description"), html_for="f-description", style={"font_weight": "500"}),
            rx.text(T("event.description_hint"), id="f-description-hint", size="2", color_scheme="gray"),
            rx.text_area(id="f-description", name="description", rows=rows, width="100%", max_length=20000,
                         default_value=state.description, on_blur=state.set_description,
                         aria_describedby="f-description-hint f-description-error"),
            error_text(errors, "description", "f-description"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            state.description != "",
            rx.card(
                rx.text(T("event.description_preview"), size="2", weight="bold", color_scheme="gray"),
                markdown_text(state.description),
                width="100%",
                aria_label=T("event.description_preview"),
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
    )


def _one_control(upload: rx.Component) -> rx.Component:
    """An rx.upload drop zone whose visible button is its only control: the drop zone is no tab stop of its
    own (no_keyboard) and the file input it hides is left out of the accessibility tree (it is never
    focused; a click on the button opens the file chooser)."""
    stack = [upload]
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            node.custom_attrs = {**(node.custom_attrs or {}), "aria-hidden": "true"}
            return upload
        stack.extend(getattr(node, "children", []) or [])
    raise ValueError("no file input in this upload")


COVER_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"], "image/gif": [".gif"]}


def cover_chooser(state) -> rx.Component:
    """The event's cover image: what is there, one "Choose an image" button, the rules, the error, remove.
    `state` holds `cover_url`, `errors` and the `upload_cover` and `remove_cover` handlers."""
    return rx.card(
        rx.vstack(
            rx.heading(T("event.cover"), size="4", as_="h2"),
            rx.cond(
                state.cover_url != "",
                rx.image(src=state.cover_url, alt=T("event.cover"), width="100%", max_height="240px",
                         object_fit="cover", border_radius="8px"),
                rx.text(T("event.cover_none"), color_scheme="gray", size="2"),
            ),
            _one_control(rx.upload.root(
                rx.button(rx.icon("image-up"), T("event.cover_choose"), type="button", variant="soft",
                          min_height="44px", aria_describedby="f-cover-hint f-cover-error"),
                id="cover",
                accept=COVER_TYPES,
                max_files=1,
                multiple=False,
                no_keyboard=True,
                on_drop=state.upload_cover(rx.upload_files(upload_id="cover")),
                border="none",
                padding="0",
            )),
            rx.text(T("event.cover_hint"), id="f-cover-hint", size="2", color_scheme="gray"),
            rx.text(rx.cond(state.errors.contains("cover"), state.errors["cover"], ""), id="f-cover-error", size="2",
                    color_scheme="red", role="alert"),
            rx.cond(state.cover_url != "", rx.button(T("event.cover_remove"), type="button", variant="ghost",
                                                      color_scheme="red", on_click=state.remove_cover,
                                                      min_height="44px"),
                    rx.fragment()),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="cover-image",
    )


PAY_METHODS = (("stripe", "pay_stripe"), ("yookassa", "pay_yookassa"), ("bank", "pay_bank"))


def payments_card(errors: rx.Var, connected: rx.Var, settings_href: rx.Var, values: rx.Var | None = None,
                  currency: rx.Var | str = "") -> rx.Component:
    """The event's payments: its currency, the methods it offers (each saying when the organization has not
    connected it yet, with the way to the payment settings), how long an unpaid order holds its places, and
    the refund on an attendee's cancellation. `connected`: the organization's methods; `values`: the saved
    event as `fields.form_strings` shows it (None for a new event)."""
    def value(name: str):
        return values[name] if values is not None else fields.get(name).form_default or ""

    def method(name: str, column: str) -> rx.Component:
        checked = (values[column] != "") if values is not None else False
        return rx.vstack(
            checkbox_field(T(f"event.{column}"), column, default_checked=checked),
            rx.cond(
                connected.contains(name),
                rx.fragment(),
                rx.text(T("event.method_not_connected"), " ",
                        rx.link(T("event.method_settings_link"), href=settings_href, underline="always"),
                        size="2", color_scheme="gray", id=f"f-{column}-hint"),
            ),
            spacing="0",
            width="100%",
        )

    def pair(*parts) -> rx.Component:
        return rx.flex(*[rx.box(p, flex="1 1 220px") for p in parts], spacing="3", wrap="wrap", width="100%")

    return rx.card(
        rx.vstack(
            rx.heading(T("event.payments"), size="5", as_="h2", id="payments"),
            rx.text(T("event.payments_hint"), size="2", color_scheme="gray"),
            rx.box(event_field("currency", errors, values["currency"] if values is not None else currency,
                               auto_complete="off", placeholder=currency, style={"text_transform": "uppercase"}),
                   max_width="260px", width="100%"),
            *[method(name, column) for name, column in PAY_METHODS],
            pair(event_field("hold_minutes", errors, value("hold_minutes")),
                 event_field("bank_transfer_days", errors, value("bank_transfer_days"))),
            pair(event_field("refund_until", errors, value("refund_until")),
                 event_field("refund_percent", errors, value("refund_percent"))),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
