"""/v2.0/quotas: per-project limits, their defaults, and usage details."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.network.api.common import V2, caller, member_body, network
from runtime.network.service import quotas
from runtime.network.service.core import enforce

router = ApiRouter()


def _with_project(limits: dict[str, Any], project_id: str) -> dict[str, Any]:
    return {**limits, "project_id": project_id, "tenant_id": project_id}


@router.get(V2 + "/quotas")
async def index(request: Request) -> Response:
    ctx = caller(request)
    enforce(ctx, "manage_quota")
    svc = network(request)
    with svc.read() as s:
        return json_response({"quotas": [
            _with_project(quotas.limits(s, svc.settings, p), p)
            for p in quotas.projects_with_overrides(s)]})


@router.get(V2 + "/quotas/{project_id}")
async def show(request: Request) -> Response:
    ctx = caller(request)
    project_id = request.path_params["project_id"]
    enforce(ctx, "get_quota", {"project_id": project_id})
    svc = network(request)
    with svc.read() as s:
        return json_response({"quota": quotas.limits(s, svc.settings, project_id)})


@router.get(V2 + "/quotas/{project_id}/default")
async def defaults(request: Request) -> Response:
    ctx = caller(request)
    project_id = request.path_params["project_id"]
    enforce(ctx, "get_quota", {"project_id": project_id})
    return json_response({"quota": _with_project(
        quotas.defaults(network(request).settings), project_id)})


@router.get(V2 + "/quotas/{project_id}/details")
async def details(request: Request) -> Response:
    ctx = caller(request)
    project_id = request.path_params["project_id"]
    enforce(ctx, "get_quota", {"project_id": project_id})
    svc = network(request)
    with svc.read() as s:
        return json_response({"quota": quotas.details(s, svc.settings, project_id)})


@router.put(V2 + "/quotas/{project_id}")
async def update(request: Request) -> Response:
    ctx = caller(request)
    enforce(ctx, "manage_quota")
    svc = network(request)
    data = await member_body(request, "quota")
    with svc.write() as s:
        limits = quotas.update(s, svc.settings, request.path_params["project_id"], data)
    return json_response({"quota": limits})


@router.delete(V2 + "/quotas/{project_id}")
async def reset(request: Request) -> Response:
    ctx = caller(request)
    enforce(ctx, "manage_quota")
    with network(request).write() as s:
        quotas.reset(s, request.path_params["project_id"])
    return empty_response()
