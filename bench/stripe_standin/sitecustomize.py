"""Loaded by every Python process of the benchmarked backend (bench/payments.py puts this folder on PYTHONPATH):
while main has no Stripe provider module (aqstream/services/payments/stripe_provider.py), a stand-in with the
same class name speaks to the benchmark's fake Stripe server (bench/payments.py, FakeStripe) over HTTP, with
Stripe's webhook signature scheme (`Stripe-Signature: t=...,v1=HMAC-SHA256(secret, "t.body")`). When the real
module exists, nothing here is used."""
import os
import sys
import types
from pathlib import Path

_REAL = Path(__file__).resolve().parents[2] / "aqstream" / "services" / "payments" / "stripe_provider.py"
_BASE = os.environ.get("AQSTREAM_BENCH_STRIPE_URL", "")


def _install() -> None:
    import hashlib
    import hmac
    import json

    import httpx

    from aqstream.services.payments import providers

    client = httpx.Client(base_url=_BASE, timeout=10)

    class StripeProvider:
        name = providers.STRIPE

        def __init__(self, secret_key: str, webhook_secret: str, test_mode: bool = True):
            self._key, self._secret, self.test_mode = secret_key, webhook_secret, test_mode

        def _send(self, method: str, path: str, **kw):
            try:
                r = client.request(method, path, headers={"Authorization": f"Bearer {self._key}"}, **kw)
            except httpx.HTTPError as exc:
                raise providers.ProviderUnavailable(type(exc).__name__) from exc
            if r.status_code >= 500:
                raise providers.ProviderUnavailable(str(r.status_code))
            if r.status_code >= 400:
                raise providers.ProviderRefused(str(r.status_code))
            return r.json()

        def create_payment(self, request):
            answer = self._send(
                "POST", "/v1/checkout/sessions", json={"amount_total": request.amount_minor,
                                                       "currency": request.currency.lower(),
                                                       "idempotency_key": request.idempotency_key,
                                                       "metadata": {"payment_id": str(request.payment_id)}})
            return providers.Created(answer["id"], answer["url"])

        def notification_ids(self, body: bytes, headers):
            given = {k.lower(): v for k, v in headers.items()}.get("stripe-signature", "")
            parts = dict(p.split("=", 1) for p in given.split(",") if "=" in p)
            signed = f"{parts.get('t', '')}.".encode() + body
            expected = hmac.new(self._secret.encode(), signed, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(parts.get("v1", ""), expected):
                raise providers.BadNotification("signature")
            event = json.loads(body)
            return [event["data"]["object"]["id"]]

        def fetch_payment(self, provider_payment_id: str):
            s = self._send("GET", f"/v1/checkout/sessions/{provider_payment_id}")
            status = providers.REMOTE_SUCCEEDED if s["payment_status"] == "paid" else (
                providers.REMOTE_FAILED if s["status"] == "expired" else providers.REMOTE_PENDING)
            return providers.Remote(s["id"], status, s["amount_total"], s["currency"].upper())

        def refund(self, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str):
            r = self._send("POST", "/v1/refunds", json={"session": provider_payment_id, "amount": amount_minor,
                                                         "idempotency_key": idempotency_key})
            return providers.RemoteRefund(r["id"], True)

    module = types.ModuleType("aqstream.services.payments.stripe_provider")
    module.StripeProvider = StripeProvider
    return module


class _Loader:
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class _Finder:
    """Installs the stand-in once aqstream's payments package is importable (on its first import)."""

    def find_spec(self, name, path=None, target=None):
        if name == "aqstream.services.payments.stripe_provider":
            import importlib.util
            return importlib.util.spec_from_loader(name, _Loader(_install()))
        return None


if _BASE and not _REAL.exists():
    sys.meta_path.insert(0, _Finder())
