"""Paying a pending order, and the one place where what a provider reports changes anything (`settle`).

The path: registration makes a paid order pending, holding its places (`registration.register` with the event's
hold: `hold_for`); `start` writes a Payment row (status created, committed first, so nothing the provider
answers is ever lost) and asks the provider for a payment with the registration's Idempotency-Key; the buyer
pays on the provider's page; a verified notification (`handle_notification`), the buyer's return to the order
page (`refresh`) or the `payment-check` job (`check_pending`) fetches the payment back from the provider and
hands it to `settle`. Nothing the browser says is believed.

`settle` moves the payment to succeeded with one guarded write, so a notification that arrives twice, out of
order, or together with the buyer's return changes things exactly once; in the same transaction it confirms
the order (held tickets become valid, the confirmation email goes out through `order.confirmed`). When the order
expired meanwhile it takes its places again if they are still free (the order is confirmed after all); when they
were sold, or the order was cancelled, the money goes back: a Refund (refunds.py) and an apology
(`payment.refunded_late`)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Payment, PaymentSettings, Refund, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, PaymentUnavailable, ValidationError
from aqstream.services.lifecycle import EventStatus, OrderStatus, PaymentStatus, RefundStatus, TicketStatus, move
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal, access
from aqstream.services.payments import providers, records, settings
from aqstream.services.payments.providers import ProviderRefused, ProviderUnavailable, Remote
from aqstream.services.sales import inventory, pending_orders, registration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkout:
    payment_id: int
    method: str
    redirect_url: str  # the provider's page; "" for a bank transfer (the order page shows the instructions)
    reference: str = ""


def _lines(session: Session, order: Order) -> tuple[providers.Line, ...]:
    rows = session.exec(select(TicketType.name, TicketType.price_minor).join(Ticket, Ticket.ticket_type_id == TicketType.id)
                        .where(Ticket.order_id == order.id).order_by(Ticket.id)).all()
    return tuple(providers.Line(name, price) for name, price in rows if price > 0)


def start(session: Session, access_token: str, method: str | None, base_url: str) -> Checkout:
    """Start paying a pending order through `method` (default: the one chosen at registration). A payment still
    open through the same method is reused (a double click, the back button). PaymentUnavailable when the
    provider does not answer: the order keeps its places and may be paid again until it expires."""
    if not access_token or len(access_token) > 64:
        raise NotFound()
    found = session.exec(select(Order, Event, PaymentSettings).join(Event, Event.id == Order.event_id)
                         .outerjoin(PaymentSettings, PaymentSettings.organization_id == Order.organization_id)
                         .where(Order.access_token == access_token)).first()
    if found is None:
        raise NotFound()
    order, event, row = found
    row = row or PaymentSettings(organization_id=order.organization_id)
    if order.status != OrderStatus.PENDING or order.total_minor <= 0:
        raise Conflict("payment.not_payable")
    now = utcnow()
    if order.expires_at is not None and order.expires_at <= now:
        raise Conflict("payment.hold_expired")
    if event.status != EventStatus.PUBLISHED:
        raise Conflict("payment.event_closed")
    method = method or order.payment_method
    if method not in settings.offered(session, event, row):
        raise ValidationError({"payment_method": "payment.method_unavailable"})
    earlier = session.exec(select(Payment.id, Payment.attempt, Payment.provider, Payment.status, Payment.redirect_url,
                                  Payment.reference).where(Payment.order_id == order.id)
                           .order_by(Payment.attempt.desc())).all()
    for payment_id, _, provider_name, status, redirect_url, reference in earlier:
        if provider_name == method and status == PaymentStatus.PENDING and (redirect_url or method == providers.BANK):
            return Checkout(payment_id, method, redirect_url, reference)
    provider = settings.provider_for(session, order.organization_id, method, row)
    order_page = f"{base_url.rstrip('/')}/order/{order.access_token}"
    # Plain values, read before the transaction ends (which would expire the rows and read them again).
    ask = dict(order_id=order.id, amount_minor=order.total_minor, currency=order.currency,
               description=f"{event.title} #{order.id}"[:128], buyer_email=order.buyer_email,
               return_url=f"{order_page}?paid=1", cancel_url=order_page, lines=_lines(session, order),
               locale=order.locale, expires_in_seconds=max(60, int(((order.expires_at or now) - now).total_seconds())),
               receipt=row.receipts_enabled and method == providers.YOOKASSA, vat_code=row.receipt_vat_code)
    base_key = order.idempotency_key
    latest = earlier[0] if earlier else None
    if latest is not None and latest[2] == method and latest[3] == PaymentStatus.CREATED:
        # Written with the order (or by a start that never heard back): asked again under the same key, so the
        # provider answers with the same payment rather than a second one.
        payment_id, attempt, reference = latest[0], latest[1], latest[5]
        session.rollback()
    else:
        attempt = (latest[1] if latest else 0) + 1  # a racing start takes the same number: the unique key refuses one
        begin_write(session)
        try:
            payment = Payment(organization_id=order.organization_id, event_id=order.event_id, order_id=order.id,
                              attempt=attempt, provider=method, status=PaymentStatus.CREATED,
                              amount_minor=order.total_minor, currency=order.currency,
                              idempotency_key=records.key(order.idempotency_key, order.id, attempt),
                              reference=records.reference(order.id) if method == providers.BANK else "",
                              test_mode=provider.test_mode, created_at=now, updated_at=now)
            session.add(payment)
            if method != order.payment_method:
                session.exec(update(Order).where(Order.id == order.id).values(payment_method=method))
            session.flush()
            payment_id, reference = payment.id, payment.reference
        except IntegrityError:  # another start of this order took the attempt's number at the same moment
            session.rollback()
            raise Conflict("payment.in_progress") from None
        except BaseException:
            session.rollback()
            raise
        # Committed before the provider is asked (nothing it answers is lost), and no connection is held meanwhile.
        session.commit()
    request = providers.CheckoutRequest(payment_id=payment_id, idempotency_key=records.key(base_key, ask["order_id"],
                                                                                          attempt), **ask)
    return _ask(session, provider, request, method, reference)


def start_first(session: Session, first: records.FirstAttempt, access_token: str, base_url: str) -> Checkout:
    """`start` for an order registration has just written, from what it wrote (no read): the provider is asked for
    the first attempt under the registration's Idempotency-Key. PaymentUnavailable as `start`."""
    now = utcnow()
    provider = settings.provider_for(session, first.organization_id, first.method, first.settings)
    order_page = f"{base_url.rstrip('/')}/order/{access_token}"
    request = providers.CheckoutRequest(
        order_id=first.order_id, payment_id=first.payment_id, amount_minor=first.amount_minor, currency=first.currency,
        description=first.description, buyer_email=first.buyer_email, return_url=f"{order_page}?paid=1",
        cancel_url=order_page, idempotency_key=first.idempotency_key,
        lines=tuple(providers.Line(name, price) for name, price in first.lines), locale=first.locale,
        expires_in_seconds=max(60, int(((first.expires_at or now) - now).total_seconds())),
        receipt=bool(first.settings.receipts_enabled) and first.method == providers.YOOKASSA,
        vat_code=first.settings.receipt_vat_code)
    return _ask(session, provider, request, first.method, first.reference)


