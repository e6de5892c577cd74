"""Nova's image proxy: /images, /images/detail and /images/{id} (show, delete), the image
service's images in Nova's own view. Deprecated: Nova answers 404 after microversion
2.35, and so does this.

Every call goes through the image client with the caller's context, so what a user
sees and may delete here is exactly what Glance lets them see and delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import Forbidden, NotFound
from runtime.common.pagination import next_link, page_params
from runtime.common.web import ApiRouter, context, empty_response, json_response
from runtime.compute.api.common import compute, link, removed_after
from runtime.compute.api.views import iso
from runtime.compute.service.core import ImageInfo

router = ApiRouter()

LAST_VERSION = "2.35"

# Nova's query keys and the Glance v2 filters they become.
_FILTERS = {"name": "name", "status": "status", "changes-since": "updated_at",
            "server": "instance_uuid", "type": "image_type", "minRam": "min_ram",
            "minDisk": "min_disk"}
_PROPERTY_PREFIX = "property-"
# Glance's statuses as Nova shows them (anything else is UNKNOWN), and its progress.
_STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "deleted": "DELETED",
           "pending_delete": "DELETED", "killed": "ERROR"}
_PROGRESS = {"queued": 25, "saving": 50, "active": 100}
_TRUE = ("1", "t", "true", "on", "y", "yes")


def glance_query(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """The Glance listing query for Nova's filters (others are ignored, as in Nova):
    status in lower case, changes-since as ``updated_at=gte:``, a server as the uuid
    its href ends with, property-X as X."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if key.startswith(_PROPERTY_PREFIX) and len(key) > len(_PROPERTY_PREFIX):
            out.append((key[len(_PROPERTY_PREFIX):], value))
            continue
        name = _FILTERS.get(key)
        if name is None:
            continue
        if key == "status":
            value = value.lower()
        elif key == "changes-since":
            value = f"gte:{value}"
        elif key == "server":
            value = value.rstrip("/").rsplit("/", 1)[-1]
        out.append((name, value))
    return out


def _links(request: Request, image_id: str) -> list[dict[str, str]]:
    glance = compute(request).public_url + "/image"
    return [*link(request, f"/images/{image_id}"),
            {"rel": "alternate", "type": "application/vnd.openstack.image",
             "href": f"{glance}/images/{image_id}"}]


def basic_view(request: Request, image: ImageInfo) -> dict[str, Any]:
    return {"id": image.id, "name": image.name, "links": _links(request, image.id)}


def detail_view(request: Request, image: ImageInfo) -> dict[str, Any]:
    props = dict(image.properties)
    view: dict[str, Any] = {
        "id": image.id, "name": image.name, "minRam": image.min_ram or 0,
        "minDisk": image.min_disk or 0, "metadata": props, "created": iso(image.created_at),
        "updated": iso(image.updated_at), "status": _STATUS.get(image.status, "UNKNOWN"),
        "progress": _PROGRESS.get(image.status, 0), "OS-EXT-IMG-SIZE:size": image.size,
        "links": _links(request, image.id)}
    server = props.get("instance_uuid")
    if server is not None:
        view["server"] = {"id": server, "links": link(request, f"/servers/{server}")}
    disk_config = props.get("auto_disk_config")
    if disk_config is not None:
        view["OS-DCF:diskConfig"] = "AUTO" if disk_config.lower() in _TRUE else "MANUAL"
    return view


def proxy_context(request: Request, last: str = LAST_VERSION) -> Context:
    """The caller of an image proxy route, once its microversion still has it."""
    removed_after(request, last)
    return context(request)


async def _list(request: Request, detail: bool) -> Response:
    ctx = proxy_context(request)
    comp = compute(request)
    page = page_params(request.query_params, comp.settings.list_max_limit)
    found = comp.images().list(ctx, glance_query(request.query_params), limit=page.limit,
                               marker=page.marker)
    view = detail_view if detail else basic_view
    out: dict[str, Any] = {"images": [view(request, i) for i in found.images]}
    if found.next_marker is not None:
        base = comp.base_url + "/v2.1/images" + ("/detail" if detail else "")
        out["images_links"] = [next_link(base, request.query_params, found.next_marker)]
    return json_response(out)


@router.get("/v2.1/images")
async def index(request: Request) -> Response:
    return await _list(request, detail=False)


@router.get("/v2.1/images/detail")
async def detail(request: Request) -> Response:
    return await _list(request, detail=True)


def get_image(request: Request, ctx: Context, image_id: str) -> ImageInfo:
    """The image as the caller sees it; 404 in Nova's words otherwise."""
    try:
        return compute(request).images().get(ctx, image_id)
    except NotFound:
        raise NotFound("Image not found.") from None


@router.get("/v2.1/images/{id}")
async def show(request: Request) -> Response:
    ctx = proxy_context(request)
    return json_response({"image": detail_view(request, get_image(request, ctx,
                                                                  request.path_params["id"]))})


@router.delete("/v2.1/images/{id}")
async def delete(request: Request) -> Response:
    ctx = proxy_context(request)
    try:
        compute(request).images().delete(ctx, request.path_params["id"])
    except NotFound:
        raise NotFound("Image not found.") from None
    except Forbidden:
        raise Forbidden("You are not allowed to delete the image.") from None
    return empty_response(204)
