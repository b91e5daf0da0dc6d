"""Optional request authentication: a bearer token, or basic auth with the token as the password.

Label Studio's ML-backend settings offer basic auth only (any user name, the password checked
here); scripts may send ``Authorization: Bearer <token>``. The token comes from
``NERLOOP_SERVE_TOKEN`` and is never logged; comparisons take constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac

OPEN_PATHS = frozenset({"/health", "/ready"})
"""Liveness and readiness probes answer without credentials."""


def authorized(header: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (always true when no token is set)."""
    if not token:
        return True
    if not header:
        return False
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        _, sep, password = decoded.partition(":")
        return bool(sep) and hmac.compare_digest(password.encode(), token.encode())
    return False