def _ask(session: Session, provider: providers.Provider, request: providers.CheckoutRequest, method: str,
         reference: str) -> Checkout:
    """Ask the provider for a payment already written (created), then record its answer."""
    payment_id = request.payment_id
    try:
        created = provider.create_payment(request)
    except (ProviderUnavailable, ProviderRefused) as exc:
        log.warning("payment %s: %s did not create it: %s", payment_id, method, type(exc).__name__)
        _mark(session, payment_id, PaymentStatus.FAILED, last_error=f"create: {type(exc).__name__}: {exc}"[:500])
        raise PaymentUnavailable() from exc
    _mark(session, payment_id, PaymentStatus.PENDING, provider_payment_id=created.provider_payment_id,
          redirect_url=created.redirect_url[:2000], test_mode=provider.test_mode, last_error="",
          flush_later=method != providers.BANK)
    if method == providers.BANK:
        _bank_instructions_queued(session, payment_id)
    return Checkout(payment_id, method, created.redirect_url, reference)


def _mark(session: Session, payment_id: int, to: PaymentStatus, *, flush_later: bool = False, **values) -> bool:
    """Move a payment with a guarded write in a transaction of its own. `flush_later`: on PostgreSQL the commit does
    not wait for the disk (synchronous_commit off for this transaction alone), for a write that may be lost in a
    crash without harm: the provider's id of a payment, which a new start asks again under the same idempotency
    key and a notification finds by the payment's own id in its metadata."""
    begin_write(session)
    try:
        if flush_later and session.get_bind().dialect.name == "postgresql":
            session.exec(text("SET LOCAL synchronous_commit TO OFF"))
        moved = move(session, Payment, Payment.id == payment_id, to=to, updated_at=utcnow(), **values).rowcount
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return bool(moved)


