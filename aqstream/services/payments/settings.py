"""An organization's payment settings: Stripe (secret key, webhook secret), YooKassa (shop id, secret key), each
with a test-mode switch; bank transfer with the organization's instructions; Russian receipts (54-FZ).

Secrets are stored encrypted (keys.py) and shown back only masked. Saving a form with a secret left empty keeps
the one saved; `clear_*` removes it. Only owners and admins see or change these (MANAGE_SETTINGS)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session

from aqstream import config
from aqstream.db import begin_write
from aqstream.models import Event, PaymentSettings
from aqstream.services.clock import utcnow
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_EVENTS, MANAGE_SETTINGS, Need, Principal, access
from aqstream.services.payments import keys, providers
from aqstream.services.validation import Checker

VAT_CODES = (1, 2, 3, 4, 5, 6)  # YooKassa's codes: 1 no VAT, 2 0%, 3 10%, 4 20%, 5 10/110, 6 20/120


@dataclass(frozen=True)
class SettingsView:
    """What the settings page and the API show: never a secret, only whether one is saved and its mask."""

    stripe_connected: bool
    stripe_secret_key_mask: str
    stripe_webhook_secret_mask: str
    stripe_test_mode: bool
    yookassa_connected: bool
    yookassa_shop_id: str
    yookassa_secret_key_mask: str
    yookassa_test_mode: bool
    bank_enabled: bool
    bank_instructions: str
    receipts_enabled: bool
    receipt_vat_code: int
    methods: tuple[str, ...]  # what events of this organization may offer now


@dataclass
class SettingsInput:
    """A form or API body. A secret left None or "" keeps the saved one; clear_* removes it."""

    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_test_mode: bool = True
    clear_stripe: bool = False
    yookassa_shop_id: str | None = None
    yookassa_secret_key: str | None = None
    yookassa_test_mode: bool = True
    clear_yookassa: bool = False
    bank_enabled: bool = False
    bank_instructions: str = ""
    receipts_enabled: bool = False
    receipt_vat_code: int | str | None = 1


def _row(session: Session, organization_id: int) -> PaymentSettings:
    row = session.get(PaymentSettings, organization_id)
    return row or PaymentSettings(organization_id=organization_id)


def available(row: PaymentSettings) -> tuple[str, ...]:
    """The methods this organization's settings make possible."""
    out = []
    if row.stripe_secret_key and row.stripe_webhook_secret:
        out.append(providers.STRIPE)
    if row.yookassa_shop_id and row.yookassa_secret_key:
        out.append(providers.YOOKASSA)
    if row.bank_enabled and row.bank_instructions.strip():
        out.append(providers.BANK)
    return tuple(out)


def _view(row: PaymentSettings) -> SettingsView:
    stripe_key, stripe_hook = keys.decrypt(row.stripe_secret_key), keys.decrypt(row.stripe_webhook_secret)
    yk_key = keys.decrypt(row.yookassa_secret_key)
    return SettingsView(
        stripe_connected=bool(stripe_key and stripe_hook), stripe_secret_key_mask=keys.mask(stripe_key),
        stripe_webhook_secret_mask=keys.mask(stripe_hook), stripe_test_mode=row.stripe_test_mode,
        yookassa_connected=bool(row.yookassa_shop_id and yk_key), yookassa_shop_id=row.yookassa_shop_id,
        yookassa_secret_key_mask=keys.mask(yk_key), yookassa_test_mode=row.yookassa_test_mode,
        bank_enabled=row.bank_enabled, bank_instructions=row.bank_instructions,
        receipts_enabled=row.receipts_enabled, receipt_vat_code=row.receipt_vat_code, methods=available(row),
    )


def get_settings(session: Session, principal: Principal, organization_id: int) -> SettingsView:
    access(session, principal, organization_id, MANAGE_SETTINGS)
    return _view(_row(session, organization_id))


def _secret(checker: Checker, name: str, value: str | None, prefixes: tuple[str, ...] = ()) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 255 or any(c.isspace() for c in text):
        checker.fail(name, "payments.secret_invalid")
        return None
    if prefixes and not text.startswith(prefixes):
        checker.fail(name, "payments.secret_prefix")
        return None
    return text


