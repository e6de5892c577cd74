"""/v3/groups and group membership (the list of a group's users is in api/users.py,
beside the user view it shows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.service import groups as svc
from runtime.identity.service.core import DEFAULT_DOMAIN_ID
from runtime.identity.service.listing import apply_filters

router = ApiRouter()


def group_view(request: Request, g: m.Group) -> dict[str, Any]:
    return {
        **g.extra,
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description,
        "links": self_link(request, f"/v3/groups/{g.id}"),
    }


@router.get("/v3/groups")
async def list_groups(request: Request) -> Response:
    ctx = enforce(request, "identity:list_groups")
    q = request.query_params
    with ident(request).read() as s:
        stmt = select(m.Group).order_by(m.Group.name)
        if ctx.domain_id:
            stmt = stmt.where(m.Group.domain_id == ctx.domain_id)
        if q.get("domain_id"):
            stmt = stmt.where(m.Group.domain_id == q["domain_id"])
        items = [group_view(request, g) for g in s.scalars(stmt)]
    return collection(request, "groups", apply_filters(items, q, ("name", "domain_id")))


@router.post("/v3/groups")
async def create_group(request: Request) -> Response:
    ctx = enforce(request, "identity:create_group")
    data = sch.entity(await body(request), "group")
    default_domain = ctx.domain_id or ctx.project_domain_id or DEFAULT_DOMAIN_ID
    with ident(request).write() as s:
        group = svc.create_group(s, data, default_domain)
        return member("group", group_view(request, group), 201)


@router.get("/v3/groups/{group_id}")
async def get_group(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    enforce(request, "identity:get_group", {"group_id": group_id})
    with ident(request).read() as s:
        return member("group", group_view(request, svc.get_group(s, group_id)))


@router.patch("/v3/groups/{group_id}")
async def update_group(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    enforce(request, "identity:update_group", {"group_id": group_id})
    data = sch.entity(await body(request), "group")
    with ident(request).write() as s:
        group = svc.update_group(s, svc.get_group(s, group_id), data)
        return member("group", group_view(request, group))


@router.delete("/v3/groups/{group_id}")
async def delete_group(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    enforce(request, "identity:delete_group", {"group_id": group_id})
    with ident(request).write() as s:
        svc.delete_group(s, svc.get_group(s, group_id))
    return empty_response()


def _membership_target(request: Request) -> dict[str, str]:
    return {"group_id": request.path_params["group_id"],
            "user_id": request.path_params["user_id"]}


@router.put("/v3/groups/{group_id}/users/{user_id}")
async def add_user_to_group(request: Request) -> Response:
    t = _membership_target(request)
    enforce(request, "identity:add_user_to_group", t)
    with ident(request).write() as s:
        svc.add_member(s, t["group_id"], t["user_id"])
    return empty_response()


@router.get("/v3/groups/{group_id}/users/{user_id}")
async def check_user_in_group(request: Request) -> Response:
    # HEAD (what clients use) is served by this handler too.
    t = _membership_target(request)
    enforce(request, "identity:check_user_in_group", t)
    with ident(request).read() as s:
        svc.check_member(s, t["group_id"], t["user_id"])
    return empty_response()


@router.delete("/v3/groups/{group_id}/users/{user_id}")
async def remove_user_from_group(request: Request) -> Response:
    t = _membership_target(request)
    enforce(request, "identity:remove_user_from_group", t)
    with ident(request).write() as s:
        svc.remove_member(s, t["group_id"], t["user_id"])
    return empty_response()
