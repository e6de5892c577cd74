"""The default store: one file per image under a directory.

Data is written to a temporary file beside its final name, fsynced, then renamed into
place, so a crash or an interrupted upload never leaves a partial file under an image's
key. The free space is checked as the data arrives: an upload that would fill the disk
is refused (StoreFull) and its partial file removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from io import FileIO
from pathlib import Path

from runtime.image.drivers.base import CHUNK, DataNotFound, DataWriter, Store, StoreFull

# Keep this much of the disk free: a full disk breaks the database and the logs too.
RESERVE_BYTES = 64 * 1024 * 1024


class FileWriter(DataWriter):
    def __init__(self, root: Path, image_id: str, free: int | None) -> None:
        super().__init__(image_id)
        self._final = root / image_id
        self._tmp = root / f".{image_id}.{uuid.uuid4().hex}.part"
        self._fd: int | None = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._room = None if free is None else free - RESERVE_BYTES

    def _write(self, chunk: bytes) -> None:
        if self._room is not None and self.size + len(chunk) > self._room:
            self.abort()
            raise StoreFull("Not enough free space in the image store for this image.")
        assert self._fd is not None, "write after commit or abort"
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self.abort()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull("The image store ran out of space.") from None
            raise

    def _commit(self) -> None:
        assert self._fd is not None, "commit after abort"
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        os.replace(self._tmp, self._final)
        _fsync_dir(self._final.parent)

    def _abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStore(Store):
    def __init__(self, name: str, root: str | os.PathLike[str],
                 description: str = "Filesystem store", weight: int = 0) -> None:
        super().__init__(name, description, weight)
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

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
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize


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
