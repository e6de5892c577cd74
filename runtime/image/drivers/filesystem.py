"""The default store: one file per image under a directory.

Data is written to a temporary file beside its final name, fsynced, then renamed into
place, so a crash or an interrupted upload never leaves a partial file under an image's
key. The free space (less a reserve) is checked as the data arrives: an upload that
would fill the disk is refused (StoreFull) and its partial file removed.

A writer holds an exclusive flock on its file from creation until it is closed (past
the rename; see runtime/image/locks.py). The kernel drops the lock when the process
dies, however it dies, which is how a starting process tells an upload in progress (in
another worker) from one a killed process abandoned: see :meth:`FilesystemStore.busy`
and ``clean_partials``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import uuid
from collections.abc import Callable, Iterator
from io import FileIO
from pathlib import Path

from runtime.image.drivers.base import CHUNK, DataNotFound, DataWriter, Store, StoreFull
from runtime.image.locks import create_locked, held

# Keep this much of the disk free by default: a full disk breaks the database and logs.
RESERVE_BYTES = 64 * 1024 * 1024
PART_SUFFIX = ".part"


def _writeback_starter() -> Callable[[int, int, int], None]:
    """sync_file_range(SYNC_FILE_RANGE_WRITE) where libc has it, else nothing.

    Without it, an upload only fills the page cache and the final fsync then waits for
    the whole image to reach the disk; starting writeback of each block as it is
    written lets the disk work while the rest arrives, so the fsync has little left.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        sfr = libc.sync_file_range
    except (OSError, AttributeError):
        return lambda fd, offset, length: None
    sfr.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    write_flag = 2  # SYNC_FILE_RANGE_WRITE: start writeback, do not wait for it

    def start(fd: int, offset: int, length: int) -> None:
        sfr(fd, offset, length, write_flag)  # best effort: the final fsync is the promise

    return start


_start_writeback = _writeback_starter()


# The two calls that meet a full disk, named so that tests can make the disk full.
_write_fd = os.write


def _disk_free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _open_locked(root: Path, image_id: str) -> tuple[Path, int]:
    """A new partial file, locked (a cleaner may remove it before we lock it: retry)."""
    while True:
        path = root / f".{image_id}.{uuid.uuid4().hex}{PART_SUFFIX}"
        fd = create_locked(path)
        if fd is not None:
            return path, fd


class FileWriter(DataWriter):
    def __init__(self, root: Path, image_id: str, room: int | None) -> None:
        super().__init__(image_id)
        self._final = root / image_id
        self._tmp, fd = _open_locked(root, image_id)
        self._fd: int | None = fd
        self._room = room

    def _write(self, chunk: bytes) -> None:
        if self._room is not None and self.size + len(chunk) > self._room:
            raise StoreFull("Image storage media is full: there is not enough free space "
                            "for this image.")
        assert self._fd is not None and not self.committed, "write after commit or abort"
        view = memoryview(chunk)
        try:
            while view:
                view = view[_write_fd(self._fd, view):]
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull("Image storage media is full: the image store ran out of "
                                "space.") from None
            raise
        _start_writeback(self._fd, self.size, len(chunk))

    def _commit(self) -> None:
        assert self._fd is not None, "commit after abort"
        try:
            os.fsync(self._fd)
        except OSError as exc:
            # Delayed allocation can report a full disk only when the data is flushed.
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull("Image storage media is full: the image store ran out of "
                                "space.") from None
            raise
        os.replace(self._tmp, self._final)
        _fsync_dir(self._final.parent)
        # The fd (and its lock) stays open until close(): see DataWriter.

    def _abort(self) -> None:
        self._close()
        self._tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStore(Store):
    def __init__(self, name: str, root: str | os.PathLike[str],
                 description: str = "Filesystem store", weight: int = 0,
                 reserve_bytes: int = RESERVE_BYTES) -> None:
        super().__init__(name, description, weight)
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.reserve_bytes = reserve_bytes

    def _path(self, key: str) -> Path:
        # Keys are image ids the service chose; refuse anything that could escape root.
        if not key or "/" in key or key.startswith("."):
            raise DataNotFound(key)
        return self.root / key

    def writer(self, image_id: str) -> FileWriter:
        self._path(image_id)
        return FileWriter(self.root, image_id, self.free_bytes())

    def read(self, key: str, offset: int = 0, length: int | None = None,
             chunk_size: int = CHUNK) -> Iterator[bytes]:
        try:
            handle = FileIO(self._path(key), "rb")
        except FileNotFoundError:
            raise DataNotFound(key) from None
        return _chunks(handle, offset, length, chunk_size)

    def delete(self, key: str) -> None:
        with contextlib.suppress(DataNotFound):
            self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except DataNotFound:
            return False

    def free_bytes(self) -> int | None:
        return max(_disk_free(self.root) - self.reserve_bytes, 0)

    def busy(self, key: str) -> bool:
        final = self._path(key)
        return held(final) or any(held(p) for p in self.root.glob(f".{key}.*{PART_SUFFIX}"))

    def clean_partials(self) -> list[str]:
        removed = []
        for path in self.root.glob(f".*{PART_SUFFIX}"):
            if not held(path, remove_if_free=True):
                removed.append(path.name)
        return removed


def _chunks(handle: FileIO, offset: int, length: int | None, chunk_size: int) -> Iterator[bytes]:
    with handle:
        if offset:
            handle.seek(offset)
        left = length
        while left is None or left > 0:
            want = chunk_size if left is None else min(chunk_size, left)
            data = handle.read(want)
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data
