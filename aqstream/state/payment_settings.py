"""The organization's payment settings page (/o/<org>/settings/payments): Stripe, YooKassa, bank transfer and
Russian receipts. Owners and admins only. Every rule is in services/payments/settings.py; a saved secret never
comes back to the page, only its mask."""
from __future__ import annotations

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.services.errors import DomainError
from aqstream.services.org.permissions import MANAGE_SETTINGS, Principal
from aqstream.services.payments import settings as payment_settings
from aqstream.state.organizer import OrgState

VAT_CODES = [str(code) for code in payment_settings.VAT_CODES]


def _flag(value: bool) -> str:
    return "1" if value else ""


class PaymentSettingsState(OrgState):
    # What the page shows of the saved settings: masks (never a secret), the shop id, the instructions, and the
    # switches as "1" or "".
    saved: dict[str, str] = {}
    urls: dict[str, str] = {}  # stripe, yookassa: where each provider sends its notifications
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    form_version: int = 0  # bumped after each read: the form is rebuilt with the values just read

    def _show(self, view: payment_settings.SettingsView) -> None:
        self.saved = {
            "stripe_connected": _flag(view.stripe_connected), "stripe_secret_key_mask": view.stripe_secret_key_mask,
            "stripe_webhook_secret_mask": view.stripe_webhook_secret_mask,
            "stripe_test_mode": _flag(view.stripe_test_mode), "yookassa_connected": _flag(view.yookassa_connected),
            "yookassa_shop_id": view.yookassa_shop_id, "yookassa_secret_key_mask": view.yookassa_secret_key_mask,
            "yookassa_test_mode": _flag(view.yookassa_test_mode), "bank_enabled": _flag(view.bank_enabled),
            "bank_instructions": view.bank_instructions, "receipts_enabled": _flag(view.receipts_enabled),
            "receipt_vat_code": str(view.receipt_vat_code),
        }
        self.urls = payment_settings.notification_urls(config.public_base_url(), self.org_slug)
        self.form_version += 1

    def _load(self) -> None:
        if not self._open_org(MANAGE_SETTINGS):
            return
        with session_scope() as session:
            view = payment_settings.get_settings(session, Principal(self._user_id), self._org_id)
        self._show(view)

    @rx.event
    def on_load(self):
        self.saved, self.urls, self.errors, self.notice, self.busy = {}, {}, {}, "", False
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        self._load()

    def _save(self, data: payment_settings.SettingsInput, notice_key: str) -> bool:
        self.notice = ""
        if not self._load_user() or not self._open_org(MANAGE_SETTINGS):
            self.errors = {"form": self.t("error.forbidden")}
            return False
        try:
            with session_scope() as session:
                view = payment_settings.update_settings(session, Principal(self._user_id), self._org_id, data)
        except DomainError as exc:
            self.errors = self._errors_text(exc)
            return False
        self.errors = {}
        self._show(view)
        self.notice = self.t(notice_key)
        return True

    @rx.event
    def save(self, form: dict):
        self.busy = True
        data = payment_settings.SettingsInput(
            stripe_secret_key=form.get("stripe_secret_key") or None,
            stripe_webhook_secret=form.get("stripe_webhook_secret") or None,
            stripe_test_mode=bool(form.get("stripe_test_mode")),
            yookassa_shop_id=form.get("yookassa_shop_id", ""),
            yookassa_secret_key=form.get("yookassa_secret_key") or None,
            yookassa_test_mode=bool(form.get("yookassa_test_mode")),
            bank_enabled=bool(form.get("bank_enabled")),
            bank_instructions=form.get("bank_instructions", ""),
            receipts_enabled=bool(form.get("receipts_enabled")),
            receipt_vat_code=form.get("receipt_vat_code") or 1,
        )
        self._save(data, "payset.saved")
        self.busy = False

    def _kept(self, **changes) -> payment_settings.SettingsInput:
        """The saved settings as an input (secrets left empty: kept), with `changes`."""
        s = self.saved
        values = dict(stripe_test_mode=s.get("stripe_test_mode") == "1",
                      yookassa_shop_id=s.get("yookassa_shop_id", ""),
                      yookassa_test_mode=s.get("yookassa_test_mode") == "1", bank_enabled=s.get("bank_enabled") == "1",
                      bank_instructions=s.get("bank_instructions", ""), receipts_enabled=s.get("receipts_enabled") == "1",
                      receipt_vat_code=s.get("receipt_vat_code") or 1)
        return payment_settings.SettingsInput(**{**values, **changes})

    @rx.event
    def disconnect_stripe(self):
        self._save(self._kept(clear_stripe=True), "payset.stripe_disconnected")

    @rx.event
    def disconnect_yookassa(self):
        # Receipts go through YooKassa: they stop with it.
        self._save(self._kept(clear_yookassa=True, yookassa_shop_id="", receipts_enabled=False),
                   "payset.yookassa_disconnected")
