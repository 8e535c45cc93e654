"""The handlers of the domain events (services/notify/domain_events.py) that produce today's side effects: the
outbox emails and the audit entries. They run in the transaction that recorded the event, so an email or an
audit entry is committed with its change or not at all. A new side effect (a webhook, a message) is a new
handler here or in a module of its own, never a change to the service that made the change."""
from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session

from aqstream.models import AuditEntry, DomainEvent, OutboxMessage, User
from aqstream.services.notify import email_kinds, outbox
from aqstream.services.notify.domain_events import handler
from aqstream.services.reports import audit


def _audit(session: Session, event: DomainEvent, action: str, object_type: str, object_id: int | None,
           data: dict | None) -> None:
    audit.record(session, action=action, object_type=object_type, object_id=object_id,
                 organization_id=event.organization_id, actor_user_id=event.actor_user_id,
                 actor_label=event.actor_label, data=data)


# Orders ------------------------------------------------------------------------------------------------------


@handler("order.cancelled")
@handler("ticket.cancelled")
def order_cancelled(session: Session, event: DomainEvent) -> None:
    """The buyer's email (unless the cancellation tells nobody, or nobody is left to tell) and the audit entry."""
    p = event.payload
    if p["notify_buyer"] and p["buyer_email"]:  # an anonymized order (deleted account) has nobody to tell
        outbox.enqueue(session, kind=email_kinds.ORDER_CANCELLED, recipient=p["buyer_email"],
                       organization_id=event.organization_id,
                       payload={"order_id": p["order_id"], "access_token": p["access_token"],
                                "event_title": p["event_title"], "cancelled_codes": p["codes"],
                                "whole_order": p["whole_order"], "by": p["by"], "reason": p["reason"],
                                "locale": p["locale"]})
    action = "order.cancel" if event.name == "order.cancelled" else "ticket.cancel"
    _audit(session, event, action, "order", p["order_id"],
           {"by": p["by"], "tickets": p["tickets"], "whole_order": p["whole_order"]})


@handler("order.placed", batch=True)
def orders_placed(session: Session, events: list[DomainEvent]) -> None:
    """The audit entries of new orders (confirmed at once or pending), in one statement."""
    session.connection().execute(insert(AuditEntry.__table__), [audit.entry_row(
        action="order.create", object_type="order", object_id=e.payload["order_id"],
        organization_id=e.organization_id, actor_user_id=e.actor_user_id, actor_label=e.actor_label,
        data={"event_id": e.payload["event_id"], "tickets": e.payload["tickets"],
              **({"by_organizer": True, "notified": e.payload["notified"]} if e.payload["by_organizer"] else {}),
              **({"pending_until": e.payload["pending_until"]} if e.payload["pending_until"] else {})},
    ) for e in events])


@handler("order.confirmed", batch=True)
def orders_confirmed(session: Session, events: list[DomainEvent]) -> None:
    """The buyer's confirmation and the organizer's notices, in one statement; an order confirmed after its
    hold (`held`) also gets its audit entry (one registered at once has `order.create`)."""
    messages = []
    for e in events:
        p = e.payload
        if p["confirm"] and p["buyer_email"]:
            messages.append(outbox.message_row(
                kind=email_kinds.REGISTRATION_CONFIRMATION, recipient=p["buyer_email"],
                organization_id=e.organization_id,
                payload={"order_id": p["order_id"], "access_token": p["access_token"], "event_title": p["event_title"],
                         "tickets": [{"code": t["code"], "attendee": t["attendee"], "type": t["type"]}
                                     for t in p["tickets"]],
                         "locale": p["locale"]},
            ))
        messages += [outbox.message_row(
            kind=email_kinds.REGISTRATION_NOTICE, recipient=address, organization_id=e.organization_id,
            payload={"order_id": p["order_id"], "event_id": p["event_id"], "event_title": p["event_title"],
                     "tickets": len(p["tickets"])},
        ) for address in p["notice_to"]]
        if p.get("held"):
            _audit(session, e, "order.confirm", "order", p["order_id"], {"tickets": [t["id"] for t in p["tickets"]]})
    if messages:
        session.connection().execute(insert(OutboxMessage.__table__), messages)


