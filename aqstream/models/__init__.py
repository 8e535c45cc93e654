"""SQLModel tables: the domain model of DESIGN.md. No behaviour lives here, only columns."""
from aqstream.models.tables import (
    Answer,
    AuditEntry,
    Event,
    LoginAttempt,
    LoginTicket,
    Membership,
    Order,
    Organization,
    OutboxMessage,
    Question,
    Ticket,
    TicketType,
    User,
    UserSession,
)

__all__ = [
    "Answer",
    "AuditEntry",
    "Event",
    "LoginAttempt",
    "LoginTicket",
    "Membership",
    "Order",
    "Organization",
    "OutboxMessage",
    "Question",
    "Ticket",
    "TicketType",
    "User",
    "UserSession",
]