def _bank_instructions_queued(session: Session, payment_id: int) -> None:
    """The transfer's instructions and reference go to the buyer (`payment.bank_transfer_started`)."""
    begin_write(session)
    try:
        payment = session.get(Payment, payment_id)
        order = session.get(Order, payment.order_id)
        event = session.get(Event, payment.event_id)
        domain_events.record(session, "payment.bank_transfer_started", {
            "order_id": order.id, "event_id": event.id, "event_title": event.title, "payment_id": payment.id,
            "buyer_email": order.buyer_email, "access_token": order.access_token, "locale": order.locale,
            "amount_minor": payment.amount_minor, "currency": payment.currency, "reference": payment.reference,
            "instructions": settings.bank_instructions(session, order.organization_id),
            "pay_until": order.expires_at.isoformat() if order.expires_at else None,
        }, organization_id=order.organization_id, actor_label=order.buyer_email)
    except BaseException:
        session.rollback()
        raise
    session.commit()


# What settle did, for callers and tests.
CONFIRMED = "confirmed"  # the order is now confirmed by this payment
REVIVED = "revived"  # the order had expired; its places were still free; confirmed after all
REFUNDED = "refunded"  # the order could not be confirmed (its places sold, or it was cancelled): money goes back
ALREADY = "already"  # this payment was settled before: nothing changed
FAILED = "failed"
WAITING = "waiting"
MISMATCH = "mismatch"  # the provider's amount or currency differs from the order's: nothing changed


def settle(session: Session, payment_id: int, remote: Remote, now: datetime | None = None) -> str:
    """Apply what the provider says about a payment (fetched from the provider, never from the browser)."""
    now = now or utcnow()
    if remote.status == providers.REMOTE_FAILED:
        if session.exec(select(Payment.id).where(Payment.id == payment_id)).first() is None:
            raise NotFound()
        return FAILED if _mark(session, payment_id, PaymentStatus.FAILED, last_error="provider: failed") else ALREADY
    if remote.status != providers.REMOTE_SUCCEEDED:
        return WAITING
    begin_write(session)
    try:
        # The order row first (the inventory's lock order): the expiry job skips it, or has expired it already.
        found = session.exec(select(Payment, Order, Event).join(Order, Order.id == Payment.order_id)
                             .join(Event, Event.id == Order.event_id).where(Payment.id == payment_id)
                             .with_for_update(of=Order)).first()
        if found is None:
            raise NotFound()
        payment, order, event = found
        if remote.amount_minor != payment.amount_minor or remote.currency.upper() != payment.currency.upper():
            log.error("payment %s: the provider reports %s %s for an order of %s %s; not confirmed", payment_id,
                      remote.amount_minor, remote.currency, payment.amount_minor, payment.currency)
            session.exec(update(Payment).where(Payment.id == payment_id).values(
                last_error=f"amount mismatch: {remote.amount_minor} {remote.currency.upper()}"[:500]))
            session.commit()
            return MISMATCH
        if not move(session, Payment, Payment.id == payment_id, to=PaymentStatus.SUCCEEDED, paid_at=now,
                    updated_at=now, last_error="").rowcount:
            session.rollback()
            return ALREADY
        outcome = _apply(session, order, event, payment, now)
        domain_events.record(session, "payment.succeeded", {
            "payment_id": payment.id, "order_id": order.id, "event_id": order.event_id, "provider": payment.provider,
            "amount_minor": payment.amount_minor, "currency": payment.currency, "outcome": outcome,
        }, organization_id=order.organization_id, actor_label=payment.provider)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return outcome


def _apply(session: Session, order: Order, event: Event, payment: Payment, now: datetime) -> str:
    if event.status == EventStatus.CANCELLED:  # the event's own refunds were made when it was cancelled
        _late_refund(session, order, payment, now)
        return REFUNDED
    if order.status == OrderStatus.PENDING:
        # Still holding its places (even if its time passed and the expiry job has not come by): confirmed.
        pending_orders.confirm_in_transaction(session, order, now)
        return CONFIRMED
    if order.status == OrderStatus.EXPIRED and _revive(session, order, now):
        return REVIVED
    # Sold meanwhile, cancelled, or already confirmed by another payment: the money goes back.
    _late_refund(session, order, payment, now)
    return REFUNDED


