"""The FastAPI application that wraps the Reflex backend (mounted with api_transformer)."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from sqlalchemy.exc import OperationalError

from aqstream.api import browser_auth, share, v1, v1_catalog, v1_events, v1_mail, v1_team
from aqstream.api.errors import database_unavailable_handler, domain_error_handler, request_validation_handler
from aqstream.services import media
from aqstream.services.errors import DomainError


def create_api() -> FastAPI:
    api = FastAPI(
        title="AqStream API",
        version="1.0.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    api.add_exception_handler(DomainError, domain_error_handler)
    api.add_exception_handler(RequestValidationError, request_validation_handler)
    api.add_exception_handler(OperationalError, database_unavailable_handler)
    api.include_router(v1.router)
    api.include_router(v1_team.router)
    api.include_router(v1_events.router)
    api.include_router(v1_events.browser_router)
    api.include_router(v1_catalog.router)
    api.include_router(v1_mail.router)
    api.include_router(browser_auth.router)
    api.include_router(share.router)

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

    return api
