"""Bearer tokens for the REST API: short-lived JWTs (HS256, explicit algorithm list, expiry).

A token names a user and one organization; every request re-checks that the user is still a member,
so removing someone from an organization takes effect at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jose import JWTError, jwt
from sqlmodel import Session, select

from aqstream import config
from aqstream.models import Membership, Organization, User
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import Forbidden, NotFound, Unauthenticated, ValidationError
from aqstream.services.org.permissions import Principal

ALGORITHM = "HS256"
ISSUER = "aqstream"
AUDIENCE = "aqstream-api"
LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class ApiIdentity:
    principal: Principal
    organization_id: int


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    organization_slug: str | None


def issue_token(
    session: Session, *, email: str, password: str, organization: str | None = None, address: str = "api"
) -> IssuedToken:
    user = accounts.authenticate(session, email=email, password=password, address=address)
    query = (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Organization.id)
    )
    if organization:
        query = query.where(Organization.slug == organization.strip().lower())
    orgs = list(session.exec(query).all())
    if not orgs:
        if organization:
            raise NotFound("api.organization_unknown", field="organization")
        return issue_account_token(user)  # no organization yet: enough to create one
    if len(orgs) > 1:
        raise ValidationError({"organization": "api.organization_required"})
    return _issue(user, orgs[0])


def issue_account_token(user: User) -> IssuedToken:
    """A token for the account alone, without an organization: it can create an organization (and get that
    organization's token back), nothing else."""
    return _issue(user, None)


def organization_token(session: Session, principal: Principal, organization: Organization) -> IssuedToken:
    """A token for an organization the account has just joined or created (membership is checked on use)."""
    return _issue(session.get(User, principal.user_id), organization)


def _issue(user: User, org: Organization | None) -> IssuedToken:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "rev": _revocation_mark(user.sessions_revoked_at),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
    }
    if org is not None:
        claims["org"] = org.id
    token = jwt.encode(claims, config.secret_key(), algorithm=ALGORITHM)
    return IssuedToken(token, int(LIFETIME.total_seconds()), org.slug if org else None)


def _claims(token: str | None) -> dict:
    if not token:
        raise Unauthenticated()
    try:
        claims = jwt.decode(
            token, config.secret_key(), algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
        int(claims["sub"]), int(claims["iat"]), int(claims.get("org") or 0)
    except (JWTError, KeyError, TypeError, ValueError):
        raise Unauthenticated("api.token_invalid")
    if int(claims["iat"]) <= 0:
        raise Unauthenticated("api.token_invalid")
    return claims


def verify_account_token(session: Session, token: str | None) -> Principal:
    """The account behind any valid token (with or without an organization), for actions of the account
    itself such as creating an organization."""
    claims = _claims(token)
    user = session.get(User, int(claims["sub"]))
    if user is None or user.deleted_at is not None or claims.get("rev") != _revocation_mark(user.sessions_revoked_at):
        raise Unauthenticated("api.token_invalid")
    return Principal(user.id, via="api")


def verify_token(session: Session, token: str | None) -> ApiIdentity:
    claims = _claims(token)
    if "org" not in claims:
        raise Forbidden("api.organization_token_needed")  # an account token: create an organization first
    user_id, org_id = int(claims["sub"]), int(claims["org"])
    row = session.exec(
        select(Membership.id, User.sessions_revoked_at)
        .join(User, User.id == Membership.user_id)
        .where(Membership.user_id == user_id, Membership.organization_id == org_id)
    ).first()
    if row is None:
        raise Unauthenticated("api.token_invalid")
    if claims.get("rev") != _revocation_mark(row[1]):
        raise Unauthenticated("api.token_invalid")  # "sign out everywhere" came after this token
    return ApiIdentity(Principal(user_id, via="api"), org_id)


def _revocation_mark(revoked_at) -> str:
    """The user's last "sign out everywhere", as carried in a token: any later one invalidates it."""
    return revoked_at.isoformat() if revoked_at else ""
