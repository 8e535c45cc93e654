"""Stripe: a payment is a Checkout Session (the buyer pays on Stripe's page), a notification is a webhook event
signed with the organization's endpoint secret (`Stripe-Signature`), a refund is a Refund of the session's
PaymentIntent. The `stripe` package talks to the API through a client of this organization's own (its key is
never a module global: two organizations' requests never share one); `AQSTREAM_STRIPE_API_BASE` points it at a
local fake in tests (tests/fakes/stripe_server.py).

Every answer is mapped to the providers' words: no answer, a timeout, a 5xx, 409 or 429 -> ProviderUnavailable
(try again later); any other 4xx (a bad key, an invalid request, a refused card or refund) -> ProviderRefused.
The secret key is never logged nor put into an error."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Mapping

import stripe

from aqstream import config
from aqstream.services.payments import keys
from aqstream.services.payments.providers import (
    REMOTE_FAILED,
    REMOTE_PENDING,
    REMOTE_SUCCEEDED,
    STRIPE,
    BadNotification,
    CheckoutRequest,
    Created,
    ProviderRefused,
    ProviderUnavailable,
    Remote,
    RemoteRefund,
)

log = logging.getLogger(__name__)

# Stripe's amounts are in the currency's smallest unit, as ours (Babel's digits), except for two currencies Stripe
# still writes with two decimals (always "00") for backward compatibility: ours * scale is Stripe's.
_SCALE = {"ISK": 100, "UGX": 100}
# Checkout Sessions may expire from 30 minutes to 24 hours after they are made; shorter holds leave Stripe's
# default (24 hours): a payment after the order expired is settled by payments.settle (revived or refunded).
_MIN_EXPIRY, _MAX_EXPIRY, _MARGIN = 30 * 60, 24 * 3600, 60
_LOCALES = {"ru": "ru", "en": "en"}

_clients_lock = threading.Lock()
_http_clients: dict[float, stripe.HTTPClient] = {}


def _http_client(timeout: float) -> stripe.HTTPClient:
    """One HTTP connection pool per timeout for the process: it holds no credentials (each request carries its
    organization's key), and building one loads the CA bundle, too slow to do per request."""
    with _clients_lock:
        client = _http_clients.get(timeout)
        if client is None:
            client = _http_clients[timeout] = stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True)
        return client


def _to_stripe(amount_minor: int, currency: str) -> int:
    return int(amount_minor) * _SCALE.get(currency.upper(), 1)


