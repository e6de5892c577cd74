"""The store contract: write a stream once, read it back in chunks, delete it.

Hashes are computed here, while the data streams through, so every driver reports the
same md5 (Glance's ``checksum``), sha512 (``os_hash_value``) and size, and the first
bytes (``head``) for format inspection, without reading the data a second time.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Self

HASH_ALGO = "sha512"
# Enough for every header the format inspector reads (an ISO's volume descriptor is at
# 32 KiB; a VHD footer copy and qcow2/VMDK/VDI headers are near the start).
HEAD_BYTES = 64 * 1024
CHUNK = 1024 * 1024
PARALLEL_HASH_BYTES = 256 * 1024


class StoreError(Exception):
    """The store could not keep or give back the data."""


class StoreFull(StoreError):
    """Not enough free space for the data: the API answers 413."""


class DataNotFound(StoreError):
    """The store has nothing under that key."""


@dataclass(frozen=True)
class StoredData:
    key: str
    size: int
    checksum: str  # md5 hex
    os_hash_value: str  # sha512 hex
    head: bytes


class DataWriter(ABC):
    """One object being written; ``commit`` makes it visible, ``abort`` discards it.

    Used as a context manager: leaving the block aborts what was not committed and ends
    the write, so that :meth:`Store.busy` stops reporting the key. Until then the write
    counts as in progress even after ``commit``, which lets the caller record the data
    (the image made active) before a recovering process could call the key abandoned.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.size = 0
        self.committed = False
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha = hashlib.new(HASH_ALGO)
        self._head = bytearray()
        self._hasher: ThreadPoolExecutor | None = None

    def write(self, chunk: bytes) -> None:
        """Hash and write ``chunk``; on failure the partial data is discarded."""
        if not chunk:
            return
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        try:
            if len(chunk) >= PARALLEL_HASH_BYTES:
                # hashlib and os.write release the GIL on large buffers, so md5, sha512
                # and the disk write run side by side: a block costs the slowest of the
                # three rather than their sum, and the two hashes bound upload speed.
                if self._hasher is None:
                    self._hasher = ThreadPoolExecutor(2, thread_name_prefix="image-hash")
                md5 = self._hasher.submit(self._md5.update, chunk)
                written = self._hasher.submit(self._write, chunk)
                self._sha.update(chunk)
                md5.result()
                written.result()
            else:
                self._md5.update(chunk)
                self._sha.update(chunk)
                self._write(chunk)
        except BaseException:
            self.abort()
            raise
        self.size += len(chunk)

    def commit(self) -> StoredData:
        self._stop_hasher()
        try:
            self._commit()
        except BaseException:
            self.abort()
            raise
        self.committed = True
        return StoredData(self.key, self.size, self._md5.hexdigest(), self._sha.hexdigest(),
                          bytes(self._head))

    def _stop_hasher(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown()
            self._hasher = None

    @abstractmethod
    def _write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def _commit(self) -> None:
        """Make the data durable and visible under ``key``."""

    def abort(self) -> None:
        """Discard whatever was written (not data already committed); safe to repeat."""
        self._stop_hasher()
        if not self.committed:
            self._abort()

    @abstractmethod
    def _abort(self) -> None: ...

    def close(self) -> None:
        """End the write: abort it if it was not committed; safe to call more than once."""
        self.abort()
        self._close()

    @abstractmethod
    def _close(self) -> None:
        """Stop marking the key as being written."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Store(ABC):
    """A place that keeps image data under keys the store chooses."""

    def __init__(self, name: str, description: str, weight: int = 0) -> None:
        self.name = name
        self.description = description
        self.weight = weight

    @abstractmethod
    def writer(self, image_id: str) -> DataWriter: ...

    @abstractmethod
    def read(self, key: str, offset: int = 0, length: int | None = None,
             chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The data under ``key`` from ``offset``, ``length`` bytes (all if None)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the data; a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def free_bytes(self) -> int | None:
        """Space left for new data (the store's reserve taken off), or None when the
        store cannot tell."""

    @abstractmethod
    def busy(self, key: str) -> bool:
        """Whether a writer (in any process) is still writing ``key``."""

    @abstractmethod
    def clean_partials(self) -> list[str]:
        """Remove partial data no live writer holds (left by a killed process); return
        what was removed."""
