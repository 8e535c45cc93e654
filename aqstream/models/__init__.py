"""SQLModel tables: the domain model of DESIGN.md. No behaviour lives here, only columns."""
from aqstream.models.tables import (
    AuditEntry,
    Event,
    LoginAttempt,
    LoginTicket,
    Membership,
    Order,
    Organization,
    OutboxMessage,
    Ticket,
    TicketType,
    User,
    UserSession,
)

__all__ = [
    "AuditEntry",
    "Event",
    "LoginAttempt",
    "LoginTicket",
    "Membership",
    "Order",
    "Organization",
    "OutboxMessage",
    "Ticket",
    "TicketType",
    "User",
    "UserSession",
]
