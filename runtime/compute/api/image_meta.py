"""Nova's image metadata proxy: /images/{id}/metadata and /metadata/{key}, an image's
extra properties. Deprecated: Nova answers 404 after microversion 2.38, and so does
this. Changes go through Glance's own update with the caller's context."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute.api.common import compute, metadata_body
from runtime.compute.api.images import get_image, proxy_context
from runtime.compute.service import quotas

router = ApiRouter()

LAST_VERSION = "2.38"


def _caller(request: Request) -> Context:
    return proxy_context(request, LAST_VERSION)


def _check_quota(request: Request, ctx: Context, count: int) -> None:
    """Nova counts an image's properties against the metadata_items quota (403)."""
    comp = compute(request)
    with comp.read() as s:
        quotas.check_metadata(comp.settings.quota, s, ctx.project_id or "", count)


def _set(request: Request, ctx: Context, values: dict[str, str], *, purge: bool = False,
         remove: tuple[str, ...] = ()) -> dict[str, str]:
    image_id = request.path_params["id"]
    current = get_image(request, ctx, image_id).properties
    after = values if purge else {**{k: v for k, v in current.items() if k not in remove},
                                  **values}
    _check_quota(request, ctx, len(after))
    info = compute(request).images().update_properties(ctx, image_id, values, purge=purge,
                                                       remove=remove)
    return dict(info.properties)


@router.get("/v2.1/images/{id}/metadata")
async def index(request: Request) -> Response:
    ctx = _caller(request)
    image = get_image(request, ctx, request.path_params["id"])
    return json_response({"metadata": dict(image.properties)})


@router.post("/v2.1/images/{id}/metadata")
async def merge(request: Request) -> Response:
    ctx = _caller(request)
    values = await metadata_body(request, "metadata")
    return json_response({"metadata": _set(request, ctx, values)})


@router.put("/v2.1/images/{id}/metadata")
async def replace(request: Request) -> Response:
    ctx = _caller(request)
    values = await metadata_body(request, "metadata")
    _set(request, ctx, values, purge=True)
    return json_response({"metadata": values})


@router.get("/v2.1/images/{id}/metadata/{key}")
async def show_item(request: Request) -> Response:
    ctx = _caller(request)
    key = request.path_params["key"]
    props = get_image(request, ctx, request.path_params["id"]).properties
    if key not in props:
        raise NotFound("Metadata item was not found")
    return json_response({"meta": {key: props[key]}})


@router.put("/v2.1/images/{id}/metadata/{key}")
async def set_item(request: Request) -> Response:
    ctx = _caller(request)
    key = request.path_params["key"]
    meta = await metadata_body(request, "meta")
    if len(meta) != 1:
        raise BadRequest("Request body must hold exactly one metadata item.")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    _set(request, ctx, meta)
    return json_response({"meta": meta})


@router.delete("/v2.1/images/{id}/metadata/{key}")
async def delete_item(request: Request) -> Response:
    ctx = _caller(request)
    key = request.path_params["key"]
    props = get_image(request, ctx, request.path_params["id"]).properties
    if key not in props:
        raise NotFound("Invalid metadata key")
    _set(request, ctx, {}, remove=(key,))
    return empty_response(204)
