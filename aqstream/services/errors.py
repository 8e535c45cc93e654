"""Typed domain errors. Each carries a message key (translated by the UI) and, where it concerns one
input, the field it belongs to. The API maps classes to status codes in aqstream/api/errors.py."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    message_key = "error.generic"

    def __init__(self, message_key: str | None = None, field: str | None = None, **params: Any):
        self.message_key = message_key or self.message_key
        self.field = field
        self.params = params
        super().__init__(f"{self.message_key}" + (f" ({field})" if field else ""))


class NotFound(DomainError):
    code = "not_found"
    message_key = "error.not_found"


class Forbidden(DomainError):
    code = "forbidden"
    message_key = "error.forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    message_key = "error.unauthenticated"


class ValidationError(DomainError):
    """Bad input. `errors` maps each bad field to its message key, so all of them can be shown at once."""

    code = "validation_error"
    message_key = "error.validation"

    def __init__(self, errors: dict[str, str], **params: Any):
        self.errors = errors
        first_field, first_key = next(iter(errors.items()))
        super().__init__(first_key, field=first_field, **params)


class Conflict(DomainError):
    code = "conflict"
    message_key = "error.conflict"


class IllegalTransition(Conflict):
    """A status change the lifecycle does not allow (services/lifecycle.py), e.g. an expired order confirmed.
    A Conflict, so it answers 409 with the same code as the refusals it replaces."""

    message_key = "error.illegal_transition"


class SoldOut(DomainError):
    code = "sold_out"
    message_key = "registration.sold_out"


class RegistrationClosed(DomainError):
    code = "registration_closed"
    message_key = "registration.closed"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    message_key = "auth.too_many_attempts"


class ExportsBusy(DomainError):
    """Every export slot of the process is taken (config.max_exports()); `seconds` says when to try again."""

    code = "exports_busy"
    message_key = "export.busy"


class OrganizationSuspended(DomainError):
    """The organization is suspended by the platform's admins: its members may read, not change anything, and
    its events take no registrations (services/org/permissions.py, services/platform/tenants.py)."""

    code = "organization_suspended"
    message_key = "org.suspended.refused"


class PaymentUnavailable(DomainError):
    """A payment provider could not be reached or refused to start a payment: the order keeps its places and may
    be paid again until it expires (a 503)."""

    code = "payment_unavailable"
    message_key = "payment.provider_unavailable"