def update_settings(session: Session, principal: Principal, organization_id: int, data: SettingsInput) -> SettingsView:
    """Check everything, then save it all or nothing (errors name their fields)."""
    access(session, principal, organization_id, MANAGE_SETTINGS)
    checker = Checker()
    stripe_key = _secret(checker, "stripe_secret_key", data.stripe_secret_key, ("sk_", "rk_"))
    stripe_hook = _secret(checker, "stripe_webhook_secret", data.stripe_webhook_secret, ("whsec_",))
    shop_id = (data.yookassa_shop_id or "").strip()
    if shop_id and (not shop_id.isdigit() or len(shop_id) > 20):
        checker.fail("yookassa_shop_id", "payments.shop_id_invalid")
    yk_key = _secret(checker, "yookassa_secret_key", data.yookassa_secret_key)
    instructions = checker.text("bank_instructions", data.bank_instructions, max_len=2000, required=False)
    if data.bank_enabled and not instructions:
        checker.fail("bank_instructions", "payments.bank_instructions_required")
    vat = checker.int_range("receipt_vat_code", data.receipt_vat_code if data.receipt_vat_code not in (None, "") else 1,
                            low=1, high=6)
    row = _row(session, organization_id)
    if not data.clear_stripe and bool(stripe_key or row.stripe_secret_key) != bool(stripe_hook or row.stripe_webhook_secret):
        checker.fail("stripe_webhook_secret" if stripe_key or row.stripe_secret_key else "stripe_secret_key",
                     "payments.stripe_needs_both")
    if not data.clear_yookassa and bool(shop_id) != bool(yk_key or row.yookassa_secret_key):
        checker.fail("yookassa_secret_key" if shop_id else "yookassa_shop_id", "payments.yookassa_needs_both")
    if data.receipts_enabled and not (shop_id and not data.clear_yookassa):
        checker.fail("receipts_enabled", "payments.receipts_need_yookassa")
    checker.raise_if_any()
    begin_write(session)
    try:
        row = session.merge(_row(session, organization_id))
        if data.clear_stripe:
            row.stripe_secret_key = row.stripe_webhook_secret = ""
        else:
            if stripe_key:
                row.stripe_secret_key = keys.encrypt(stripe_key)
            if stripe_hook:
                row.stripe_webhook_secret = keys.encrypt(stripe_hook)
        row.stripe_test_mode = bool(data.stripe_test_mode)
        if data.clear_yookassa:
            row.yookassa_shop_id = row.yookassa_secret_key = ""
        else:
            row.yookassa_shop_id = shop_id
            if yk_key:
                row.yookassa_secret_key = keys.encrypt(yk_key)
        row.yookassa_test_mode = bool(data.yookassa_test_mode)
        row.bank_enabled = bool(data.bank_enabled)
        row.bank_instructions = instructions
        row.receipts_enabled = bool(data.receipts_enabled) and not data.clear_yookassa
        row.receipt_vat_code = vat or 1
        row.updated_at = utcnow()
        # Audited without any secret: only which methods are now possible.
        domain_events.record(session, "payments.settings_changed",
                             {"organization_id": organization_id, "methods": list(available(row))},
                             organization_id=organization_id, actor_user_id=principal.user_id)
        session.flush()
        view = _view(row)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return view


def settings_row(session: Session, organization_id: int) -> PaymentSettings:
    """The saved settings (a blank row when none were saved), to pass to `offered` and `provider_for`."""
    return _row(session, organization_id)


def offered(session: Session, event: Event, row: PaymentSettings | None = None) -> tuple[str, ...]:
    """The payment methods an event offers now: those it chose that its organization's settings make possible."""
    possible = available(row or _row(session, event.organization_id))
    chosen = {providers.STRIPE: event.pay_stripe, providers.YOOKASSA: event.pay_yookassa, providers.BANK: event.pay_bank}
    return tuple(m for m in possible if chosen[m])


def bank_instructions(session: Session, organization_id: int) -> str:
    return _row(session, organization_id).bank_instructions


def provider_for(session: Session, organization_id: int, name: str,
                 row: PaymentSettings | None = None) -> providers.Provider:
    """The organization's provider `name`, built from its saved (decrypted) settings; ProviderRefused when it is
    not connected. Built once per saved settings (a change of key builds a new one)."""
    if name == providers.BANK:
        return providers.BankTransfer()
    row = row or _row(session, organization_id)
    if name == providers.STRIPE and row.stripe_secret_key:
        return _built(name, row.stripe_secret_key, row.stripe_webhook_secret, row.stripe_test_mode,
                      config.stripe_api_base(), config.provider_timeout_seconds(), config.secret_key())
    if name == providers.YOOKASSA and row.yookassa_shop_id:
        return _built(name, row.yookassa_shop_id, row.yookassa_secret_key, row.yookassa_test_mode,
                      config.yookassa_api_url(), config.provider_timeout_seconds(), config.secret_key())
    raise providers.ProviderRefused(f"{name} is not connected")


@lru_cache(maxsize=256)
def _built(name: str, first: str, second: str, test_mode: bool, _base: str, _timeout: float,
           _secret: str) -> providers.Provider:
    """A provider for these saved (encrypted) settings and this configuration (both are the cache's key)."""
    if name == providers.STRIPE:
        from aqstream.services.payments.stripe_provider import StripeProvider
        return StripeProvider(keys.decrypt(first), keys.decrypt(second), test_mode=test_mode)
    from aqstream.services.payments.yookassa import YooKassaProvider
    return YooKassaProvider(first, keys.decrypt(second), test_mode=test_mode)


def connected_methods(session: Session, principal: Principal, organization_id: int) -> tuple[str, ...]:
    """The methods an event of this organization may offer now, for those who edit events (who may not see the
    settings themselves): the event form says which of its choices still need connecting."""
    access(session, principal, organization_id, Need(MANAGE_EVENTS, writes=False))
    return available(_row(session, organization_id))


def notification_urls(public_base_url: str, org_slug: str) -> dict[str, str]:
    """Where each provider sends its notifications for this organization (what the settings page tells the
    organizer to paste into the provider's dashboard); the routes are api/payments.py's."""
    base = f"{public_base_url.rstrip('/')}/api/v1/payments"
    return {providers.STRIPE: f"{base}/{providers.STRIPE}/{org_slug}/webhook",
            providers.YOOKASSA: f"{base}/{providers.YOOKASSA}/{org_slug}/notification"}