@handler("order.expired", batch=True)
def orders_expired(session: Session, events: list[DomainEvent]) -> None:
    """Pending orders whose hold ran out: their audit entries, in one statement (the job expires batches)."""
    session.connection().execute(insert(AuditEntry.__table__), [audit.entry_row(
        action="order.expire", object_type="order", object_id=e.payload["order_id"], organization_id=e.organization_id,
        actor_user_id=None, actor_label="", data={"event_id": e.payload["event_id"], "tickets": e.payload["tickets"]},
    ) for e in events])


@handler("order.confirmation_resent")
def confirmation_resent(session: Session, event: DomainEvent) -> None:
    """The organizer sends the confirmation again: the email (marked resent) and the audit entry."""
    p = event.payload
    outbox.enqueue(session, kind=email_kinds.REGISTRATION_CONFIRMATION, recipient=p["buyer_email"],
                   organization_id=event.organization_id,
                   payload={"order_id": p["order_id"], "access_token": p["access_token"], "event_title": p["event_title"],
                            "tickets": p["tickets"], "locale": p["locale"], "resent": True})
    _audit(session, event, "order.resend_confirmation", "order", p["order_id"], None)


# Events ------------------------------------------------------------------------------------------------------


def _tell_attendees(session: Session, event: DomainEvent, kind: str, recipients: list[dict], extra: dict) -> None:
    p = event.payload
    rows = [
        outbox.message_row(kind=kind, recipient=r["email"], organization_id=event.organization_id,
                           payload={**extra, "event_id": p["event_id"], "event_title": p["event_title"],
                                    "name": r["name"], "locale": r["locale"] or p["event_locale"] or "en"})
        for r in recipients
    ]
    if rows:
        session.connection().execute(insert(OutboxMessage.__table__), rows)


@handler("event.published")
@handler("event.unpublished")
@handler("event.archived")
def event_status_changed(session: Session, event: DomainEvent) -> None:
    action = {"event.published": "event.publish", "event.unpublished": "event.unpublish",
              "event.archived": "event.archive"}[event.name]
    _audit(session, event, action, "event", event.payload["event_id"], None)


@handler("event.changed")
def event_changed(session: Session, event: DomainEvent) -> None:
    """Attendees of a published event whose time or place moved are told; the audit entry either way."""
    p = event.payload
    if p["moved"]:
        _tell_attendees(session, event, email_kinds.EVENT_CHANGED, p["recipients"], {
            "changed": p["moved"], "starts_at": p["starts_at"], "ends_at": p["ends_at"],
            "time_zone": p["time_zone"], "venue": p["venue"], "online_url": p["online_url"]})
    _audit(session, event, "event.update", "event", p["event_id"],
           {"changed": p["changed"], "attendees_told": len(p["recipients"]) if p["moved"] else 0})


@handler("event.cancelled")
def event_cancelled(session: Session, event: DomainEvent) -> None:
    """One email per attendee who held a valid ticket, with the organizer's message; the audit entry."""
    p = event.payload
    _tell_attendees(session, event, email_kinds.EVENT_CANCELLED, p["recipients"], {"message": p["message"]})
    told = len(p["recipients"])
    _audit(session, event, "event.cancel", "event", p["event_id"],
           {"message": p["message"], **({"attendees_told": told} if told else {}), **p["cancelled"]})


# Team --------------------------------------------------------------------------------------------------------


@handler("member.invited")
def member_invited(session: Session, event: DomainEvent) -> None:
    p = event.payload
    outbox.enqueue(session, kind=email_kinds.TEAM_INVITATION, recipient=p["email"],
                   organization_id=event.organization_id, payload=p["email_payload"])
    _audit(session, event, "team.invite", "invitation", p["invitation_id"],
           {"email": p["email"], "role": p["role"], "replaced": p["replaced"]})


# Accounts ----------------------------------------------------------------------------------------------------


def _account(session: Session, event: DomainEvent) -> User:
    """The account an `account.*` event is about: its address and name are read here, not kept in the payload."""
    return session.get(User, event.payload["user_id"])


@handler("account.created")
def account_created(session: Session, event: DomainEvent) -> None:
    """The link that confirms the address (a transient value: the link is not kept in the event) and the audit
    entry."""
    p, user = event.payload, _account(session, event)
    outbox.enqueue(session, kind=email_kinds.VERIFY_ADDRESS, recipient=user.email,
                   payload={"user_id": user.id, "name": user.name, "locale": user.locale,
                            "verify_path": p["verify_path"]})
    _audit(session, event, "user.sign_up", "user", user.id, None)


