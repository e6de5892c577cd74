"""Upload and download streaming: data passes through in bounded blocks (never whole in
memory), hashes match the whole data, and failures discard what was written."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from runtime.image.drivers.fake import FakeStore, FakeWriter
from runtime.image.service.images import OverLimit
from runtime.image.service.stream import read_ahead, receive

KIB = 1024


class Unlimited:
    def check(self, size: int) -> None:
        pass


class Capped:
    def __init__(self, cap: int) -> None:
        self.cap = cap

    def check(self, size: int) -> None:
        if size > self.cap:
            raise OverLimit("too big")


class RecordingWriter(FakeWriter):
    """Remembers the largest block it was handed."""

    largest = 0

    def _write(self, chunk: bytes) -> None:
        self.largest = max(self.largest, len(chunk))
        super()._write(chunk)


async def _body(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.fixture()
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as p:
        yield p


def test_upload_is_written_in_bounded_blocks_with_exact_hashes(
        pool: ThreadPoolExecutor) -> None:
    data = os.urandom(3 * 1024 * KIB + 12345)
    store = FakeStore()
    writer = RecordingWriter(store, "img")
    stored = asyncio.run(receive(writer, _body(data, 64 * KIB), Unlimited(), pool,
                                 block=256 * KIB))
    assert stored.size == len(data) and stored.head == data[:64 * KIB]
    assert stored.checksum == hashlib.md5(data).hexdigest()
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()
    assert writer.largest < 256 * KIB + 64 * KIB  # a block, never the whole body
    writer.close()
    assert store.objects["img"] == data


def test_upload_over_the_limit_discards_the_partial_data(pool: ThreadPoolExecutor) -> None:
    store = FakeStore()
    with pytest.raises(OverLimit), store.writer("img") as writer:
        asyncio.run(receive(writer, _body(b"x" * 1024 * KIB, 64 * KIB), Capped(300 * KIB),
                            pool, block=128 * KIB))
    assert store.objects == {} and not store.busy("img")


def test_download_reads_ahead_in_order_and_closes_the_source_when_left_early(
        pool: ThreadPoolExecutor) -> None:
    closed = []

    def source() -> Iterator[bytes]:
        try:
            for i in range(10):
                yield bytes([i]) * 10
        finally:
            closed.append(True)

    async def first_three() -> list[bytes]:
        got = []
        stream = read_ahead(source(), pool)
        async for chunk in stream:
            got.append(chunk)
            if len(got) == 3:
                break
        await stream.aclose()
        return got

    async def everything() -> list[bytes]:
        return [chunk async for chunk in read_ahead(source(), pool)]

    assert asyncio.run(everything()) == [bytes([i]) * 10 for i in range(10)]
    assert asyncio.run(first_three()) == [bytes([i]) * 10 for i in range(3)]
    assert closed == [True, True]
