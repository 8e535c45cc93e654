"""Table definitions. Times are aware UTC datetimes (docs/architecture.md, invariant 5); money is integer minor units."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    __table_args__ = (
        # The platform admins' list of organizations: filtered by status, sorted by creation or last activity.
        Index("ix_organization_status_created", "status", "created_at"),
        Index("ix_organization_last_activity", "last_activity_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=63, unique=True, index=True)
    name: str = Field(max_length=200)
    status: str = Field(default="active", max_length=20)  # active | suspended
    default_locale: str = Field(default="en", max_length=10)
    currency: str = Field(default="EUR", max_length=3)
    time_zone: str = Field(default="UTC", max_length=64)
    contact_email: str = Field(default="", max_length=254)
    logo_path: str = Field(default="", max_length=300)  # file name under the media directory
    created_at: datetime
    # Set by the platform admins (services/platform/tenants.py): while suspended, members read but change
    # nothing and its events take no registrations.
    suspended_at: Optional[datetime] = None
    suspension_reason: str = Field(default="", max_length=500)
    # Optional limits (None: none): published events at once, places per event.
    max_published_events: Optional[int] = None
    max_tickets_per_event: Optional[int] = None
    # The last domain event of the organization, kept to the hour (services/notify/domain_events.py).
    last_activity_at: Optional[datetime] = None


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: Optional[int] = Field(default=None, primary_key=True)
    # Stored lower-cased, which makes the unique index case-insensitive.
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="en", max_length=10)
    is_platform_admin: bool = Field(default=False)
    created_at: datetime
    # Set when the person proved they read this address; only then do guest orders join the account.
    email_verified_at: Optional[datetime] = None
    # "Sign out everywhere": API tokens issued before this moment stop working too.
    sessions_revoked_at: Optional[datetime] = None
    # Set when the person deleted their account: the row stays, stripped of personal data.
    deleted_at: Optional[datetime] = None
    # The organization whose pages they opened last: sign-in lands on its events (checked against the
    # memberships then; no foreign key, a stale id is simply ignored).
    last_organization_id: Optional[int] = None


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id", name="uq_membership_user_org"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    role: str = Field(max_length=20)  # owner | admin | staff | checkin
    created_at: datetime


class Invitation(SQLModel, table=True):
    """An invitation into an organization with a role, accepted through a secret link by signing up or in
    with the invited address. Only the SHA-256 of the link's token is stored."""

    __tablename__ = "invitation"

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    invited_by_user_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime
    expires_at: datetime
    accepted_at: Optional[datetime] = None
    accepted_by_user_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    revoked_at: Optional[datetime] = None


class UserSession(SQLModel, table=True):
    """A browser sign-in. Only the SHA-256 of the token is stored, so a database leak signs nobody in."""

    __tablename__ = "user_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: Optional[datetime] = None
    user_agent: str = Field(default="", max_length=300)


class LoginTicket(SQLModel, table=True):
    """A single-use, short-lived voucher that the backend exchanges for an HttpOnly session cookie."""

    __tablename__ = "login_ticket"

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id")
    next_path: str = Field(default="/", max_length=300)
    expires_at: datetime
    used_at: Optional[datetime] = None


class PasswordReset(SQLModel, table=True):
    """A single-use, expiring link to set a new password; only the token's SHA-256 is stored."""

    __tablename__ = "password_reset"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime
    expires_at: datetime
    used_at: Optional[datetime] = None
    address: str = Field(default="", max_length=64)  # the client that asked, for throttling


