"""The one place that maps domain errors to HTTP status codes and JSON bodies."""
from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from aqstream.i18n import t
from aqstream.services import errors

STATUS = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Unauthenticated: 401,
    errors.ValidationError: 422,
    errors.Conflict: 409,
    errors.SoldOut: 409,
    errors.RegistrationClosed: 409,
    errors.TooManyAttempts: 429,
    errors.ExportsBusy: 503,
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
    """FastAPI's own 422s (wrong types, missing fields) in the same shape as the domain's."""
    locale = request_locale(request)
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        fields.setdefault(".".join(loc) or "body", err.get("msg", "invalid"))
    body = {"code": "validation_error", "message": t("error.validation", locale), "fields": fields}
    return JSONResponse({"error": body}, status_code=422)


def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database did not answer (down, or a lock wait gave up): nothing was saved; try again."""
    body = {"code": "unavailable", "message": t("error.unavailable", request_locale(request))}
    return JSONResponse({"error": body}, status_code=503, headers={"Retry-After": "5"})
