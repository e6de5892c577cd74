"""Image data: streamed upload (PUT /file), staging (PUT /stage) and download.

Data never sits whole in memory: chunks from the request are gathered into blocks of a
few megabytes, hashed and written by a worker thread while the next block arrives
(service/stream.py), and counted against the size cap, the project's quota and the
store's free space (less its reserve) as they arrive; a declared Content-Length is
checked against them before any data is read. Any failure, including a client that
goes away mid-upload or a disk that fills up (413), discards the partial data and puts
the image back to ``queued``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import ApiError, BadRequest, Conflict, Forbidden, Gone, NotFound
from runtime.image import formats
from runtime.image import models as m
from runtime.image.drivers.base import HASH_ALGO, DataNotFound, DataWriter, Store, StoredData
from runtime.image.service.core import Images, enforce, get_image
from runtime.image.service.images import OverLimit
from runtime.image.service.stream import receive
from runtime.image.states import Status, transition


def project_usage(s: Session, owner: str | None) -> int:
    """Bytes a project stores: its images' data plus what it has staged."""
    stored = s.scalar(select(func.coalesce(func.sum(m.Image.size), 0))
                      .where(m.Image.owner == owner, m.Image.size.is_not(None))) or 0
    staged = s.scalar(select(func.coalesce(func.sum(m.ImageStaging.size), 0))
                      .join(m.Image, m.Image.id == m.ImageStaging.image_id)
                      .where(m.Image.owner == owner)) or 0
    return int(stored) + int(staged)


@dataclass(frozen=True)
class Limits:
    """How many bytes an upload may bring, and which limit says so."""

    cap: int
    quota_left: int | None
    free: int | None

    def check(self, size: int) -> None:
        if size > self.cap:
            raise OverLimit(f"Image exceeds the storage quota: the largest image allowed is "
                            f"{self.cap} bytes.")
        if self.quota_left is not None and size > self.quota_left:
            raise OverLimit("Denying attempt to upload image because it exceeds the quota: "
                            "the project's image storage quota is used up.")
        if self.free is not None and size > self.free:
            raise OverLimit("Image storage media is full: there is not enough free space "
                            "for this image.")


def _limits(svc: Images, s: Session, owner: str | None, store: Store) -> Limits:
    quota = svc.settings.image_size_total
    left = None if quota < 0 else quota - project_usage(s, owner)
    return Limits(svc.settings.image_size_cap, left, store.free_bytes())


def _claim(svc: Images, ctx: Context, image_id: str, action: str, target: Status,
           store: Store, declared: int | None) -> Limits:
    with svc.write() as s:
        image = get_image(s, ctx, image_id, lock=True)
        enforce(s, ctx, action, image)
        if image.status != Status.QUEUED:
            raise Conflict(f"Image status transition from {image.status} to {target} is not "
                           "allowed")
        limits = _limits(svc, s, image.owner, store)
        if declared is not None:
            limits.check(declared)
        transition(image, target)
        image.updated_at = utcnow()
        return limits


def _release(svc: Images, image_id: str, claimed: Status) -> None:
    """Put an image whose upload failed back to queued (if it still is as we left it)."""
    with svc.write() as s:
        image = s.get(m.Image, image_id)
        if image is not None and image.status == claimed:
            transition(image, Status.QUEUED)
            image.updated_at = utcnow()


def _writer(store: Store, image_id: str) -> DataWriter:
    try:
        return store.writer(image_id)
    except DataNotFound:  # not a key the store takes, so not an image id either
        raise NotFound(f"No image found with ID {image_id}") from None


def _gone(image_id: str) -> ApiError:
    return Gone(f"Image {image_id} could not be found after upload. The image may have been "
                "deleted during the upload.")


async def upload(svc: Images, ctx: Context, image_id: str, chunks: AsyncIterator[bytes],
                 declared: int | None) -> None:
    """PUT /v2/images/{id}/file: queued → saving → active (or back to queued)."""
    store = svc.default_store
    # The writer exists (and marks the upload as live, see Store.busy) before the image
    # is saving, and until it is active: a process starting meanwhile never takes this
    # upload for one a killed process left behind.
    with _writer(store, image_id) as writer:
        limits = _claim(svc, ctx, image_id, "upload_image", Status.SAVING, store, declared)
        try:
            stored = await receive(writer, chunks, limits, svc.io_pool)
        except BaseException:
            _release(svc, image_id, Status.SAVING)
            raise
        try:
            with svc.write() as s:
                image = s.get(m.Image, image_id)
                if image is None or image.status != Status.SAVING:
                    raise _gone(image_id)
                activate(svc, s, image, store.name, stored)
        except BaseException:
            store.delete(stored.key)
            _release(svc, image_id, Status.SAVING)
            raise


