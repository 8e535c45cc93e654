"""The FastAPI application that wraps the Reflex backend (mounted with api_transformer)."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from aqstream.api import (
    admin,
    admin_actions,
    admin_export,
    analytics,
    attendees,
    auth,
    browser_auth,
    catalog,
    checkin,
    deps,
    events,
    mail,
    organizations,
    payments,
    public,
    questions,
    scanner_app,
    share,
    ticket_types,
)
from aqstream.api.errors import (
    database_unavailable_handler,
    domain_error_handler,
    error_response,
    http_exception_handler,
    internal_error_handler,
    out_of_range_handler,
    request_validation_handler,
)
from aqstream.api.schemas import ErrorOut
from aqstream.services.errors import DomainError
from aqstream.services.events import media

API_PREFIX = deps.PREFIX
# One module a resource, named by the first words of its URLs (docs/architecture.md, "The HTTP edge").
ROUTERS = [auth.router, organizations.router, events.router, ticket_types.router, questions.router,
           attendees.router, analytics.router, attendees.browser_router, public.router, catalog.router, mail.router,
           browser_auth.router, share.router, admin.router, admin_actions.router, admin_export.router,
           admin_export.browser_router, checkin.router, checkin.browser_router,
           scanner_app.router, payments.router]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def create_api() -> FastAPI:
    api = FastAPI(
        title="AqStream API",
        version="1.0.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    api.add_exception_handler(DomainError, domain_error_handler)
    api.add_exception_handler(RequestValidationError, request_validation_handler)
    api.add_exception_handler(HTTPException, http_exception_handler)
    api.add_exception_handler(OperationalError, database_unavailable_handler)
    api.add_exception_handler(DataError, out_of_range_handler)
    api.add_exception_handler(OverflowError, out_of_range_handler)
    api.add_exception_handler(Exception, internal_error_handler)
    for router in ROUTERS:
        api.include_router(router)
    document_errors()

    @api.get("/media/{name}", include_in_schema=False)
    def media_file(name: str) -> FileResponse:
        path, content_type = media.open_image(name)
        # Stored names are random and never reused: the file can be cached for good.
        return FileResponse(path, media_type=content_type,
                            headers={"Cache-Control": "public, max-age=31536000, immutable",
                                     "X-Content-Type-Options": "nosniff"})

    @api.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    # Last under /api/v1: whatever no route took. Without it an unknown path, or a known one with a wrong
    # method, would fall through to the Reflex app and get its HTML page or a plain-text 405.
    @api.api_route(API_PREFIX + "/{rest:path}", methods=METHODS, include_in_schema=False)
    def unmatched(request: Request) -> JSONResponse:
        path = request.url.path
        allowed = sorted({method for route in api_routes() if route.path_regex.match(path) for method in route.methods})
        if allowed:
            return error_response(request, 405, "method_not_allowed", "error.method_not_allowed",
                                  headers={"Allow": ", ".join(allowed)})
        return error_response(request, 404, "not_found", "error.not_found")

    return api


ERRORS = {
    400: "The body is not JSON, or not readable",
    401: "No token, or a token that is invalid or expired",
    403: "The token's role may not do this",
    404: "Nothing with this address or id, or it belongs to another organization",
    409: "Refused in the current state (sold out, closed, already done)",
    422: "A field is missing or invalid; `fields` names each",
    429: "Too many attempts; `Retry-After` says when to try again",
    503: "The database is busy or down; nothing was saved; try again",
}


def _needs_token(route: APIRoute) -> bool:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call in (deps.identity, deps.identity_closed, deps.account, deps.account_closed):
            return True
        pending.extend(dependant.dependencies)
    return False


def api_routes() -> list[APIRoute]:
    return [route for router in ROUTERS for route in router.routes
            if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX)]


def document_errors() -> None:
    """Every error an /api/v1 route can answer, in the OpenAPI document, with the one error shape. Set on the
    routers' own routes, which FastAPI reads when it builds the app's (before the first request)."""
    for route in api_routes():
        codes = {404, 422, 503}
        if route.body_field is not None:
            codes.add(400)
        if _needs_token(route):
            codes |= {401, 403}
        if route.methods - {"GET", "HEAD"}:
            codes.add(409)
        if "/auth/" in route.path:
            codes |= {401, 429}  # a wrong password; too many of them
        if route.path.endswith("/registrations"):
            codes.add(429)
        for code in codes:
            existing = route.responses.get(code, {})
            route.responses[code] = {"model": ErrorOut, "description": existing.get("description", ERRORS[code])}
