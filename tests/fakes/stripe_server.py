"""A fake Stripe API on 127.0.0.1, enough of it for stripe-python and for a buyer's browser.

    with StripeFake() as fake:                      # account "sk_test_x", webhook secret "whsec_x"
        os.environ["AQSTREAM_STRIPE_API_BASE"] = fake.base_url
        ...                                         # the app creates a Checkout Session
        fake.pay(session_id)                        # the buyer paid (a PaymentIntent is made)
        body, signature = fake.webhook("checkout.session.completed", session_id)
        fake.send_webhook(url, "checkout.session.completed", session_id)

The API part (under /v1, form-encoded like Stripe's, `Authorization: Bearer <secret key>`, unknown keys 401):
POST/GET /v1/checkout/sessions[/{id}] (the list filters by payment_intent), POST/GET /v1/refunds[/{id}],
GET /v1/payment_intents/{id}. An Idempotency-Key gives the same answer again for the same request (and 400
idempotency_error for a different one), as Stripe does. Each account sees only its own objects.

The buyer's part: a session's `url` is this server's page (GET /c/pay/{id}) with "Pay" and "Cancel" buttons; paying
there marks the session paid, delivers `checkout.session.completed` to the account's `webhook_url` when one is
set, and redirects to the success_url (cancelling: to the cancel_url). Browser tests use it as a buyer would.

Switches: `down = True` (every API call answers 503), `delay = seconds` (each API call waits first; the call still
takes effect, as a timed-out request to Stripe may; `delays[("POST", "/v1/refunds")] = seconds` for some calls
only), `refund_status` ("succeeded", "pending" or "failed" for the refunds made next). Everything is recorded:
`sessions`, `payment_intents`, `refunds`, `calls` (each API call with its idempotency key and status),
`deliveries` (webhooks sent)."""
from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

DEFAULT_KEY = "sk_test_x"
DEFAULT_WEBHOOK_SECRET = "whsec_x"
API_VERSION = "2025-01-27.acacia"
LOCALES = {"auto", "en", "ru", "de", "fr", "es", "it", "ja", "nl", "pl", "pt", "sv", "fi", "da", "nb", "zh"}
SESSION_PARAMS = {"mode", "line_items", "success_url", "cancel_url", "customer_email", "client_reference_id",
                  "metadata", "expires_at", "locale", "payment_intent_data", "payment_method_types", "submit_type",
                  "customer", "currency", "expand", "ui_mode", "allow_promotion_codes", "billing_address_collection"}


@dataclass
class Account:
    secret_key: str
    webhook_secret: str
    webhook_url: str | None = None  # where a payment on the fake's page is announced (checkout.session.completed)


@dataclass
class Call:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    account: str | None  # the secret key it came with
    status: int = 0


