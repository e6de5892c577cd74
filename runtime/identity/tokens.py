"""Token format: an encrypted, authenticated payload (Fernet), valid on every API node.

The payload names who and what scope, when it expires and its audit ids; everything
else (roles, catalog, names) is looked up when the token is validated, so a disabled
user or a removed role takes effect at once.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from dataclasses import dataclass, field

import orjson
from cryptography.fernet import InvalidToken, MultiFernet

from runtime.identity.keys import KeyRepository

# Methods are packed as bits, as Keystone does, to keep tokens short; new methods are
# only ever appended so that tokens already issued keep their meaning.
METHODS = ("password", "token", "application_credential", "oauth1", "totp", "mapped",
           "ec2credential")


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


@dataclass(frozen=True)
class TokenPayload:
    user_id: str
    methods: tuple[str, ...]
    issued_at: float
    expires_at: float
    audit_ids: tuple[str, ...]
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    app_cred_id: str | None = None
    trust_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def audit_id(self) -> str:
        return self.audit_ids[0]

    @property
    def audit_chain_id(self) -> str:
        return self.audit_ids[-1]


class TokenCodec:
    """Packs payloads into tokens and back, re-reading keys after a rotation."""

    RELOAD_EVERY = 1.0

    def __init__(self, repo: KeyRepository) -> None:
        self.repo = repo
        self._fernet: MultiFernet | None = None
        self._signature: tuple[tuple[int, float], ...] = ()
        self._checked = 0.0

    def _keys(self) -> MultiFernet:
        now = time.monotonic()
        if self._fernet is None or now - self._checked > self.RELOAD_EVERY:
            sig = self.repo.signature()
            if self._fernet is None or sig != self._signature:
                self._fernet = self.repo.fernet()
                self._signature = sig
            self._checked = now
        return self._fernet

    def encode(self, p: TokenPayload) -> str:
        mbits = sum(1 << METHODS.index(m) for m in p.methods if m in METHODS)
        data = [
            p.user_id,
            mbits,
            p.issued_at,
            p.expires_at,
            list(p.audit_ids),
            p.project_id,
            p.domain_id,
            p.system,
            p.app_cred_id,
            p.trust_id,
            p.extra or None,
        ]
        token = self._keys().encrypt(orjson.dumps(data)).decode()
        return token.rstrip("=")

    def decode(self, token: str) -> TokenPayload | None:
        """The payload, or None for anything not made by a key in the repository."""
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = self._keys().decrypt(padded.encode())
            d = orjson.loads(raw)
        except (InvalidToken, ValueError, TypeError):
            return None
        methods = tuple(m for i, m in enumerate(METHODS) if d[1] & (1 << i))
        return TokenPayload(
            user_id=d[0],
            methods=methods,
            issued_at=d[2],
            expires_at=d[3],
            audit_ids=tuple(d[4]),
            project_id=d[5],
            domain_id=d[6],
            system=d[7],
            app_cred_id=d[8],
            trust_id=d[9],
            extra=d[10] or {},
        )


def random_id() -> str:
    return secrets.token_hex(16)