@handler("account.password_reset_requested")
def password_reset_requested(session: Session, event: DomainEvent) -> None:
    """The email with the reset link; the link's token is transient, only its digest is stored anywhere else."""
    p, user = event.payload, _account(session, event)
    outbox.enqueue(session, kind=email_kinds.PASSWORD_RESET, recipient=user.email,
                   payload={"user_id": user.id, "name": user.name, "reset_path": p["reset_path"],
                            "locale": p["locale"], "expires_at": p["expires_at"]})


# Reminders, the mail log, tickets ----------------------------------------------------------------------------


@handler("reminder.queued")
def reminder_queued(session: Session, event: DomainEvent) -> None:
    """One reminder email per person the reminders job chose (services/notify/reminders.py)."""
    p = event.payload
    rows = [outbox.message_row(kind=email_kinds.EVENT_REMINDER, recipient=r["email"],
                               organization_id=event.organization_id,
                               payload={"event_id": p["event_id"], "event_title": p["event_title"], "name": r["name"],
                                        "locale": r["locale"], "order_id": r["order_id"], "codes": r["codes"],
                                        "starts_at": p["starts_at"]})
            for r in p["recipients"]]
    if rows:
        session.connection().execute(insert(OutboxMessage.__table__), rows)


@handler("mail.resent")
def mail_resent(session: Session, event: DomainEvent) -> None:
    """The audit entry names the message's recipient, read from the message (the event keeps its id only)."""
    message = session.get(OutboxMessage, event.payload["message_id"])
    _audit(session, event, "mail.send_again", "outbox_message", message.id,
           {"recipient": message.recipient, "kind": message.kind})


@handler("ticket.renamed")
def ticket_renamed(session: Session, event: DomainEvent) -> None:
    """No names in the entry: the audit log outlives an account's deletion."""
    _audit(session, event, "ticket.rename", "order", event.payload["order_id"], {"ticket": event.payload["ticket_id"]})


# Payments: the buyer's emails (the audit entries are in AUDITED below; both handlers run) -------------------------


@handler("payment.bank_transfer_started")
def bank_transfer_started(session: Session, event: DomainEvent) -> None:
    """How to pay by bank transfer: the amount, the reference, the organization's instructions, the date to pay
    by and the order's link."""
    p = event.payload
    if p["buyer_email"]:
        outbox.enqueue(session, kind=email_kinds.BANK_TRANSFER, recipient=p["buyer_email"],
                       organization_id=event.organization_id,
                       payload={k: p[k] for k in ("order_id", "payment_id", "access_token", "event_title", "amount_minor",
                                                  "currency", "reference", "instructions", "pay_until", "locale")})


@handler("payment.refunded_late")
def payment_refunded_late(session: Session, event: DomainEvent) -> None:
    """The apology: the payment came after the reservation expired and its places were taken; it is refunded."""
    p = event.payload
    if p["buyer_email"]:
        outbox.enqueue(session, kind=email_kinds.PAYMENT_REFUNDED_LATE, recipient=p["buyer_email"],
                       organization_id=event.organization_id,
                       payload={k: p[k] for k in ("order_id", "payment_id", "refund_id", "access_token", "event_title",
                                                  "amount_minor", "currency", "locale")})


@handler("refund.done")
def refund_done(session: Session, event: DomainEvent) -> None:
    """The buyer is told their money is on its way back; a late payment's refund was announced by its apology."""
    p = event.payload
    if p["buyer_email"] and p["reason"] != "late_payment":
        outbox.enqueue(session, kind=email_kinds.REFUND_DONE, recipient=p["buyer_email"],
                       organization_id=event.organization_id,
                       payload={k: p[k] for k in ("order_id", "refund_id", "access_token", "event_title", "amount_minor",
                                                  "currency", "reason", "locale")})


