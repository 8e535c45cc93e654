"""Every kind of email the outbox carries: the names that the services and handlers write and that
services/notify/email_render.py turns into mail. The renderer depends on this list, not on the domain modules."""
from __future__ import annotations

from datetime import timedelta

REGISTRATION_CONFIRMATION = "email.registration_confirmation"
REGISTRATION_NOTICE = "email.registration_notice"  # to the organizer, when the event names an address
ORDER_CANCELLED = "email.order_cancelled"
EVENT_CHANGED = "email.event_changed"
EVENT_CANCELLED = "email.event_cancelled"
TEAM_INVITATION = "email.team_invitation"
VERIFY_ADDRESS = "email.verify_address"
EVENT_REMINDER = "email.event_reminder"
PASSWORD_RESET = "email.password_reset"
ORGANIZATION_SUSPENDED = "email.organization_suspended"  # to its owners, from the platform's admins
ORGANIZATION_REACTIVATED = "email.organization_reactivated"
BANK_TRANSFER = "email.bank_transfer"  # how to pay a pending order by bank transfer: amount, reference, pay-until
PAYMENT_REFUNDED_LATE = "email.payment_refunded_late"  # the apology: paid after the hold ran out, places sold
REFUND_DONE = "email.refund_done"  # money given back (an organizer's or the attendee's cancellation)

ALL = (REGISTRATION_CONFIRMATION, REGISTRATION_NOTICE, ORDER_CANCELLED, EVENT_CHANGED, EVENT_CANCELLED,
       TEAM_INVITATION, VERIFY_ADDRESS, EVENT_REMINDER, PASSWORD_RESET, ORGANIZATION_SUSPENDED,
       ORGANIZATION_REACTIVATED, BANK_TRANSFER, PAYMENT_REFUNDED_LATE, REFUND_DONE)

PASSWORD_RESET_LIFETIME = timedelta(hours=1)  # how long a reset link works; the email says it
