"""Image tags: PUT and DELETE /v2/images/{id}/tags/{tag}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.image.api.common import caller, images
from runtime.image.service import images as svc

router = ApiRouter()


@router.put("/v2/images/{image_id}/tags/{tag}")
async def add_tag(request: Request) -> Response:
    ctx = caller(request)
    service = images(request)
    with service.write() as s:
        svc.add_tag(service, s, ctx, request.path_params["image_id"], request.path_params["tag"])
    return empty_response()


@router.delete("/v2/images/{image_id}/tags/{tag}")
async def delete_tag(request: Request) -> Response:
    ctx = caller(request)
    with images(request).write() as s:
        svc.delete_tag(s, ctx, request.path_params["image_id"], request.path_params["tag"])
    return empty_response()
