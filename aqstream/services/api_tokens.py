"""Bearer tokens for the REST API: short-lived JWTs (HS256, explicit algorithm list, expiry).

A token names a user and one organization; every request re-checks that the user is still a member,
so removing someone from an organization takes effect at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jose import JWTError, jwt
from sqlmodel import Session, select

from aqstream import config
from aqstream.models import Membership, Organization
from aqstream.services import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, Unauthenticated, ValidationError
from aqstream.services.permissions import Principal

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
    organization_slug: str


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
        raise NotFound("api.organization_unknown", field="organization")
    if len(orgs) > 1:
        raise ValidationError({"organization": "api.organization_required"})
    org = orgs[0]
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "org": org.id,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
    }
    return IssuedToken(jwt.encode(claims, config.secret_key(), algorithm=ALGORITHM), int(LIFETIME.total_seconds()), org.slug)


def verify_token(session: Session, token: str | None) -> ApiIdentity:
    if not token:
        raise Unauthenticated()
    try:
        claims = jwt.decode(token, config.secret_key(), algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER)
        user_id, org_id = int(claims["sub"]), int(claims["org"])
    except (JWTError, KeyError, TypeError, ValueError):
        raise Unauthenticated("api.token_invalid")
    member = session.exec(
        select(Membership.id).where(Membership.user_id == user_id, Membership.organization_id == org_id)
    ).first()
    if member is None:
        raise Unauthenticated("api.token_invalid")
    return ApiIdentity(Principal(user_id, via="api"), org_id)
