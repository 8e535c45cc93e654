"""How a payment attempt is written: its idempotency key (the registration's Idempotency-Key, which travels to the
provider) and a bank transfer's reference. Registration writes an order's first attempt in its own transaction
(`first_attempt`); payments.start writes the later ones."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aqstream.services.lifecycle import PaymentStatus
from aqstream.services.payments.providers import BANK


def key(idempotency_key: str | None, order_id: int, attempt: int) -> str:
    """The provider's idempotency key of an order's attempt: the registration's own key for the first, with
    `:<attempt>` after it for later ones (a key of our own when the registration had none)."""
    base = idempotency_key or f"aqstream-order-{order_id}"
    return base if attempt == 1 else f"{base}:{attempt}"


def reference(order_id: int) -> str:
    """What a buyer writes in a bank transfer's details: the order, and four characters nobody guesses."""
    return f"AQ-{order_id}-{secrets.token_hex(2).upper()}"


def first_attempt(*, organization_id: int, event_id: int, order_id: int, method: str, amount_minor: int,
                  currency: str, idempotency_key: str | None, now: datetime) -> dict:
    """The row of an order's first payment attempt, `created` (not yet asked of the provider)."""
    return dict(organization_id=organization_id, event_id=event_id, order_id=order_id, attempt=1, provider=method,
                provider_payment_id=None, status=PaymentStatus.CREATED, amount_minor=amount_minor, currency=currency,
                idempotency_key=key(idempotency_key, order_id, 1), redirect_url="",
                reference=reference(order_id) if method == BANK else "", test_mode=False, created_at=now,
                updated_at=now, paid_at=None, last_error="")


@dataclass
class FirstAttempt:
    """An order's first attempt as registration wrote it, with what asking the provider needs (payments.start_first)."""

    payment_id: int
    method: str
    organization_id: int
    order_id: int
    amount_minor: int
    currency: str
    idempotency_key: str
    reference: str
    description: str
    buyer_email: str
    locale: str
    expires_at: datetime | None
    lines: tuple[tuple[str, int], ...]  # (ticket type, price) per paid ticket
    settings: Any  # the organization's payment settings as read with the event
