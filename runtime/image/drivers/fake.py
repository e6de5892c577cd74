"""An in-memory store for unit tests (never a product default)."""

from __future__ import annotations

from collections.abc import Iterator

from runtime.image.drivers.base import CHUNK, DataNotFound, DataWriter, Store, StoreFull


class FakeWriter(DataWriter):
    def __init__(self, store: FakeStore, key: str) -> None:
        super().__init__(key)
        self._store = store
        self._buf: bytearray | None = bytearray()
        store.writing[id(self)] = key

    def _write(self, chunk: bytes) -> None:
        assert self._buf is not None, "write after commit or abort"
        if self._store.capacity is not None and self._store.used() + self.size + len(
                chunk) > self._store.capacity:
            raise StoreFull("fake store is full")
        self._buf += chunk

    def _commit(self) -> None:
        assert self._buf is not None
        self._store.objects[self.key] = bytes(self._buf)
        self._buf = None

    def _abort(self) -> None:
        self._buf = None

    def _close(self) -> None:
        self._store.writing.pop(id(self), None)


class FakeStore(Store):
    def __init__(self, name: str = "fake", capacity: int | None = None) -> None:
        super().__init__(name, "In-memory store")
        self.objects: dict[str, bytes] = {}
        self.capacity = capacity
        self.writing: dict[int, str] = {}  # writers not yet closed, by id()

    def used(self) -> int:
        return sum(len(v) for v in self.objects.values())

    def writer(self, image_id: str) -> FakeWriter:
        return FakeWriter(self, image_id)

    def read(self, key: str, offset: int = 0, length: int | None = None,
             chunk_size: int = CHUNK) -> Iterator[bytes]:
        if key not in self.objects:
            raise DataNotFound(key)
        data = self.objects[key]
        end = len(data) if length is None else min(len(data), offset + length)
        return (data[i:min(i + chunk_size, end)] for i in range(offset, end, chunk_size))

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def free_bytes(self) -> int | None:
        return None if self.capacity is None else self.capacity - self.used()

    def busy(self, key: str) -> bool:
        return key in self.writing.values()

    def clean_partials(self) -> list[str]:
        return []  # partial data lives in writers, and dies with them
