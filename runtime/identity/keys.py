"""The token key repository, laid out as Keystone's fernet repository.

Files are named by integer: ``0`` is the staged key (the next primary, already accepted
for decryption so that rotation on one node never breaks another), the highest number
is the primary key that encrypts, the rest are secondary keys still accepted. Every API
node that shares this directory validates every other node's tokens.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet


class KeyRepository:
    def __init__(self, path: Path, max_active_keys: int = 3) -> None:
        self.path = path
        self.max_active_keys = max(max_active_keys, 2)

    def _indexes(self) -> list[int]:
        if not self.path.is_dir():
            return []
        return sorted(int(p.name) for p in self.path.iterdir() if p.name.isdigit())

    def _write(self, index: int, key: bytes) -> None:
        tmp = self.path / f".{index}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.replace(tmp, self.path / str(index))

    def setup(self) -> bool:
        """Create the repository with a staged and a primary key; False if it existed."""
        if self._indexes():
            return False
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write(0, Fernet.generate_key())
        self._write(1, Fernet.generate_key())
        return True

    def rotate(self) -> int:
        """Promote the staged key to primary, stage a new one, drop the oldest extras.

        Returns the index of the new primary key.
        """
        indexes = self._indexes()
        if not indexes:
            self.setup()
            indexes = self._indexes()
        new_primary = max(indexes) + 1
        os.replace(self.path / "0", self.path / str(new_primary))
        self._write(0, Fernet.generate_key())
        secondaries = [i for i in self._indexes() if i not in (0, new_primary)]
        excess = len(secondaries) + 2 - self.max_active_keys
        for index in secondaries[: max(excess, 0)]:
            (self.path / str(index)).unlink()
        return new_primary

    def keys(self) -> list[Fernet]:
        """Every key, primary first (it encrypts), the staged key last."""
        indexes = self._indexes()
        if not indexes:
            raise RuntimeError(
                f"no keys in {self.path}: run `haneul bootstrap` or `haneul token-rotate`"
            )
        ordered = sorted(indexes, reverse=True)
        return [Fernet((self.path / str(i)).read_bytes().strip()) for i in ordered]

    def fernet(self) -> MultiFernet:
        """Encrypts with the primary key; decrypts with any key."""
        return MultiFernet(self.keys())

    def signature(self) -> tuple[tuple[int, float], ...]:
        """Changes whenever a key file changes, so a process can reload after rotation."""
        out = []
        for i in self._indexes():
            out.append((i, (self.path / str(i)).stat().st_mtime))
        return tuple(out)
