"""An in-memory card provider for the service-level payment tests: a ledger of every payment it created and every
refund it made, with amounts, kept like a provider keeps them (idempotency keys answered once, a refund never more
than was paid, notifications signed with HMAC-SHA256 and refused when the signature is wrong). Thread-safe: the
rush tests call it from many threads. `install` makes it the Stripe provider of every organization
(`settings.provider_for` is what payments.py and refunds.py ask)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field

from aqstream.services.payments import providers, settings

SECRET = b"whsec_ledger"


@dataclass
class Charge:
    provider_payment_id: str
    payment_id: int  # ours, as the checkout request named it
    order_id: int
    amount_minor: int
    currency: str
    status: str = providers.REMOTE_PENDING
    refunds: list[tuple[str, int]] = field(default_factory=list)  # (idempotency key, amount)

    @property
    def refunded(self) -> int:
        return sum(amount for _, amount in self.refunds)


class Ledger:
    name = providers.STRIPE
    test_mode = True

    def __init__(self):
        self.lock = threading.Lock()
        self.charges: dict[str, Charge] = {}
        self.by_key: dict[str, str] = {}  # checkout idempotency key -> provider payment id
        self.refund_keys: dict[str, tuple[str, int]] = {}  # refund idempotency key -> (payment, amount)
        self.ids = itertools.count(1)
        self.prefix = f"cs_ledger_{uuid.uuid4().hex[:8]}_"  # ids unique across tests sharing a database
        self.calls = {"create": 0, "fetch": 0, "refund": 0, "notification": 0}

    # --- the provider interface ---------------------------------------------------------------------------
    def create_payment(self, request: providers.CheckoutRequest) -> providers.Created:
        with self.lock:
            self.calls["create"] += 1
            pid = self.by_key.get(request.idempotency_key)
            if pid is None:  # a key seen before gets the same payment back (as Stripe answers a retry)
                pid = f"{self.prefix}{next(self.ids)}"
                self.by_key[request.idempotency_key] = pid
                self.charges[pid] = Charge(pid, request.payment_id, request.order_id, request.amount_minor,
                                           request.currency.upper())
            return providers.Created(pid, f"https://pay.ledger.example/{pid}")

    def notification_ids(self, body: bytes, headers) -> list[str]:
        with self.lock:
            self.calls["notification"] += 1
        given = {k.lower(): v for k, v in headers.items()}.get("x-ledger-signature", "")
        if not hmac.compare_digest(given, hmac.new(SECRET, body, hashlib.sha256).hexdigest()):
            raise providers.BadNotification("signature")
        try:
            return [str(json.loads(body)["data"]["id"])]
        except (ValueError, KeyError, TypeError) as exc:
            raise providers.BadNotification("body") from exc

    def fetch_payment(self, provider_payment_id: str) -> providers.Remote:
        with self.lock:
            self.calls["fetch"] += 1
            charge = self.charges.get(provider_payment_id)
            if charge is None:  # another test's payment in the shared database: nothing known yet
                return providers.Remote(provider_payment_id, providers.REMOTE_PENDING, 0, "EUR")
            return providers.Remote(provider_payment_id, charge.status, charge.amount_minor, charge.currency)

    def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str):
        with self.lock:
            self.calls["refund"] += 1
            charge = self.charges.get(provider_payment_id)
            if charge is None:
                raise providers.ProviderUnavailable("unknown here (another test's payment)")
            if idempotency_key in self.refund_keys:  # a retry after a lost answer: the same refund, once
                return providers.RemoteRefund(f"re_{idempotency_key}", True)
            if charge.status != providers.REMOTE_SUCCEEDED or currency.upper() != charge.currency:
                raise providers.ProviderRefused("nothing to refund")
            if amount_minor <= 0 or charge.refunded + amount_minor > charge.amount_minor:
                raise providers.ProviderRefused("more than was paid")
            charge.refunds.append((idempotency_key, amount_minor))
            self.refund_keys[idempotency_key] = (provider_payment_id, amount_minor)
            return providers.RemoteRefund(f"re_{idempotency_key}", True)

    # --- what the buyer and the provider do ---------------------------------------------------------------
    def pay(self, provider_payment_id: str) -> None:
        with self.lock:
            self.charges[provider_payment_id].status = providers.REMOTE_SUCCEEDED

    def fail(self, provider_payment_id: str) -> None:
        with self.lock:
            charge = self.charges[provider_payment_id]
            if charge.status == providers.REMOTE_PENDING:
                charge.status = providers.REMOTE_FAILED

    def notification(self, provider_payment_id: str, kind: str = "checkout.session.completed",
                     forged: bool = False) -> tuple[bytes, dict[str, str]]:
        """A signed notification about one payment, as the provider would post it."""
        body = json.dumps({"type": kind, "data": {"id": provider_payment_id}}).encode()
        signature = hmac.new(b"wrong" if forged else SECRET, body, hashlib.sha256).hexdigest()
        return body, {"X-Ledger-Signature": signature, "Content-Type": "application/json"}

    # --- the books ----------------------------------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        with self.lock:
            charges = list(self.charges.values())
        return {
            "paid": sum(c.amount_minor for c in charges if c.status == providers.REMOTE_SUCCEEDED),
            "refunded": sum(c.refunded for c in charges),
            "open": sum(c.amount_minor for c in charges if c.status == providers.REMOTE_PENDING),
        }


def install(monkeypatch) -> Ledger:
    ledger = Ledger()
    real = settings.provider_for
    monkeypatch.setattr(settings, "provider_for", lambda s, org_id, name, row=None: ledger if name == providers.STRIPE
                        else real(s, org_id, name))
    return ledger
