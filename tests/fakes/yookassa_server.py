"""A fake YooKassa API v3 on 127.0.0.1 for tests: real HTTP, HTTP Basic auth with shops' ids and secret keys,
Idempotence-Key honoured (the same key and body: the same answer; the same key and another body: an error), the
payments (with their receipts) and refunds it was asked for, and controls for what a test needs: the buyer pays
(`pay`) or gives up (`cancel`), the API is down (`down`) or slow (`delay`), answers an error (`fail_next`), or
reports another amount than it was asked (`report_amount`); and the notifications YooKassa would send
(`notification`, `send_notification`).

The `yookassa_fake` fixture starts one and points AQSTREAM_YOOKASSA_API_URL at it."""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
VALUE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class FakeYooKassa:
    def __init__(self) -> None:
        self.shops: dict[str, str] = {SHOP_ID: SECRET_KEY}
        self.payments: dict[str, dict[str, Any]] = {}  # id -> the payment as the API shows it
        self.owners: dict[str, str] = {}  # payment or refund id -> the shop that made it
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []  # every request that passed auth: method, path, key, body
        self.idempotent: dict[tuple[str, str, str], tuple[str, int, dict]] = {}  # (shop, path, key) -> answer
        self.reported: dict[str, str] = {}  # payment id -> the amount value the API reports instead of its own
        self.down = False  # every request answered 503
        self.delay = 0.0  # seconds before each answer
        self.refund_status = "succeeded"  # what a new refund is: succeeded | pending | canceled
        self._errors: list[int] = []
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    def start(self) -> "FakeYooKassa":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # -- controls -------------------------------------------------------------------------------------------------

    def add_shop(self, shop_id: str, secret_key: str) -> None:
        self.shops[shop_id] = secret_key

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` requests are answered `status` (429, 500, 401...) with YooKassa's error body."""
        with self.lock:
            self._errors.extend([status] * times)

    def pay(self, payment_id: str) -> dict:
        """The buyer paid on the confirmation page (capture: true, so the payment is succeeded at once)."""
        with self.lock:
            payment = self.payments[payment_id]
            payment.update(status="succeeded", paid=True, captured_at=_now(), refundable=True)
            return dict(payment)

    def wait_for_capture(self, payment_id: str) -> None:
        with self.lock:
            self.payments[payment_id].update(status="waiting_for_capture", paid=True)

    def cancel(self, payment_id: str, reason: str = "expired_on_confirmation") -> None:
        with self.lock:
            self.payments[payment_id].update(status="canceled", paid=False,
                                             cancellation_details={"party": "yoo_money", "reason": reason})

    def report_amount(self, payment_id: str, value: str) -> None:
        """From now on the API says the payment is of `value` (what a forged or broken answer would say)."""
        self.reported[payment_id] = value

    def shown(self, payment_id: str) -> dict:
        with self.lock:
            payment = json.loads(json.dumps(self.payments[payment_id]))
        if payment_id in self.reported:
            payment["amount"]["value"] = self.reported[payment_id]
        return payment

    def notification(self, event: str, object_id: str) -> bytes:
        """The body YooKassa would POST for `event` about a payment (or, for refund.succeeded, a refund). An id it
        does not know gives the body a forger would write."""
        if event.startswith("refund."):
            obj = dict(self.refunds.get(object_id) or {"id": object_id, "payment_id": str(uuid.uuid4()),
                                                      "status": "succeeded"})
        elif object_id in self.payments:
            obj = self.shown(object_id)
        else:
            obj = {"id": object_id, "status": "succeeded", "paid": True,
                   "amount": {"value": "1500.00", "currency": "RUB"}, "metadata": {}}
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def send_notification(self, url: str, event: str, object_id: str, client: Any = None) -> Any:
        """POST a notification to AqStream at `url` (with `client`, e.g. a TestClient, or a real HTTP client)."""
        body = self.notification(event, object_id)
        poster = client or httpx
        return poster.post(url, content=body, headers={"Content-Type": "application/json"})

    def requests_to(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]

    # -- the API --------------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            return 503, _error("internal_server_error", "Service unavailable")
        with self.lock:
            if self._errors:
                status = self._errors.pop(0)
                return status, _error("too_many_requests" if status == 429 else "error", f"HTTP {status}")
        shop = self._shop(headers.get("authorization", ""))
        if shop is None:
            return 401, _error("invalid_credentials", "Login or password is wrong")
        if not path.startswith("/v3/"):
            return 404, _error("not_found", "Unknown path")
        path = path[len("/v3"):]
        body: Any = None
        if method == "POST":
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return 400, _error("invalid_request", "Body is not JSON")
        key = headers.get("idempotence-key", "")
        with self.lock:
            self.requests.append({"method": method, "path": path, "key": key, "body": body, "shop": shop})
            if method == "POST":
                if not key or len(key) > 64:
                    return 400, _error("invalid_request", "Idempotence-Key is required (at most 64 characters)",
                                       "Idempotence-Key")
                seen = self.idempotent.get((shop, path, key))
                fingerprint = json.dumps(body, sort_keys=True)
                if seen is not None:
                    if seen[0] != fingerprint:
                        return 400, _error("invalid_request", "Idempotence key duplicated with another body",
                                           "Idempotence-Key")
                    answer_id = seen[2].get("id")
                    current = self.shown(answer_id) if answer_id in self.payments else self.refunds.get(answer_id, seen[2])
                    return seen[1], current
                status, answer = self._post(shop, path, body)
                if status < 500:
                    self.idempotent[(shop, path, key)] = (fingerprint, status, answer)
                return status, answer
            if method == "GET":
                return self._get(shop, path)
        return 405, _error("invalid_request", "Method not allowed")

    def _shop(self, authorization: str) -> str | None:
        if not authorization.startswith("Basic "):
            return None
        try:
            shop_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return None
        return shop_id if self.shops.get(shop_id) == secret and secret else None

    def _get(self, shop: str, path: str) -> tuple[int, dict]:
        match = re.fullmatch(r"/(payments|refunds)/([^/]+)", path)
        if not match:
            return 404, _error("not_found", "Unknown path")
        kind, object_id = match.groups()
        if self.owners.get(object_id) != shop:
            return 404, _error("not_found", f"{kind[:-1].capitalize()} doesn't exist or access denied", "id")
        return 200, (self.shown(object_id) if kind == "payments" else dict(self.refunds[object_id]))

    def _post(self, shop: str, path: str, body: Any) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return 400, _error("invalid_request", "Body must be an object")
        if path == "/payments":
            return self._create_payment(shop, body)
        if path == "/refunds":
            return self._create_refund(shop, body)
        return 404, _error("not_found", "Unknown path")

    def _create_payment(self, shop: str, body: dict) -> tuple[int, dict]:
        amount = body.get("amount") or {}
        if not isinstance(amount, dict) or not VALUE.match(str(amount.get("value", ""))) \
                or not isinstance(amount.get("value"), str) or amount.get("currency") not in ("RUB", "USD", "EUR"):
            return 400, _error("invalid_request", "Invalid amount", "amount")
        if Decimal(amount["value"]) <= 0:
            return 400, _error("invalid_request", "Amount must be positive", "amount.value")
        confirmation = body.get("confirmation") or {}
        if confirmation.get("type") != "redirect" or not str(confirmation.get("return_url", "")).startswith("http"):
            return 400, _error("invalid_request", "Redirect confirmation needs a return_url", "confirmation")
        if len(body.get("description", "")) > 128:
            return 400, _error("invalid_request", "Description is too long", "description")
        receipt = body.get("receipt")
        if receipt is not None:
            problem = _receipt_problem(receipt, amount)
            if problem:
                return 400, _error("invalid_request", problem, "receipt")
        payment_id = f"{uuid.uuid4().hex[:8]}-000f-5000-9000-{uuid.uuid4().hex[:12]}"
        payment = {
            "id": payment_id, "status": "pending", "paid": False, "amount": dict(amount),
            "confirmation": {"type": "redirect", "return_url": confirmation["return_url"],
                             "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}"},
            "created_at": _now(), "description": body.get("description", ""), "metadata": body.get("metadata", {}),
            "recipient": {"account_id": shop, "gateway_id": "100500"}, "refundable": False, "test": True,
            "capture": bool(body.get("capture")),
        }
        if receipt is not None:
            payment["receipt"] = receipt  # kept for tests (YooKassa itself only says it was registered)
            payment["receipt_registration"] = "pending"
        self.payments[payment_id] = payment
        self.owners[payment_id] = shop
        return 200, self.shown(payment_id)

    def _create_refund(self, shop: str, body: dict) -> tuple[int, dict]:
        payment_id = body.get("payment_id")
        payment = self.payments.get(payment_id) if self.owners.get(payment_id) == shop else None
        if payment is None:
            return 404, _error("not_found", "Payment doesn't exist or access denied", "payment_id")
        amount = body.get("amount") or {}
        if not isinstance(amount.get("value"), str) or not VALUE.match(amount["value"]) \
                or amount.get("currency") != payment["amount"]["currency"]:
            return 400, _error("invalid_request", "Invalid amount", "amount")
        if payment["status"] != "succeeded":
            return 400, _error("invalid_request", "Payment is not succeeded", "payment_id")
        refunded = sum((Decimal(r["amount"]["value"]) for r in self.refunds.values()
                        if r["payment_id"] == payment_id and r["status"] != "canceled"), Decimal(0))
        if Decimal(amount["value"]) <= 0 or refunded + Decimal(amount["value"]) > Decimal(payment["amount"]["value"]):
            return 400, _error("invalid_request", "Refund amount exceeds what is left", "amount.value")
        refund_id = f"{uuid.uuid4().hex[:8]}-0015-5000-8000-{uuid.uuid4().hex[:12]}"
        refund = {"id": refund_id, "payment_id": payment_id, "status": self.refund_status, "amount": dict(amount),
                  "created_at": _now()}
        if self.refund_status == "canceled":
            refund["cancellation_details"] = {"party": "yoo_money", "reason": "insufficient_funds"}
        self.refunds[refund_id] = refund
        self.owners[refund_id] = shop
        if refund["status"] != "canceled":
            total = refunded + Decimal(amount["value"])
            payment["refunded_amount"] = {"value": f"{total:.2f}", "currency": payment["amount"]["currency"]}
        return 200, dict(refund)


def _receipt_problem(receipt: Any, amount: dict) -> str:
    if not isinstance(receipt, dict):
        return "receipt must be an object"
    customer = receipt.get("customer") or {}
    if not (customer.get("email") or customer.get("phone")):
        return "receipt.customer needs an email or a phone"
    items = receipt.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 100:
        return "receipt.items: 1 to 100"
    total = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or not item.get("description") or len(item["description"]) > 128:
            return "receipt item description"
        if item.get("vat_code") not in (1, 2, 3, 4, 5, 6):
            return "receipt item vat_code"
        value, currency = (item.get("amount") or {}).get("value"), (item.get("amount") or {}).get("currency")
        if not isinstance(value, str) or not VALUE.match(value) or currency != amount["currency"]:
            return "receipt item amount"
        total += Decimal(value) * Decimal(str(item.get("quantity", "0")))
    if total != Decimal(amount["value"]):
        return "receipt items do not add up to the payment's amount"
    return ""


def _error(code: str, description: str, parameter: str | None = None) -> dict:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return body


def _handler(fake: FakeYooKassa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # no 40 ms stall between headers and body on a kept-alive connection
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, answer = fake.handle(method, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def yookassa_fake(monkeypatch):
    fake = FakeYooKassa().start()
    monkeypatch.setenv("AQSTREAM_YOOKASSA_API_URL", fake.url)
    yield fake
    fake.stop()
