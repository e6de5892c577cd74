"""Token format, key rotation and password hashing."""

from __future__ import annotations

import time
from pathlib import Path

from runtime.identity.keys import KeyRepository
from runtime.identity.passwords import VerifiedPasswords, check_password, hash_password
from runtime.identity.tokens import TokenCodec, TokenPayload, new_audit_id


def payload(**kw: object) -> TokenPayload:
    now = time.time()
    base: dict = dict(user_id="u1", methods=("password", "token"), issued_at=now,
                      expires_at=now + 60, audit_ids=(new_audit_id(),), project_id="p1")
    base.update(kw)
    return TokenPayload(**base)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    repo = KeyRepository(tmp_path / "keys")
    repo.setup()
    codec = TokenCodec(repo)
    p = payload(app_cred_id="ac", system=None)
    assert codec.decode(codec.encode(p)) == p


def test_tampered_or_foreign_tokens_are_refused(tmp_path: Path) -> None:
    mine, theirs = KeyRepository(tmp_path / "a"), KeyRepository(tmp_path / "b")
    mine.setup()
    theirs.setup()
    token = TokenCodec(theirs).encode(payload())
    assert TokenCodec(mine).decode(token) is None
    good = TokenCodec(mine).encode(payload())
    flipped = good[:-5] + ("A" if good[-5] != "A" else "B") + good[-4:]
    assert TokenCodec(mine).decode(flipped) is None


def test_tokens_survive_rotation_until_their_key_is_dropped(tmp_path: Path) -> None:
    repo = KeyRepository(tmp_path / "keys", max_active_keys=3)
    repo.setup()
    old = TokenCodec(repo).encode(payload())
    repo.rotate()
    # Another node that reads the same repository after rotation still accepts it.
    assert TokenCodec(repo).decode(old) is not None
    repo.rotate()
    repo.rotate()
    assert TokenCodec(repo).decode(old) is None
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["0", "3", "4"]


def test_key_files_are_private(tmp_path: Path) -> None:
    repo = KeyRepository(tmp_path / "keys")
    repo.setup()
    assert all((p.stat().st_mode & 0o077) == 0 for p in (tmp_path / "keys").iterdir())


def test_passwords_are_salted_bcrypt_at_the_configured_cost() -> None:
    a, b = hash_password("s3cret", 10), hash_password("s3cret", 10)
    assert a != b and a.startswith("$2b$10$")
    assert check_password("s3cret", a) and not check_password("s3cret!", a)


def test_long_passwords_differ_past_72_bytes() -> None:
    h = hash_password("x" * 80, 10)
    assert not check_password("x" * 79 + "y", h)


def test_verified_cache_never_accepts_a_wrong_password() -> None:
    cache = VerifiedPasswords(16)
    h = hash_password("right", 10)
    assert cache.verify("u", "right", h)
    assert cache.known("u", h, "right")
    assert not cache.verify("u", "wrong", h)
    # A new stored hash (password changed) does not reuse the old entry.
    assert not cache.known("u", hash_password("right", 10), "right")