# Events whose only effect today is the audit entry: its action, object type, the payload key of the object and
# the payload keys that are the entry's data (None: the rest of the payload).
AUDITED: dict[str, tuple[str, str, str, tuple[str, ...] | None]] = {
    "ticket.checkin_undone": ("ticket.checkin_undo", "ticket", "ticket_id", None),
    "checkin_list.created": ("checkin_list.create", "checkin_list", "list_id", None),
    "checkin_list.updated": ("checkin_list.update", "checkin_list", "list_id", None),
    "checkin_list.deleted": ("checkin_list.delete", "checkin_list", "list_id", None),
    "member.role_changed": ("team.role_change", "membership", "membership_id", None),
    "member.removed": ("team.remove", "membership", "membership_id", None),
    "member.left": ("team.leave", "membership", "membership_id", None),
    "invitation.revoked": ("team.invitation_revoke", "invitation", "invitation_id", None),
    "member.joined": ("team.join", "invitation", "invitation_id", None),
    "account.email_verified": ("user.verify_email", "user", "user_id", ()),
    "account.updated": ("user.update_profile", "user", "user_id", ()),
    "account.signed_out_everywhere": ("user.sign_out_everywhere", "user", "user_id", ()),
    "account.password_changed": ("user.password_reset", "user", "user_id", None),
    "account.deleted": ("account.delete", "user", "user_id", None),
    "organization.created": ("organization.create", "organization", "organization_id", None),
    "organization.updated": ("organization.settings_update", "organization", "organization_id", None),
    "event.created": ("event.create", "event", "event_id", None),
    "event.duplicated": ("event.duplicate", "event", "event_id", None),
    "event.cover_changed": ("event.cover", "event", "event_id", None),
    "ticket_type.added": ("ticket_type.create", "ticket_type", "ticket_type_id", None),
    "ticket_type.changed": ("ticket_type.update", "ticket_type", "ticket_type_id", None),
    "question.added": ("question.create", "question", "question_id", None),
    "question.removed": ("question.remove", "question", "question_id", None),
    "question.changed": ("question.update", "question", "question_id", None),
    "platform_admin.granted": ("platform.admin_grant", "user", "user_id", None),
    "platform_admin.revoked": ("platform.admin_revoke", "user", "user_id", None),
    "organization.limits_changed": ("platform.limits", "organization", "organization_id", None),
    "organization.support_viewed": ("platform.support_view", "organization", "organization_id", None),
    "organization.exported": ("platform.export", "organization", "organization_id", None),
    "organization.deleted": ("platform.delete", "organization", "organization_id", None),
    # Payments (services/payments): never a secret, an address or an order's link in the entry.
    "payments.settings_changed": ("payments.settings_update", "organization", "organization_id", ("methods",)),
    "payment.succeeded": ("payment.succeed", "payment", "payment_id",
                          ("order_id", "provider", "amount_minor", "currency", "outcome")),
    "payment.bank_transfer_started": ("payment.bank_transfer", "payment", "payment_id",
                                      ("order_id", "amount_minor", "currency", "reference")),
    "payment.refunded_late": ("payment.refund_late", "payment", "payment_id",
                              ("order_id", "refund_id", "amount_minor", "currency")),
    "refund.requested": ("refund.request", "refund", "refund_id", ("order_id", "amount_minor", "currency", "reason")),
    "refund.done": ("refund.done", "refund", "refund_id", ("order_id", "amount_minor", "currency", "reason")),
    "refund.failed": ("refund.fail", "refund", "refund_id", ("order_id", "amount_minor", "currency", "error")),
}


def audited(session: Session, event: DomainEvent) -> None:
    action, object_type, key, data_keys = AUDITED[event.name]
    p = event.payload
    data = {k: v for k, v in p.items() if k != key} if data_keys is None else {k: p[k] for k in data_keys}
    _audit(session, event, action, object_type, p[key], data or None)


for _name in AUDITED:
    handler(_name)(audited)


# The platform ---------------------------------------------------------------------------------------------------


@handler("organization.suspended")
@handler("organization.reactivated")
def organization_suspension(session: Session, event: DomainEvent) -> None:
    """The audit entry with who and why, and an email to each owner of the organization."""
    from sqlmodel import select

    from aqstream.models import Membership, Organization

    p = event.payload
    suspended = event.name == "organization.suspended"
    _audit(session, event, "platform.suspend" if suspended else "platform.reactivate", "organization",
           p["organization_id"], {"reason": p.get("reason", "")} if suspended else None)
    org = session.get(Organization, p["organization_id"])
    owners = session.exec(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.organization_id == org.id, Membership.role == "owner")).all()
    for owner in owners:
        outbox.enqueue(session, kind=email_kinds.ORGANIZATION_SUSPENDED if suspended
                       else email_kinds.ORGANIZATION_REACTIVATED, recipient=owner.email, organization_id=org.id,
                       payload={"organization_name": org.name, "reason": p.get("reason", ""),
                                "name": owner.name, "locale": owner.locale or org.default_locale})