@dataclass
class Delivery:
    url: str
    event_type: str
    object_id: str
    status: int | None  # None: it could not be delivered
    body: bytes = b""


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": type_, "message": message, "code": code, "param": param}}


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def _mask(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (`line_items[0][price_data][currency]=eur`, `expand[]=x`) back into dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p for p in rest.rstrip("]").split("][")] if rest else [])
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # "expand[]": append
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class StripeFake:
    def __init__(self, secret_key: str = DEFAULT_KEY, webhook_secret: str = DEFAULT_WEBHOOK_SECRET, *,
                 port: int = 0, webhook_url: str | None = None):
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.add_account(secret_key, webhook_secret, webhook_url)
        self.down = False
        self.delay = 0.0
        self.delays: dict[tuple[str, str], float] = {}  # (method, path prefix) -> seconds, e.g. ("POST", "/v1/refunds")
        self.refund_status = "succeeded"
        self.reset()
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread: threading.Thread | None = None

    # Life ---------------------------------------------------------------------------------------------------

    def start(self) -> StripeFake:
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"stripe-fake-{self.port}", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StripeFake:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every object and call (the accounts and switches stay)."""
        with self.lock:
            self.sessions: dict[str, dict] = {}
            self.line_items: dict[str, list[dict]] = {}
            self.payment_intents: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.calls: list[Call] = []
            self.deliveries: list[Delivery] = []
            self.owner: dict[str, str] = {}  # object id -> the secret key of its account
            self.idempotent: dict[tuple[str, str], tuple[tuple, int, dict]] = {}
            self.in_flight: set[tuple[str | None, str]] = set()

    def add_account(self, secret_key: str, webhook_secret: str, webhook_url: str | None = None) -> Account:
        with self.lock:
            account = self.accounts[secret_key] = Account(secret_key, webhook_secret, webhook_url)
            return account

    # What tests read ------------------------------------------------------------------------------------------

    def session(self, session_id: str) -> dict:
        with self.lock:
            self._expire_due(session_id)
            return copy.deepcopy(self.sessions[session_id])

    def calls_to(self, method: str, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.path == path]

    def refunds_of(self, session_id: str) -> list[dict]:
        with self.lock:
            intent = self.sessions[session_id].get("payment_intent")
            return [copy.deepcopy(r) for r in self.refunds.values() if intent and r["payment_intent"] == intent]

    def refunded_minor(self, session_id: str) -> int:
        """Stripe's sum of the session's refunds that are not failed or cancelled (in Stripe's units)."""
        return sum(r["amount"] for r in self.refunds_of(session_id) if r["status"] not in ("failed", "canceled"))

    def paid_minor(self, session_id: str) -> int:
        with self.lock:
            intent = self.sessions[session_id].get("payment_intent")
            return self.payment_intents[intent]["amount_received"] if intent else 0

    # Test controls --------------------------------------------------------------------------------------------

    def pay(self, session_id: str) -> dict:
        """The buyer paid: the session is complete and paid, with a succeeded PaymentIntent (returned)."""
        with self.lock:
            self._expire_due(session_id)
            sess = self.sessions[session_id]
            if sess["status"] != "open":
                raise ValueError(f"session {session_id} is {sess['status']}: it cannot be paid")
            intent_id = _new_id("pi")
            intent = {
                "id": intent_id, "object": "payment_intent", "amount": sess["amount_total"],
                "amount_received": sess["amount_total"], "currency": sess["currency"], "status": "succeeded",
                "metadata": dict(sess["_payment_intent_data"].get("metadata") or {}),
                "description": sess["_payment_intent_data"].get("description"),
                "latest_charge": _new_id("ch"), "created": int(time.time()), "livemode": False,
            }
            self.payment_intents[intent_id] = intent
            self.owner[intent_id] = self.owner[session_id]
            sess.update(status="complete", payment_status="paid", payment_intent=intent_id, url=None,
                        customer_details={"email": sess.get("customer_email")})
            return copy.deepcopy(intent)

    def expire(self, session_id: str) -> None:
        with self.lock:
            sess = self.sessions[session_id]
            if sess["status"] != "open":
                raise ValueError(f"session {session_id} is {sess['status']}: it cannot expire")
            sess.update(status="expired", url=None)

    def complete_refund(self, refund_id: str, status: str = "succeeded") -> None:
        """A pending refund finishes (succeeded, failed or canceled)."""
        with self.lock:
            self.refunds[refund_id]["status"] = status

    def event(self, event_type: str, object_id: str, overrides: dict | None = None) -> dict:
        """A webhook event as Stripe sends it: a snapshot of the session (checkout.session.*), of its
        PaymentIntent (payment_intent.*) or of its charge (charge.refunded); `overrides` change the snapshot
        (a stale one, say), not the fake's records."""
        with self.lock:
            if event_type.startswith("checkout.session."):
                obj = self._public(self.sessions[object_id])
            else:
                intent_id = self.sessions[object_id]["payment_intent"] if object_id.startswith("cs_") else object_id
                intent = self.payment_intents[intent_id]
                if event_type.startswith("charge."):
                    refunded = sum(r["amount"] for r in self.refunds.values()
                                   if r["payment_intent"] == intent_id and r["status"] == "succeeded")
                    obj = {"id": intent["latest_charge"], "object": "charge", "amount": intent["amount"],
                           "amount_refunded": refunded, "refunded": refunded >= intent["amount"],
                           "currency": intent["currency"], "payment_intent": intent_id,
                           "metadata": dict(intent["metadata"]), "status": "succeeded"}
                else:
                    obj = copy.deepcopy(intent)
            obj.update(overrides or {})
            return {"id": _new_id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
                    "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None}, "type": event_type}

    def sign(self, body: bytes, secret: str | None = None, timestamp: int | None = None) -> str:
        """A Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self._default_account().webhook_secret).encode(), f"{t}.".encode() + body,
                       hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def webhook(self, event_type: str, object_id: str, *, secret: str | None = None, timestamp: int | None = None,
                overrides: dict | None = None) -> tuple[bytes, str]:
        """The body and Stripe-Signature header of an event about a session (or PaymentIntent), signed with the
        webhook secret of the account that owns it (or `secret`)."""
        body = json.dumps(self.event(event_type, object_id, overrides)).encode()
        with self.lock:
            owner = self.accounts.get(self.owner.get(object_id, ""), self._default_account())
        return body, self.sign(body, secret or owner.webhook_secret, timestamp)

    def send_webhook(self, url: str, event_type: str, object_id: str, **kw) -> httpx.Response:
        body, signature = self.webhook(event_type, object_id, **kw)
        response = httpx.post(url, content=body, headers={"Stripe-Signature": signature,
                                                          "Content-Type": "application/json; charset=utf-8",
                                                          "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
                              timeout=30)
        with self.lock:
            self.deliveries.append(Delivery(url, event_type, object_id, response.status_code, body))
        return response

    # Inside -------------------------------------------------------------------------------------------------

    def _default_account(self) -> Account:
        return next(iter(self.accounts.values()))

    def _expire_due(self, session_id: str) -> None:
        sess = self.sessions.get(session_id)
        if sess and sess["status"] == "open" and sess["expires_at"] <= time.time():
            sess.update(status="expired", url=None)

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def _mine(self, account: str, kind: str, object_id: str, table: dict) -> dict:
        if object_id not in table or self.owner.get(object_id) != account:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
        return table[object_id]

    def api(self, method: str, path: str, params: dict, account: str) -> tuple[int, dict]:
        """One API call (under the lock), as Stripe answers it."""
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and method == "POST":
                return 200, self._create_session(params, account)
            if len(parts) == 3 and method == "GET":
                return 200, self._list_sessions(params, account)
            if len(parts) == 4 and method == "GET":
                self._expire_due(parts[3])
                return 200, self._public(self._mine(account, "checkout.session", parts[3], self.sessions))
        if parts[:2] == ["v1", "refunds"]:
            if len(parts) == 2 and method == "POST":
                return 200, self._create_refund(params, account)
            if len(parts) == 3 and method == "GET":
                return 200, copy.deepcopy(self._mine(account, "refund", parts[2], self.refunds))
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            return 200, copy.deepcopy(self._mine(account, "payment_intent", parts[2], self.payment_intents))
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_session(self, p: dict, account: str) -> dict:
        unknown = set(p) - SESSION_PARAMS
        if unknown:
            name = sorted(unknown)[0]
            raise StripeError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
        if p.get("mode") != "payment":
            raise StripeError(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        for name in ("success_url",):
            if not str(p.get(name) or "").startswith(("http://", "https://")):
                raise StripeError(400, f"Not a valid URL: {name}", code="url_invalid", param=name)
        items = p.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
        currency, total, lines = None, 0, []
        for i, item in enumerate(items):
            price = item.get("price_data") if isinstance(item, dict) else None
            try:
                amount, quantity = int(price["unit_amount"]), int(item.get("quantity", 1))
                name = price["product_data"]["name"]
            except (KeyError, TypeError, ValueError):
                raise StripeError(400, "Invalid line item", param=f"line_items[{i}]") from None
            if amount < 0 or quantity < 1 or not name:
                raise StripeError(400, "Invalid line item amount", param=f"line_items[{i}][price_data][unit_amount]")
            if price.get("currency") != str(price.get("currency", "")).lower() or len(price.get("currency", "")) != 3:
                raise StripeError(400, "Invalid currency", param=f"line_items[{i}][price_data][currency]")
            if currency not in (None, price["currency"]):
                raise StripeError(400, "All line items must have the same currency", param="line_items")
            currency = price["currency"]
            total += amount * quantity
            lines.append({"name": name, "unit_amount": amount, "quantity": quantity, "currency": currency})
        now = int(time.time())
        expires_at = now + 24 * 3600
        if "expires_at" in p:
            expires_at = int(p["expires_at"])
            if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
                raise StripeError(400, "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                                  "Checkout Session creation.", param="expires_at")
        if "locale" in p and p["locale"] not in LOCALES:
            raise StripeError(400, f"Invalid locale: {p['locale']}", param="locale")
        metadata = p.get("metadata") or {}
        if not isinstance(metadata, dict) or len(metadata) > 50:
            raise StripeError(400, "Invalid metadata", param="metadata")
        session_id = _new_id("cs")
        sess = {
            "id": session_id, "object": "checkout.session", "mode": "payment", "status": "open",
            "payment_status": "unpaid", "amount_subtotal": total, "amount_total": total, "currency": currency,
            "url": f"{self.base_url}/c/pay/{session_id}", "success_url": p["success_url"],
            "cancel_url": p.get("cancel_url"), "customer_email": p.get("customer_email"), "customer_details": None,
            "client_reference_id": p.get("client_reference_id"), "metadata": dict(metadata),
            "expires_at": expires_at, "created": now, "livemode": False, "locale": p.get("locale"),
            "payment_intent": None, "_payment_intent_data": p.get("payment_intent_data") or {},
        }
        self.sessions[session_id] = sess
        self.line_items[session_id] = lines
        self.owner[session_id] = account
        return self._public(sess)

    def _list_sessions(self, p: dict, account: str) -> dict:
        found = [self._public(s) for sid, s in self.sessions.items() if self.owner.get(sid) == account
                 and (not p.get("payment_intent") or s.get("payment_intent") == p["payment_intent"])]
        found.reverse()  # newest first
        limit = int(p.get("limit") or 10)
        return {"object": "list", "url": "/v1/checkout/sessions", "has_more": len(found) > limit, "data": found[:limit]}

    def _create_refund(self, p: dict, account: str) -> dict:
        intent_id = p.get("payment_intent")
        if not intent_id:
            raise StripeError(400, "One of `charge` or `payment_intent` is required.", code="parameter_missing")
        intent = self._mine(account, "payment_intent", intent_id, self.payment_intents)
        if intent["status"] != "succeeded":
            raise StripeError(400, "This PaymentIntent has no successful charge to refund.", code="charge_not_refundable")
        taken = sum(r["amount"] for r in self.refunds.values()
                    if r["payment_intent"] == intent_id and r["status"] not in ("failed", "canceled"))
        left = intent["amount_received"] - taken
        if left <= 0:
            raise StripeError(400, f"Charge {intent['latest_charge']} has already been refunded.",
                              code="charge_already_refunded")
        try:
            amount = int(p.get("amount", left))
        except ValueError:
            raise StripeError(400, "Invalid integer: amount", param="amount") from None
        if amount <= 0:
            raise StripeError(400, "Invalid positive integer", param="amount")
        if amount > left:
            raise StripeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                              code="amount_too_large", param="amount")
        refund_id = _new_id("re")
        refund = {"id": refund_id, "object": "refund", "amount": amount, "currency": intent["currency"],
                  "payment_intent": intent_id, "charge": intent["latest_charge"], "status": self.refund_status,
                  "metadata": dict(p.get("metadata") or {}), "reason": p.get("reason"), "created": int(time.time()),
                  "failure_reason": "unknown" if self.refund_status == "failed" else None}
        self.refunds[refund_id] = refund
        self.owner[refund_id] = account
        return copy.deepcopy(refund)

    def handle_api(self, method: str, path: str, params: dict, raw: bytes, auth: str, key: str | None) -> tuple[int, dict]:
        """Auth, idempotency and the switches around `api`; every call is recorded. A request whose key is still
        being answered gets 409, as on Stripe."""
        account = auth[7:].strip() if auth.startswith("Bearer ") else None
        call = Call(method, path, params, key, account)
        with self.lock:
            self.calls.append(call)
            slow = self.delay + sum(s for (m, prefix), s in self.delays.items() if m == method and path.startswith(prefix))
            busy = method == "POST" and key and (account, key) in self.in_flight
            if busy:
                call.status = 409
                return 409, {"error": {"type": "idempotency_error", "code": "idempotency_key_in_use",
                                       "message": "There is currently another in-progress request using this "
                                                  "Stripe-Idempotency-Key."}}
            if method == "POST" and key:
                self.in_flight.add((account, key))
        try:
            if slow:
                time.sleep(slow)
            with self.lock:
                call.status, body = self._answer(method, path, params, raw, account, key)
                return call.status, body
        finally:
            with self.lock:
                self.in_flight.discard((account, key))

    def _answer(self, method, path, params, raw, account, key) -> tuple[int, dict]:
        if self.down:
            return 503, {"error": {"type": "api_error", "message": "The fake Stripe is down."}}
        if account not in self.accounts:
            shown = _mask(account) if account else "none"
            return 401, {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {shown}"}}
        fingerprint = (method, path, raw)
        if method == "POST" and key and (account, key) in self.idempotent:
            first, status, body = self.idempotent[(account, key)]
            if first != fingerprint:
                return 400, {"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can "
                                       "only be used with the same parameters they were first used with."}}
            return status, copy.deepcopy(body)
        try:
            status, body = self.api(method, path, params, account)
        except StripeError as exc:
            status, body = exc.status, exc.body
        if method == "POST" and key:
            self.idempotent[(account, key)] = (fingerprint, status, copy.deepcopy(body))
        return status, body

    def wait_idle(self, timeout: float = 10) -> None:
        """Until every call made so far has been answered (a slow one the client gave up on, too)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if all(c.status for c in self.calls):
                    return
            time.sleep(0.02)
        raise AssertionError("the fake Stripe is still answering")

    def checkout_page(self, session_id: str) -> tuple[int, str]:
        with self.lock:
            self._expire_due(session_id)
            sess = self.sessions.get(session_id)
            if sess is None:
                return 404, "<h1>No such session</h1>"
            lines = "".join(f"<li>{html.escape(x['name'])} &times; {x['quantity']}: {x['unit_amount']}</li>"
                            for x in self.line_items[session_id])
            state = sess["status"]
        buttons = (f'<form method="post" action="/c/pay/{session_id}/pay"><button id="pay">Pay</button></form>'
                   f'<form method="post" action="/c/pay/{session_id}/cancel"><button id="cancel">Cancel</button></form>'
                   if state == "open" else f"<p id='state'>{state}</p>")
        return 200, (f"<!doctype html><html><head><meta charset='utf-8'><title>Fake Stripe Checkout</title></head>"
                     f"<body><h1>Fake Stripe Checkout</h1><ul>{lines}</ul><p id='total'>{sess['amount_total']} "
                     f"{sess['currency'].upper()}</p>{buttons}</body></html>")

    def checkout_action(self, session_id: str, action: str) -> tuple[int, str]:
        """The buyer's button: returns (status, where to go)."""
        with self.lock:
            sess = self.sessions.get(session_id)
            if sess is None:
                return 404, ""
            if action == "cancel":
                return 303, sess.get("cancel_url") or sess["success_url"]
            if sess["status"] == "open":
                self.pay(session_id)
            account = self.accounts.get(self.owner[session_id])
            success = sess["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        if account and account.webhook_url:
            try:
                self.send_webhook(account.webhook_url, "checkout.session.completed", session_id)
            except httpx.HTTPError:
                with self.lock:
                    self.deliveries.append(Delivery(account.webhook_url, "checkout.session.completed", session_id, None))
        return 303, success


class _Handler(BaseHTTPRequestHandler):
    server_fake: StripeFake
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes on a kept-alive connection: without this, Nagle's algorithm holds the
    # body back until the client's delayed ACK (40 ms on Linux), as no real server would.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.close_connection = True

    def _handle(self, method: str) -> None:
        fake = self.server_fake
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
        if url.path.startswith("/c/pay/"):
            parts = url.path.strip("/").split("/")
            if method == "GET" and len(parts) == 3:
                status, page = fake.checkout_page(parts[2])
                return self._send(status, page.encode(), "text/html; charset=utf-8")
            if method == "POST" and len(parts) == 4:
                status, where = fake.checkout_action(parts[2], parts[3])
                return self._send(status, b"", "text/plain", {"Location": where} if where else None)
            return self._send(404, b"", "text/plain")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        if method == "POST":
            pairs += parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        status, body = fake.handle_api(method, url.path, unflatten(pairs), raw + url.query.encode(),
                                       self.headers.get("Authorization") or "", self.headers.get("Idempotency-Key"))
        self._send(status, json.dumps(body).encode(), "application/json",
                   {"Idempotency-Key": self.headers["Idempotency-Key"]} if self.headers.get("Idempotency-Key") else None)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._send(404, b'{"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}',
                   "application/json")


@pytest.fixture
def stripe_fake(monkeypatch):
    """A fake Stripe for one test (account "sk_test_x", webhook secret "whsec_x"); the app talks to it."""
    with StripeFake() as fake:
        monkeypatch.setenv("AQSTREAM_STRIPE_API_BASE", fake.base_url)
        yield fake


__all__ = ["Account", "Call", "Delivery", "StripeFake", "stripe_fake", "DEFAULT_KEY", "DEFAULT_WEBHOOK_SECRET"]
