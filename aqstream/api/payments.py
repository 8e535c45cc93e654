"""Payments over the API: paying a pending order and reading its state back (public, by the order's secret link),
the providers' notifications (Stripe webhooks, YooKassa notifications; left out of the OpenAPI document: they are
for the providers), and for organizers the payment settings, refunds and marking a bank transfer paid.
Every rule is in services/payments."""
from __future__ import annotations

import ipaddress
from typing import Optional

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.api.deps import PREFIX, client_address, db, identity
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.payments import payments, providers, refunds, settings
from aqstream.services.sales import registration

router = APIRouter(prefix=PREFIX)
PAYMENTS = ["payments"]
MAX_NOTIFICATION_BYTES = 256 * 1024


class PaymentStartIn(schemas.Input):
    method: Optional[str] = Field(default=None, max_length=20, description="stripe | yookassa | bank; default: the "
                                  "method chosen when registering")


class PaymentStartOut(BaseModel):
    payment_id: int
    method: str
    redirect_url: str = Field(description="The provider's payment page; empty for a bank transfer")
    reference: str = Field(default="", description="A bank transfer's reference")


class OrderPaymentOut(BaseModel):
    status: str = Field(description="The order's status: pending (awaiting payment), confirmed, expired, cancelled")
    paid_minor: int
    refunded_minor: int
    refunding_minor: int
    currency: str


@router.post("/public/orders/{access_token}/payments", response_model=PaymentStartOut, tags=PAYMENTS)
def start_payment(access_token: str, request: Request, body: PaymentStartIn | None = None,
                  session: Session = Depends(db)):
    """Start paying a pending order: open `redirect_url` (the provider's page). The order keeps its places until
    it expires; a provider that does not answer gives 503 and the order may be paid again."""
    checkout = payments.start(session, access_token[:64], body.method if body else None, config.public_base_url())
    return PaymentStartOut(payment_id=checkout.payment_id, method=checkout.method, redirect_url=checkout.redirect_url,
                           reference=checkout.reference)


@router.post("/public/orders/{access_token}/payment-status", response_model=OrderPaymentOut, tags=PAYMENTS)
def refresh_payment(access_token: str, session: Session = Depends(db)):
    """The order's payment as the provider has it now (fetched from the provider, never taken from the browser)."""
    status = payments.refresh(session, access_token[:64])
    order = registration.get_order_by_token(session, access_token[:64]).order
    money = payments.order_money(session, order.id)
    return OrderPaymentOut(status=status, paid_minor=money.paid_minor, refunded_minor=money.refunded_minor,
                           refunding_minor=money.refunding_minor, currency=order.currency)


def _allowed_ip(request: Request) -> bool:
    nets = config.yookassa_allowed_networks()
    if not nets:
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in net for net in nets)


async def _notification(provider: str, org_slug: str, request: Request, session: Session):
    body = await request.body()
    if len(body) > MAX_NOTIFICATION_BYTES:
        return JSONResponse({"error": {"code": "too_large", "message": "Too large"}}, status_code=413)
    try:
        # Off the event loop: the service waits for the database and the provider.
        count = await run_in_threadpool(payments.handle_notification, session, provider, org_slug, body,
                                        dict(request.headers))
    except providers.BadNotification as exc:
        return JSONResponse({"error": {"code": "bad_notification", "message": str(exc)[:200]}}, status_code=400)
    except providers.ProviderRefused:
        # The provider would not show the payment back (the organization's key revoked): nothing is believed.
        return JSONResponse({"error": {"code": "bad_notification", "message": "Could not be verified"}}, status_code=400)
    except providers.ProviderUnavailable:
        # The provider sends it again later; by then it can be fetched back.
        return JSONResponse({"error": {"code": "provider_unavailable", "message": "Try again"}}, status_code=503)
    return {"received": True, "payments": count}


@router.post("/payments/stripe/{org_slug}/webhook", include_in_schema=False)
async def stripe_webhook(org_slug: str, request: Request, session: Session = Depends(db)):
    return await _notification(providers.STRIPE, org_slug, request, session)


@router.post("/payments/yookassa/{org_slug}/notification", include_in_schema=False)
async def yookassa_notification(org_slug: str, request: Request, session: Session = Depends(db)):
    if not _allowed_ip(request):
        return JSONResponse({"error": {"code": "forbidden", "message": "Forbidden"}}, status_code=403)
    return await _notification(providers.YOOKASSA, org_slug, request, session)


