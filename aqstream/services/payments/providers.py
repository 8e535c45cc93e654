"""One interface for every payment provider: create a payment, read a notification, fetch a payment back, refund
it in full or in part. Stripe (stripe_provider.py) and YooKassa (yookassa.py) talk to their HTTP APIs; bank
transfer has no remote side. Nothing here touches the database: payments.py and refunds.py decide, the providers
only ask and answer.

A provider raises `ProviderUnavailable` when it cannot be reached or answers with a server error (the caller
keeps its records and tries again later), `ProviderRefused` when it answered no for good (bad key, refund
refused), and `BadNotification` for a notification it cannot verify (a forged signature, a payment the provider
does not know)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

STRIPE = "stripe"
YOOKASSA = "yookassa"
BANK = "bank"
ALL = (STRIPE, YOOKASSA, BANK)

# What a fetched payment says, in our words.
REMOTE_PENDING = "pending"
REMOTE_SUCCEEDED = "succeeded"
REMOTE_FAILED = "failed"


class ProviderError(Exception):
    pass


class ProviderUnavailable(ProviderError):
    """The provider did not answer, or answered with a server error: nothing is known; try again later."""


class ProviderRefused(ProviderError):
    """The provider answered no (bad credentials, an invalid request, a refund it will not make)."""


class BadNotification(ProviderError):
    """A notification that does not verify: it is answered 400 and changes nothing."""


@dataclass(frozen=True)
class Line:
    """One ticket of an order, for receipts and for the provider's page."""

    name: str
    amount_minor: int
    quantity: int = 1


@dataclass(frozen=True)
class CheckoutRequest:
    order_id: int
    payment_id: int
    amount_minor: int
    currency: str  # ISO 4217, upper case
    description: str
    buyer_email: str
    return_url: str  # where the buyer comes back to (the order page)
    cancel_url: str
    idempotency_key: str  # the registration's Idempotency-Key (with the attempt when it is not the first)
    lines: tuple[Line, ...] = ()
    locale: str = "en"
    expires_in_seconds: int = 900
    receipt: bool = False  # 54-FZ: YooKassa sends a receipt with the payment
    vat_code: int = 1


@dataclass(frozen=True)
class Created:
    provider_payment_id: str
    redirect_url: str  # "" when there is nothing to open (bank transfer)


@dataclass(frozen=True)
class Remote:
    """A payment as the provider has it."""

    provider_payment_id: str
    status: str  # REMOTE_PENDING | REMOTE_SUCCEEDED | REMOTE_FAILED
    amount_minor: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRefund:
    provider_refund_id: str
    done: bool  # False: the provider accepted it and will finish it later


class Provider(Protocol):
    name: str
    test_mode: bool

    def create_payment(self, request: CheckoutRequest) -> Created: ...

    def notification_ids(self, body: bytes, headers: Mapping[str, str]) -> list[str | Remote]:
        """What a notification is about, after verifying it (BadNotification if it does not verify): a payment's
        id, which the caller fetches back from the provider before believing anything (YooKassa), or the payment
        itself when the notification's own signature proves it came from the provider (Stripe)."""
        ...

    def fetch_payment(self, provider_payment_id: str) -> Remote: ...

    def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> RemoteRefund: ...

    def fetch_refund(self, provider_refund_id: str) -> RemoteRefund:
        """A refund the provider accepted but had not finished: finished now (done), still going (not done), or
        ProviderRefused when it failed."""
        ...


class BankTransfer:
    """Bank transfer: no remote side. The order waits with the organization's instructions and a reference; an
    organizer marks it paid (payments.mark_paid) and gives money back by their own bank (a refund is recorded
    as done at once)."""

    name = BANK
    test_mode = False

    def create_payment(self, request: CheckoutRequest) -> Created:
        return Created(provider_payment_id=f"bank-{request.payment_id}", redirect_url="")

    def notification_ids(self, body: bytes, headers: Mapping[str, str]) -> list[str | Remote]:
        raise BadNotification("bank transfers have no notifications")

    def fetch_payment(self, provider_payment_id: str) -> Remote:
        raise ProviderRefused("a bank transfer is marked paid by an organizer")

    def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> RemoteRefund:
        return RemoteRefund(provider_refund_id=f"bank-refund-{idempotency_key}", done=True)

    def fetch_refund(self, provider_refund_id: str) -> RemoteRefund:
        return RemoteRefund(provider_refund_id=provider_refund_id, done=True)
