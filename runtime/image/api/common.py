"""Helpers every image API module uses: the service, the caller, bodies and views."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from runtime.common.context import Context
from runtime.common.errors import Unauthorized
from runtime.common.web import context, json_body
from runtime.image import models as m
from runtime.image.service import Images


def images(request: Request) -> Images:
    svc: Images = request.app.state.images
    return svc


def caller(request: Request) -> Context:
    """The authenticated caller; every image API call needs a token."""
    ctx = context(request)
    if not ctx.authenticated:
        raise Unauthorized("This server could not verify that you are authorized to access "
                           "the document you requested.")
    return ctx


async def body(request: Request) -> Any:
    return await json_body(request, images(request).settings.max_request_body_size)


def iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def _by_image(s: Session, column: Any, table: Any, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if ids:
        for image_id, value in s.execute(select(table.image_id, column)
                                         .where(table.image_id.in_(ids))):
            out[image_id].append(value)
    return out


def image_views(svc: Images, s: Session, images_: Iterable[m.Image]) -> list[dict[str, Any]]:
    """Glance's image representation, with tags and stores read in two queries."""
    batch = list(images_)
    ids = [i.id for i in batch]
    tags = _by_image(s, m.ImageTag.value, m.ImageTag, ids)
    stores = _by_image(s, m.ImageLocation.store, m.ImageLocation, ids)
    return [_view(i, tags.get(i.id, []), svc.by_weight(stores.get(i.id, []))) for i in batch]


def image_view(svc: Images, s: Session, image: m.Image) -> dict[str, Any]:
    return image_views(svc, s, [image])[0]


def _view(image: m.Image, tags: list[str], stores: list[str]) -> dict[str, Any]:
    view: dict[str, Any] = dict(image.properties)
    view.update(
        id=image.id, name=image.name, status=image.status, visibility=image.visibility,
        protected=image.protected, os_hidden=image.os_hidden, checksum=image.checksum,
        os_hash_algo=image.os_hash_algo, os_hash_value=image.os_hash_value,
        owner=image.owner, size=image.size, virtual_size=image.virtual_size,
        min_ram=image.min_ram, min_disk=image.min_disk, disk_format=image.disk_format,
        container_format=image.container_format, created_at=iso(image.created_at),
        updated_at=iso(image.updated_at), tags=tags, self=f"/v2/images/{image.id}",
        file=f"/v2/images/{image.id}/file", schema="/v2/schemas/image",
    )
    if stores:
        view["stores"] = ",".join(stores)
    return view


def member_view(row: m.ImageMember) -> dict[str, Any]:
    return {"created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "image_id": row.image_id, "member_id": row.member, "status": row.status,
            "schema": "/v2/schemas/member"}


def task_view(task: m.ImageTask) -> dict[str, Any]:
    return {"id": task.id, "type": task.type, "status": task.status, "owner": task.owner,
            "input": task.input, "result": task.result, "message": task.message,
            "image_id": task.image_id, "request_id": task.request_id,
            "user_id": task.user_id, "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at), "expires_at": iso(task.expires_at),
            "self": f"/v2/tasks/{task.id}", "schema": "/v2/schemas/task"}