class PaymentSettingsOut(BaseModel):
    stripe_connected: bool
    stripe_secret_key_mask: str
    stripe_webhook_secret_mask: str
    stripe_test_mode: bool
    stripe_webhook_url: str
    yookassa_connected: bool
    yookassa_shop_id: str
    yookassa_secret_key_mask: str
    yookassa_test_mode: bool
    yookassa_notification_url: str
    bank_enabled: bool
    bank_instructions: str
    receipts_enabled: bool
    receipt_vat_code: int
    methods: list[str]


class PaymentSettingsIn(schemas.Input):
    stripe_secret_key: Optional[str] = Field(default=None, max_length=255, description="Empty: keep the saved one")
    stripe_webhook_secret: Optional[str] = Field(default=None, max_length=255)
    stripe_test_mode: StrictBool = True
    clear_stripe: StrictBool = False
    yookassa_shop_id: Optional[str] = Field(default=None, max_length=20)
    yookassa_secret_key: Optional[str] = Field(default=None, max_length=255)
    yookassa_test_mode: StrictBool = True
    clear_yookassa: StrictBool = False
    bank_enabled: StrictBool = False
    bank_instructions: str = Field(default="", max_length=2000)
    receipts_enabled: StrictBool = False
    receipt_vat_code: int = Field(default=1, ge=1, le=6)


def _settings_out(session: Session, organization_id: int, view: settings.SettingsView) -> PaymentSettingsOut:
    from aqstream.models import Organization
    urls = settings.notification_urls(config.public_base_url(), session.get(Organization, organization_id).slug)
    return PaymentSettingsOut(**{k: getattr(view, k) for k in PaymentSettingsOut.model_fields
                                 if hasattr(view, k) and k != "methods"}, methods=list(view.methods),
                              stripe_webhook_url=urls[providers.STRIPE],
                              yookassa_notification_url=urls[providers.YOOKASSA])


@router.get("/payment-settings", response_model=PaymentSettingsOut, tags=PAYMENTS)
def read_payment_settings(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """The organization's payment providers. Secrets are never shown back, only masked."""
    return _settings_out(session, who.organization_id,
                         settings.get_settings(session, who.principal, who.organization_id))


@router.put("/payment-settings", response_model=PaymentSettingsOut, tags=PAYMENTS)
def update_payment_settings(body: PaymentSettingsIn, who: ApiIdentity = Depends(identity),
                            session: Session = Depends(db)):
    view = settings.update_settings(session, who.principal, who.organization_id, settings.SettingsInput(**body.model_dump()))
    return _settings_out(session, who.organization_id, view)


class RefundIn(schemas.Input):
    amount_minor: Optional[int] = Field(default=None, ge=0, le=schemas.MAX_ID,
                                        description="Minor units; default: all that is left (or the ticket's price)")
    ticket_id: Optional[int] = Field(default=None, ge=1, le=schemas.MAX_ID, description="Cancel only this ticket")
    cancel: StrictBool = Field(default=True, description="False: give money back without cancelling")
    reason: str = Field(default="", max_length=2000)


class RefundOut(BaseModel):
    cancelled_ticket_ids: list[int]
    refund_id: Optional[int]
    amount_minor: int
    status: str


@router.post("/orders/{order_id}/refund", response_model=RefundOut, tags=PAYMENTS)
def refund_order(order_id: schemas.Id, body: RefundIn | None = None, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    """Cancel a paid order (or one ticket) and give back all of it or `amount_minor`, through the provider that took
    the money. The refund is pending until the provider answers, and retried until it does."""
    body = body or RefundIn()
    result = refunds.cancel_with_refund(session, who.principal, who.organization_id, order_id, ticket_id=body.ticket_id,
                                        amount_minor=body.amount_minor, reason=body.reason, cancel=body.cancel)
    return RefundOut(cancelled_ticket_ids=result.cancelled_ticket_ids, refund_id=result.refund_id,
                     amount_minor=result.amount_minor, status=result.status)


class MarkPaidOut(BaseModel):
    outcome: str = Field(description="confirmed, revived, refunded (its places were gone) or already")


@router.post("/orders/{order_id}/mark-paid", response_model=MarkPaidOut, tags=PAYMENTS)
def mark_order_paid(order_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """A bank transfer arrived: the order is confirmed (or, when its places are gone, the money is to go back)."""
    return MarkPaidOut(outcome=payments.mark_paid(session, who.principal, who.organization_id, order_id))


@router.post("/refunds/{refund_id}/retry", response_model=RefundOut, tags=PAYMENTS)
def retry_refund(refund_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    status = refunds.retry(session, who.principal, who.organization_id, refund_id)
    refund = session.get(refunds.Refund, refund_id)
    return RefundOut(cancelled_ticket_ids=[], refund_id=refund_id, amount_minor=refund.amount_minor, status=status)