def _from_stripe(amount: int | None, currency: str) -> int:
    return int(amount or 0) // _SCALE.get(currency.upper(), 1)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class StripeProvider:
    name = STRIPE

    def __init__(self, secret_key: str, webhook_secret: str, test_mode: bool = True):
        self.test_mode = test_mode
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key, base_addresses={"api": config.stripe_api_base()}, max_network_retries=0,
            http_client=_http_client(config.provider_timeout_seconds()))

    def __repr__(self) -> str:  # never the key
        return f"StripeProvider(key={keys.mask(self._secret_key)!r}, test_mode={self.test_mode})"

    # Errors ---------------------------------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        for secret in (self._secret_key, self._webhook_secret):
            if secret:
                text = text.replace(secret, keys.mask(secret))
        return text[:300]

    def _call(self, what: str, fn, *args, **kwargs):
        """Call the API, answering a plain dict; its errors become ProviderUnavailable or ProviderRefused (without
        the key)."""
        try:
            return fn(*args, **kwargs).to_dict()
        except stripe.APIConnectionError as exc:  # no answer: refused connection, timeout, broken TLS
            log.warning("stripe %s: no answer (%s)", what, type(exc.__cause__ or exc).__name__)
            raise ProviderUnavailable(f"stripe {what}: no answer") from None
        except stripe.StripeError as exc:
            status = exc.http_status
            message = self._clean(f"stripe {what}: {status} {type(exc).__name__}: {exc.user_message or exc.code or ''}")
            if status is None or status >= 500 or status in (409, 429) or isinstance(exc, stripe.RateLimitError):
                log.warning("%s", message)
                raise ProviderUnavailable(message) from None
            if status < 400:  # an answer we could not read (not JSON): nothing is known
                log.warning("%s", message)
                raise ProviderUnavailable(message) from None
            log.warning("%s", message)
            raise ProviderRefused(message) from None

    # Paying ---------------------------------------------------------------------------------------------------

    def create_payment(self, request: CheckoutRequest) -> Created:
        currency = request.currency.upper()
        lines = [line for line in request.lines if line.amount_minor > 0 and line.quantity > 0]
        if sum(line.amount_minor * line.quantity for line in lines) != request.amount_minor:
            lines = []  # the lines do not add up to the total (a discount, a rounding): one line with the total
        if not lines:
            items = [self._item(request.description or f"#{request.order_id}", request.amount_minor, 1, currency)]
        else:
            items = [self._item(line.name, line.amount_minor, line.quantity, currency) for line in lines]
        metadata = {"order_id": str(request.order_id), "payment_id": str(request.payment_id)}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": items,
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": str(request.order_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": request.description[:500]},
            "locale": _LOCALES.get((request.locale or "en")[:2].lower(), "en"),
        }
        if request.buyer_email:
            params["customer_email"] = request.buyer_email
        if request.expires_in_seconds >= _MIN_EXPIRY:
            # A little longer than asked at the lower bound, so the session reaches Stripe still 30 minutes away.
            seconds = min(max(request.expires_in_seconds, _MIN_EXPIRY + _MARGIN), _MAX_EXPIRY - _MARGIN)
            params["expires_at"] = int(time.time()) + seconds
        session = self._call("create checkout session", self._client.v1.checkout.sessions.create, params,
                             {"idempotency_key": request.idempotency_key})
        if not session.get("id") or not session.get("url"):
            raise ProviderUnavailable("stripe create checkout session: no id or url in the answer")
        return Created(provider_payment_id=session["id"], redirect_url=session["url"])

    @staticmethod
    def _item(name: str, amount_minor: int, quantity: int, currency: str) -> dict[str, Any]:
        return {"quantity": quantity, "price_data": {"currency": currency.lower(),
                                                     "unit_amount": _to_stripe(amount_minor, currency),
                                                     "product_data": {"name": (name or "Ticket")[:250]}}}

    # Notifications --------------------------------------------------------------------------------------------

    def notification_ids(self, body: bytes, headers: Mapping[str, str]) -> list[str | Remote]:
        signature = _header(headers, "stripe-signature")
        if not signature:
            raise BadNotification("no Stripe-Signature header")
        try:
            event = self._client.construct_event(body, signature, self._webhook_secret).to_dict()
        except stripe.SignatureVerificationError:
            raise BadNotification("the signature does not verify") from None
        except Exception:  # not JSON, not an event, a malformed header
            raise BadNotification("not a Stripe event") from None
        try:
            kind = str(event.get("type") or "")
            obj = event["data"]["object"]
            object_id = str(obj.get("id") or "")
        except (KeyError, TypeError, AttributeError):
            raise BadNotification("not a Stripe event") from None
        if kind.startswith("checkout.session."):
            # The signature is the verification: a signed snapshot of a paid session is believed as it is (a
            # paid session stays paid), with no second request to Stripe. Any other (expired, unpaid, an async
            # payment failing) may be stale when it arrives out of order: that session is fetched back.
            if not object_id.startswith("cs_"):
                return []
            try:
                remote = self._remote(obj)
            except (KeyError, TypeError, ValueError, AttributeError):
                return [object_id]
            return [remote if remote.status == REMOTE_SUCCEEDED else object_id]
        if kind.startswith("payment_intent.") or kind == "charge.refunded":
            intent = object_id if kind.startswith("payment_intent.") else str(obj.get("payment_intent") or "")
            return self._sessions_of(intent, obj.get("metadata") or {})
        return []

    def _sessions_of(self, payment_intent: str, metadata: Mapping[str, Any]) -> list[str]:
        """The Checkout Session of a PaymentIntent we made (its metadata names our payment); [] for others."""
        if not payment_intent or "payment_id" not in metadata:
            return []
        found = self._call("find checkout session", self._client.v1.checkout.sessions.list,
                           {"payment_intent": payment_intent, "limit": 1})
        return [s["id"] for s in (found.get("data") or []) if s.get("id")][:1]

    # Fetching back --------------------------------------------------------------------------------------------

    def fetch_payment(self, provider_payment_id: str) -> Remote:
        if not provider_payment_id.startswith("cs_"):
            raise ProviderRefused("not a Stripe Checkout Session")
        session = self._call("retrieve checkout session", self._client.v1.checkout.sessions.retrieve,
                             provider_payment_id)
        return self._remote(session)

    @staticmethod
    def _remote(session: Mapping[str, Any]) -> Remote:
        currency = str(session.get("currency") or "").upper()
        if session.get("payment_status") in ("paid", "no_payment_required"):
            status = REMOTE_SUCCEEDED
        elif session.get("status") == "expired":
            status = REMOTE_FAILED
        else:
            status = REMOTE_PENDING
        metadata = {str(k): str(v) for k, v in (session.get("metadata") or {}).items()}
        return Remote(provider_payment_id=session["id"], status=status,
                      amount_minor=_from_stripe(session.get("amount_total"), currency), currency=currency,
                      metadata=metadata)

    # Refunds --------------------------------------------------------------------------------------------------

    def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> RemoteRefund:
        if amount_minor <= 0:
            raise ProviderRefused("nothing to refund")
        session = self._call("retrieve checkout session", self._client.v1.checkout.sessions.retrieve,
                             provider_payment_id)
        intent = session.get("payment_intent")
        intent_id = intent if isinstance(intent, str) else (intent or {}).get("id")
        if not intent_id:
            raise ProviderRefused("stripe refund: the session has no payment")
        refund = self._call("create refund", self._client.v1.refunds.create,
                            {"payment_intent": intent_id, "amount": _to_stripe(amount_minor, currency),
                             "metadata": {"idempotency_key": idempotency_key[:500]}},
                            {"idempotency_key": idempotency_key})
        status = refund.get("status")
        if status in ("failed", "canceled"):
            raise ProviderRefused(f"stripe refund {refund.get('id')}: {status} ({refund.get('failure_reason') or ''})")
        return RemoteRefund(provider_refund_id=str(refund["id"]), done=status == "succeeded")

    def fetch_refund(self, provider_refund_id: str) -> RemoteRefund:
        refund = self._call("retrieve refund", self._client.v1.refunds.retrieve, provider_refund_id)
        status = refund.get("status")
        if status in ("failed", "canceled"):
            raise ProviderRefused(f"stripe refund {provider_refund_id}: {status} ({refund.get('failure_reason') or ''})")
        return RemoteRefund(provider_refund_id=provider_refund_id, done=status == "succeeded")

