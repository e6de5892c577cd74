"""/os-server-groups: affinity and anti-affinity groups (policy and rules from 2.64)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.pagination import page_params, paginate
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import all_projects, at_least, compute, enforce, entity
from runtime.compute.service import groups as svc

router = ApiRouter()


def _view(request: Request, s: Session, g: m.ServerGroup) -> dict[str, Any]:
    view: dict[str, Any] = {"id": g.id, "name": g.name, "members": svc.members(s, g.id)}
    if at_least(request, "2.64"):
        view["policy"] = g.policy
        view["rules"] = g.rules
    else:
        view["policies"] = [g.policy]
        view["metadata"] = {}
    if at_least(request, "2.13"):
        view["project_id"] = g.project_id
        view["user_id"] = g.user_id
    return view


@router.get("/v2.1/os-server-groups")
async def index(request: Request) -> Response:
    ctx = enforce(request, "server_groups:read")
    everyone = all_projects(request)
    if everyone:
        enforce(request, "servers:all_tenants")
    comp = compute(request)
    with comp.read() as s:
        rows = svc.listing(s, ctx, everyone)
        offset = request.query_params.get("offset", "0")
        if not offset.isdigit():
            raise BadRequest(f"Invalid offset {offset}")
        rows = rows[int(offset):]
        chunk, _ = paginate(rows, page_params(request.query_params, 1000), lambda g: g.id)
        return json_response({"server_groups": [_view(request, s, g) for g in chunk]})


@router.post("/v2.1/os-server-groups")
async def create(request: Request) -> Response:
    ctx = enforce(request, "server_groups:write")
    data = await entity(request, "server_group")
    if at_least(request, "2.64"):
        sch.only(data, ("name", "policy", "rules"))
        policy = sch.string(data, "policy", required=True)
        rules = data.get("rules") or {}
        if not isinstance(rules, dict):
            raise sch.invalid("rules", rules, "is not of type 'object'")
        sch.only(rules, ("max_server_per_host",))
        if "max_server_per_host" in rules:
            sch.integer(rules, "max_server_per_host", minimum=1)
    else:
        sch.only(data, ("name", "policies"))
        policies = data.get("policies")
        if not isinstance(policies, list) or len(policies) != 1:
            raise sch.invalid("policies", policies, "must be a list of exactly one policy")
        policy, rules = policies[0], {}
    name = sch.string(data, "name", required=True, min_len=1)
    assert name is not None and isinstance(policy, str)
    comp = compute(request)
    with comp.write() as s:
        group = svc.create(s, ctx, name, policy, rules, comp.settings.quota)
        return json_response({"server_group": _view(request, s, group)})


@router.get("/v2.1/os-server-groups/{id}")
async def show(request: Request) -> Response:
    ctx = enforce(request, "server_groups:read")
    with compute(request).read() as s:
        return json_response({"server_group": _view(request, s, svc.get(
            s, ctx, request.path_params["id"]))})


@router.delete("/v2.1/os-server-groups/{id}")
async def delete(request: Request) -> Response:
    ctx = enforce(request, "server_groups:write")
    with compute(request).write() as s:
        s.delete(svc.get(s, ctx, request.path_params["id"]))
    return empty_response(204)
