"""YooKassa (API v3) over plain HTTP: a payment with a confirmation redirect (with a 54-FZ receipt when the
organization sends them), the payment fetched back, refunds in full or in part, and notifications.

A YooKassa notification carries no signature: it is read only for the payment it names, and the caller fetches
that payment back from the API (authenticated with the shop's own key) before believing anything; the optional
IP allow-list (AQSTREAM_YOOKASSA_IPS) is checked at the HTTP edge. Money travels as decimal strings ("1500.00"),
made from and read back into integer minor units exactly. The secret key is used for HTTP Basic auth only and is
never logged or shown in an error."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import httpx
from babel.numbers import get_currency_precision

from aqstream import config
from aqstream.i18n import minor_to_decimal
from aqstream.services.payments.providers import (
    REMOTE_FAILED,
    REMOTE_PENDING,
    REMOTE_SUCCEEDED,
    YOOKASSA,
    BadNotification,
    CheckoutRequest,
    Created,
    Line,
    ProviderRefused,
    ProviderUnavailable,
    Remote,
    RemoteRefund,
)

DESCRIPTION_MAX = 128  # YooKassa's limit for a payment's and a receipt item's description
RECEIPT_ITEMS_MAX = 100  # and for the items of one receipt
PAYMENT_EVENTS = ("payment.succeeded", "payment.waiting_for_capture", "payment.canceled")
REFUND_EVENTS = ("refund.succeeded",)
ID_MAX = 100
PLAIN_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
STATUSES = {"succeeded": REMOTE_SUCCEEDED, "canceled": REMOTE_FAILED, "pending": REMOTE_PENDING,
            "waiting_for_capture": REMOTE_PENDING}


def money_value(amount_minor: int, currency: str) -> str:
    """Integer minor units as YooKassa's amount value: 150000 RUB -> "1500.00", 500 JPY -> "500"."""
    digits = get_currency_precision(currency)
    return f"{minor_to_decimal(amount_minor, currency):.{digits}f}"


def parse_value(value: Any, currency: str) -> int:
    """YooKassa's amount value back into integer minor units, exactly ("1500.50" RUB -> 150050). A value that is not
    a plain decimal, or has more digits than the currency, is refused (it cannot be compared exactly)."""
    if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value.strip()):
        raise ProviderRefused("yookassa: an amount that is not a plain decimal string")
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ProviderRefused("yookassa: an amount that is not a decimal") from None
    minor = amount.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise ProviderRefused("yookassa: an amount that is not whole minor units")
    return int(minor)


def _currency(value: Any) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if len(text) != 3 or not text.isalpha():
        raise ProviderRefused("yookassa: an answer without a currency")
    return text


