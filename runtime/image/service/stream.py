"""Receiving upload data: the request's chunks, gathered into large blocks, handed to a
worker thread that hashes and writes one block while the event loop receives the next.

Blocks are large because hashlib releases the GIL only inside one update call and each
hand-off to a thread costs a wake-up; the body arrives in chunks of about 64 KiB. At
most two blocks are held per upload (one being written, one being filled), so memory
stays bounded whatever the image's size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_all
from typing import Protocol

from runtime.image.drivers.base import DataWriter, StoredData, StoreFull
from runtime.image.service.images import OverLimit

BLOCK = 4 * 1024 * 1024


class SizeCheck(Protocol):
    def check(self, size: int) -> None:
        """Raise (413) when ``size`` bytes would be more than allowed."""


async def receive(writer: DataWriter, chunks: AsyncIterator[bytes], limits: SizeCheck,
                  pool: Executor, block: int = BLOCK) -> StoredData:
    """Write all of ``chunks`` with ``writer`` and commit; on any failure the writer is
    aborted (its partial data removed) once no thread is using it any more."""
    parts: list[bytes] = []
    filled = total = 0
    inflight: Future[None] | None = None
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            total += len(chunk)
            limits.check(total)
            parts.append(chunk)
            filled += len(chunk)
            if filled >= block:
                data = b"".join(parts)
                parts.clear()
                filled = 0
                if inflight is not None:
                    await asyncio.wrap_future(inflight)
                inflight = pool.submit(writer.write, data)
        if inflight is not None:
            await asyncio.wrap_future(inflight)
        if parts:
            await asyncio.wrap_future(pool.submit(writer.write, b"".join(parts)))
        return await asyncio.wrap_future(pool.submit(writer.commit))
    except StoreFull as exc:
        _settle(inflight)
        writer.abort()
        raise OverLimit(str(exc)) from None
    except BaseException:
        _settle(inflight)
        writer.abort()
        raise


def _settle(inflight: Future[None] | None) -> None:
    # The writer may not be aborted under a thread still writing with it. This waits
    # (on the error path only) for at most one block's write.
    if inflight is not None:
        wait_all([inflight])


async def read_ahead(chunks: Iterator[bytes], pool: Executor) -> AsyncGenerator[bytes, None]:
    """Serve a store's (blocking) chunks to an async response, reading the next chunk in
    a worker thread while the event loop sends this one, so the disk and the socket
    work at the same time; one chunk ahead at most keeps memory bounded."""
    ahead: Future[bytes | None] = pool.submit(next, chunks, None)
    try:
        while (chunk := await asyncio.wrap_future(ahead)) is not None:
            ahead = pool.submit(next, chunks, None)
            yield chunk
    finally:
        # A client gone mid-download: let the read in flight end before the store's
        # iterator (and its file) is closed, from this thread.
        wait_all([ahead])
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
