"""File locks that die with their process: how one API process tells work another live
process is doing (an upload, an import) from work a killed process left behind.

A worker creates a file of its own and holds an exclusive ``flock`` on it while it
works. The kernel releases the lock when the process exits, however it exits, so a
process starting later finds the file unlocked and knows nobody will finish that work.
flock works across processes on one host and over NFS (where Linux maps it to POSIX
locks), so a store shared by several API hosts keeps working.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def create_locked(path: Path) -> int | None:
    """Create ``path`` (it must not exist) and lock it; the fd, or None when a cleaner
    removed the file between our create and our lock (try again with another name)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if os.fstat(fd).st_nlink:
        return fd
    os.close(fd)
    return None


def held(path: Path, remove_if_free: bool = False) -> bool:
    """Whether a live process holds ``path``'s lock. If none does and ``remove_if_free``,
    the file is removed while we hold the lock, so that a creator that has not locked it
    yet sees it gone (create_locked) instead of working on a deleted file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        if remove_if_free:
            path.unlink(missing_ok=True)
        return False
    finally:
        os.close(fd)


class Lease:
    """A lock file held while this process does one piece of work."""

    def __init__(self, path: Path) -> None:
        fd = create_locked(path)
        if fd is None:
            raise RuntimeError(f"lease file {path} was removed as it was made")
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        """Safe to call more than once."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None
