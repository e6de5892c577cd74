"""Password hashing: bcrypt at a configured cost, plus a cache of verified passwords.

bcrypt at cost 12 takes ~0.25 s of CPU, which is the point for stored hashes but makes
every login slow. After a password has been verified once against its stored hash, the
process remembers an HMAC of (user, stored hash, password) under a per-process random
key: a repeat login with the same password is checked in microseconds, and a changed
password (new stored hash) never matches an old entry. Nothing reversible is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

import bcrypt

# bcrypt reads at most 72 bytes (and the bcrypt module refuses more). Longer passwords
# are pre-hashed to 44 base64 bytes so that two passwords sharing a 72-byte prefix never
# verify as each other.
_BCRYPT_LIMIT = 72


def _prepare(password: str) -> bytes:
    raw = password.encode()
    if len(raw) > _BCRYPT_LIMIT:
        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(rounds)).decode()


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_prepare(password), hashed.encode())
    except ValueError:
        return False


class VerifiedPasswords:
    """A bounded LRU of HMACs of passwords already checked against their bcrypt hash."""

    def __init__(self, size: int) -> None:
        self._key = secrets.token_bytes(32)
        self._size = size
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, subject: str, hashed: str, password: str) -> bytes:
        msg = b"\0".join((subject.encode(), hashed.encode(), password.encode()))
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def known(self, subject: str, hashed: str, password: str) -> bool:
        d = self._digest(subject, hashed, password)
        with self._lock:
            if d in self._seen:
                self._seen.move_to_end(d)
                return True
        return False

    def remember(self, subject: str, hashed: str, password: str) -> None:
        if self._size <= 0:
            return
        d = self._digest(subject, hashed, password)
        with self._lock:
            self._seen[d] = None
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)

    def verify(self, subject: str, password: str, hashed: str) -> bool:
        """Check ``password`` against ``hashed``, using the cache when it can."""
        if self.known(subject, hashed, password):
            return True
        if check_password(password, hashed):
            self.remember(subject, hashed, password)
            return True
        return False
