"""Secrets of payment providers at rest: Fernet tokens under a key derived (HKDF) from AQSTREAM_SECRET_KEY, and
the masked form in which a saved secret is shown back ("••••4242")."""
from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from aqstream import config


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aqstream-payment-settings",
               info=b"provider secrets").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet_for(config.secret_key()).encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    """The secret, or "" when none is saved or it was saved under another AQSTREAM_SECRET_KEY (then it must be
    entered again)."""
    if not token:
        return ""
    try:
        return _fernet_for(config.secret_key()).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask(plain: str) -> str:
    """What a settings page shows of a saved secret: its last four characters at most, never the rest."""
    if not plain:
        return ""
    return "••••" + (plain[-4:] if len(plain) >= 12 else "")