def _revive(session: Session, order: Order, now: datetime) -> bool:
    """An expired order paid late: take its places again if every one of them is still free (and the event
    still sells), under the inventory's locks; then confirm it."""
    tickets = session.exec(select(Ticket.id, Ticket.ticket_type_id).where(
        Ticket.order_id == order.id, Ticket.status == TicketStatus.CANCELLED)).all()
    if not tickets:
        return False
    per_type: dict[int, int] = {}
    for _, type_id in tickets:
        per_type[type_id] = per_type.get(type_id, 0) + 1
    stock = inventory.lock(session, order.event_id, per_type)
    if stock.event_status != EventStatus.PUBLISHED:
        return False
    if any(stock.left.get(t, 0) < n for t, n in per_type.items()):
        return False
    if stock.event_left is not None and stock.event_left < sum(per_type.values()):
        return False
    inventory.take_locked(session, order.event_id, per_type)
    move(session, Order, Order.id == order.id, to=OrderStatus.CONFIRMED, only_from=(OrderStatus.EXPIRED,))
    move(session, Ticket, Ticket.order_id == order.id, to=TicketStatus.VALID, only_from=(TicketStatus.CANCELLED,),
         cancelled_at=None)
    session.refresh(order)
    pending_orders.record_confirmed(session, order, revived=True)
    return True


def _late_refund(session: Session, order: Order, payment: Payment, now: datetime) -> None:
    from aqstream.services.payments import refunds
    refund = refunds.add(session, payment, payment.amount_minor, reason=refunds.LATE_PAYMENT, now=now)
    event = session.get(Event, order.event_id)
    domain_events.record(session, "payment.refunded_late", {
        "order_id": order.id, "event_id": order.event_id, "event_title": event.title, "payment_id": payment.id,
        "refund_id": refund.id, "buyer_email": order.buyer_email, "access_token": order.access_token,
        "locale": order.locale, "amount_minor": payment.amount_minor, "currency": payment.currency,
    }, organization_id=order.organization_id, actor_label=payment.provider)


def _fetch_and_settle(session: Session, payment_id: int, organization_id: int, provider_name: str,
                      provider_payment_id: str) -> str:
    provider = settings.provider_for(session, organization_id, provider_name)
    session.rollback()  # no transaction (nor pool connection) is held while the provider answers
    remote = provider.fetch_payment(provider_payment_id)
    return settle(session, payment_id, remote)


_KEYS = (Payment.id, Payment.organization_id, Payment.provider, Payment.provider_payment_id)


def handle_notification(session: Session, provider_name: str, org_slug: str, body: bytes,
                        headers: Mapping[str, str]) -> int:
    """A provider's notification for an organization: verified by the provider (a signature, or by fetching the
    payment back), then each payment it names is fetched from the provider and settled. Returns how many of
    ours it named. BadNotification for anything that does not verify; ProviderUnavailable when the fetch
    fails (the provider sends it again)."""
    from aqstream.models import Organization
    if provider_name not in (providers.STRIPE, providers.YOOKASSA):
        raise NotFound()
    found = session.exec(select(Organization.id, PaymentSettings).outerjoin(
        PaymentSettings, PaymentSettings.organization_id == Organization.id).where(Organization.slug == org_slug[:63])).first()
    if found is None:
        raise NotFound()
    org_id, row = found
    try:
        provider = settings.provider_for(session, org_id, provider_name, row or PaymentSettings(organization_id=org_id))
    except ProviderRefused as exc:
        raise NotFound() from exc
    items = provider.notification_ids(body, headers)
    count, refunded = 0, []
    for item in items[:20]:
        provider_payment_id = item.provider_payment_id if isinstance(item, Remote) else item
        row = session.exec(select(Payment.id, Payment.order_id).where(
            Payment.provider == provider_name, Payment.provider_payment_id == provider_payment_id[:255],
            Payment.organization_id == org_id)).first()
        if row is None and isinstance(item, Remote):
            row = _by_metadata(session, org_id, provider_name, item)
        if row is None:
            continue  # not ours (another installation's, or a payment made outside AqStream)
        if isinstance(item, Remote):
            remote = item  # proven by the notification's signature
        else:
            session.rollback()  # nothing held while the provider answers
            remote = provider.fetch_payment(provider_payment_id)
        if settle(session, row[0], remote) == REFUNDED:
            refunded.append(row[1])
        count += 1
    if refunded:  # the late payer's money goes back at once (the `refunds` job retries if the provider is down)
        from aqstream.services.payments import refunds
        refunds.run_due(session, order_ids=refunded, limit=20)
    return count


