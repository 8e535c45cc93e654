"""The organization's payment settings (/o/<org>/settings/payments): Stripe and YooKassa keys (password inputs:
a saved key shows only its mask, as the placeholder), each with its test mode and the address to paste into
the provider; bank transfer with its instructions; Russian receipts (54-FZ). Owners and admins only."""
import reflex as rx

from aqstream.components.ui import T, checkbox_field, error_text, field, form_error, labelled_select, shell, when_loaded
from aqstream.pages.organizer.team import page_top
from aqstream.state.payment_settings import VAT_CODES, PaymentSettingsState

BUTTON = {"min_height": "44px"}


def _status(connected: rx.Var) -> rx.Component:
    return rx.cond(connected, rx.badge(T("payset.connected"), color_scheme="green", size="2"),
                   rx.badge(T("payset.not_connected"), color_scheme="gray", size="2"))


def _secret(label_key: str, name: str, hint_key: str, mask: rx.Var) -> rx.Component:
    """A secret's input: empty, its placeholder the saved one's mask; typing replaces it."""
    return field(label_key, name, PaymentSettingsState.errors, type="password", hint_key=hint_key,
                 placeholder=mask, auto_complete="new-password", max_length=255, spell_check=False,
                 default_value="")


def _switch(label_key: str, name: str, on: rx.Var) -> rx.Component:
    return rx.vstack(checkbox_field(T(label_key), name, default_checked=on),
                     error_text(PaymentSettingsState.errors, name, f"f-{name}"), spacing="0", width="100%")


def _address(label_key: str, url: rx.Var, id_: str) -> rx.Component:
    """Where the provider sends its notifications: shown to copy into its dashboard."""
    return rx.vstack(
        rx.text(T(label_key), weight="medium", id=f"{id_}-label"),
        rx.code(url, id=id_, word_break="break-all", size="2", aria_labelledby=f"{id_}-label"),
        rx.text(T("payset.copy_hint"), size="2", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _card(title_key: str, heading_id: str, status: rx.Var | None, *children) -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.flex(rx.heading(T(title_key), size="5", as_="h2", id=heading_id),
                        _status(status) if status is not None else rx.fragment(),
                        spacing="3", align="center", wrap="wrap"),
                *children,
                spacing="3",
                width="100%",
            ),
            aria_labelledby=heading_id,
        ),
        width="100%",
    )


def stripe_card() -> rx.Component:
    s = PaymentSettingsState
    v = s.saved
    return _card(
        "payset.stripe", "stripe", (v["stripe_connected"] == "1"),
        _secret("payset.stripe_secret_key", "stripe_secret_key", "payset.stripe_secret_key_hint",
                v["stripe_secret_key_mask"]),
        _secret("payset.stripe_webhook_secret", "stripe_webhook_secret", "payset.stripe_webhook_secret_hint",
                v["stripe_webhook_secret_mask"]),
        _switch("payset.test_mode", "stripe_test_mode", v["stripe_test_mode"] == "1"),
        _address("payset.stripe_webhook_url", s.urls["stripe"], "stripe-webhook-url"),
        rx.cond((v["stripe_connected"] == "1"),
                rx.button(T("payset.disconnect_stripe"), type="button", variant="soft", color_scheme="red",
                          on_click=s.disconnect_stripe, width="fit-content", **BUTTON),
                rx.fragment()),
    )


def yookassa_card() -> rx.Component:
    s = PaymentSettingsState
    v = s.saved
    return _card(
        "payset.yookassa", "yookassa", (v["yookassa_connected"] == "1"),
        field("payset.yookassa_shop_id", "yookassa_shop_id", s.errors, default_value=v["yookassa_shop_id"],
              input_mode="numeric", max_length=20, auto_complete="off"),
        _secret("payset.yookassa_secret_key", "yookassa_secret_key", "payset.yookassa_secret_key_hint",
                v["yookassa_secret_key_mask"]),
        _switch("payset.test_mode", "yookassa_test_mode", v["yookassa_test_mode"] == "1"),
        _address("payset.yookassa_notification_url", s.urls["yookassa"], "yookassa-notification-url"),
        rx.cond((v["yookassa_connected"] == "1"),
                rx.button(T("payset.disconnect_yookassa"), type="button", variant="soft", color_scheme="red",
                          on_click=s.disconnect_yookassa, width="fit-content", **BUTTON),
                rx.fragment()),
    )


def bank_card() -> rx.Component:
    s = PaymentSettingsState
    v = s.saved
    return _card(
        "payset.bank", "bank", None,
        _switch("payset.bank_enabled", "bank_enabled", v["bank_enabled"] == "1"),
        rx.vstack(
            rx.el.label(T("payset.bank_instructions"), html_for="f-bank_instructions", style={"font_weight": "500"}),
            rx.text(T("payset.bank_instructions_hint"), id="f-bank_instructions-hint", size="2", color_scheme="gray"),
            rx.text_area(id="f-bank_instructions", name="bank_instructions", rows="5", width="100%", max_length=2000,
                         default_value=v["bank_instructions"],
                         aria_describedby="f-bank_instructions-hint f-bank_instructions-error",
                         aria_invalid=rx.cond(s.errors.contains("bank_instructions"), "true", "false")),
            error_text(s.errors, "bank_instructions", "f-bank_instructions"),
            spacing="1",
            width="100%",
        ),
    )


def receipts_card() -> rx.Component:
    s = PaymentSettingsState
    v = s.saved
    return _card(
        "payset.receipts", "receipts", None,
        _switch("payset.receipts_enabled", "receipts_enabled", v["receipts_enabled"] == "1"),
        rx.box(
            labelled_select("f-receipt_vat_code", T("payset.vat_code"),
                            *[rx.el.option(T(f"payset.vat.{code}"), value=code) for code in VAT_CODES],
                            name="receipt_vat_code", default_value=v["receipt_vat_code"],
                            aria_describedby="f-receipt_vat_code-error"),
            error_text(s.errors, "receipt_vat_code", "f-receipt_vat_code"),
            max_width="320px",
            width="100%",
        ),
    )


def payment_settings_page() -> rx.Component:
    s = PaymentSettingsState
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                page_top(s, "payments", "payset.title"),
                rx.text(T("payset.lead"), color_scheme="gray"),
                rx.cond(s.notice != "", rx.callout(s.notice, icon="circle_check", color_scheme="green", role="status",
                                                   high_contrast=True, width="100%"), rx.fragment()),
                rx.form(
                    rx.vstack(
                        form_error(s.errors),
                        stripe_card(),
                        yookassa_card(),
                        bank_card(),
                        receipts_card(),
                        rx.button(T("payset.save"), type="submit", size="3", loading=s.busy, **BUTTON),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=s.save,
                    no_validate=True,
                    reset_on_submit=False,
                    key=s.form_version.to_string(),
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            fresh=True,
        ),
        size="2",
    )