class LoginAttempt(SQLModel, table=True):
    """Failed sign-ins, counted per email and per client address to slow down guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    at: datetime


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("organization_id", "slug", name="uq_event_org_slug"),
        Index("ix_event_status_starts", "status", "starts_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    slug: str = Field(max_length=80)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=20000)
    venue: str = Field(default="", max_length=300)
    online_url: str = Field(default="", max_length=500)
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=20, index=True)  # services.lifecycle.EventStatus
    capacity: Optional[int] = None  # None: only the ticket types limit
    sold: int = Field(default=0)  # tickets holding a place; guarded against capacity
    registration_opens_at: Optional[datetime] = None
    registration_closes_at: Optional[datetime] = None
    # Organizer's switch: at most one active registration per email address for this event.
    one_registration_per_email: bool = Field(default=False)
    locale: str = Field(default="", max_length=10)  # language of the public page; "" = the visitor's
    cover_path: str = Field(default="", max_length=300)  # file name under the media directory
    city: str = Field(default="", max_length=120)  # for the catalog's city filter; "" for online events
    tags: str = Field(default="", max_length=300)  # topic tags, lower-case, "jazz, music"
    listed: bool = Field(default=True)  # False: reachable by link only, kept out of the catalog
    # Attendees may correct the names on their own tickets until the event starts.
    attendees_can_edit_names: bool = Field(default=True)
    # Emails: a reminder this many hours before the start (0: none); the organizer's own words added to the
    # confirmation and the reminder; an address told of each new registration ("" : nobody).
    reminder_hours: int = Field(default=24)
    confirmation_text: str = Field(default="", max_length=2000)
    reminder_text: str = Field(default="", max_length=2000)
    notify_email: str = Field(default="", max_length=1300)  # up to 5 addresses, "a@x.org, b@y.org"
    created_at: datetime
    published_at: Optional[datetime] = None
    # Payments (services/payments): the currency of its prices (ISO 4217), the methods it offers, how long a
    # pending order holds its places (card) or waits for a transfer (bank), and when attendees may still
    # cancel a paid ticket themselves and get back what share of it (None: they may not).
    currency: str = Field(default="EUR", max_length=3)
    pay_stripe: bool = Field(default=False)
    pay_yookassa: bool = Field(default=False)
    pay_bank: bool = Field(default=False)
    hold_minutes: int = Field(default=15)
    bank_transfer_days: int = Field(default=3)
    refund_until: Optional[datetime] = None
    refund_percent: int = Field(default=100)


class TicketType(SQLModel, table=True):
    __tablename__ = "ticket_type"

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    price_minor: int = Field(default=0)
    currency: str = Field(default="EUR", max_length=3)
    quantity: int
    sold: int = Field(default=0)  # guarded against quantity
    sales_start_at: Optional[datetime] = None
    sales_end_at: Optional[datetime] = None
    min_per_order: int = Field(default=1)
    max_per_order: int = Field(default=10)
    hidden: bool = Field(default=False)
    # A hidden type is offered only to whoever has this code (in a direct link: /e/org/event?code=...).
    unlock_code: str = Field(default="", max_length=64)
    sort_order: int = Field(default=0)


class Order(SQLModel, table=True):
    __tablename__ = "ticket_order"
    __table_args__ = (
        UniqueConstraint("event_id", "idempotency_key", name="uq_order_event_idem"),
        # Set to the buyer's email while the order is active and the event allows one registration per
        # email; NULL otherwise. The unique constraint makes the rule hold under concurrent requests.
        UniqueConstraint("event_id", "dedupe_key", name="uq_order_event_dedupe"),
        # The expiry job looks for pending orders whose time has come.
        Index("ix_order_status_expires", "status", "expires_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user_account.id", index=True)
    buyer_name: str = Field(max_length=200)
    buyer_email: str = Field(max_length=254, index=True)
    status: str = Field(default="confirmed", max_length=20)  # services.lifecycle.OrderStatus
    total_minor: int = Field(default=0)
    currency: str = Field(default="EUR", max_length=3)
    locale: str = Field(default="en", max_length=10)
    # The secret in the confirmation link: whoever has it may see (and later manage) the order.
    access_token: str = Field(max_length=64, unique=True, index=True)
    idempotency_key: Optional[str] = Field(default=None, max_length=200)
    dedupe_key: Optional[str] = Field(default=None, max_length=254)
    # SHA-256 of the normalized request: a replay with the same Idempotency-Key must match it exactly.
    request_fingerprint: str = Field(default="", max_length=64)
    created_at: datetime
    cancelled_at: Optional[datetime] = None
    # A pending order holds its places until then; services.orders.expire_due gives them back.
    expires_at: Optional[datetime] = None
    # When the reminder email was queued: set in the same transaction, so each order gets one reminder.
    reminder_sent_at: Optional[datetime] = None
    # How a paid order is paid (services/payments): stripe | yookassa | bank; "" for a free order.
    payment_method: str = Field(default="", max_length=20)


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    # The organizer's attendee list filters and sorts within one event (100,000 tickets must stay fast).
    __table_args__ = (
        Index("ix_ticket_event_status", "event_id", "status"),
        Index("ix_ticket_event_name", "event_id", "attendee_name"),
        Index("ix_ticket_event_type", "event_id", "ticket_type_id"),
        # Arrivals at the door, counted by the live Analytics tab without reading the tickets.
        Index("ix_ticket_event_checked_in", "event_id", "checked_in_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="ticket_order.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    ticket_type_id: int = Field(foreign_key="ticket_type.id", index=True)
    attendee_name: str = Field(max_length=200)
    attendee_email: str = Field(default="", max_length=254)
    code: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(default="valid", max_length=20)  # services.lifecycle.TicketStatus
    checked_in_at: Optional[datetime] = None
    created_at: datetime
    cancelled_at: Optional[datetime] = None


class Question(SQLModel, table=True):
    """A custom registration question of an event, asked once per order or once per attendee."""

    __tablename__ = "question"

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    label: str = Field(max_length=300)
    help_text: str = Field(default="", max_length=1000)
    kind: str = Field(max_length=20)  # short_text | long_text | single_choice | multiple_choice | checkbox
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required: bool = Field(default=False)
    scope: str = Field(default="order", max_length=10)  # order | attendee
    sort_order: int = Field(default=0)
    active: bool = Field(default=True)  # removed questions stay for the answers already given


class Answer(SQLModel, table=True):
    __tablename__ = "answer"

    id: Optional[int] = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="ticket_order.id", index=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id", index=True)  # set for attendee scope
    question_id: int = Field(foreign_key="question.id", index=True)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))  # str, list[str] or bool


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_org_created", "organization_id", "created_at"),  # the mail log, newest first
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    kind: str = Field(max_length=60)  # e.g. email.registration_confirmation
    recipient: str = Field(max_length=254)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime
    last_error: str = Field(default="", max_length=2000)
    created_at: datetime
    sent_at: Optional[datetime] = None
    # While status is "sending": which worker holds the message, and until when. A claim that outlives its
    # lease belongs to a worker that died; another worker takes the message again.
    claimed_by: str = Field(default="", max_length=64)
    locked_until: Optional[datetime] = None


class ScheduledJob(SQLModel, table=True):
    """One periodic job of the scheduler (services/scheduler.py): when it is next due, and who runs it now."""

    __tablename__ = "scheduled_job"

    name: str = Field(primary_key=True, max_length=60)
    next_run_at: datetime
    # While a worker runs the job: which claim holds it, and until when. A claim that outlives its lease
    # belongs to a worker that died; the next worker to find the job due takes it over.
    claimed_by: str = Field(default="", max_length=64)
    running_until: Optional[datetime] = None
    last_run_at: Optional[datetime] = None  # when the last finished run started
    last_error: str = Field(default="", max_length=2000)  # what it raised, or "" when it succeeded


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    actor_user_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    actor_label: str = Field(default="", max_length=254)  # who, when not a user (a guest's email, "api")
    action: str = Field(max_length=60)  # e.g. event.publish
    object_type: str = Field(max_length=40)
    object_id: Optional[int] = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(index=True)


class DomainEvent(SQLModel, table=True):
    """A named state change (`order.cancelled`, `event.published`, ...) with its payload, recorded in the
    transaction that made the change (services/notify/domain_events.py)."""

    __tablename__ = "domain_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    actor_user_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    actor_label: str = Field(default="", max_length=254)
    occurred_at: datetime = Field(index=True)


class DomainEventDelivery(SQLModel, table=True):
    """One deferred handler's work on one domain event: pending until the handler has run and committed."""

    __tablename__ = "domain_event_delivery"
    __table_args__ = (Index("ix_delivery_status_next", "status", "next_attempt_at"),)

    event_id: int = Field(foreign_key="domain_event.id", primary_key=True)
    handler: str = Field(max_length=120, primary_key=True)
    status: str = Field(default="pending", max_length=20)  # pending | done | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime
    last_error: str = Field(default="", max_length=2000)
    done_at: Optional[datetime] = None


