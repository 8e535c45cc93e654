"""Browser sign-in plumbing: the backend sets and clears the session cookie (HttpOnly, SameSite=Lax),
which page scripts cannot read. Reflex pages hand over a single-use login ticket to /auth/session."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from aqstream import config
from aqstream.db import session_scope
from aqstream.services.accounts import accounts
from aqstream.services.accounts.accounts import SESSION_COOKIE
from aqstream.services.errors import Forbidden

router = APIRouter(prefix="/auth", include_in_schema=False)


@router.get("/session")
def start_session(request: Request, ticket: str = ""):
    # Only our own pages send the browser here. A link from another site (login CSRF: signing the
    # victim into the attacker's account) arrives with Sec-Fetch-Site "cross-site" and is refused.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return RedirectResponse("/signin?expired=1", status_code=303)
    with session_scope() as session:
        try:
            token, next_path = accounts.redeem_login_ticket(
                session, ticket, user_agent=request.headers.get("user-agent", "")
            )
        except Forbidden:
            return RedirectResponse("/signin?expired=1", status_code=303)
    response = RedirectResponse(next_path, status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=config.cookie_secure(),
        path="/",
    )
    return response


@router.post("/signout")
async def sign_out(request: Request):
    form = await request.form()
    token = request.cookies.get(SESSION_COOKIE)
    with session_scope() as session:
        if form.get("everywhere") == "1":
            user = accounts.user_for_session(session, token)
            if user is not None:
                accounts.sign_out_everywhere(session, user.id)
        else:
            accounts.sign_out(session, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=config.cookie_secure())
    return response
