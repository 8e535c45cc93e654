"""A platform admin's export and deletion of a whole organization: GET /api/v1/admin/organizations/{slug}/export
(a ZIP of CSV files, streamed) and DELETE /api/v1/admin/organizations/{slug} (a suspended one, its slug typed again
in the body); and the admin page's download link, /admin-export/organizations/{slug}.zip, signed in by the
browser's cookie. Anyone who is not a platform admin gets 404, owners of the organization included."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field
from sqlmodel import Session, select

from aqstream.api import schemas
from aqstream.api.attendees import ExportResponse
from aqstream.api.deps import PREFIX, account_closed, db
from aqstream.db import session_scope
from aqstream.models import Organization
from aqstream.services.accounts import accounts
from aqstream.services.errors import NotFound, Unauthenticated
from aqstream.services.org.permissions import Principal, require_platform_admin
from aqstream.services.platform import export

router = APIRouter(prefix=PREFIX)
ADMIN = ["admin"]
ZIP_TYPE = "application/zip"
Slug = Path(max_length=63, description="The organization's slug")


class DeleteOrganizationIn(schemas.Input):
    confirm_slug: str = Field(max_length=100, description="The organization's slug, typed again to confirm")


def _organization(session: Session, principal: Principal, slug: str) -> Organization:
    """The organization by its slug, for a platform admin only: anyone else learns nothing, not even whether the
    slug exists."""
    require_platform_admin(session, principal)
    org = session.exec(select(Organization).where(Organization.slug == (slug or "").lower(),
                                                  Organization.status != export.DELETED)).first()
    if org is None:
        raise NotFound()
    return org


def platform_admin(who: Principal = Depends(account_closed)) -> Principal:
    """The caller, when a platform admin; NotFound for anyone else, before the body is even read (so a stranger's
    malformed body still gets 404, not a 422 that would say the route exists). Checked on a session closed at once."""
    with session_scope() as session:
        require_platform_admin(session, who)
    return who


def export_response(principal: Principal, slug: str) -> ExportResponse:
    """The archive streamed as it is written; the slot and the session used to start it are given back at once,
    each page of rows is read on a short checkout of its own (services/platform/export.py)."""
    with session_scope() as session:
        org = _organization(session, principal, slug)
        body = export.export_organization(session, principal, org.id)
    headers = {"Content-Disposition": f'attachment; filename="{export.export_file_name(org)}"',
               "Cache-Control": "no-store"}
    return ExportResponse(body, media_type=ZIP_TYPE, headers=headers)


@router.get("/admin/organizations/{slug}/export", tags=ADMIN, response_class=Response, responses={
    200: {"description": "Everything the organization holds: a ZIP of CSV files (events, ticket_types, orders, "
                         "tickets, answers, members, audit) and README.txt with the row counts",
          "content": {ZIP_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
def export_organization(slug: str = Slug, who: Principal = Depends(platform_admin)):
    return export_response(who, slug)


@router.delete("/admin/organizations/{slug}", status_code=204, tags=ADMIN, responses={
    409: {"description": "The organization is not suspended (admin.delete.not_suspended)"},
    422: {"description": "confirm_slug is not the organization's slug exactly"}})
def delete_organization(body: DeleteOrganizationIn, slug: str = Slug, who: Principal = Depends(platform_admin),
                        session: Session = Depends(db)):
    """Delete a suspended organization: its personal data is removed or anonymized, its events and tickets stay
    counted in the platform's totals, it is gone from every page. `confirm_slug` must be its slug exactly."""
    org = _organization(session, who, slug)
    export.delete_organization(session, who, org.id, body.confirm_slug)
    return Response(status_code=204)


browser_router = APIRouter(include_in_schema=False)


@browser_router.get("/admin-export/organizations/{slug}.zip")
def export_for_browser(request: Request, slug: str = Slug):
    """The admin page's download link: the signed-in browser's HttpOnly session cookie says who."""
    with session_scope() as session:
        user = accounts.user_for_session(session, request.cookies.get(accounts.SESSION_COOKIE))
        if user is None:
            raise Unauthenticated()
    return export_response(Principal(user.id), slug)
