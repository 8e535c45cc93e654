"""The one place that maps domain errors to HTTP status codes and JSON bodies."""
from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from aqstream.i18n import t
from aqstream.services import errors

STATUS = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.OrganizationSuspended: 403,
    errors.Unauthenticated: 401,
    errors.ValidationError: 422,
    errors.IllegalTransition: 409,
    errors.Conflict: 409,
    errors.SoldOut: 409,
    errors.RegistrationClosed: 409,
    errors.TooManyAttempts: 429,
    errors.ExportsBusy: 503,
    errors.PaymentUnavailable: 503,
}


def request_locale(request: Request) -> str:
    return "ru" if request.headers.get("accept-language", "").lower().startswith("ru") else "en"


def domain_error_handler(request: Request, exc: errors.DomainError) -> JSONResponse:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    locale = request_locale(request)
    body: dict = {"code": exc.code, "message": t(exc.message_key, locale, **exc.params)}
    if isinstance(exc, errors.ValidationError):
        body["fields"] = {name: t(key, locale, **exc.params) for name, key in exc.errors.items()}
    elif exc.field:
        body["field"] = exc.field
    headers = {}
    if isinstance(exc, (errors.TooManyAttempts, errors.ExportsBusy)):
        headers["Retry-After"] = str(exc.params.get("seconds", 60))
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def request_validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422s (wrong types, missing fields) in the same shape as the domain's; a body that is not
    JSON at all is a 400."""
    locale = request_locale(request)
    problems = exc.errors()
    if any(err.get("type") == "json_invalid" for err in problems):
        return error_response(request, 400, "invalid_json", "error.bad_request")
    fields: dict[str, str] = {}
    for err in problems:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        message = err.get("msg", "invalid")
        if err.get("type") == "text_invalid":
            message = t("error.text_invalid", locale)
        if err.get("type") == "ambiguous_fields":
            message = t("error.ambiguous_tickets", locale)
            for name in err.get("ctx", {}).get("fields", ()):
                fields.setdefault(name, message)
            continue
        fields.setdefault(".".join(loc) or "body", message)
    body = {"code": "validation_error", "message": t("error.validation", locale), "fields": fields}
    return JSONResponse({"error": body}, status_code=422)


def error_response(request: Request, status: int, code: str, message_key: str, headers: dict | None = None,
                   **extra) -> JSONResponse:
    """Every answer under /api/v1 that is not a success: `{"error": {"code", "message", ...}}`."""
    body = {"code": code, "message": t(message_key, request_locale(request)), **extra}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


# Starlette's and FastAPI's own refusals (a body that is not JSON, a wrong method, an unknown path).
HTTP_CODES = {400: ("bad_request", "error.bad_request"), 404: ("not_found", "error.not_found"),
              405: ("method_not_allowed", "error.method_not_allowed"),
              413: ("too_large", "error.too_large"), 415: ("unsupported_media_type", "error.bad_request")}


def http_exception_handler(request: Request, exc: HTTPException) -> JSONResponse:
    code, key = HTTP_CODES.get(exc.status_code, (HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"),
                                                 "error.bad_request" if exc.status_code < 500 else "error.internal"))
    return error_response(request, exc.status_code, code, key, headers=getattr(exc, "headers", None))


def out_of_range_handler(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (a number beyond its integer column, text it cannot store) is the
    client's error, never a 500. Routes declare their bounds, so this is only the net under them."""
    logging.getLogger("aqstream.api").warning("value refused by the database on %s: %s", request.url.path, exc)
    return error_response(request, 422, "invalid_value", "error.validation")


def internal_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The last resort: a bug is logged with its traceback, and the client still gets the JSON shape."""
    logging.getLogger("aqstream.api").exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal_error", "error.internal")


def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database did not answer (down, or a lock wait gave up): nothing was saved; try again."""
    return error_response(request, 503, "unavailable", "error.unavailable", headers={"Retry-After": "5"})