def _by_metadata(session: Session, org_id: int, provider_name: str, remote: Remote):
    """A verified notification about a payment whose provider id was never saved (the process stopped between the
    provider's answer and the write): found by our own id in its metadata, and given its provider id."""
    try:
        payment_id = int(remote.metadata.get("payment_id", ""))
    except ValueError:
        return None
    begin_write(session)
    moved = session.exec(update(Payment).where(
        Payment.id == payment_id, Payment.organization_id == org_id, Payment.provider == provider_name,
        Payment.provider_payment_id.is_(None)).values(provider_payment_id=remote.provider_payment_id[:255]))
    session.commit()
    if not moved.rowcount:
        return None
    return session.exec(select(Payment.id, Payment.order_id).where(Payment.id == payment_id)).first()


def refresh(session: Session, access_token: str) -> str:
    """The buyer is back on the order page (or it polls): the order's open payments are fetched from their
    provider and settled. Returns the order's status. A provider that does not answer changes nothing."""
    view = registration.get_order_by_token(session, access_token)
    if view.order.status == OrderStatus.PENDING:
        open_payments = session.exec(select(*_KEYS).where(
            Payment.order_id == view.order.id, Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.FAILED)),
            Payment.provider != providers.BANK, Payment.provider_payment_id.is_not(None))).all()
        for row in open_payments:
            try:
                _fetch_and_settle(session, *row)
            except (ProviderUnavailable, ProviderRefused) as exc:
                log.warning("payment %s: could not fetch it: %s", row[0], type(exc).__name__)
    status = session.exec(select(Order.status).where(Order.id == view.order.id)).one()
    return status


CHECK_AFTER = timedelta(minutes=2)  # a payment this old with no notification is fetched by the job
CHECK_FOR = timedelta(days=2)


def check_pending(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """The `payment-check` job: open card payments older than CHECK_AFTER are fetched from their provider and
    settled, so a lost notification loses nothing (a payment made after its order expired is refunded)."""
    now = now or utcnow()
    due = session.exec(select(*_KEYS).where(
        Payment.status == PaymentStatus.PENDING, Payment.provider != providers.BANK,
        Payment.provider_payment_id.is_not(None), Payment.created_at <= now - CHECK_AFTER,
        Payment.created_at > now - CHECK_FOR).order_by(Payment.updated_at).limit(limit)).all()
    done = 0
    for row in due:
        try:
            outcome = _fetch_and_settle(session, *row)
        except (ProviderUnavailable, ProviderRefused) as exc:
            log.warning("payment %s: check failed: %s", row[0], type(exc).__name__)
            continue
        if outcome == WAITING:  # looked at now: the next round takes the others first
            begin_write(session)
            session.exec(update(Payment).where(Payment.id == row[0]).values(updated_at=now))
            session.commit()
        done += 1
    return done


def mark_paid(session: Session, principal: Principal, organization_id: int, order_id: int) -> str:
    """An organizer saw a bank transfer arrive: the order's bank payment is settled as succeeded (with the same
    rules as a card: confirmed, revived, or refunded when its places are gone)."""
    access(session, principal, organization_id, MANAGE_EVENTS)
    order = session.exec(select(Order).where(Order.id == order_id, Order.organization_id == organization_id)).first()
    if order is None:
        raise NotFound()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == providers.BANK)
                           .order_by(Payment.attempt.desc())).first()
    if payment is None:
        raise Conflict("payment.no_bank_transfer")
    if payment.status == PaymentStatus.SUCCEEDED:
        return ALREADY
    return settle(session, payment.id, Remote(payment.provider_payment_id or "", providers.REMOTE_SUCCEEDED,
                                              payment.amount_minor, payment.currency))


@dataclass(frozen=True)
class Money:
    paid_minor: int
    refunded_minor: int  # done
    refunding_minor: int  # pending
    currency: str


def order_money(session: Session, order_id: int) -> Money:
    """What an order paid and got back, from the payments and refunds themselves."""
    paid, currency = session.exec(select(func.coalesce(func.sum(Payment.amount_minor), 0), func.max(Payment.currency))
                                  .where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED)).one()
    rows = session.exec(select(Refund.status, func.sum(Refund.amount_minor)).where(Refund.order_id == order_id)
                        .group_by(Refund.status)).all()
    by = {status: int(n or 0) for status, n in rows}
    return Money(int(paid or 0), by.get(RefundStatus.DONE, 0), by.get(RefundStatus.PENDING, 0), currency or "")


def order_payments(session: Session, order_id: int) -> list[Payment]:
    return list(session.exec(select(Payment).where(Payment.order_id == order_id).order_by(Payment.attempt)).all())