def activate(svc: Images, s: Session, image: m.Image, store: str, stored: StoredData) -> None:
    """Record data just stored for ``image`` and make it active (format checked)."""
    info = formats.inspect(stored.head, stored.size)
    if svc.settings.require_image_format_match:
        why = formats.mismatch(image.disk_format, info)
        if why:
            raise BadRequest(f"{why}.")
    image.size = stored.size
    image.checksum = stored.checksum
    image.os_hash_algo = HASH_ALGO
    image.os_hash_value = stored.os_hash_value
    image.virtual_size = formats.virtual_size(image.disk_format, info)
    s.merge(m.ImageLocation(image_id=image.id, store=store, key=stored.key))
    transition(image, Status.ACTIVE)
    image.updated_at = utcnow()


async def stage(svc: Images, ctx: Context, image_id: str, chunks: AsyncIterator[bytes],
                declared: int | None) -> None:
    """PUT /v2/images/{id}/stage: queued → uploading, data kept in the staging area."""
    store = svc.staging
    with _writer(store, image_id) as writer:
        limits = _claim(svc, ctx, image_id, "stage_image", Status.UPLOADING, store, declared)
        try:
            stored = await receive(writer, chunks, limits, svc.io_pool)
        except BaseException:
            _release(svc, image_id, Status.UPLOADING)
            raise
        try:
            with svc.write() as s:
                image = s.get(m.Image, image_id)
                if image is None or image.status != Status.UPLOADING:
                    raise _gone(image_id)
                info = formats.inspect(stored.head, stored.size)
                s.merge(m.ImageStaging(image_id=image_id, key=stored.key, size=stored.size,
                                       checksum=stored.checksum,
                                       os_hash_value=stored.os_hash_value,
                                       virtual_size=formats.virtual_size(image.disk_format,
                                                                         info)))
                image.updated_at = utcnow()
        except BaseException:
            store.delete(stored.key)
            _release(svc, image_id, Status.UPLOADING)
            raise


@dataclass(frozen=True)
class Download:
    """What GET /file answers: nothing (204), or a stream of (part of) the data."""

    size: int
    checksum: str | None
    chunks: Iterator[bytes] | None
    content_range: str | None = None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(offset, length) of a single ``bytes=`` range, or None for the whole data."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        raise ApiError("Invalid Range header.", status=416)
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            n = int(last)
            start, end = max(size - n, 0), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        raise ApiError("Invalid Range header.", status=416) from None
    end = min(end, size - 1)
    if start > end or start >= size:
        raise ApiError(f"Requested range not satisfiable (size {size}).", status=416,
                       headers={"Content-Range": f"bytes */{size}"})
    return start, end - start + 1


def download(svc: Images, ctx: Context, image_id: str, range_header: str | None) -> Download:
    with svc.read() as s:
        image = get_image(s, ctx, image_id)
        enforce(s, ctx, "download_image", image)
        if image.status == Status.DEACTIVATED and not ctx.is_admin:
            raise Forbidden("The requested image has been deactivated. Image data download is "
                            "forbidden.")
        locations = {loc.store: loc.key for loc in s.scalars(
            select(m.ImageLocation).where(m.ImageLocation.image_id == image.id))}
        size, checksum = image.size, image.checksum
    if not locations or size is None:
        return Download(0, None, None)
    name = svc.by_weight(locations)[0]
    store = svc.stores.get(name)
    if store is None:
        raise Conflict(f"The data of image {image_id} is in store {name}, which is not "
                       "configured here.")
    wanted = parse_range(range_header, size)
    offset, length = wanted if wanted is not None else (0, size)
    try:
        chunks = store.read(locations[name], offset, length)
    except DataNotFound:
        raise NotFound(f"Image {image_id} data is missing from store {name}.") from None
    if wanted is None:
        return Download(size, checksum, chunks)
    return Download(length, checksum, chunks, f"bytes {offset}-{offset + length - 1}/{size}")
