"""Images: list, create, show, JSON-patch update, delete, deactivate and reactivate."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, NotFound, UnsupportedMediaType
from runtime.common.web import ApiRouter, empty_response, json_response, read_body
from runtime.image.api.common import body, caller, image_view, image_views, images
from runtime.image.service import images as svc
from runtime.image.service import listing
from runtime.image.service.core import enforce, get_image

router = ApiRouter()

PATCH_TYPES = ("application/openstack-images-v2.1-json-patch",
               "application/openstack-images-v2.0-json-patch")


@router.get("/v2/images")
async def list_images(request: Request) -> Response:
    ctx = caller(request)
    items = request.query_params.multi_items()
    service = images(request)
    with service.read() as s:
        enforce(s, ctx, "get_images")
        found = listing.list_images(service, s, ctx, items)
        views = image_views(service, s, found.images)
    params = [(k, v) for k, v in items if k != "marker"]
    query = urlencode(params)
    doc = {"images": views, "first": "/v2/images" + (f"?{query}" if query else ""),
           "schema": "/v2/schemas/images"}
    if found.next_marker:
        doc["next"] = "/v2/images?" + urlencode([*params, ("marker", found.next_marker)])
    return json_response(doc)


@router.get("/v2/images/")
async def show_no_image(request: Request) -> Response:
    # An empty image id is a missing image (not the list a slash redirect would give).
    caller(request)
    raise NotFound("No image found with ID ''")


@router.delete("/v2/images/")
async def delete_no_image(request: Request) -> Response:
    caller(request)
    raise NotFound("No image found with ID ''")


@router.post("/v2/images")
async def create_image(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    service = images(request)
    with service.write() as s:
        image = svc.create(service, s, ctx, data)
        s.flush()
        view = image_view(service, s, image)
    return json_response(view, status=201, headers={
        "Location": f"{service.public_url}/image/v2/images/{image.id}"})


@router.get("/v2/images/{image_id}")
async def show_image(request: Request) -> Response:
    ctx = caller(request)
    service = images(request)
    with service.read() as s:
        image = get_image(s, ctx, request.path_params["image_id"])
        enforce(s, ctx, "get_image", image)
        return json_response(image_view(service, s, image))


@router.patch("/v2/images/{image_id}")
async def update_image(request: Request) -> Response:
    ctx = caller(request)
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if media not in PATCH_TYPES:
        raise UnsupportedMediaType(
            f"Unsupported Content-Type {media!r}: use {PATCH_TYPES[0]}.",
            headers={"Accept-Patch": ", ".join(reversed(PATCH_TYPES))})
    service = images(request)
    raw = await read_body(request, service.settings.max_request_body_size)
    try:
        changes = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON in request body: {exc}") from None
    with service.write() as s:
        image = svc.update(service, s, ctx, request.path_params["image_id"], changes)
        s.flush()
        return json_response(image_view(service, s, image))


@router.delete("/v2/images/{image_id}")
async def delete_image(request: Request) -> Response:
    ctx = caller(request)
    service = images(request)
    with service.write() as s:
        data = svc.delete_image(service, s, ctx, request.path_params["image_id"])
    # The rows are gone (committed); now the data. A failure here leaves an orphan file,
    # never an image pointing at nothing.
    for store, key in data:
        target = service.staging if store == "staging" else service.stores.get(store)
        if target is not None:
            target.delete(key)
    return empty_response()


@router.post("/v2/images/{image_id}/actions/deactivate")
async def deactivate(request: Request) -> Response:
    ctx = caller(request)
    with images(request).write() as s:
        svc.deactivate(s, ctx, request.path_params["image_id"])
    return empty_response()


@router.post("/v2/images/{image_id}/actions/reactivate")
async def reactivate(request: Request) -> Response:
    ctx = caller(request)
    with images(request).write() as s:
        svc.reactivate(s, ctx, request.path_params["image_id"])
    return empty_response()
