"""What the resource modules share: the database session, who is calling (bearer JWT from /api/v1/auth/token),
the client's address, and the small lookups several routes make."""
from __future__ import annotations

from typing import Iterator, Optional

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from aqstream.db import session_scope
from aqstream.services.accounts.client_ip import resolve_client_ip
from aqstream.services.org import api_tokens, organizations
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, Principal, access

PREFIX = "/api/v1"
bearer = HTTPBearer(auto_error=False)


def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def identity(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer), session: Session = Depends(db)
) -> ApiIdentity:
    return api_tokens.verify_token(session, credentials.credentials if credentials else None)


def account(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer), session: Session = Depends(db)
) -> Principal:
    """The account behind any token, with or without an organization (for creating one)."""
    return api_tokens.verify_account_token(session, credentials.credentials if credentials else None)


def identity_closed(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> ApiIdentity:
    """`identity` for a streamed response: checked on a session closed at once. A `db` session lives until the
    response's last byte is sent, and would hold its connection for a whole download."""
    with session_scope() as session:
        return api_tokens.verify_token(session, credentials.credentials if credentials else None)


def account_closed(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> Principal:
    """`account` for a streamed response (a platform admin's organization export), checked on a session closed at
    once, as `identity_closed`."""
    with session_scope() as session:
        return api_tokens.verify_account_token(session, credentials.credentials if credentials else None)


def client_address(request: Request) -> str:
    """The client's address for the sign-in and reset limits: the peer, or behind a trusted proxy the client
    it names in X-Forwarded-For (see services/accounts/client_ip.py)."""
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for"))
    return resolve_client_ip(request.client.host if request.client else None, forwarded_for)


def can_manage(session: Session, who: ApiIdentity) -> bool:
    """Hidden types' unlock codes are for people who sell tickets, not for check-in staff."""
    return access(session, who.principal, who.organization_id, VIEW_ATTENDEES).role in MANAGE_EVENTS


def org_slug(session: Session, who: ApiIdentity) -> str:
    return organizations.organization_slug(session, who.organization_id)
