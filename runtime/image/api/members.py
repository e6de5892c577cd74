"""Image members: share a ``shared`` image with projects, who accept or reject it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.image import schemas as sch
from runtime.image.api.common import body, caller, images, member_view
from runtime.image.service import members as svc

router = ApiRouter()


@router.get("/v2/images/{image_id}/members")
async def list_members(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        rows = svc.list_members(s, ctx, request.path_params["image_id"])
        return json_response({"members": [member_view(r) for r in rows],
                              "schema": "/v2/schemas/members"})


@router.post("/v2/images/{image_id}/members")
async def add_member(request: Request) -> Response:
    ctx = caller(request)
    member_id = sch.member_create(await body(request))
    service = images(request)
    with service.write() as s:
        row = svc.add(service, s, ctx, request.path_params["image_id"], member_id)
        return json_response(member_view(row))


@router.get("/v2/images/{image_id}/members/{member_id}")
async def show_member(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).read() as s:
        return json_response(member_view(svc.get(s, ctx, p["image_id"], p["member_id"])))


@router.put("/v2/images/{image_id}/members/{member_id}")
async def update_member(request: Request) -> Response:
    ctx = caller(request)
    status = sch.member_status(await body(request))
    p = request.path_params
    with images(request).write() as s:
        row = svc.update(s, ctx, p["image_id"], p["member_id"], status)
        return json_response(member_view(row))


@router.delete("/v2/images/{image_id}/members/{member_id}")
async def delete_member(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).write() as s:
        svc.delete(s, ctx, p["image_id"], p["member_id"])
    return empty_response()
