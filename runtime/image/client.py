"""The image service as other services call it in-process (Nova's view of Glance).

Callers get plain dataclasses, never ORM objects, and act with their own request
context, so the image service's visibility rules and policy apply exactly as through the
REST API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.common.context import Context
from runtime.common.errors import Conflict, Forbidden
from runtime.image import models as m
from runtime.image import schemas as sch
from runtime.image.service import Images, listing
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


@dataclass(frozen=True)
class ImagePage:
    """One page of a listing; ``next_marker`` is None on the last one."""

    images: list[ImageInfo]
    next_marker: str | None


def _pointer(name: str) -> str:
    # A property name as a JSON pointer (RFC 6901): "~" and "/" are escaped.
    return "/" + name.replace("~", "~0").replace("/", "~1")


class ImageClient:
    """What Nova (and later Cinder) use: look up and list images, read data, store
    snapshots, change properties and delete, each as the calling context may."""

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

    def list(self, ctx: Context, query: Mapping[str, str] | Iterable[tuple[str, str]] = (),
             *, limit: int | None = None, marker: str | None = None) -> ImagePage:
        """The images the caller sees, as ``GET /v2/images`` with ``query`` (Glance's
        filters and sort keys; extra properties by their own names) would list them.

        With no ``limit`` every page is gathered, as glanceclient's listing does; a
        ``marker`` the caller cannot see is a BadRequest, as through the REST API.
        """
        items = list(query.items() if isinstance(query, Mapping) else query)
        items = [(k, v) for k, v in items if k not in ("limit", "marker")]
        found: list[ImageInfo] = []
        with self._svc.read() as s:
            enforce(s, ctx, "get_images")
            while True:
                # Without a limit, gather in the largest pages Glance serves.
                size = self._svc.settings.list_max_limit if limit is None \
                    else limit - len(found)
                page = [*items, ("limit", str(size))]
                if marker:
                    page.append(("marker", marker))
                result = listing.list_images(self._svc, s, ctx, page)
                found += [_info(i, tags_of(s, i.id), stores_of(self._svc, s, i.id))
                          for i in result.images]
                marker = result.next_marker
                if marker is None or (limit is not None and len(found) >= limit):
                    return ImagePage(found, marker)

    def update_properties(self, ctx: Context, image_id: str, values: Mapping[str, str],
                          *, remove: Iterable[str] = (), purge: bool = False) -> ImageInfo:
        """Set extra properties (and drop those in ``remove``, or with ``purge`` every
        one not in ``values``) through Glance's own update, so its policy, reserved
        names and property quota apply. Base attributes (name, min_ram...) are not
        properties here: naming one is Forbidden."""
        for name in values:
            if name in sch.BASE_ATTRIBUTES or name in sch.READ_ONLY or name in ("id", "tags"):
                raise Forbidden(f"Attribute '{name}' is not an image property.")
        with self._svc.write() as s:
            current = get_image(s, ctx, image_id).properties
            dropped = set(current) - set(values) if purge else set(remove)
            changes: list[dict[str, Any]] = [
                {"op": "remove", "path": _pointer(k)} for k in sorted(dropped)]
            changes += [{"op": "add", "path": _pointer(k), "value": v}
                        for k, v in values.items()]
            image = image_svc.update(self._svc, s, ctx, image_id, changes)
            s.flush()
            return _info(image, tags_of(s, image.id), stores_of(self._svc, s, image.id))

    def delete(self, ctx: Context, image_id: str) -> None:
        """Delete the image (Forbidden when protected or not the caller's to delete)."""
        with self._svc.write() as s:
            data = image_svc.delete_image(self._svc, s, ctx, image_id)
        # As the REST API does: the rows are gone (committed) before the data, so a
        # failure here leaves an orphan file, never an image pointing at nothing.
        for store, key in data:
            target = self._svc.staging if store == "staging" else self._svc.stores.get(store)
            if target is not None:
                target.delete(key)