def _clip(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def receipt_items(request: CheckoutRequest) -> list[dict[str, Any]]:
    """One item per ticket line (its price, the organization's VAT code, a service paid in full). The items must
    add up to the payment: when the lines do not (none given, or a total they do not explain), the receipt has one
    item for the whole order."""
    lines: list[Line] = [line for line in request.lines if line.amount_minor > 0 and line.quantity > 0]
    if sum(line.amount_minor * line.quantity for line in lines) != request.amount_minor:
        lines = [Line(request.description, request.amount_minor, 1)]
    if len(lines) > RECEIPT_ITEMS_MAX:  # the same ticket many times is one item with its quantity
        grouped: dict[tuple[str, int], int] = {}
        for line in lines:
            grouped[(line.name, line.amount_minor)] = grouped.get((line.name, line.amount_minor), 0) + line.quantity
        lines = [Line(name, amount, quantity) for (name, amount), quantity in grouped.items()]
        if len(lines) > RECEIPT_ITEMS_MAX:
            lines = [Line(request.description, request.amount_minor, 1)]
    return [{
        "description": _clip(line.name) or _clip(request.description),
        "quantity": f"{line.quantity}.00",
        "amount": {"value": money_value(line.amount_minor, request.currency), "currency": request.currency},
        "vat_code": request.vat_code,
        "payment_subject": "service",
        "payment_mode": "full_payment",
    } for line in lines]


class YooKassaProvider:
    """One shop's YooKassa account (its shop id and secret key), in test or live mode (YooKassa tells them apart by
    the key itself; `test_mode` is what AqStream shows)."""

    name = YOOKASSA

    def __init__(self, shop_id: str, secret_key: str, test_mode: bool = True):
        self.shop_id = shop_id
        self._secret_key = secret_key
        self.test_mode = test_mode

    def __repr__(self) -> str:  # never the secret
        return f"YooKassaProvider(shop_id={self.shop_id!r}, test_mode={self.test_mode})"

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, body: dict | None = None, idempotency_key: str | None = None,
              not_found: type[Exception] | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotence-Key"] = idempotency_key if len(idempotency_key) <= 64 else _short(idempotency_key)
        try:
            with httpx.Client(base_url=config.yookassa_api_url(), auth=(self.shop_id, self._secret_key),
                              timeout=config.provider_timeout_seconds()) as client:
                response = client.request(method, path, json=body, headers=headers)
        except httpx.TimeoutException:
            raise ProviderUnavailable(f"yookassa: {method} {path}: timed out") from None
        except httpx.HTTPError as exc:  # refused, reset, DNS, TLS: nothing is known
            raise ProviderUnavailable(f"yookassa: {method} {path}: {type(exc).__name__}") from None
        status = response.status_code
        if status == 404 and not_found is not None:
            raise not_found(f"yookassa: {path} is not known")
        if status == 429 or status >= 500:
            raise ProviderUnavailable(f"yookassa: {method} {path}: HTTP {status}")
        if status >= 400:
            raise ProviderRefused(f"yookassa: {method} {path}: HTTP {status} {_error_of(response)}".strip())
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"yookassa: {method} {path}: an answer that is not a JSON object")
        return data

    # -- the Provider interface ---------------------------------------------------------------------------------

    def create_payment(self, request: CheckoutRequest) -> Created:
        currency = request.currency.upper()
        body: dict[str, Any] = {
            "amount": {"value": money_value(request.amount_minor, currency), "currency": currency},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": request.return_url,
                             "locale": "ru_RU" if request.locale == "ru" else "en_US"},
            "description": _clip(request.description),
            "metadata": {"order_id": str(request.order_id), "payment_id": str(request.payment_id)},
        }
        if request.receipt:
            body["receipt"] = {"customer": {"email": request.buyer_email},
                               "items": receipt_items(replace(request, currency=currency))}
        data = self._call("POST", "/payments", body=body, idempotency_key=request.idempotency_key)
        payment_id = data.get("id")
        confirmation = data.get("confirmation") if isinstance(data.get("confirmation"), dict) else {}
        url = confirmation.get("confirmation_url")
        if data.get("status") == "canceled":
            raise ProviderRefused(f"yookassa: the payment was cancelled at once: {_reason(data)}")
        if not isinstance(payment_id, str) or not payment_id or not isinstance(url, str) or not url:
            raise ProviderUnavailable("yookassa: a created payment without its id or confirmation URL")
        return Created(provider_payment_id=payment_id, redirect_url=url)

    def notification_ids(self, body: bytes, headers: Mapping[str, str]) -> list[str]:
        """The payment a notification names; nothing in it is believed (the caller fetches the payment back)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadNotification("not JSON") from None
        if not isinstance(data, dict) or data.get("type") != "notification":
            raise BadNotification("not a YooKassa notification")
        event, obj = data.get("event"), data.get("object")
        if event not in PAYMENT_EVENTS + REFUND_EVENTS or not isinstance(obj, dict):
            raise BadNotification("an unknown event")
        payment_id = obj.get("id") if event in PAYMENT_EVENTS else obj.get("payment_id")
        if not isinstance(payment_id, str) or not payment_id.strip() or len(payment_id) > ID_MAX:
            raise BadNotification("no payment named")
        return [payment_id.strip()]

    def fetch_payment(self, provider_payment_id: str) -> Remote:
        payment_id = (provider_payment_id or "").strip()
        if not payment_id or len(payment_id) > ID_MAX or "/" in payment_id or not payment_id.isprintable():
            raise BadNotification("not a YooKassa payment id")
        data = self._call("GET", f"/payments/{payment_id}", not_found=BadNotification)
        if data.get("id") != payment_id:
            raise ProviderUnavailable("yookassa: the answer is about another payment")
        status = STATUSES.get(data.get("status"))
        if status is None:
            raise ProviderUnavailable("yookassa: a payment in an unknown status")
        amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        currency = _currency(amount.get("currency"))
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        return Remote(provider_payment_id=payment_id, status=status, amount_minor=parse_value(amount.get("value"), currency),
                      currency=currency, metadata={str(k): str(v) for k, v in metadata.items()})

    def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> RemoteRefund:
        currency = currency.upper()
        data = self._call("POST", "/refunds", idempotency_key=idempotency_key, body={
            "payment_id": provider_payment_id,
            "amount": {"value": money_value(amount_minor, currency), "currency": currency},
        })
        refund_id, status = data.get("id"), data.get("status")
        if status == "canceled":
            raise ProviderRefused(f"yookassa: refund cancelled: {_reason(data)}")
        if not isinstance(refund_id, str) or not refund_id or status not in ("succeeded", "pending"):
            raise ProviderUnavailable("yookassa: a refund answer without its id or status")
        return RemoteRefund(provider_refund_id=refund_id, done=status == "succeeded")

    def fetch_refund(self, provider_refund_id: str) -> RemoteRefund:
        if not provider_refund_id or "/" in provider_refund_id:
            raise ProviderRefused("yookassa: not a refund id")
        data = self._call("GET", f"/refunds/{provider_refund_id}")
        status = data.get("status")
        if status == "canceled":
            raise ProviderRefused(f"yookassa: refund cancelled: {_reason(data)}")
        if status not in ("succeeded", "pending"):
            raise ProviderUnavailable("yookassa: a refund answer without its status")
        return RemoteRefund(provider_refund_id=provider_refund_id, done=status == "succeeded")


def _short(key: str) -> str:
    """YooKassa takes an Idempotence-Key of at most 64 characters: a longer one is hashed (still one key a request)."""
    return "h-" + hashlib.sha256(key.encode()).hexdigest()[:62]


def _error_of(response: httpx.Response) -> str:
    """YooKassa's error code and description, for the log and the payment's last error (never the request)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return " ".join(str(data.get(k))[:200] for k in ("code", "description", "parameter") if data.get(k))


def _reason(data: dict) -> str:
    details = data.get("cancellation_details")
    return str(details.get("reason", ""))[:100] if isinstance(details, dict) else ""
