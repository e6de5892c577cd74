"""Serial console access tokens: signed, short-lived and stateless, so any API node can
check one another node issued (they share the agent secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TOKEN_TTL = 600.0


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue(secret: str, server_id: str, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + TOKEN_TTL)
    payload = f"{server_id}.{expires}"
    return f"{payload}.{_sign(secret, 'serial:' + payload)}"


def verify(secret: str, token: str, now: float | None = None) -> str | None:
    """The server id a token opens, or None when it is forged or expired."""
    try:
        server_id, expires, mac = token.rsplit(".", 2)
        deadline = int(expires)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _sign(secret, f"serial:{server_id}.{expires}")):
        return None
    if (now if now is not None else time.time()) > deadline:
        return None
    return server_id