class EventTraffic(SQLModel, table=True):
    """Visitors of an event's public page and how far they got, counted per day (in the event's zone) and source,
    one row per (event, day, source, utm_source, utm_medium, utm_campaign): a million views are a few rows
    (services/reports/traffic.py). Nothing here names or identifies a visitor."""

    __tablename__ = "event_traffic"
    __table_args__ = (
        UniqueConstraint("event_id", "day", "source", "utm_source", "utm_medium", "utm_campaign",
                         name="uq_event_traffic_key"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    day: date
    source: str = Field(default="", max_length=100)  # referrer domain, lower-case, no "www."; "" direct
    utm_source: str = Field(default="", max_length=100)
    utm_medium: str = Field(default="", max_length=100)
    utm_campaign: str = Field(default="", max_length=100)
    visitors: int = Field(default=0)
    form_started: int = Field(default=0)
    submitted: int = Field(default=0)
    confirmed: int = Field(default=0)


class VisitorSeen(SQLModel, table=True):
    """That a visitor was counted at a step today: a keyed hash that changes daily (no address, agent or cookie),
    with the source of their view so later steps are credited to it. Kept for a day (the `traffic-prune` job)."""

    __tablename__ = "visitor_seen"

    day: date = Field(primary_key=True)
    event_id: int = Field(primary_key=True)
    step: str = Field(primary_key=True, max_length=20)
    digest: str = Field(primary_key=True, max_length=32)  # hex of the first 16 bytes of an HMAC-SHA256
    source: str = Field(default="", max_length=100)
    utm_source: str = Field(default="", max_length=100)
    utm_medium: str = Field(default="", max_length=100)
    utm_campaign: str = Field(default="", max_length=100)


class EventSigningKey(SQLModel, table=True):
    """An event's Ed25519 key pair for signed tickets (services/checkin/signing.py): the public key is given to
    scanners; the private key is kept encrypted with a key derived from AQSTREAM_SECRET_KEY."""

    __tablename__ = "event_signing_key"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    public_key: str = Field(max_length=64)  # 32 bytes as hex
    private_key_encrypted: str = Field(max_length=300)  # Fernet token of the 32-byte private key
    created_at: datetime


class CheckinList(SQLModel, table=True):
    """Who may get in through a door (services/checkin/scans.py): all of an event's ticket types or chosen ones,
    within an optional window, with or without re-entry. An event gets one list ("All tickets") by default."""

    __tablename__ = "checkin_list"

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    name: str = Field(max_length=120)
    ticket_type_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # []: all
    opens_at: Optional[datetime] = None
    closes_at: Optional[datetime] = None
    allow_reentry: bool = Field(default=False)
    question_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # answers shown
    created_at: datetime


class CheckinEntry(SQLModel, table=True):
    """A ticket let in through a list: one row per (list, ticket), so two devices scanning the same ticket at
    the same moment make one entry, and exactly one of them says welcome."""

    __tablename__ = "checkin_entry"
    __table_args__ = (Index("ix_checkin_entry_ticket", "ticket_id"),)

    list_id: int = Field(foreign_key="checkin_list.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    at: datetime
    device: str = Field(default="", max_length=60)
    scan_id: str = Field(max_length=64)
    inside: bool = Field(default=True)  # false once checked out (a list with re-entry)
    left_at: Optional[datetime] = None


class CheckinScan(SQLModel, table=True):
    """Every scan as it was answered, by the device's own scan id: the same id again (a replayed sync) gets the
    same answer and changes nothing."""

    __tablename__ = "checkin_scan"
    __table_args__ = (UniqueConstraint("list_id", "client_scan_id", name="uq_checkin_scan_client"),
                      Index("ix_checkin_scan_conflict", "list_id", "conflict"))

    id: Optional[int] = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="checkin_list.id", index=True)
    client_scan_id: str = Field(max_length=64)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    result: str = Field(max_length=20)
    device: str = Field(default="", max_length=60)
    scanned_at: datetime
    received_at: datetime
    direction: str = Field(default="in", max_length=3)  # in | out
    offline: bool = Field(default=False)  # the device had already answered it offline (a synced scan)
    conflict: bool = Field(default=False)  # admitted offline by this device, already let in by another scan


class PaymentSettings(SQLModel, table=True):
    """An organization's payment providers (services/payments/settings.py). Secrets are Fernet tokens made with a
    key derived from AQSTREAM_SECRET_KEY; they are never shown back in full nor logged."""

    __tablename__ = "payment_settings"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    stripe_secret_key: str = Field(default="", max_length=1000)  # encrypted
    stripe_webhook_secret: str = Field(default="", max_length=1000)  # encrypted
    stripe_test_mode: bool = Field(default=True)
    yookassa_shop_id: str = Field(default="", max_length=40)
    yookassa_secret_key: str = Field(default="", max_length=1000)  # encrypted
    yookassa_test_mode: bool = Field(default=True)
    bank_enabled: bool = Field(default=False)
    bank_instructions: str = Field(default="", max_length=2000)
    # Russian receipts (54-FZ): YooKassa payments carry the customer's email and one line per ticket.
    receipts_enabled: bool = Field(default=False)
    receipt_vat_code: int = Field(default=1)  # YooKassa's vat_code: 1 no VAT ... 6
    updated_at: Optional[datetime] = None


class Payment(SQLModel, table=True):
    """One attempt to pay an order through a provider (services/payments/payments.py). Its status changes only by
    guarded writes, after the provider confirmed it (a verified notification or the payment fetched back)."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id", name="uq_payment_provider_id"),
        UniqueConstraint("order_id", "attempt", name="uq_payment_order_attempt"),
        Index("ix_payment_status_created", "status", "created_at"),  # the check job's pending payments
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    order_id: int = Field(foreign_key="ticket_order.id", index=True)
    attempt: int = Field(default=1)
    provider: str = Field(max_length=20)  # stripe | yookassa | bank
    provider_payment_id: Optional[str] = Field(default=None, max_length=255)
    status: str = Field(default="created", max_length=20)  # services.lifecycle.PaymentStatus
    amount_minor: int
    currency: str = Field(max_length=3)
    idempotency_key: str = Field(max_length=255)
    redirect_url: str = Field(default="", max_length=2000)
    reference: str = Field(default="", max_length=40)  # a bank transfer's reference
    test_mode: bool = Field(default=False)
    created_at: datetime
    updated_at: datetime
    paid_at: Optional[datetime] = None
    last_error: str = Field(default="", max_length=500)


class Refund(SQLModel, table=True):
    """Money given back for a payment, in full or in part (services/payments/refunds.py): pending until the
    provider answers, retried by the `refunds` job until it does."""

    __tablename__ = "refund"
    __table_args__ = (Index("ix_refund_status_next", "status", "next_attempt_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    order_id: int = Field(foreign_key="ticket_order.id", index=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    amount_minor: int
    currency: str = Field(max_length=3)
    status: str = Field(default="pending", max_length=20)  # services.lifecycle.RefundStatus
    reason: str = Field(max_length=20)  # organizer | attendee | late_payment | event_cancelled
    provider_refund_id: str = Field(default="", max_length=255)
    idempotency_key: str = Field(max_length=255)
    attempts: int = Field(default=0)
    next_attempt_at: datetime
    last_error: str = Field(default="", max_length=500)
    created_at: datetime
    done_at: Optional[datetime] = None
    actor_user_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
