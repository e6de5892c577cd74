"""The image service as other services call it in-process (Nova's view of Glance).

Callers get plain dataclasses, never ORM objects, and act with their own request
context, so the image service's visibility rules and policy apply exactly as through the
REST API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.common.context import Context
from runtime.common.errors import Conflict
from runtime.image import models as m
from runtime.image.service import Images
from runtime.image.service import data as data_svc
from runtime.image.service import images as image_svc
from runtime.image.service.core import enforce, get_image, stores_of, tags_of


@dataclass(frozen=True)
class ImageInfo:
    id: str
    name: str | None
    status: str
    visibility: str
    owner: str | None
    disk_format: str | None
    container_format: str | None
    size: int | None
    virtual_size: int | None
    checksum: str | None
    os_hash_algo: str | None
    os_hash_value: str | None
    min_disk: int
    min_ram: int
    protected: bool
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)


def _info(image: m.Image, tags: list[str], stores: list[str]) -> ImageInfo:
    return ImageInfo(
        id=image.id, name=image.name, status=image.status, visibility=image.visibility,
        owner=image.owner, disk_format=image.disk_format,
        container_format=image.container_format, size=image.size,
        virtual_size=image.virtual_size, checksum=image.checksum,
        os_hash_algo=image.os_hash_algo, os_hash_value=image.os_hash_value,
        min_disk=image.min_disk, min_ram=image.min_ram, protected=image.protected,
        created_at=image.created_at, updated_at=image.updated_at, tags=tuple(tags),
        stores=tuple(stores), properties=dict(image.properties))


class ImageClient:
    """What Nova (and later Cinder) use: look up images, read data, store snapshots."""

    def __init__(self, images: Images) -> None:
        self._svc = images

    def get(self, ctx: Context, image_id: str) -> ImageInfo:
        """The image's metadata; NotFound (404) if the caller cannot see it."""
        with self._svc.read() as s:
            image = get_image(s, ctx, image_id)
            enforce(s, ctx, "get_image", image)
            return _info(image, tags_of(s, image.id), stores_of(self._svc, s, image.id))

    def open_data(self, ctx: Context, image_id: str) -> Iterator[bytes]:
        """The image's data as a stream of chunks (Conflict if it has none yet)."""
        found = data_svc.download(self._svc, ctx, image_id, None)
        if found.chunks is None:
            raise Conflict(f"Image {image_id} has no data.")
        return found.chunks

    async def create_from_stream(self, ctx: Context, metadata: dict[str, Any],
                                 chunks: AsyncIterator[bytes],
                                 size: int | None = None) -> ImageInfo:
        """Create an image (Glance's create body) and upload its data: a snapshot."""
        with self._svc.write() as s:
            image_id = image_svc.create(self._svc, s, ctx, metadata).id
        await data_svc.upload(self._svc, ctx, image_id, chunks, size)
        return self.get(ctx, image_id)
