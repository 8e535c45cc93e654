"""/api/v1/auth: an API token for an email and password, sign-up, and password reset."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, client_address, db
from aqstream.api.errors import domain_error_handler, request_locale
from aqstream.i18n import tn
from aqstream.services.accounts import accounts, password_reset
from aqstream.services.errors import Unauthenticated, ValidationError
from aqstream.services.org import api_tokens

router = APIRouter(prefix=PREFIX)


@router.post("/auth/token", response_model=schemas.TokenResponse, tags=["auth"])
def obtain_token(body: schemas.TokenRequest, request: Request, session: Session = Depends(db)):
    try:
        issued = api_tokens.issue_token(
            session, email=body.email, password=body.password, organization=body.organization,
            address=client_address(request),
        )
    except ValidationError as exc:
        if exc.errors.get("password") == "auth.wrong_credentials":
            raise Unauthenticated("auth.wrong_credentials")  # a bad pair is a 401 here, not a form error
        raise
    return schemas.TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, organization=issued.organization_slug
    )


@router.post("/auth/signup", response_model=schemas.SignUpOut, status_code=201, tags=["auth"])
def sign_up(body: schemas.SignUpIn, request: Request, session: Session = Depends(db)):
    """Create an account, with the sign-up page's rules (name, a valid address not yet taken, a strong
    password); the address is confirmed through the emailed link. The answer carries an account token, which
    can create an organization (`POST /api/v1/orgs`) and nothing else."""
    user = accounts.sign_up(session, name=body.name, email=body.email, password=body.password,
                            locale=body.locale or request_locale(request))
    issued = api_tokens.issue_account_token(user)
    return schemas.SignUpOut(access_token=issued.access_token, expires_in=issued.expires_in, organization=None,
                             user_id=user.id, name=user.name, email=user.email, email_verified=False)


@router.post("/auth/password-reset", response_model=schemas.PasswordResetAccepted, status_code=202, tags=["auth"])
def request_password_reset(body: schemas.PasswordResetRequest, request: Request, session: Session = Depends(db)):
    """Email a link to set a new password. The answer is 202 whether or not an account has this address;
    only a malformed address is refused (422). Requests beyond a few per hour are quietly dropped."""
    locale = request_locale(request)
    password_reset.request_password_reset(session, body.email, address=client_address(request), locale=locale)
    hours = int(password_reset.RESET_LIFETIME.total_seconds() // 3600)
    return schemas.PasswordResetAccepted(detail=tn("auth.forgot.sent", hours, locale))


@router.post("/auth/password-reset/confirm", status_code=204, tags=["auth"],
             responses={400: {"description": "Field errors: token (unknown, expired, used), password, password_repeat"}})
def confirm_password_reset(body: schemas.PasswordResetConfirm, request: Request, session: Session = Depends(db)):
    """Set a new password with the emailed link's token. Every session and API token of the account ends."""
    try:
        password_reset.reset_password(session, body.token, body.password, body.password_repeat)
    except ValidationError as exc:
        answer = domain_error_handler(request, exc)
        answer.status_code = 400
        return answer
    return Response(status_code=204)
